// Counts occurrences of a byte in a buffer, repeated: with -msimd128 it
// compares 16 bytes at a time and counts with the bitmask.
#include <stdio.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N (1 << 16)
#define REPS 3000

static uint8_t buf[N];

static unsigned Count(uint8_t c) {
  unsigned n = 0;
#ifdef __wasm_simd128__
  v128_t needle = wasm_i8x16_splat((int8_t)c);
  for (int i = 0; i < N; i += 16) {
    v128_t eq = wasm_i8x16_eq(wasm_v128_load(buf + i), needle);
    n += (unsigned)__builtin_popcount(wasm_i8x16_bitmask(eq));
  }
#else
  for (int i = 0; i < N; i++) n += buf[i] == c;
#endif
  return n;
}

int main(void) {
  uint32_t seed = 1;
  for (int i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
  unsigned long total = 0;
  for (int r = 0; r < REPS; r++) total += Count((uint8_t)r);
  printf("bytesearch: %lu\n", total);
  return 0;
}
