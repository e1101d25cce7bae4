#!/usr/bin/env bash
# The least guest memory a module runs in, per tier: a bisection over
# `palisade run --memory` (2 MiB steps). What vmm/guest_memory_plan.h's
# bytes-per-code-byte constants were measured with.
#   bench/wasm/min_memory.sh [--palisade PATH] MODULE.wasm...
set -euo pipefail
palisade=$(cd "$(dirname "$0")/../.." && pwd)/build/cli/palisade
if [[ ${1:-} == --palisade ]]; then palisade=$2; shift 2; fi
echo "| module | bytes | code section MiB | compiler MiB | interpreter MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for m in "$@"; do
  code=$(wasm-objdump -h "$m" | sed -n 's/.* Code .*size=\(0x[0-9a-f]*\).*/\1/p')
  row="| $(basename "$m") | $(stat -c %s "$m") | $(echo "scale=1; $((code)) / 1048576" | bc)"
  for engine in compiler interpreter; do
    lo=8 hi=16384
    while (( hi - lo > 2 )); do
      mid=$(( (lo + hi) / 2 ))
      if "$palisade" run --engine "$engine" --memory "${mid}M" "$m" >/dev/null 2>&1; then hi=$mid; else lo=$mid; fi
    done
    row+=" | $hi"
  done
  echo "$row |"
done
