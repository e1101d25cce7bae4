#!/usr/bin/env bash
# Times CPU-bound C programs natively, under node (V8's JIT) and under
# `palisade run --in-process` on both engine tiers (interpreter, compiler),
# checks all four print the same thing, and prints a markdown table of
# medians and ratios to native.
#
#   bench/wasm/run.sh [--runs N] [--palisade PATH] [PROGRAM...]
#
# Programs: ../shared/bench/*.c and bench/wasm/programs/*.c (or the names
# given). Needs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32
# (`bash scripts/dev.sh bench-deps`) and node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=3
palisade=$root/build/cli/palisade
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --palisade) palisade=$2; shift 2 ;;
    *) break ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sources=()
for f in "$root"/../shared/bench/*.c "$here"/programs/*.c; do
  [[ -e $f ]] || continue
  n=$(basename "$f" .c)
  if [[ $# -eq 0 ]] || [[ " $* " == *" $n "* ]]; then sources+=("$f"); fi
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# time_cmd OUTFILE CMD... : prints wall seconds of one run
time_cmd() {
  local out=$1; shift
  local s e
  s=$(date +%s.%N)
  "$@" >"$out" 2>/dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}

printf '| program | native s | node s | node × | interpreter s | interpreter × | compiler s | compiler × |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
log_node=0 log_pal=0 log_jit=0 count=0
for src in "${sources[@]}"; do
  n=$(basename "$src" .c)
  clang -O2 "$src" -o "$work/$n.native" -lm
  clang --target=wasm32-wasi -O2 "$src" -o "$work/$n.wasm"
  declare -a tn=() tj=() tp=() tc=()
  for ((i = 0; i < runs; i++)); do
    tn+=("$(time_cmd "$work/$n.out.native" "$work/$n.native")")
    tj+=("$(time_cmd "$work/$n.out.node" node "$here/node_wasi_runner.mjs" "$work/$n.wasm")")
    tp+=("$(time_cmd "$work/$n.out.palisade" "$palisade" run --in-process --engine interpreter "$work/$n.wasm")")
    tc+=("$(time_cmd "$work/$n.out.compiler" "$palisade" run --in-process --engine compiler "$work/$n.wasm")")
  done
  for impl in node palisade compiler; do
    if ! cmp -s "$work/$n.out.native" "$work/$n.out.$impl"; then
      echo "$n: $impl printed something else than the native build" >&2
      exit 1
    fi
  done
  mn=$(printf '%s\n' "${tn[@]}" | median)
  mj=$(printf '%s\n' "${tj[@]}" | median)
  mp=$(printf '%s\n' "${tp[@]}" | median)
  mc=$(printf '%s\n' "${tc[@]}" | median)
  rj=$(echo "$mj / $mn" | bc -l)
  rp=$(echo "$mp / $mn" | bc -l)
  rc=$(echo "$mc / $mn" | bc -l)
  log_node=$(echo "$log_node + l($rj)" | bc -l)
  log_pal=$(echo "$log_pal + l($rp)" | bc -l)
  log_jit=$(echo "$log_jit + l($rc)" | bc -l)
  count=$((count + 1))
  printf '| %s | %.3f | %.3f | %.1f | %.3f | %.1f | %.3f | %.1f |\n' "$n" "$mn" "$mj" "$rj" "$mp" "$rp" "$mc" "$rc"
  unset tn tj tp tc
done
gj=$(echo "e($log_node / $count)" | bc -l)
gp=$(echo "e($log_pal / $count)" | bc -l)
gc=$(echo "e($log_jit / $count)" | bc -l)
printf '| **geometric mean** | | | **%.1f** | | **%.1f** | | **%.1f** |\n' "$gj" "$gp" "$gc"
