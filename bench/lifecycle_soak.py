#!/usr/bin/env python3
"""Soak test of the model lifecycle under traffic (issue #14).

Unloads and loads the model every --cycle seconds while --clients clients embed (_embed and
v1/embeddings), search (instruct_knn) and bulk-index through an instruct_embedding pipeline for
--seconds. Prints the answers per API as 2xx / 4xx / 429 / 5xx and hung requests (no answer within
--timeout), then checks that every accepted document is indexed exactly once, with a vector equal
to _embed of its text (cosine >= --min-cos). Exits 1 when there is a 5xx, a hung request, or a
document that is missing, duplicated or has another vector.

    scripts/run-node.sh                      # or scripts/node.sh start ... on another port
    python3 bench/lifecycle_soak.py --url http://127.0.0.1:9200

Python 3 standard library only; talks to the node on loopback.
"""
import argparse
import collections
import json
import math
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

os.environ.setdefault("OPT_OUT_TRACKING", "true")
os.environ.setdefault("ai.djl.offline", "true")

ROOT = "/_plugins/_instruct_embed"
INDEX = "lifecycle_soak"


class Node:
    def __init__(self, url, timeout):
        self.url = url
        self.timeout = timeout

    def call(self, method, path, body=None, ndjson=False):
        """(status, parsed body); status None when the request got no answer within the timeout."""
        data = None
        headers = {}
        if body is not None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"{}")
            except ValueError:
                return e.code, {}
        except (socket.timeout, TimeoutError):
            return None, {}
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                return None, {}
            raise


def bucket(status):
    if status is None:
        return "hung"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.defaultdict(collections.Counter)
        self.server_errors = []

    def add(self, api, status, body):
        with self.lock:
            self.counts[api][bucket(status)] += 1
            if status is None or status >= 500:
                self.server_errors.append((api, status, json.dumps(body)[:300]))


