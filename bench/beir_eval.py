#!/usr/bin/env python3
"""Retrieval quality of instruct-embed on a BEIR-format dataset, end to end on a real node.

Indexes corpus.jsonl (documents: title + " " + text, as MTEB does), runs every test query of
qrels/test.tsv as an instruct_knn query with the retrieval task, and prints NDCG@10 and
Recall@100. Python 3 standard library only; talks to the node over loopback HTTP.

--forms picks how documents are embedded, several in one run for a like-for-like comparison:
  pipeline          an instruct_embedding pipeline into a knn_vector field (the default)
  field             an instruct_text field (one mapping line; chunking on, its default)
  field-unchunked   an instruct_text field with "chunking": false

    python3 bench/beir_eval.py --data ../shared/eval-data/scifact --model bge-small-en-v1.5
    python3 bench/beir_eval.py --data ../shared/eval-data/scifact --forms pipeline,field,field-unchunked

--document-task embeds the documents under another task of the pack than the queries' --task. A
symmetric task renders documents with the query template and its own instruction, so e5's `bare`
task (empty instruction) leaves documents bare while queries keep `query: `:

    python3 bench/beir_eval.py --data ../shared/eval-data/scifact --model e5-small-v2                 # query: / passage:
    python3 bench/beir_eval.py --data ../shared/eval-data/scifact --model e5-small-v2 --document-task bare
    python3 bench/beir_eval.py --data ../shared/eval-data/scifact --model e5-small-v2-int8

e5-small-v2 and e5-small-v2-int8 are pack archives: start the node with scripts/run-node.sh --packs.
--limit N indexes N documents, the relevant ones of the first test queries (as many queries as fit)
and then others in corpus order, and runs only those queries: a quick smoke run, not a figure to quote.

Start a node first (scripts/run-node.sh). A benchmark, not a CI test: SciFact takes minutes.
"""
import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request

os.environ.setdefault("OPT_OUT_TRACKING", "true")


