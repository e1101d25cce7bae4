#!/usr/bin/env bash
# The cost of the micro-VM: times each program under `palisade run` (a fresh
# micro-VM per run: boot, load, run, exit) and `palisade run --in-process`
# (the same engine in this process), checks the outputs match, and prints a
# markdown table of the fastest of N runs and their ratio.
#
#   bench/wasm/vm_vs_inprocess.sh [--runs N] [--engine compiler|interpreter] [--palisade PATH] [PROGRAM...]
#
# Programs: ../shared/bench/*.c and bench/wasm/programs/*.c (or the names
# given). Needs /dev/kvm (under tests/qemu/run-in-qemu.sh the figures are
# emulated and only the ratio means anything) plus clang/wasi-libc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=3
engine=compiler
palisade=$root/build/cli/palisade
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --palisade) palisade=$2; shift 2 ;;
    *) break ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source "$here/timing.sh"

printf '| program | in process s | micro-VM s | VM / in process |\n| --- | ---: | ---: | ---: |\n'
log=0 count=0
for src in "$root"/../shared/bench/*.c "$here"/programs/*.c; do
  [[ -e $src ]] || continue
  n=$(basename "$src" .c)
  if [[ $# -gt 0 ]] && [[ " $* " != *" $n "* ]]; then continue; fi
  clang --target=wasm32-wasi -O2 "$src" -o "$work/$n.wasm"
  tp=$(fastest "$runs" --out "$work/p.out" "$palisade" run --in-process --engine "$engine" "$work/$n.wasm")
  tv=$(fastest "$runs" --out "$work/v.out" "$palisade" run --engine "$engine" "$work/$n.wasm")
  cmp -s "$work/p.out" "$work/v.out" || { echo "$n: outputs differ" >&2; exit 1; }
  r=$(echo "$tv / $tp" | bc -l)
  log=$(echo "$log + l($r)" | bc -l); count=$((count + 1))
  printf '| %s | %s | %s | %.3f× |\n' "$n" "$tp" "$tv" "$r"
done
[[ $count -gt 0 ]] && printf '| **geometric mean** | | | **%.3f×** |\n' "$(echo "e($log / $count)" | bc -l)"
