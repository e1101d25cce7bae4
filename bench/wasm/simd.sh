#!/usr/bin/env bash
# SIMD against scalar: builds each bench/wasm/simd/*.c natively, to
# wasm32-wasi without and with -msimd128, checks all three print the same,
# and prints a markdown table of the fastest of N runs (wall seconds).
#
#   bench/wasm/simd.sh [--runs N] [--engine compiler|interpreter] [--palisade PATH]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=5
palisade=$root/build/cli/palisade
engine=compiler
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --palisade) palisade=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--engine compiler|interpreter] [--palisade PATH]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source "$here/timing.sh"

printf '| program | native s | palisade scalar s | palisade SIMD s | SIMD speed-up |\n'
printf '| --- | ---: | ---: | ---: | ---: |\n'
for c in "$here"/simd/*.c; do
  n=$(basename "$c" .c)
  clang -O2 "$c" -o "$work/$n.native"
  clang --target=wasm32-wasi -O2 "$c" -o "$work/$n.scalar.wasm"
  clang --target=wasm32-wasi -O2 -msimd128 "$c" -o "$work/$n.simd.wasm"
  tn=$(fastest "$runs" --out "$work/native.out" "$work/$n.native")
  ts=$(fastest "$runs" --out "$work/scalar.out" "$palisade" run --in-process --engine "$engine" "$work/$n.scalar.wasm")
  tv=$(fastest "$runs" --out "$work/simd.out" "$palisade" run --in-process --engine "$engine" "$work/$n.simd.wasm")
  if ! cmp -s "$work/native.out" "$work/scalar.out" || ! cmp -s "$work/native.out" "$work/simd.out"; then
    echo "$n: outputs differ" >&2
    exit 1
  fi
  printf '| %s | %s | %s | %s | %.1f× |\n' "$n" "$tn" "$ts" "$tv" "$(echo "$ts / $tv" | bc -l)"
done
