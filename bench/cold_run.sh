#!/usr/bin/env bash
# Whole-process time of a cold `palisade run` of examples/hello.c (process
# start, KVM open, micro-VM boot, module load, run, exit), beside the same
# program run natively and with `palisade run --in-process`, and the raw KVM
# floor `palisade check` measures in the same run. Medians of N runs.
#   bench/cold_run.sh [BUILD_DIR] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang --target=wasm32-wasi -O2 "$root/examples/hello.c" -o "$work/hello.wasm"
clang -O2 "$root/examples/hello.c" -o "$work/hello"

median_ms() {  # median_ms COMMAND...: median wall time of N runs, in ms
  local times=() start end
  for _ in $(seq "$n"); do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( end - start )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)] / 1e6}'
}

echo "backend: $("$root/scripts/kvm-backend.sh" || true)"
"$build/cli/palisade" check --runs 20 --calls 200 | grep -E '^(boot|hypercall):'
echo "| what | median ms |"
echo "| --- | ---: |"
echo "| native hello (clang -O2) | $(median_ms "$work/hello") |"
echo "| palisade run --in-process hello.wasm | $(median_ms "$build/cli/palisade" run --in-process "$work/hello.wasm") |"
echo "| palisade run hello.wasm (micro-VM) | $(median_ms "$build/cli/palisade" run "$work/hello.wasm") |"
