#!/usr/bin/env bash
# Builds the plugin, downloads OpenSearch 3.5.0 and k-NN from Maven Central, installs both into
# .node/, starts a node on http://127.0.0.1:9200 with the default model loaded, and shows it working.
#
#   scripts/run-node.sh          build, install, start, demo
#   scripts/run-node.sh --packs  the same, with the pack archives of target/packs/ (e5-small-v2,
#                                e5-small-v2-int8, bge-small-zh-v1.5, all-minilm-l6-v2) unzipped into
#                                the node's config/instruct-embed/packs/, as an operator would
#   scripts/run-node.sh stop     stop the node
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
node_dir="$repo/.node"
url=http://127.0.0.1:9200

with_packs=false
case "${1:-}" in
  stop) exec "$here/node.sh" stop "$node_dir" ;;
  --packs) with_packs=true ;;
  "") ;;
  *) echo "usage: scripts/run-node.sh [--packs | stop]" >&2; exit 1 ;;
esac

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
  "$repo/target/dist/opensearch-knn-3.5.0.0.zip" "$repo/target/instruct-embed-0.1.0+os3.5.0.zip"
if [ "$with_packs" = true ]; then
  command -v unzip >/dev/null || { echo "run-node.sh --packs needs unzip" >&2; exit 1; }
  echo "==> unzipping the pack archives into $node_dir/opensearch/config/instruct-embed/packs/"
  mkdir -p "$node_dir/opensearch/config/instruct-embed/packs"
  for archive in "$repo"/target/packs/*.zip; do
    unzip -q -o "$archive" -d "$node_dir/opensearch/config/instruct-embed/packs"
  done
fi
echo "==> starting the node"
"$here/node.sh" start "$node_dir" 9200 9300

echo "==> waiting for the default model (bge-small-en-v1.5) to load"
for _ in $(seq 1 60); do
  if curl -fsS "$url/_plugins/_instruct_embed/models/bge-small-en-v1.5" | grep -q '"state":"loaded"'; then
    break
  fi
  sleep 1
done

show() {  # method, path, body: prints the curl command and its answer, vectors shortened
  echo
  if [ -n "$3" ]; then
    echo "\$ curl -X$1 '$url$2' -H 'Content-Type: application/json' -d '$3'"
    curl -sS -X"$1" "$url$2" -H 'Content-Type: application/json' -d "$3" \
      | sed -E 's/("vector":\[)([^],]*,[^],]*,[^],]*,)[^]]*\]/\1\2 ...]/g; s/("text_vector":\[)([^],]*,[^],]*,[^],]*,)[^]]*\]/\1\2 ...]/g'
    echo
    return
  fi
  echo "\$ curl -X$1 '$url$2'"
  curl -sS -X"$1" "$url$2" \
    | sed -E 's/("vector":\[)([^],]*,[^],]*,[^],]*,)[^]]*\]/\1\2 ...]/g; s/("text_vector":\[)([^],]*,[^],]*,[^],]*,)[^]]*\]/\1\2 ...]/g'
  echo
}

show POST /_plugins/_instruct_embed/_embed \
  '{"model_id": "bge-small-en-v1.5", "input_type": "query", "task": "retrieval", "texts": ["how do neurons communicate?"]}'

echo
echo "==> a demo index whose settings declare an embedding pipeline, filled from demo/corpus.jsonl with _bulk"
curl -sS -XDELETE "$url/demo" >/dev/null 2>&1 || true
show PUT /_ingest/pipeline/demo-embed \
  '{"processors": [{"instruct_embedding": {"model_id": "bge-small-en-v1.5", "field_map": {"text": "text_vector"}}}]}'
show PUT /demo \
  '{"settings": {"index.knn": true, "index.default_pipeline": "demo-embed", "number_of_replicas": 0},
    "mappings": {"properties": {"title": {"type": "text"}, "text": {"type": "text"},
      "text_vector": {"type": "knn_vector", "dimension": 384,
        "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}}}}'
bulk_body=$(sed -E 's/^\{"id": "([^"]*)", (.*)$/{"index": {"_id": "\1"}}\n{\2/' "$repo/demo/corpus.jsonl")
echo
echo "\$ curl -XPOST '$url/demo/_bulk?refresh=true' -H 'Content-Type: application/x-ndjson' --data-binary @<(demo/corpus.jsonl as _bulk lines)"
printf '%s\n' "$bulk_body" | curl -sS -XPOST "$url/demo/_bulk?refresh=true&filter_path=took,ingest_took,errors" \
  -H 'Content-Type: application/x-ndjson' --data-binary @-
echo
show GET '/demo/_doc/1?filter_path=_source.title,_source.text_vector' ''

echo
echo "==> searching with text: instruct_knn embeds the question with the retrieval instruction (model from the index pipeline)"
show POST '/demo/_search?filter_path=hits.hits._id,hits.hits._score,hits.hits._source.title' \
  '{"size": 3, "_source": ["title"], "query": {"instruct_knn": {"text_vector": {"query_text": "what keeps me awake after an espresso?", "task": "retrieval", "k": 3}}}}'
show GET '/_plugins/_instruct_embed/_local/stats?filter_path=nodes.*.models' ''
echo
echo
echo "The node is running at $url (home: $node_dir/opensearch, logs in $node_dir/opensearch/logs)."
echo "Stop it with: scripts/run-node.sh stop"
