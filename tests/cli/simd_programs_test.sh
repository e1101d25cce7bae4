#!/usr/bin/env bash
# Builds each C program in bench/wasm/simd/ three ways (native, wasm32-wasi
# scalar, wasm32-wasi with -msimd128 and wasm_simd128.h) and checks that
# `palisade run --in-process` prints exactly what the native build prints
# for both Wasm builds.
#   simd_programs_test.sh PALISADE SOURCE_DIR
set -euo pipefail
palisade=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in clang wasm-ld; do
  command -v "$tool" >/dev/null || { echo "missing $tool (bash scripts/dev.sh deps)"; exit 1; }
done
fail=0
for c in "$src"/*.c; do
  n=$(basename "$c" .c)
  clang -O2 "$c" -o "$work/$n.native"
  clang --target=wasm32-wasi -O2 "$c" -o "$work/$n.scalar.wasm"
  clang --target=wasm32-wasi -O2 -msimd128 "$c" -o "$work/$n.simd.wasm"
  want=$("$work/$n.native")
  for v in scalar simd; do
    got=$("$palisade" run --in-process "$work/$n.$v.wasm")
    if [[ "$got" == "$want" ]]; then
      echo "ok   $n ($v): $got"
    else
      echo "FAIL $n ($v): got '$got', native printed '$want'"
      fail=1
    fi
  done
done
exit $fail
