// Alpha-blends two 8-bit RGBA images, repeated: with -msimd128 eight
// channels at a time in 16-bit lanes ((a*x + (255-a)*y + 127) / 255 done
// as the same integer steps as the scalar code).
#include <stdio.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define PIXELS (256 * 256)
#define REPS 300

static uint8_t src[PIXELS * 4], dst[PIXELS * 4], out[PIXELS * 4];

static void Blend(uint8_t alpha) {
#ifdef __wasm_simd128__
  v128_t a = wasm_i16x8_splat(alpha), na = wasm_i16x8_splat(255 - alpha);
  v128_t bias = wasm_i16x8_splat(127);
  for (int i = 0; i < PIXELS * 4; i += 16) {
    v128_t s = wasm_v128_load(src + i), d = wasm_v128_load(dst + i);
    v128_t lo = wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(s), a),
                                              wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(d), na)), bias);
    v128_t hi = wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(s), a),
                                              wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(d), na)), bias);
    // x / 255 for x < 65536 as ((x + 1) + ((x + 1) >> 8)) >> 8.
    lo = wasm_i16x8_add(lo, wasm_i16x8_splat(1));
    hi = wasm_i16x8_add(hi, wasm_i16x8_splat(1));
    lo = wasm_u16x8_shr(wasm_i16x8_add(lo, wasm_u16x8_shr(lo, 8)), 8);
    hi = wasm_u16x8_shr(wasm_i16x8_add(hi, wasm_u16x8_shr(hi, 8)), 8);
    wasm_v128_store(out + i, wasm_u8x16_narrow_i16x8(lo, hi));
  }
#else
  for (int i = 0; i < PIXELS * 4; i++) {
    uint16_t x = (uint16_t)(src[i] * alpha + dst[i] * (255 - alpha) + 127 + 1);
    out[i] = (uint8_t)((uint16_t)(x + (x >> 8)) >> 8);
  }
#endif
}

int main(void) {
  uint32_t seed = 7;
  for (int i = 0; i < PIXELS * 4; i++) {
    seed = seed * 1103515245u + 12345u;
    src[i] = (uint8_t)(seed >> 16);
    dst[i] = (uint8_t)(seed >> 24);
  }
  uint64_t sum = 0;
  for (int r = 0; r < REPS; r++) {
    Blend((uint8_t)(r * 37));
    for (int i = 0; i < PIXELS * 4; i += 97) sum += out[i];
  }
  printf("blend: %llu\n", (unsigned long long)sum);
  return 0;
}
