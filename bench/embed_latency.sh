#!/usr/bin/env bash
# Single-text _embed latency over REST against a running node (default: scripts/run-node.sh's).
# Prints the median and p90 of N timed calls after a warm-up, and the node's resident memory.
#
#   bench/embed_latency.sh [URL] [N]
set -euo pipefail
url=${1:-http://127.0.0.1:9200}
n=${2:-50}
export OPT_OUT_TRACKING=true

call() {  # body -> seconds
  curl -sS -o /dev/null -w '%{time_total}\n' -XPOST "$url/_plugins/_instruct_embed/_embed" \
    -H 'Content-Type: application/json' -d "$1"
}
stats() {  # label, body
  for _ in $(seq 1 20); do call "$2" >/dev/null; done
  for _ in $(seq 1 "$n"); do call "$2"; done | sort -n | awk -v label="$1" -v n="$n" '
    { t[NR] = $1 * 1000 }
    END { printf "%-44s median %6.1f ms   p90 %6.1f ms   (n=%d)\n", label, t[int((n + 1) / 2)], t[int(n * 0.9)], n }'
}

short='{"model_id":"bge-small-en-v1.5","input_type":"query","texts":["how do neurons communicate with each other?"]}'
long_text=$(printf 'Neurons communicate with each other through synapses, where chemical messengers called neurotransmitters cross a small gap. %.0s' $(seq 1 9))
long="{\"model_id\":\"bge-small-en-v1.5\",\"input_type\":\"document\",\"texts\":[\"$long_text\"]}"
int8="{\"model_id\":\"bge-small-en-v1.5-int8\",\"input_type\":\"document\",\"texts\":[\"$long_text\"]}"

echo "instruct-embed _embed latency at $url, $(nproc) cores"
stats "bge-small-en-v1.5 fp32, query (~18 tokens)" "$short"
stats "bge-small-en-v1.5 fp32, document (~200 tokens)" "$long"
stats "bge-small-en-v1.5-int8, document (~200 tokens)" "$int8"

pid=$(pgrep -f 'org.opensearch.bootstrap.OpenSearch' | head -1 || true)
if [ -n "$pid" ]; then
  echo "node RSS: $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' /proc/"$pid"/status) (pid $pid, heap -Xmx1g)"
fi
