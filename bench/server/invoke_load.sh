#!/usr/bin/env bash
# Invoke throughput and latency of palisaded at several concurrencies, with
# the CLI's load generator on the same machine (docs/BENCHMARKS.md).
#   bench/server/invoke_load.sh BUILD_DIR [SECONDS] [CONCURRENCY...]
# Starts palisaded with examples/palisaded.textproto in a temporary
# directory, creates one warm sandbox of tests' counter.wasm and calls its
# `bump` export (a global and a memory word: a trivial call) in a closed
# loop. Prints one markdown table row per concurrency.
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
levels=("$@")
[[ ${#levels[@]} -gt 0 ]] || levels=(1 8 32 128)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"
"$build/server/palisaded" --listen 127.0.0.1:0 --config "$src/examples/palisaded.textproto" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on //p' "$tmp/out")
[[ -n $addr ]] || { cat "$tmp/err" >&2; exit 1; }
echo "| concurrency | calls/s | p50 ms | p90 ms | p99 ms | failed |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for c in "${levels[@]}"; do
  line=$("$build/cli/palisade" --server "$addr" --token dev-token bench invoke --json \
          --sandbox --concurrency "$c" --duration "${secs}s" --warmup 1s \
          "$build/tests/wasm_modules/counter.wasm" bump | grep '^{')
  # One JSON object of numbers: pick fields without jq (not on every machine).
  get() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$line"; }
  printf '| %s | %.0f | %.3f | %.3f | %.3f | %s |\n' "$c" "$(get calls_per_second)" "$(get p50_ms)" \
    "$(get p90_ms)" "$(get p99_ms)" "$(get failed)"
done