def call(url, method, path, body=None, ndjson=False):
    data = None
    headers = {}
    if body is not None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path} failed: {e.code} {e.read()[:2000].decode('utf-8', 'replace')}")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8", newline="") as f:
        next(f)
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) == 3 and int(parts[2]) > 0:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def ndcg_at(ranked, relevant, k):
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked, relevant, k):
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def smoke_subset(corpus, qrels, limit):
    """At most limit documents: those relevant to the first queries that fit whole, then others; and those queries."""
    keep, queries = set(), {}
    for qid, relevant in sorted(qrels.items()):
        if len(keep | set(relevant)) <= limit:
            keep |= set(relevant)
            queries[qid] = relevant
    for doc in corpus:
        if len(keep) >= limit:
            break
        keep.add(doc["_id"])
    if not queries:
        raise SystemExit(f"--limit {limit} holds the relevant documents of no test query")
    return [doc for doc in corpus if doc["_id"] in keep], queries


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--data", required=True, help="folder with corpus.jsonl, queries.jsonl, qrels/test.tsv")
    parser.add_argument("--model", default="bge-small-en-v1.5")
    parser.add_argument("--task", default="retrieval", help="the queries' task")
    parser.add_argument("--document-task", default=None,
                        help="the documents' task (default: the pack's default task), e.g. bare for e5 documents without 'passage: '")
    parser.add_argument("--limit", type=int, default=None, help="smoke run: the first N documents and the queries they answer")
    parser.add_argument("--index", default=None, help="index name (default: beir-<model>)")
    parser.add_argument("--reuse", action="store_true", help="keep an existing index instead of re-indexing")
    parser.add_argument("--bulk-size", type=int, default=128)
    parser.add_argument("--ef-search", type=int, default=512)
    parser.add_argument("--forms", default="pipeline", help="comma-separated: pipeline, field, field-unchunked")
    args = parser.parse_args()
    corpus = read_jsonl(os.path.join(args.data, "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in read_jsonl(os.path.join(args.data, "queries.jsonl"))}
    qrels = read_qrels(os.path.join(args.data, "qrels", "test.tsv"))
    if args.limit is not None:
        corpus, qrels = smoke_subset(corpus, qrels, args.limit)
    if args.index is None and args.document_task is not None:
        args.index = f"beir-{args.model}-docs-{args.document_task}"
    dims = call(args.url, "GET", f"/_plugins/_instruct_embed/models/{args.model}")["dimensions"]
    print(f"dataset      {os.path.basename(os.path.normpath(args.data))}: {len(corpus)} documents, {len(qrels)} test queries")
    documents = f"documents task {args.document_task}" if args.document_task else "documents under the pack's default task"
    print(f"model        {args.model} ({dims} d), queries task {args.task}, {documents}, lucene HNSW m 16, ef_construction 512, ef_search {args.ef_search}")
    results = {}
    for form in args.forms.split(","):
        results[form] = run_form(args, form.strip(), corpus, queries, qrels, dims)
    if len(results) > 1:
        base = next(iter(results))
        print()
        print(f"| form | NDCG@10 | Recall@100 | docs/s | docs/s vs {base} |")
        print("| --- | --- | --- | --- | --- |")
        for form, r in results.items():
            ratio = f"{r['docs_per_s'] / results[base]['docs_per_s']:.2f}x" if r["docs_per_s"] and results[base]["docs_per_s"] else "-"
            rate = f"{r['docs_per_s']:.1f}" if r["docs_per_s"] else "-"
            print(f"| {form} | {r['ndcg']:.2f} | {r['recall']:.2f} | {rate} | {ratio} |")


KNN_METHOD = {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil", "parameters": {"m": 16, "ef_construction": 512}}


def create_index(args, form, index, dims):
    """The index for one form; returns the field instruct_knn queries."""
    settings = {"index.knn": True, "number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}
    if form == "pipeline":
        pipeline = f"{index}-embed"
        processor = {"model_id": args.model, "field_map": {"content": "content_vector"}}
        if args.document_task:
            processor["task"] = args.document_task
        call(args.url, "PUT", f"/_ingest/pipeline/{pipeline}", {"processors": [{"instruct_embedding": processor}]})
        settings["index.default_pipeline"] = pipeline
        call(args.url, "PUT", f"/{index}", {"settings": settings, "mappings": {"properties": {
            "content": {"type": "text"},
            "content_vector": {"type": "knn_vector", "dimension": dims, "method": KNN_METHOD}}}})
        return "content_vector"
    if form in ("field", "field-unchunked"):
        field = {"type": "instruct_text", "model_id": args.model, "vector": {"method": KNN_METHOD}}
        if args.document_task:
            field["task"] = args.document_task
        if form == "field-unchunked":
            field["chunking"] = False
        call(args.url, "PUT", f"/{index}", {"settings": settings, "mappings": {"properties": {"content": field}}})
        return "content"
    raise SystemExit(f"unknown form [{form}]: pipeline, field or field-unchunked")


def run_form(args, form, corpus, queries, qrels, dims):
    index = (args.index or f"beir-{args.model}") + ("" if form == "pipeline" else f"-{form}")
    exists = True
    try:
        call(args.url, "GET", f"/{index}/_count")
    except SystemExit:
        exists = False
    index_seconds = None
    field = "content_vector" if form == "pipeline" else "content"
    if not (args.reuse and exists):
        if exists:
            call(args.url, "DELETE", f"/{index}")
        field = create_index(args, form, index, dims)
        start = time.time()
        for i in range(0, len(corpus), args.bulk_size):
            lines = []
            for doc in corpus[i:i + args.bulk_size]:
                content = (doc.get("title", "") + " " + doc["text"]).strip()
                lines.append(json.dumps({"index": {"_id": doc["_id"]}}))
                lines.append(json.dumps({"content": content}))
            result = call(args.url, "POST", f"/{index}/_bulk", "\n".join(lines) + "\n", ndjson=True)
            if result.get("errors"):
                bad = [it for it in result["items"] if it["index"].get("error")][:3]
                raise SystemExit(f"bulk errors: {bad}")
            print(f"\r{form}: indexed {min(i + args.bulk_size, len(corpus))}/{len(corpus)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        index_seconds = time.time() - start
        call(args.url, "POST", f"/{index}/_refresh")
    count = call(args.url, "GET", f"/{index}/_count")["count"]
    if count != len(corpus):
        raise SystemExit(f"index holds {count} documents, corpus has {len(corpus)}")

    ndcgs, recalls, latencies = [], [], []
    for qid, relevant in sorted(qrels.items()):
        body = {"size": 100, "_source": False, "query": {"instruct_knn": {field: {
            "query_text": queries[qid], "task": args.task, "k": 100,
            "method_parameters": {"ef_search": args.ef_search}}}}}
        if form == "field":
            # best chunk per document; the chunk itself is not needed here
            body["query"]["instruct_knn"][field]["inner_hits"] = {"size": 0}
        start = time.time()
        hits = call(args.url, "POST", f"/{index}/_search", body)["hits"]["hits"]
        latencies.append(time.time() - start)
        ranked = [hit["_id"] for hit in hits]
        ndcgs.append(ndcg_at(ranked, relevant, 10))
        recalls.append(recall_at(ranked, relevant, 100))

    latencies.sort()
    print(f"\n[{form}] index {index}")
    if index_seconds is not None:
        print(f"indexing     {index_seconds:.1f} s, {len(corpus) / index_seconds:.1f} docs/s (bulk size {args.bulk_size}, one client)")
    print(f"query        median {1000 * latencies[len(latencies) // 2]:.1f} ms over REST (first run embeds; repeats hit the cache)")
    print(f"NDCG@10      {100 * sum(ndcgs) / len(ndcgs):.2f}")
    print(f"Recall@100   {100 * sum(recalls) / len(recalls):.2f}")
    return {"ndcg": 100 * sum(ndcgs) / len(ndcgs), "recall": 100 * sum(recalls) / len(recalls),
            "docs_per_s": len(corpus) / index_seconds if index_seconds else None}


if __name__ == "__main__":
    main()
