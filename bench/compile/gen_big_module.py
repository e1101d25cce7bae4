#!/usr/bin/env python3
"""Writes a C file whose wasm32-wasi build is a large module (about 1 MB of
code section at the default count): many distinct functions mixing loops
over memory, switches, integer and float arithmetic and calls, reached
through a function table so the optimiser keeps them all. Used by
bench/compile/run.sh for the compiler tier's compile-speed figures.

  gen_big_module.py [FUNCTIONS] > big.c
"""
import random
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2400
rng = random.Random(17)
out = ["#include <stdint.h>", "typedef int32_t (*fn)(int32_t*, int32_t);",
       "static int32_t mem[4096];", "static double acc;"]
ops = ["+", "-", "^", "|", "&", "*"]
for i in range(count):
    k = [rng.randrange(1, 1 << 20) for _ in range(12)]
    o = [rng.choice(ops) for _ in range(8)]
    callee = f"f{i - 1}(a, n >> 1)" if i > 0 else "n"
    cases = "\n".join(
        f"      case {c}: s = (s {o[c % 8]} {k[c % 12]}) + a[(j + {c}) & 4095]; break;"
        for c in range(rng.randrange(4, 9)))
    out.append(f"""
__attribute__((noinline)) int32_t f{i}(int32_t* a, int32_t n) {{
  int32_t s = {k[0]};
  double d = {k[1]}.5;
  if (n <= 0) return s;
  for (int32_t j = 0; j < n; ++j) {{
    switch ((a[j & 4095] ^ {k[2]}) & 7) {{
{cases}
      default: s = s * {k[3]} + (j << {k[4] % 13});
    }}
    a[(j * {k[5] % 7 + 1}) & 4095] = s {o[0]} {k[6]};
    d = d * 1.0001 + (double)(s & 255);
    if (s > {k[7]}) s = (s >> 3) {o[1]} {k[8]};
  }}
  acc += d;
  return s {o[2]} ((n & 1) ? {callee} : {k[9]});
}}""")
out.append("static const fn table[] = {" + ", ".join(f"f{i}" for i in range(count)) + "};")
out.append("""
__attribute__((export_name("first"))) int32_t first(void) { return 0; }
__attribute__((export_name("run"))) int32_t run(int32_t i, int32_t n) {
  return table[(uint32_t)i % (sizeof table / sizeof table[0])](mem, n);
}""")
print("\n".join(out))
