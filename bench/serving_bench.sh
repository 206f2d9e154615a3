#!/usr/bin/env bash
# The serving hop in one run (issue #23): a cluster of two real nodes on this machine, node-1 without
# the embedding role (cluster manager, data, ingest: it holds the shards) and node-2 with it (the
# serving node), then bench/serving_bench.py: the same bulk and the same queries through each, and
# their ratios. Needs a build of this checkout (target/dist and the plugin zip: mvn package).
#
#   bench/serving_bench.sh [DIR]        (default /tmp/serving-bench; extra arguments: SERVING_BENCH_ARGS)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=${1:-/tmp/serving-bench}
plugin=$(ls target/instruct-embed-*+os3.5.0.zip | head -1)
trap 'bash scripts/node.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
bash scripts/node.sh prepare-cluster "$dir" target/dist/opensearch-3.5.0.zip target/dist/opensearch-knn-3.5.0.0.zip "$plugin" >/dev/null
# the same heap as a single test node, so that the figures compare with the other benchmarks
export OPENSEARCH_JAVA_OPTS="-Xms1g -Xmx1g"
NODE_SETTINGS="node.roles: [cluster_manager, data, ingest]" bash scripts/node.sh start-member "$dir" node-1 >/dev/null
NODE_SETTINGS="node.roles: [data, ingest, embedding]" bash scripts/node.sh start-member "$dir" node-2 >/dev/null
remote=http://127.0.0.1:$(cat "$dir/node-1/http.port")
local=http://127.0.0.1:$(cat "$dir/node-2/http.port")
# shellcheck disable=SC2086  # SERVING_BENCH_ARGS holds several arguments
python3 bench/serving_bench.py --remote "$remote" --local "$local" ${SERVING_BENCH_ARGS:-}
