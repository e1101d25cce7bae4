// A v128 as the interpreter sees it: lanes of every shape over the same 16
// bytes (GCC defines union type punning), plus the per-lane helpers whose
// exact Wasm semantics plain C++ operators do not give.
#pragma once

#include <stdint.h>

namespace palisade::wasm {

union V128 {
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
