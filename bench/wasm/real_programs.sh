#!/usr/bin/env bash
# Real programs (tests/programs: Lua 5.4, zlib's minigzip, bzip2, built from
# Debian's sources) timed natively, under node, in process and in a fresh
# micro-VM, fastest of N whole runs each, with their outputs checked equal;
# then a generated module with tens of MB of code (cold start: the guest
# memory chosen for it, and the time to run it on each tier).
#
#   bench/wasm/real_programs.sh [--runs N] [--build DIR] [--big-functions N]
#
# Needs a build with the real programs (bash scripts/dev.sh deps fetches
# their sources), node, clang and wasi-libc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=3 build=$root/build big_functions=45000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --big-functions) big_functions=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--build DIR] [--big-functions N]" >&2; exit 2 ;;
  esac
done
palisade=$build/cli/palisade bin=$build/tests/programs/bin
[[ -x $bin/lua.native ]] || { echo "no real programs in $bin (bash scripts/dev.sh deps, then build)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source "$here/timing.sh"

# row NAME IN WASM ARGS... : one table row, all five ways, outputs compared.
row() {
  local name=$1 in=$2 wasm=$3; shift 3
  local native=${wasm%.wasm}.native
  local tn tnode tp tv ti
  tn=$(fastest "$runs" --in "$in" --out "$work/n.out" "$native" "$@")
  tnode=$(fastest "$runs" --in "$in" --out "$work/node.out" node --no-warnings "$here/node_wasi_runner.mjs" "$wasm" "$@")
  tp=$(fastest "$runs" --in "$in" --out "$work/p.out" "$palisade" run --in-process "$wasm" -- "$@")
  tv=$(fastest "$runs" --in "$in" --out "$work/v.out" "$palisade" run "$wasm" -- "$@")
  ti=$(fastest "$runs" --in "$in" --out "$work/i.out" "$palisade" run --engine interpreter "$wasm" -- "$@")
  for o in node p v i; do cmp -s "$work/n.out" "$work/$o.out" || { echo "$name: $o output differs" >&2; exit 1; }; done
  printf '| %s | %s | %s (%.2f×) | %s (%.2f×) | %s (%.2f×) | %s (%.2f×) |\n' "$name" "$tn" \
    "$tnode" "$(echo "$tnode / $tn" | bc -l)" "$tp" "$(echo "$tp / $tn" | bc -l)" \
    "$tv" "$(echo "$tv / $tn" | bc -l)" "$ti" "$(echo "$ti / $tn" | bc -l)"
}

# Inputs: 24 MB of real bytes (this build's binaries), and a Lua workload.
{ cat "$palisade" "$build/server/palisaded" || true; } | head -c 24000000 >"$work/input"
"$bin/minigzip.native" -c <"$work/input" >"$work/input.gz"
"$bin/bzip2.native" -c -9 <"$work/input" >"$work/input.bz2"
cat >"$work/bench.lua" <<'LUA'
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = {}
for i = 1, 1000000 do t[i] = (i * 7919) % 1000003 end
table.sort(t)
local parts = {}
for i = 1, 200000 do parts[#parts + 1] = ("%d:%x"):format(i, i * 31) end
local s = table.concat(parts, ",")
local n = 0
for _ in s:gmatch("%x+") do n = n + 1 end
print(fib(30), t[1], t[#t], #s, n)
LUA
: >"$work/empty"

echo "| program | native s | node s | in process s | micro-VM s | micro-VM, interpreter s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
row "lua (fib, sort, strings)" "$work/bench.lua" "$bin/lua.wasm" -
row "minigzip, 24 MB" "$work/input" "$bin/minigzip.wasm" -c
row "minigzip -d" "$work/input.gz" "$bin/minigzip.wasm" -d -c
row "bzip2 -9, 24 MB" "$work/input" "$bin/bzip2.wasm" -c -9
row "bzip2 -d" "$work/input.bz2" "$bin/bzip2.wasm" -d -c

# A module with tens of MB of code: every one of N generated functions runs
# once (clang -O0, so the code stays big).
python3 - "$big_functions" >"$work/big.c" <<'PY'
import sys
n = int(sys.argv[1])
print('#include <stdio.h>\n#include <stdint.h>')
for i in range(n):
    a, b, c = (i * 7919) % 97 + 1, (i * 104729) % 89 + 3, i % 13 + 2
    print(f'__attribute__((noinline)) uint32_t f{i}(uint32_t x) {{ uint32_t h = x * {a}u + {i}u;'
          f' for (uint32_t k = 0; k < {c}u; ++k) {{ h ^= h << {b % 7 + 1}; h += (h >> {a % 5 + 1}) * {b}u;'
          f' if (h % {c + 1}u == {i % (c + 1)}u) h = h * 3u + {a}u; else h -= {b}u; }}'
          f' switch (h & 7u) {{ case 0: return h + {i}u; case 1: return h ^ {a}u; case 2: return h * {c}u;'
          f' case 3: return h - {b}u; case 4: return h >> 3; case 5: return h << 2; default: return ~h; }} }}')
print('typedef uint32_t (*fn)(uint32_t);\nstatic fn table[] = {' + ','.join(f'f{i}' for i in range(n)) + '};')
print(f'int main(void) {{ uint32_t s = 1; for (uint32_t i = 0; i < {n}u; ++i) s = s * 31u + table[i](s + i);'
      f' printf("checksum %u over %u functions\\n", s, {n}u); return 0; }}')
PY
clang --target=wasm32-wasi -O0 "$work/big.c" -o "$work/big.wasm"
clang -O0 "$work/big.c" -o "$work/big.native"
size=$(stat -c %s "$work/big.wasm")
code=$(wasm-objdump -h "$work/big.wasm" | sed -n 's/.* Code .*size=\(0x[0-9a-f]*\).*/\1/p')
echo
echo "Generated module: $((size / 1000000)) MB, code section $(( code / 1048576 )) MiB ($big_functions functions)."
"$palisade" run --memory 64M "$work/big.wasm" 2>&1 >/dev/null | grep -o 'needs about [0-9.]* MiB' | sed 's/^/compiler tier /' || true
"$palisade" run --engine interpreter --memory 64M "$work/big.wasm" 2>&1 >/dev/null | grep -o 'needs about [0-9.]* MiB' | sed 's/^/interpreter /' || true
echo
echo "| program | native s | node s | in process s | micro-VM s | micro-VM, interpreter s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
cp "$work/big.native" "$work/big-run.native"
cp "$work/big.wasm" "$work/big-run.wasm"
row "generated, $((size / 1000000)) MB" "$work/empty" "$work/big-run.wasm"
