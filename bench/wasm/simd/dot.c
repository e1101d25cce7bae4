// Dot product of two float arrays, repeated: with -msimd128 the loop uses
// wasm_simd128.h (four lanes per step); without it, plain C.
#include <stdio.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 4096
#define REPS 40000

static float a[N], b[N];

static float Dot(void) {
#ifdef __wasm_simd128__
  v128_t acc = wasm_f32x4_splat(0);
  for (int i = 0; i < N; i += 4) {
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  return wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) +
         wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
#else
  float acc[4] = {0, 0, 0, 0};  // the same association as the vector code
  for (int i = 0; i < N; i += 4)
    for (int l = 0; l < 4; l++) acc[l] += a[i + l] * b[i + l];
  return acc[0] + acc[1] + acc[2] + acc[3];
#endif
}

int main(void) {
  for (int i = 0; i < N; i++) {
    a[i] = (float)(i % 17) * 0.25f;
    b[i] = (float)(i % 13) * 0.5f;
  }
  double total = 0;
  for (int r = 0; r < REPS; r++) {
    a[r % N] += 0.125f;
    total += Dot();
  }
  printf("dot: %.3f\n", total);
  return 0;
}
