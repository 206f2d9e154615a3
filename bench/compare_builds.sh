#!/usr/bin/env bash
# Ingest and query figures of two plugin builds in one run, one fresh node each, on the same machine:
# for a refactoring that must not cost anything (issue #22). For each build in turn: start a node
# from scripts/node.sh start-test with that build's zip, run ingest_bench.py (long and short texts,
# whose plugin/raw ratio cancels the machine's drift between the two nodes' runs) and
# query_bench.py, stop the node. The figures land in OUT (default /tmp/compare-builds), one file per
# build and benchmark.
#
#   bench/compare_builds.sh BEFORE_ZIP AFTER_ZIP [OUT]
#
# Needs target/dist (the OpenSearch and k-NN zips of a build of this checkout) and, for the raw
# ceiling, `mvn -q test-compile` done here.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
before=$1 after=$2 out=${3:-/tmp/compare-builds}
mkdir -p "$out"
node=/tmp/compare-builds-node
for build in before after; do
  zip=$before; [ $build = after ] && zip=$after
  bash scripts/node.sh stop $node >/dev/null 2>&1 || true
  rm -rf $node
  bash scripts/node.sh start-test $node target/dist/opensearch-3.5.0.zip target/dist/opensearch-knn-3.5.0.0.zip "$zip" src/test/resources/packs >/dev/null
  url=http://$(grep tests.rest.cluster $node/cluster.properties | sed 's/.*=//')
  echo "== $build ($zip) at $url"
  python3 bench/ingest_bench.py --url "$url" --texts long --docs 300 --rounds 2 --packs bge-small-en-v1.5 > "$out/$build-ingest-long.txt" 2>&1
  python3 bench/ingest_bench.py --url "$url" --texts short --docs 1000 --rounds 3 --raw-rows 1 --packs bge-small-en-v1.5 > "$out/$build-ingest-short.txt" 2>&1
  python3 bench/query_bench.py --url "$url" --docs 1000 --queries 160 > "$out/$build-query.txt" 2>&1
  tail -n 3 "$out/$build-ingest-long.txt" "$out/$build-ingest-short.txt"
  cat "$out/$build-query.txt"
done
bash scripts/node.sh stop $node >/dev/null 2>&1 || true
