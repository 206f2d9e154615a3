#!/usr/bin/env python3
"""What instruct_knn adds to plain knn as the number of searched indices grows (issue #21 item 10).

On a running node: creates N small indices (default 50) of two kinds, each with a few documents:
  - "pipeline": a knn_vector field written by an instruct_embedding default pipeline;
  - "instruct_text": an instruct_text field (chunked: the query becomes a nested query on chunks).
Then, for 1 index and for all N, it times (HTTP round trips, concurrency 1):
  - plain `knn` (or, for instruct_text, the same nested query written by hand) with a vector from
    _embed;
  - `instruct_knn` with the same text, after one warm-up so that its query embedding is cached:
    what remains is the plugin's rewrite (model resolution, mapping checks) on top of the search.
It prints p50 / p99 and the difference of the p50s, per kind and index count; the aim is a
difference that stays flat as indices grow. Python 3 standard library; talks to 127.0.0.1 only.

    python3 bench/many_indices_bench.py --url http://127.0.0.1:9200 [--indices 50] [--rounds 200]
"""
import argparse
import json
import statistics
import time

from benchhttp import call

MODEL = "bge-small-en-v1.5"
TEXTS = [
    "Neurons pass signals to each other across synapses, using neurotransmitters.",
    "Magma rises through cracks in the crust and erupts as lava.",
    "The heart pumps blood through arteries and veins to every organ.",
    "Glaciers carve valleys as they slowly move downhill under their own weight.",
]
QUERY = "how do brain cells talk?"


def interleaved(first, second, rounds):
    """p50 and p99 of each, timed in alternation so that both see the same machine (a shared one drifts)."""
    times = ([], [])
    for i in range(rounds):
        for which, fn in ((i % 2, (first, second)[i % 2]), (1 - i % 2, (first, second)[1 - i % 2])):
            start = time.perf_counter()
            fn()
            times[which].append((time.perf_counter() - start) * 1000)
    result = []
    for t in times:
        t.sort()
        result.append((statistics.median(t), t[min(len(t) - 1, int(len(t) * 0.99))]))
    return result


def create(url, kind, name):
    settings = {"index.knn": True, "number_of_shards": 1, "number_of_replicas": 0}
    if kind == "pipeline":
        settings["index.default_pipeline"] = "bench-many"
        mapping = {"vec": {"type": "knn_vector", "dimension": 384,
                           "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}
    else:
        mapping = {"body": {"type": "instruct_text", "model_id": MODEL}}
    call(url, "PUT", "/" + name, {"settings": settings, "mappings": {"properties": mapping}})
    field = "text" if kind == "pipeline" else "body"
    body = "".join(json.dumps({"index": {}}) + "\n" + json.dumps({field: t}) + "\n" for t in TEXTS)
    call(url, "POST", f"/{name}/_bulk", body, ndjson=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200")
    p.add_argument("--indices", type=int, default=50)
    p.add_argument("--rounds", type=int, default=200)
    args = p.parse_args()
    url = args.url
    if not url.startswith("http://127.0.0.1") and not url.startswith("http://localhost"):
        raise SystemExit("only a node on the loopback address")

    call(url, "PUT", "/_ingest/pipeline/bench-many",
         {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"text": "vec"}}}]})
    kinds = {"pipeline": "bench-many-p-", "instruct_text": "bench-many-t-"}
    for kind, prefix in kinds.items():
        try:
            call(url, "DELETE", f"/{prefix}*")
        except Exception:
            pass
        for i in range(args.indices):
            create(url, kind, f"{prefix}{i:03d}")
    call(url, "POST", "/bench-many-*/_refresh")

    vector = call(url, "POST", "/_plugins/_instruct_embed/_embed",
                  {"model_id": MODEL, "input_type": "query", "texts": [QUERY]})["embeddings"][0]["vector"]

    print(f"{args.indices} indices of {len(TEXTS)} documents per kind, 1 shard each; {args.rounds} rounds of each, alternating; "
          f"ms over REST at concurrency 1 (p50 / p99); instruct_knn's query embedding cached")
    print(f"{'kind':14} {'indices':>7}  {'knn p50/p99':>15}  {'instruct_knn p50/p99':>21}  {'difference of p50s':>18}")
    for kind, prefix in kinds.items():
        if kind == "pipeline":
            plain = {"knn": {"vec": {"vector": vector, "k": 10}}}
            instruct = {"instruct_knn": {"vec": {"query_text": QUERY, "k": 10}}}
        else:
            plain = {"nested": {"path": "body_instruct.chunks", "score_mode": "max",
                                "query": {"knn": {"body_instruct.chunks.vector": {"vector": vector, "k": 10}}},
                                "inner_hits": {"size": 1, "_source": {"excludes": ["body_instruct.chunks.vector"]}}}}
            instruct = {"instruct_knn": {"body": {"query_text": QUERY, "k": 10}}}
        for count in (1, args.indices):
            target = f"{prefix}000" if count == 1 else f"{prefix}*"

            def search(query, target=target):
                call(url, "POST", f"/{target}/_search", {"size": 10, "_source": False, "query": query})

            search(instruct)  # caches the query embedding
            search(plain)
            knn, ours = interleaved(lambda: search(plain), lambda: search(instruct), args.rounds)
            print(f"{kind:14} {count:>7}  {knn[0]:6.2f} / {knn[1]:6.2f}  {ours[0]:9.2f} / {ours[1]:9.2f}  "
                  f"{ours[0] - knn[0]:+15.2f} ms", flush=True)
    for prefix in kinds.values():
        call(url, "DELETE", f"/{prefix}*")
    call(url, "DELETE", "/_ingest/pipeline/bench-many")


if __name__ == "__main__":
    main()
