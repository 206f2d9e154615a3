#!/usr/bin/env python3
"""Ingest throughput of the plugin against the raw ONNX Runtime ceiling, measured in one run.

For each pack: (1) the raw ceiling, RawOrtCeiling on plain ONNX Runtime (same pack, same total
threads, length-sorted batches, no OpenSearch); (2) the plugin, _bulk through an instruct_embedding
pipeline on a running node from several concurrent clients. Prints docs/s, tokens/s and the ratio.
Runs are alternated and repeated (--rounds), and the median ratio is reported, since single runs on
a shared 2-core machine vary by +-15%.

    scripts/run-node.sh     # or any node at --url
    python3 bench/ingest_bench.py --texts long --docs 600 --rounds 3
    python3 bench/ingest_bench.py --texts short --docs 2000 --rounds 5 --raw-rows 1

--texts long: SciFact abstracts (title + text, ~320 tokens; ../shared/eval-data/scifact);
--texts short: their titles (<= 64 tokens). Python 3 standard library; the ceiling needs the
build's classpath (mvn -q test-compile first; the script asks Maven for the classpath).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchhttp import call
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def texts(kind, count, data):
    docs = [json.loads(line) for line in open(os.path.join(data, "corpus.jsonl"), encoding="utf-8")]
    if kind == "short":
        out = [d["title"] for d in docs if d.get("title")]
    else:
        out = [(d.get("title", "") + " " + d["text"]).strip() for d in docs]
    return [t.replace("\n", " ") for t in out[:count]]


def classpath():
    out = tempfile.mktemp()
    subprocess.run(["mvn", "-B", "-q", "-o", "dependency:build-classpath", "-Dmdep.outputFile=" + out,
                    "-Dmdep.includeScope=test"], cwd=REPO, check=True)
    with open(out) as f:
        return ":".join([os.path.join(REPO, "target/test-classes"), os.path.join(REPO, "target/classes"), f.read().strip()])


def raw_ceiling(cp, pack, lines, threads, rows):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java")
    result = subprocess.run([java, "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-cp", cp,
                             "io.instructembed.bench.RawOrtCeiling", os.path.join(REPO, "target/model-packs"), pack,
                             f.name, str(threads), str(rows)], capture_output=True, text=True, check=True)
    docs_per_s, tokens_per_s = result.stdout.strip().splitlines()[-1].split()
    return float(docs_per_s), float(tokens_per_s)


def plugin_ingest(url, pack, lines, clients, bulk_size):
    index = "bench-" + pack
    try:
        call(url, "DELETE", "/" + index)
    except Exception:
        pass
    dims = call(url, "GET", f"/_plugins/_instruct_embed/models/{pack}")["dimensions"]
    call(url, "PUT", f"/_ingest/pipeline/{index}", {"processors": [{"instruct_embedding": {"model_id": pack, "field_map": {"text": "vec"}}}]})
    call(url, "PUT", "/" + index, {"settings": {"index.knn": True, "index.default_pipeline": index, "number_of_replicas": 0,
                                                "refresh_interval": "-1"},
                                   "mappings": {"properties": {"vec": {"type": "knn_vector", "dimension": dims,
                                                "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}}})
    before = model_stats(url, pack)
    chunks = [lines[i:i + bulk_size] for i in range(0, len(lines), bulk_size)]
    errors = []

    def worker(mine):
        for start, chunk in mine:
            body = "".join(json.dumps({"index": {"_id": str(start + j)}}) + "\n" + json.dumps({"text": t}) + "\n"
                           for j, t in enumerate(chunk))
            result = call(url, "POST", f"/{index}/_bulk", body, ndjson=True)
            if result.get("errors"):
                errors.append(result)

    assigned = [[] for _ in range(clients)]
    for i, chunk in enumerate(chunks):
        assigned[i % clients].append((i * bulk_size, chunk))
    start = time.time()
    threads = [threading.Thread(target=worker, args=(a,)) for a in assigned]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    if errors:
        raise SystemExit(f"bulk errors: {json.dumps(errors[0])[:1000]}")
    after = model_stats(url, pack)
    tokens = after["tokens"] - before["tokens"]
    batches = after["batches"] - before["batches"]
    call(url, "DELETE", "/" + index)
    return len(lines) / seconds, tokens / seconds, batches


def model_stats(url, pack):
    stats = call(url, "GET", "/_plugins/_instruct_embed/_local/stats")
    return next(iter(stats["nodes"].values()))["models"][pack]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "eval-data", "scifact"))
    p.add_argument("--texts", choices=["long", "short"], default="long")
    p.add_argument("--docs", type=int, default=600)
    p.add_argument("--packs", default="bge-small-en-v1.5,bge-small-en-v1.5-int8")
    p.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads of the raw loop: the node's total")
    p.add_argument("--raw-rows", type=int, default=16, help="rows per raw batch; 1 = one text at a time")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--bulk-size", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--curve", action="store_true",
                   help="only the raw ONNX Runtime curve: docs/s by rows per batch and threads per call")
    args = p.parse_args()

    lines = texts(args.texts, args.docs, args.data)
    cp = classpath()
    if args.curve:
        print(f"raw ONNX Runtime, {args.docs} {args.texts} texts, length-sorted batches: docs/s by rows per batch")
        for pack in args.packs.split(","):
            for threads in (1, 2):
                row = [f"{raw_ceiling(cp, pack, lines, threads, rows)[0]:7.1f}" for rows in (1, 2, 4, 8, 16, 32, 64)]
                print(f"{pack:24s} {threads} thread(s): rows 1/2/4/8/16/32/64 -> " + " ".join(row), flush=True)
        return
    print(f"{args.docs} {args.texts} texts, {os.cpu_count()} cores; raw: {args.threads} threads, "
          f"{'one text at a time' if args.raw_rows == 1 else f'length-sorted batches of {args.raw_rows}'}; "
          f"plugin: {args.clients} clients, bulks of {args.bulk_size}")
    for pack in args.packs.split(","):
        ratios = []
        for r in range(args.rounds):
            raw_docs, raw_tokens = raw_ceiling(cp, pack, lines, args.threads, args.raw_rows)
            docs, tokens, batches = plugin_ingest(args.url, pack, lines, args.clients, args.bulk_size)
            ratios.append(docs / raw_docs)
            print(f"{pack:24s} round {r + 1}: raw {raw_docs:7.1f} docs/s {raw_tokens:8.0f} tok/s | plugin {docs:7.1f} docs/s "
                  f"{tokens:8.0f} tok/s, {batches} batches | ratio {docs / raw_docs:.2f}", flush=True)
        print(f"{pack:24s} median ratio plugin/raw: {statistics.median(ratios):.2f}", flush=True)


if __name__ == "__main__":
    main()
