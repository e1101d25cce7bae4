// A v128 as the interpreter sees it: lanes of every shape over the same 16
// bytes (GCC defines union type punning), plus the per-lane helpers whose
// exact Wasm semantics plain C++ operators do not give.
#pragma once

#include <stdint.h>

namespace palisade::wasm {

typedef uint8_t U8x16 __attribute__((vector_size(16)));
typedef int8_t I8x16 __attribute__((vector_size(16)));
typedef uint16_t U16x8 __attribute__((vector_size(16)));
typedef int16_t I16x8 __attribute__((vector_size(16)));
typedef uint32_t U32x4 __attribute__((vector_size(16)));
typedef int32_t I32x4 __attribute__((vector_size(16)));
typedef uint64_t U64x2 __attribute__((vector_size(16)));
typedef int64_t I64x2 __attribute__((vector_size(16)));
typedef float F32x4 __attribute__((vector_size(16)));
typedef double F64x2 __attribute__((vector_size(16)));
// The element type SSE builtins use for 64-bit lanes.
typedef long long LL64x2 __attribute__((vector_size(16)));
typedef short S16x8 __attribute__((vector_size(16)));
typedef char C8x16 __attribute__((vector_size(16)));

union V128 {
  // Whole-vector views: GCC compiles operators on these to SSE.
  U8x16 vu8;
  I8x16 vi8;
  U16x8 vu16;
  I16x8 vi16;
  U32x4 vu32;
  I32x4 vi32;
  U64x2 vu64;
  I64x2 vi64;
  F32x4 vf32;
  F64x2 vf64;
  LL64x2 vll;
  S16x8 vs16;
  C8x16 vc8;
  // Lane views.
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
};

// A v128 lives in two 8-byte-aligned frame slots.
inline V128 ReadV128(const uint64_t* slots) {
  V128 v;
  __builtin_memcpy(&v, slots, 16);
  return v;
}
inline void WriteV128(uint64_t* slots, const V128& v) { __builtin_memcpy(slots, &v, 16); }

template <typename T, typename W>
inline T SaturateTo(W v, W lo, W hi) {
  return static_cast<T>(v < lo ? lo : v > hi ? hi : v);
}

}  // namespace palisade::wasm
