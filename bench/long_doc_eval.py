#!/usr/bin/env python3
"""Long documents: retrieval quality with and without chunking, and chunked ingest against raw ONNX Runtime.

Builds a long-document SciFact from ../shared/eval-data/scifact: fixed groups of --group
consecutive abstracts (title + text each, as MTEB embeds them) joined by blank lines into one
document; a group is relevant to a query when any of its abstracts is. Then, on a running node:

  a  no chunking: one vector per document (the model cuts the text at its max tokens)
  b  chunking method tokens (--max-tokens, --overlap-tokens)
  c  chunking method sentences (same sizes)
  d  the ideal split: each chunk is exactly one original abstract (an array of texts)

Queries are instruct_knn with the retrieval task: on the vector field for (a), on the nested chunk
field for (b)-(d), which ranks each document by its best chunk. Prints NDCG@10 and Recall@100,
indexing docs/s and tokens/s (tokens the model ran, from the node's stats).

    scripts/run-node.sh
    python3 bench/long_doc_eval.py --modes a,b,c,d
    python3 bench/long_doc_eval.py --throughput --groups 120 --rounds 2

--throughput indexes the first --groups documents with method tokens and runs RawOrtCeiling (plain
ONNX Runtime, same pack, 2 threads, length-sorted batches of 16) on exactly the chunk texts the
node wrote, alternating the two for --rounds rounds; the ratio is plugin tokens/s over raw
tokens/s of the same round. Needs the build's test classpath (mvn -q test-compile).
Python 3 standard library only; loopback HTTP.
"""
import argparse
import json
import os
import statistics
import sys
import time

from beir_eval import ndcg_at, read_jsonl, read_qrels
from benchhttp import call
import ingest_bench

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def groups_of(corpus, size):
    """Documents of `size` consecutive abstracts: (id, [abstract texts]), and abstract id -> group id."""
    groups, owner = [], {}
    for start in range(0, len(corpus), size):
        gid = f"g{start // size}"
        members = corpus[start:start + size]
        groups.append((gid, [(d.get("title", "") + " " + d["text"]).strip() for d in members]))
        for d in members:
            owner[d["_id"]] = gid
    return groups, owner


def model_stats(url, model):
    return ingest_bench.model_stats(url, model)


def create(url, index, model, dims, mode, max_tokens, overlap):
    processor = {"model_id": model}
    vector = {"type": "knn_vector", "dimension": dims, "method": {
        "name": "hnsw", "engine": "lucene", "space_type": "cosinesimil", "parameters": {"m": 16, "ef_construction": 512}}}
    if mode == "a":
        processor["field_map"] = {"content": "content_vector"}
        properties = {"content": {"type": "text"}, "content_vector": vector}
    else:
        processor["field_map"] = {"content": "content_chunks"}
        if mode in ("b", "c"):
            processor["chunking"] = {"method": "tokens" if mode == "b" else "sentences", "max_tokens": max_tokens,
                                     "overlap_tokens": overlap}
        properties = {"content": {"type": "text"}, "content_chunks": {"type": "nested", "properties": {
            "text": {"type": "text"}, "offsets": {"type": "integer", "index": False}, "vector": vector}}}
    try:
        call(url, "DELETE", "/" + index)
    except Exception:
        pass
    call(url, "PUT", f"/_ingest/pipeline/{index}", {"processors": [{"instruct_embedding": processor}]})
    call(url, "PUT", "/" + index, {"settings": {"index.knn": True, "index.default_pipeline": index, "number_of_shards": 1,
                                                "number_of_replicas": 0, "refresh_interval": "-1"},
                                   "mappings": {"properties": properties}})


def ingest(url, index, model, groups, mode, bulk_size, clients):
    import threading
    before = model_stats(url, model)
    errors = []

    def source(members):
        return {"content": members if mode == "d" else "\n\n".join(members)}

    def worker(batches):
        for batch in batches:
            body = "".join(json.dumps({"index": {"_id": gid}}) + "\n" + json.dumps(source(m)) + "\n" for gid, m in batch)
            result = call(url, "POST", f"/{index}/_bulk", body, ndjson=True)
            if result.get("errors"):
                errors.append([it for it in result["items"] if it["index"].get("error")][:2])

    bulks = [groups[i:i + bulk_size] for i in range(0, len(groups), bulk_size)]
    assigned = [bulks[c::clients] for c in range(clients)]
    start = time.time()
    threads = [threading.Thread(target=worker, args=(a,)) for a in assigned]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    if errors:
        raise SystemExit(f"bulk errors: {json.dumps(errors[0])[:1500]}")
    call(url, "POST", f"/{index}/_refresh")
    after = model_stats(url, model)
    tokens = after["tokens"] - before["tokens"]
    chunks = after["texts"] - before["texts"]
    return seconds, tokens, chunks


