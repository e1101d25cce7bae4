#!/usr/bin/env bash
# The compiler tier's compile speed and a 1 MB module's time to its first
# instruction (in process and in a fresh micro-VM), with the code check's
# share: builds the module from gen_big_module.py with wasm32-wasi clang,
# then runs build/bench/palisade_compile_bench on it.
#
#   bench/compile/run.sh [--functions N] [--build DIR] [benchmark flags...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
functions=2500
build=$root/build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --functions) functions=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) break ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/gen_big_module.py" "$functions" >"$work/big.c"
clang --target=wasm32-wasi -O2 -mexec-model=reactor "$work/big.c" -o "$work/big.wasm"
echo "module: $(stat -c %s "$work/big.wasm") bytes ($functions generated functions)"
PALISADE_BIG_MODULE=$work/big.wasm "$build/bench/palisade_compile_bench" "$@"
