#!/usr/bin/env bash
# Builds the plugin, downloads OpenSearch 3.5.0 and k-NN from Maven Central, installs both into
# .node/, starts a node on http://127.0.0.1:9200 with the default model loaded, and shows it working.
#
#   scripts/run-node.sh          build, install, start, demo
#   scripts/run-node.sh stop     stop the node
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
node_dir="$repo/.node"
url=http://127.0.0.1:9200

if [ "${1:-}" = "stop" ]; then
  exec "$here/node.sh" stop "$node_dir"
fi

# shellcheck source=java-home.sh
. "$here/java-home.sh"
command -v curl >/dev/null || { echo "run-node.sh needs curl" >&2; exit 1; }
if curl -fsS "$url" >/dev/null 2>&1; then
  echo "Something already answers on $url: stop it first (scripts/run-node.sh stop)." >&2
  exit 1
fi

echo "==> building the plugin and fetching OpenSearch 3.5.0 + k-NN 3.5.0.0 from Maven Central"
(cd "$repo" && mvn -B -q package dependency:copy@fetch-test-node -DskipTests)
"$here/node.sh" install "$node_dir" "$repo/target/dist/opensearch-3.5.0.zip" \
  "$repo/target/dist/opensearch-knn-3.5.0.0.zip" "$repo/target/instruct-embed-0.1.0.zip"
echo "==> starting the node"
"$here/node.sh" start "$node_dir" 9200 9300

echo "==> waiting for the default model (bge-small-en-v1.5) to load"
for _ in $(seq 1 60); do
  if curl -fsS "$url/_plugins/_instruct_embed/models/bge-small-en-v1.5" | grep -q '"state":"loaded"'; then
    break
  fi
  sleep 1
done

show() {  # method, path, body: prints the curl command and its (shortened) answer
  echo
  echo "\$ curl -X$1 '$url$2' -H 'Content-Type: application/json' -d '$3'"
  curl -sS -X"$1" "$url$2" -H 'Content-Type: application/json' -d "$3" \
    | sed -E 's/("vector":\[)([^],]*,[^],]*,[^],]*,)[^]]*\]/\1\2 ...]/g'
  echo
}

show POST /_plugins/_instruct_embed/_embed \
  '{"model_id": "bge-small-en-v1.5", "input_type": "query", "task": "retrieval", "texts": ["how do neurons communicate?"]}'
show POST /_plugins/_instruct_embed/_embed \
  '{"model_id": "bge-small-en-v1.5", "input_type": "document", "texts": ["Neurons communicate through synapses.", "The stock market fell today."]}'
echo
echo "\$ curl '$url/_plugins/_instruct_embed/models?filter_path=models.model_id,models.state,models.dimensions'"
curl -sS "$url/_plugins/_instruct_embed/models?filter_path=models.model_id,models.state,models.dimensions"
echo
echo
echo "The node is running at $url (home: $node_dir/opensearch, logs in $node_dir/opensearch/logs)."
echo "Stop it with: scripts/run-node.sh stop"