def evaluate(url, index, mode, queries, qrels, owner, ef_search):
    field = "content_vector" if mode == "a" else "content_chunks"
    ndcgs, recalls = [], []
    for qid, relevant_docs in sorted(qrels.items()):
        relevant = {}
        for doc in relevant_docs:
            relevant[owner[doc]] = max(relevant.get(owner[doc], 0), relevant_docs[doc])
        query = {"query_text": queries[qid], "task": "retrieval", "k": 100, "method_parameters": {"ef_search": ef_search}}
        if mode != "a":
            query["inner_hits"] = {"size": 1, "_source": False}
        hits = call(url, "POST", f"/{index}/_search", {"size": 100, "_source": False, "query": {"instruct_knn": {field: query}}})
        ranked = [hit["_id"] for hit in hits["hits"]["hits"]]
        ndcgs.append(ndcg_at(ranked, relevant, 10))
        recalls.append(len(set(ranked[:100]) & set(relevant)) / len(relevant))
    return 100 * sum(ndcgs) / len(ndcgs), 100 * sum(recalls) / len(recalls)


def chunk_texts(url, index, groups):
    texts = []
    ids = [gid for gid, _ in groups]
    for i in range(0, len(ids), 200):
        docs = call(url, "POST", f"/{index}/_mget?_source_includes=content_chunks.text", {"ids": ids[i:i + 200]})["docs"]
        for doc in docs:
            texts.extend(c["text"].replace("\n", " ") for c in doc["_source"]["content_chunks"])
    return texts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "eval-data", "scifact"))
    p.add_argument("--model", default="bge-small-en-v1.5")
    p.add_argument("--group", type=int, default=8, help="abstracts per long document")
    p.add_argument("--groups", type=int, default=0, help="use only the first N documents (0: all)")
    p.add_argument("--modes", default="a,b,c,d")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--overlap-tokens", type=int, default=32)
    p.add_argument("--bulk-size", type=int, default=16)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--ef-search", type=int, default=512)
    p.add_argument("--throughput", action="store_true")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()

    corpus = read_jsonl(os.path.join(args.data, "corpus.jsonl"))
    groups, owner = groups_of(corpus, args.group)
    if args.groups:
        groups = groups[:args.groups]
    dims = call(args.url, "GET", f"/_plugins/_instruct_embed/models/{args.model}")["dimensions"]
    index = "longdoc"

    if args.throughput:
        cp = ingest_bench.classpath()
        print(f"{len(groups)} documents of {args.group} abstracts; chunking tokens {args.max_tokens}/{args.overlap_tokens}; "
              f"plugin: {args.clients} clients, bulks of {args.bulk_size}; raw: 2 threads, length-sorted batches of 16")
        ratios = []
        for r in range(args.rounds):
            create(args.url, index, args.model, dims, "b", args.max_tokens, args.overlap_tokens)
            seconds, tokens, chunks = ingest(args.url, index, args.model, groups, "b", args.bulk_size, args.clients)
            texts = chunk_texts(args.url, index, groups)
            raw_docs, raw_tokens = ingest_bench.raw_ceiling(cp, args.model, texts, 2, 16)
            raw_seconds = len(texts) / raw_docs
            ratio = (tokens / seconds) / raw_tokens
            ratios.append(ratio)
            print(f"round {r + 1}: plugin {len(groups) / seconds:.2f} docs/s {tokens / seconds:.0f} tok/s ({chunks} chunks) | "
                  f"raw {len(groups) / raw_seconds:.2f} docs/s {raw_tokens:.0f} tok/s ({len(texts)} chunks) | ratio {ratio:.2f}",
                  flush=True)
        print(f"median ratio plugin/raw tokens/s: {statistics.median(ratios):.2f}")
        return

    queries = {q["_id"]: q["text"] for q in read_jsonl(os.path.join(args.data, "queries.jsonl"))}
    in_use = {gid for gid, _ in groups}
    qrels = {q: r for q, r in read_qrels(os.path.join(args.data, "qrels", "test.tsv")).items()
             if all(owner[d] in in_use for d in r)}
    print(f"{len(groups)} documents of {args.group} abstracts, {len(qrels)} test queries; model {args.model}; "
          f"chunks of {args.max_tokens} tokens, overlap {args.overlap_tokens}", flush=True)
    for mode in args.modes.split(","):
        create(args.url, index, args.model, dims, mode, args.max_tokens, args.overlap_tokens)
        seconds, tokens, chunks = ingest(args.url, index, args.model, groups, mode, args.bulk_size, args.clients)
        ndcg, recall = evaluate(args.url, index, mode, queries, qrels, owner, args.ef_search)
        print(f"mode {mode}: NDCG@10 {ndcg:.2f}  Recall@100 {recall:.2f}  | {chunks} texts embedded, {tokens} tokens, "
              f"{seconds:.0f} s: {len(groups) / seconds:.2f} docs/s, {tokens / seconds:.0f} tok/s", flush=True)


if __name__ == "__main__":
    main()
