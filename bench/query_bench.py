#!/usr/bin/env python3
"""Query latency of instruct_knn against plain knn, the cost of a cache hit, and latency under ingest.

On a running node (scripts/run-node.sh): indexes a corpus through a pipeline, then measures, with
HTTP round trips from this process:
  1. plain `knn` with a precomputed vector (the floor), p50/p99, at concurrency 1 and 8;
  2. `instruct_knn` with a new text each time (embedding included), same concurrencies;
  3. `instruct_knn` repeating texts already seen (query-cache hits);
  4. one query's inference alone (_embed of the same texts), for the "knn + 1.2x inference" budget;
  5. `instruct_knn` p99 at concurrency 1 while another thread keeps bulk-ingesting (mixed load),
     against its idle p99.
Python 3 standard library.

    python3 bench/query_bench.py --docs 1000 --queries 200
"""
import argparse
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchhttp import call
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def timed(fn, arg):
    start = time.perf_counter()
    fn(arg)
    return (time.perf_counter() - start) * 1000


def run(fn, args, concurrency):
    if concurrency == 1:
        times = [timed(fn, a) for a in args]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            times = list(pool.map(lambda a: timed(fn, a), args))
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "eval-data", "scifact"))
    p.add_argument("--model", default="bge-small-en-v1.5")
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--queries", type=int, default=200)
    args = p.parse_args()
    url, index = args.url, "bench-queries"

    docs = [json.loads(l) for l in open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8")][: args.docs]
    queries = [json.loads(l)["text"] for l in open(os.path.join(args.data, "queries.jsonl"), encoding="utf-8")]
    # a tag unique to this run keeps earlier runs' cached embeddings out of the "fresh" figures
    run_tag = f" (run {int(time.time())})"
    fresh = [q + run_tag for q in queries[: args.queries]]
    seen = [q + run_tag for q in queries[args.queries: args.queries * 2]]
    try:
        call(url, "DELETE", "/" + index)
    except Exception:
        pass
    call(url, "PUT", f"/_ingest/pipeline/{index}", {"processors": [{"instruct_embedding": {"model_id": args.model, "field_map": {"text": "vec"}}}]})
    call(url, "PUT", "/" + index, {"settings": {"index.knn": True, "index.default_pipeline": index, "number_of_replicas": 0},
                                   "mappings": {"properties": {"vec": {"type": "knn_vector", "dimension": 384,
                                                "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}}})
    for i in range(0, len(docs), 100):
        body = "".join(json.dumps({"index": {"_id": d["_id"]}}) + "\n" + json.dumps({"text": d["title"] + " " + d["text"]}) + "\n"
                       for d in docs[i:i + 100])
        call(url, "POST", f"/{index}/_bulk", body, ndjson=True)
    call(url, "POST", f"/{index}/_refresh")

    def embed(text):
        r = call(url, "POST", "/_plugins/_instruct_embed/_embed",
                 {"model_id": args.model, "input_type": "query", "task": "retrieval", "texts": [text]})
        return r["embeddings"][0]["vector"]

    vectors = {}
    for q in fresh + seen:
        vectors[q] = embed(q + " ")  # a different text: leaves fresh queries uncached

    def knn(q):
        call(url, "POST", f"/{index}/_search", {"size": 10, "_source": False, "query": {"knn": {"vec": {"vector": vectors[q], "k": 10}}}})

    def instruct(q):
        call(url, "POST", f"/{index}/_search", {"size": 10, "_source": False,
                                                "query": {"instruct_knn": {"vec": {"query_text": q, "task": "retrieval", "k": 10}}}})

    def embed_only(q):
        call(url, "POST", "/_plugins/_instruct_embed/_embed",
             {"model_id": args.model, "input_type": "query", "task": "retrieval", "texts": [q + "  "]})

    for q in seen:  # warm the cache for the hit measurement
        instruct(q)
    knn(fresh[0]); instruct("warm-up query")

    print(f"{len(docs)} documents, {args.model}, {os.cpu_count()} cores; latencies in ms over REST (p50 / p99)")
    half = len(fresh) // 2
    results = {}
    for c in (1, 8):
        results[("knn", c)] = run(knn, fresh, c)
        part = fresh[:half] if c == 1 else fresh[half:]
        results[("instruct", c)] = run(instruct, part, c)
        print(f"concurrency {c}: knn {results[('knn', c)][0]:6.1f} / {results[('knn', c)][1]:6.1f}   "
              f"instruct_knn {results[('instruct', c)][0]:6.1f} / {results[('instruct', c)][1]:6.1f}", flush=True)
    inference = run(embed_only, fresh[:half], 1)
    hits = run(instruct, seen, 1)
    knn1 = results[("knn", 1)][0]
    print(f"one query's embedding via _embed: {inference[0]:.1f} / {inference[1]:.1f}")
    print(f"instruct_knn cache hit: {hits[0]:.1f} / {hits[1]:.1f}  (adds {hits[0] - knn1:+.2f} ms to knn's p50)")
    budget = knn1 + 1.2 * inference[0]
    print(f"instruct_knn p50 at concurrency 1: {results[('instruct', 1)][0]:.1f} ms vs budget knn + 1.2 x inference = {budget:.1f} ms")

    idle = run(instruct, [q + " idle" for q in fresh[:half]], 1)
    stop = threading.Event()

    def ingest():
        n = 0
        while not stop.is_set():
            body = "".join(json.dumps({"index": {"_id": f"load-{n}-{i}"}}) + "\n" + json.dumps({"text": d["title"] + " " + d["text"]}) + "\n"
                           for i, d in enumerate(docs[:100]))
            call(url, "POST", f"/{index}/_bulk", body, ndjson=True)
            n += 1

    loader = threading.Thread(target=ingest)
    loader.start()
    time.sleep(2)
    busy = run(instruct, [q + " busy" for q in fresh[:half]], 1)
    stop.set()
    loader.join()
    print(f"mixed load: instruct_knn p99 idle {idle[1]:.1f} ms, during bulk ingest {busy[1]:.1f} ms "
          f"(ratio {busy[1] / idle[1]:.2f}); p50 {idle[0]:.1f} -> {busy[0]:.1f}")
    call(url, "DELETE", "/" + index)


if __name__ == "__main__":
    main()
