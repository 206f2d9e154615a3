#!/usr/bin/env python3
"""skip_existing: what re-sending documents costs when their texts did not change.

On a running node (scripts/run-node.sh), indexes --docs SciFact abstracts (title + text) through an
instruct_embedding pipeline with skip_existing, then:
  1. re-sends the same documents with one metadata field changed: docs/s of this pass over the
     first, and texts embedded (from the node's stats: should be 0);
  2. re-sends them with --changed (a fraction) of the texts edited: texts embedded (should be
     exactly those), and each changed document's stored vector against _embed of its new text.
Bulks of --bulk-size from one client. Python 3 standard library only; loopback HTTP.

    python3 bench/skip_existing_bench.py --docs 1000
"""
import argparse
import json
import math
import os
import time

from benchhttp import call
import ingest_bench

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def skip_stats(url, model):
    stats = ingest_bench.model_stats(url, model)["skip_existing"]
    return stats["texts_skipped"], stats["texts_embedded"]


def send(url, index, docs, bulk_size):
    start = time.time()
    for i in range(0, len(docs), bulk_size):
        body = "".join(json.dumps({"index": {"_id": d["id"]}}) + "\n" + json.dumps(d["source"]) + "\n" for d in docs[i:i + bulk_size])
        result = call(url, "POST", f"/{index}/_bulk", body, ndjson=True)
        if result.get("errors"):
            raise SystemExit(f"bulk errors: {json.dumps(result)[:1500]}")
    return time.time() - start


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "eval-data", "scifact"))
    p.add_argument("--model", default="bge-small-en-v1.5")
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--changed", type=float, default=0.1)
    p.add_argument("--bulk-size", type=int, default=100)
    args = p.parse_args()

    corpus = [json.loads(line) for line in open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8")][:args.docs]
    index = "skip-bench"
    dims = call(args.url, "GET", f"/_plugins/_instruct_embed/models/{args.model}")["dimensions"]
    try:
        call(args.url, "DELETE", "/" + index)
    except Exception:
        pass
    call(args.url, "PUT", f"/_ingest/pipeline/{index}", {"processors": [{"instruct_embedding": {
        "model_id": args.model, "field_map": {"text": "vec"}, "skip_existing": True}}]})
    call(args.url, "PUT", "/" + index, {"settings": {"index.knn": True, "index.default_pipeline": index, "number_of_replicas": 0,
                                                    "number_of_shards": 1},
                                       "mappings": {"properties": {"text": {"type": "text"}, "views": {"type": "integer"},
                                                                   "vec": {"type": "knn_vector", "dimension": dims, "method": {
                                                                       "name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}},
                                                                   "vec_fingerprint": {"type": "keyword", "index": False, "doc_values": False}}}})

    def docs(views, changed_every=0):
        out = []
        for i, d in enumerate(corpus):
            text = (d.get("title", "") + " " + d["text"]).strip()
            if changed_every and i % changed_every == 0:
                text = "Revised: " + text
            out.append({"id": d["_id"], "source": {"text": text, "views": views}})
        return out

    s0 = skip_stats(args.url, args.model)
    first = send(args.url, index, docs(0), args.bulk_size)
    s1 = skip_stats(args.url, args.model)
    second = send(args.url, index, docs(1), args.bulk_size)
    s2 = skip_stats(args.url, args.model)
    every = round(1 / args.changed)
    changed_docs = docs(2, every)
    third = send(args.url, index, changed_docs, args.bulk_size)
    s3 = skip_stats(args.url, args.model)
    call(args.url, "POST", f"/{index}/_refresh")

    expected_changed = len([i for i in range(len(corpus)) if i % every == 0])
    worst = 1.0
    for i in range(0, len(corpus), every):
        stored = call(args.url, "GET", f"/{index}/_doc/{corpus[i]['_id']}")["_source"]
        fresh = call(args.url, "POST", "/_plugins/_instruct_embed/_embed", {
            "model_id": args.model, "input_type": "document", "texts": [stored["text"]]})["embeddings"][0]["vector"]
        worst = min(worst, cosine(stored["vec"], fresh))

    n = len(corpus)
    print(f"{n} SciFact abstracts, model {args.model}, bulks of {args.bulk_size}, one client")
    print(f"first pass        {first:7.1f} s  {n / first:8.1f} docs/s   embedded {s1[1] - s0[1]:5d}  skipped {s1[0] - s0[0]:5d}")
    print(f"unchanged re-send {second:7.1f} s  {n / second:8.1f} docs/s   embedded {s2[1] - s1[1]:5d}  skipped {s2[0] - s1[0]:5d}")
    print(f"{args.changed:.0%} changed       {third:7.1f} s  {n / third:8.1f} docs/s   embedded {s3[1] - s2[1]:5d}  skipped {s3[0] - s2[0]:5d}"
          f"  (expected {expected_changed} embedded)")
    print(f"unchanged re-send / first pass: {first / second:.1f}x docs/s")
    print(f"changed documents: lowest cosine of stored vector against _embed of the new text {worst:.6f}")


if __name__ == "__main__":
    main()
