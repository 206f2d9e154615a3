#!/usr/bin/env python3
"""What the serving hop costs: the same bulk and the same queries through a node without the
`embedding` role (its work goes to the serving node over transport) and through the serving node
itself (local inference), in one run, alternating, so that the machine's drift cancels.

On a running cluster of two nodes (bench/serving_bench.sh starts one): REMOTE has no role (and
holds the indices' shards, as a data node would), LOCAL has the role. Measures:
  1. bulk throughput (documents per second, SciFact abstracts through an instruct_embedding
     pipeline), rounds alternating REMOTE and LOCAL; the ratio remote / local (aim: >= 0.9);
  2. instruct_knn latency p50 / p99 at concurrency 1 with fresh query texts, interleaved one by one
     between the two nodes (each text is sent once, so no cache answers it), and the p50 the hop adds;
  3. the same for one query's _embed;
  4. the serving stats: calls sent, wire time per call (round trip less the serving node's own time).
Python 3 standard library.

    python3 bench/serving_bench.py --remote http://127.0.0.1:9700 --local http://127.0.0.1:9701
"""
import argparse
import json
import os
import statistics
import time

from benchhttp import call

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def pct(times, q):
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * q))]


def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--remote", required=True, help="URL of the node without the role")
    p.add_argument("--local", required=True, help="URL of the serving node")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "eval-data", "scifact"))
    p.add_argument("--model", default="bge-small-en-v1.5")
    p.add_argument("--docs", type=int, default=400)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--queries", type=int, default=200)
    args = p.parse_args()
    urls = {"remote": args.remote, "local": args.local}

    nodes = call(args.remote, "GET", "/_nodes")["nodes"]
    remote_name = call(args.remote, "GET", "/_nodes/_local")["nodes"]
    remote_name = next(iter(remote_name.values()))["name"]
    roles = {n["name"]: n["roles"] for n in nodes.values()}
    print(f"nodes: {roles}; shards on {remote_name}; {os.cpu_count()} cores; {args.model}")

    docs = [json.loads(l) for l in open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8")][: args.docs]
    queries = [json.loads(l)["text"] for l in open(os.path.join(args.data, "queries.jsonl"), encoding="utf-8")]
    tag = f" (run {int(time.time())})"
    call(args.remote, "PUT", "/_ingest/pipeline/serving-bench",
         {"processors": [{"instruct_embedding": {"model_id": args.model, "field_map": {"text": "vec"}}}]})

    def fresh_index(name):
        try:
            call(args.remote, "DELETE", "/" + name)
        except Exception:
            pass
        call(args.remote, "PUT", "/" + name, {
            "settings": {"index.knn": True, "index.default_pipeline": "serving-bench", "number_of_shards": 1, "number_of_replicas": 0,
                         "index.routing.allocation.require._name": remote_name},
            "mappings": {"properties": {"vec": {"type": "knn_vector", "dimension": 384,
                                                "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}}})
        call(args.remote, "GET", f"/_cluster/health/{name}?wait_for_status=green&timeout=60s")

    def bulk(url, index):
        start = time.perf_counter()
        for i in range(0, len(docs), args.batch):
            body = "".join(json.dumps({"index": {"_index": index, "_id": d["_id"]}}) + "\n"
                           + json.dumps({"text": d["title"] + " " + d["text"]}) + "\n" for d in docs[i:i + args.batch])
            response = call(url, "POST", "/_bulk", body, ndjson=True)
            if response.get("errors"):
                raise SystemExit(f"bulk errors through {url}: {json.dumps(response)[:500]}")
        return len(docs) / (time.perf_counter() - start)

    # warm both paths: the model is loaded on the serving node, connections are open
    fresh_index("serving-bench-warm")
    bulk(args.remote, "serving-bench-warm")
    bulk(args.local, "serving-bench-warm")

    throughput = {"remote": [], "local": []}
    for r in range(args.rounds):
        for path in (("remote", "local") if r % 2 == 0 else ("local", "remote")):
            index = f"serving-bench-{path}"
            fresh_index(index)
            throughput[path].append(bulk(urls[path], index))
        print(f"round {r + 1}: remote {throughput['remote'][-1]:.1f} docs/s, local {throughput['local'][-1]:.1f} docs/s", flush=True)
    call(args.remote, "POST", "/serving-bench-remote/_refresh")

    def knn(url, text):
        call(url, "POST", "/serving-bench-remote/_search",
             {"size": 10, "_source": False, "query": {"instruct_knn": {"vec": {"query_text": text, "task": "retrieval", "k": 10}}}})

    def embed(url, text):
        call(url, "POST", "/_plugins/_instruct_embed/_embed", {"model_id": args.model, "input_type": "query", "texts": [text]})

    for path in urls:
        knn(urls[path], "warm-up" + tag + path)
    latency = {("knn", "remote"): [], ("knn", "local"): [], ("embed", "remote"): [], ("embed", "local"): []}
    texts = queries[: args.queries]
    for i, text in enumerate(texts):
        order = ("remote", "local") if i % 2 == 0 else ("local", "remote")
        for path in order:
            latency[("knn", path)].append(timed(lambda: knn(urls[path], f"{text}{tag} knn {path}")))
            latency[("embed", path)].append(timed(lambda: embed(urls[path], f"{text}{tag} embed {path}")))

    print()
    print(f"bulk of {len(docs)} documents in batches of {args.batch}, {args.rounds} rounds each way:")
    med = {path: statistics.median(v) for path, v in throughput.items()}
    print(f"  through the node without the role: {med['remote']:.1f} docs/s (median)")
    print(f"  through the serving node:          {med['local']:.1f} docs/s (median)")
    print(f"  ratio remote / local: {med['remote'] / med['local']:.3f}")
    print(f"latency at concurrency 1 over REST, {len(texts)} fresh texts each way, ms (p50 / p99):")
    for kind, label in (("knn", "instruct_knn"), ("embed", "_embed (one query)")):
        r, l = latency[(kind, "remote")], latency[(kind, "local")]
        print(f"  {label:20s} remote {statistics.median(r):6.1f} / {pct(r, 0.99):6.1f}   local {statistics.median(l):6.1f} / {pct(l, 0.99):6.1f}"
              f"   hop adds {statistics.median(r) - statistics.median(l):+.1f} ms at p50")
    stats = call(args.remote, "GET", "/_plugins/_instruct_embed/serving")["nodes"]
    for node in stats.values():
        sent = node["sent_to_other_nodes"]
        print(f"  {node['name']}: role {node['role']}, sent {sent['calls']} calls ({sent['texts']} texts), "
              f"wire {sent['wire_ms_per_call']:.2f} ms per call, served {node['served_for_other_nodes']['calls']} calls for others")


if __name__ == "__main__":
    main()