def setup(node, model):
    node.call("DELETE", "/" + INDEX)
    status, body = node.call("PUT", "/_ingest/pipeline/" + INDEX,
                             {"processors": [{"instruct_embedding": {"model_id": model, "field_map": {"text": "vec"}}}]})
    assert status == 200, body
    status, body = node.call("PUT", "/" + INDEX, {
        "settings": {"index.knn": True, "number_of_shards": 1, "number_of_replicas": 0, "index.default_pipeline": INDEX},
        "mappings": {"properties": {"text": {"type": "text"}, "vec": {
            "type": "knn_vector", "dimension": 384,
            "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}}})
    assert status == 200, body


def client(node, model, number, stop, tally, accepted, docs_per_bulk):
    round_ = 0
    while not stop.is_set():
        text = f"client {number} round {round_}: notes on rivers, hills and the weather near the sea"
        status, body = node.call("POST", ROOT + "/_embed", {"model_id": model, "texts": [text], "input_type": "query"})
        tally.add("_embed", status, body)
        status, body = node.call("POST", ROOT + "/v1/embeddings", {"model": model, "input": [text + " (v1)"]})
        tally.add("v1/embeddings", status, body)
        status, body = node.call("POST", "/" + INDEX + "/_search",
                                 {"size": 3, "_source": False, "query": {"instruct_knn": {"vec": {"query_text": text, "k": 3}}}})
        tally.add("instruct_knn", status, body)
        lines = []
        texts = {}
        for d in range(docs_per_bulk):
            doc_id = f"{number}-{round_}-{d}"
            texts[doc_id] = f"{text}, document {d}"
            lines.append(json.dumps({"index": {"_id": doc_id}}))
            lines.append(json.dumps({"text": texts[doc_id]}))
        status, body = node.call("POST", "/" + INDEX + "/_bulk", "\n".join(lines) + "\n", ndjson=True)
        if status != 200:
            tally.add("_bulk (request)", status, body)
        else:
            for item in body["items"]:
                index = item["index"]
                tally.add("_bulk (items)", index["status"], index.get("error", {}))
                if index["status"] == 201:
                    with tally.lock:
                        if index["_id"] in accepted:
                            tally.server_errors.append(("_bulk (items)", 201, "accepted twice: " + index["_id"]))
                        accepted[index["_id"]] = texts[index["_id"]]
        round_ += 1


def cycler(node, model, stop, cycle, tally):
    """Unload, then load half a cycle later, until told to stop."""
    count = 0
    while not stop.wait(cycle / 2):
        operation = "_unload" if count % 2 == 0 else "_load"
        status, body = node.call("POST", f"{ROOT}/models/{model}/{operation}")
        tally.add("models/" + operation, status, body)
        count += 1
    if count % 2 == 1:  # leave the model loaded
        node.call("POST", f"{ROOT}/models/{model}/_load")
    return count


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def verify(node, model, accepted, min_cos):
    """Every accepted document exactly once, with the vector _embed gives its text."""
    node.call("POST", "/" + INDEX + "/_refresh")
    status, body = node.call("GET", "/" + INDEX + "/_count")
    indexed = body["count"]
    stored = {}
    status, body = node.call("POST", "/" + INDEX + "/_search?scroll=1m", {"size": 500, "query": {"match_all": {}}})
    while status == 200 and body["hits"]["hits"]:
        for hit in body["hits"]["hits"]:
            stored[hit["_id"]] = hit["_source"]
        status, body = node.call("POST", "/_search/scroll", {"scroll": "1m", "scroll_id": body["_scroll_id"]})
    problems = []
    missing = [i for i in accepted if i not in stored]
    unexpected = [i for i in stored if i not in accepted]
    if indexed != len(accepted) or missing or unexpected:
        problems.append(f"{len(accepted)} accepted, {indexed} indexed, missing {missing[:5]}, unexpected {unexpected[:5]}")
    ids = sorted(accepted)
    worst = 1.0
    for start in range(0, len(ids), 64):
        chunk = ids[start:start + 64]
        status, body = node.call("POST", ROOT + "/_embed",
                                 {"model_id": model, "texts": [accepted[i] for i in chunk], "input_type": "document"})
        assert status == 200, body
        for doc_id, embedding in zip(chunk, body["embeddings"]):
            vector = stored.get(doc_id, {}).get("vec")
            if vector is None:
                problems.append(f"{doc_id} has no vector")
                continue
            similarity = cosine(vector, embedding["vector"] if isinstance(embedding, dict) else embedding)
            worst = min(worst, similarity)
            if similarity < min_cos:
                problems.append(f"{doc_id}: cosine {similarity:.5f} to _embed of its text")
    return indexed, worst, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--model", default="bge-small-en-v1.5")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--cycle", type=float, default=2.0, help="seconds between two unloads (a load half-way)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--docs-per-bulk", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60, help="seconds after which a request counts as hung")
    parser.add_argument("--min-cos", type=float, default=0.999)
    args = parser.parse_args()

    node = Node(args.url, args.timeout)
    setup(node, args.model)
    node.call("POST", f"{ROOT}/models/{args.model}/_load")
    tally = Tally()
    accepted = {}
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(node, args.model, n, stop, tally, accepted, args.docs_per_bulk))
               for n in range(args.clients)]
    cycles = []
    lifecycle = threading.Thread(target=lambda: cycles.append(cycler(node, args.model, stop, args.cycle, tally)))
    started = time.time()
    for thread in threads + [lifecycle]:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads + [lifecycle]:
        thread.join()
    elapsed = time.time() - started

    print(f"lifecycle soak: {args.clients} clients, model {args.model}, {elapsed:.0f} s, "
          f"{cycles[0]} unload/load operations (one every {args.cycle / 2:g} s)")
    columns = ["2xx", "4xx", "429", "5xx", "hung"]
    print(f"{'api':<18}" + "".join(f"{c:>8}" for c in columns))
    totals = collections.Counter()
    for api in sorted(tally.counts):
        counts = tally.counts[api]
        totals.update(counts)
        print(f"{api:<18}" + "".join(f"{counts[c]:>8}" for c in columns))
    print(f"{'all':<18}" + "".join(f"{totals[c]:>8}" for c in columns))
    indexed, worst, problems = verify(node, args.model, accepted, args.min_cos)
    print(f"documents: {len(accepted)} accepted, {indexed} indexed, lowest cosine to _embed {worst:.6f}")
    for api, status, body in tally.server_errors[:10]:
        print(f"  server error: {api} {status} {body}")
    for problem in problems[:10]:
        print(f"  problem: {problem}")
    ok = not tally.server_errors and not problems
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
