// The interpreter's view of the numeric operations: thin names over
// runtime/numerics.h (exact spec semantics) plus the integer operations
// whose only subtlety is a trap.
#pragma once

#include <stdint.h>

#include "wasm/runtime/trap.h"

namespace palisade::wasm {

inline float BitsToF32(uint32_t b) { return __builtin_bit_cast(float, b); }
inline double BitsToF64(uint64_t b) { return __builtin_bit_cast(double, b); }
inline uint64_t F32ToBits(float f) { return __builtin_bit_cast(uint32_t, f); }
inline uint64_t F64ToBits(double d) { return __builtin_bit_cast(uint64_t, d); }

inline uint32_t I32Clz(uint32_t v) { return v == 0 ? 32 : static_cast<uint32_t>(__builtin_clz(v)); }
inline uint32_t I32Ctz(uint32_t v) { return v == 0 ? 32 : static_cast<uint32_t>(__builtin_ctz(v)); }
inline uint64_t I64Clz(uint64_t v) { return v == 0 ? 64 : static_cast<uint64_t>(__builtin_clzll(v)); }
inline uint64_t I64Ctz(uint64_t v) { return v == 0 ? 64 : static_cast<uint64_t>(__builtin_ctzll(v)); }
inline uint32_t I32Rotl(uint32_t a, uint32_t b) { b &= 31; return (a << b) | (a >> ((32 - b) & 31)); }
inline uint32_t I32Rotr(uint32_t a, uint32_t b) { b &= 31; return (a >> b) | (a << ((32 - b) & 31)); }
inline uint64_t I64Rotl(uint64_t a, uint64_t b) { b &= 63; return (a << b) | (a >> ((64 - b) & 63)); }
inline uint64_t I64Rotr(uint64_t a, uint64_t b) { b &= 63; return (a >> b) | (a << ((64 - b) & 63)); }

inline TrapKind I32DivS(uint32_t a, uint32_t b, uint32_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  if (a == 0x80000000u && b == 0xffffffffu) return TrapKind::kIntegerOverflow;
  *r = static_cast<uint32_t>(static_cast<int32_t>(a) / static_cast<int32_t>(b));
  return TrapKind::kNone;
}
inline TrapKind I32DivU(uint32_t a, uint32_t b, uint32_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = a / b;
  return TrapKind::kNone;
}
inline TrapKind I32RemS(uint32_t a, uint32_t b, uint32_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = b == 0xffffffffu ? 0 : static_cast<uint32_t>(static_cast<int32_t>(a) % static_cast<int32_t>(b));
  return TrapKind::kNone;
}
inline TrapKind I32RemU(uint32_t a, uint32_t b, uint32_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = a % b;
  return TrapKind::kNone;
}
inline TrapKind I64DivS(uint64_t a, uint64_t b, uint64_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  if (a == 0x8000000000000000ull && b == ~0ull) return TrapKind::kIntegerOverflow;
  *r = static_cast<uint64_t>(static_cast<int64_t>(a) / static_cast<int64_t>(b));
  return TrapKind::kNone;
}
inline TrapKind I64DivU(uint64_t a, uint64_t b, uint64_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = a / b;
  return TrapKind::kNone;
}
inline TrapKind I64RemS(uint64_t a, uint64_t b, uint64_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = b == ~0ull ? 0 : static_cast<uint64_t>(static_cast<int64_t>(a) % static_cast<int64_t>(b));
  return TrapKind::kNone;
}
inline TrapKind I64RemU(uint64_t a, uint64_t b, uint64_t* r) {
  if (b == 0) return TrapKind::kIntegerDivideByZero;
  *r = a % b;
  return TrapKind::kNone;
}

// --- floats ------------------------------------------------------------------
// Sign operations are pure bit operations (they never touch NaN payloads).
inline float F32Abs(float a) { return BitsToF32(static_cast<uint32_t>(F32ToBits(a)) & 0x7fffffffu); }
inline float F32Neg(float a) { return BitsToF32(static_cast<uint32_t>(F32ToBits(a)) ^ 0x80000000u); }
inline float F32Copysign(float a, float b) {
  return BitsToF32((static_cast<uint32_t>(F32ToBits(a)) & 0x7fffffffu) |
                   (static_cast<uint32_t>(F32ToBits(b)) & 0x80000000u));
}
inline double F64Abs(double a) { return BitsToF64(F64ToBits(a) & 0x7fffffffffffffffull); }
inline double F64Neg(double a) { return BitsToF64(F64ToBits(a) ^ 0x8000000000000000ull); }
inline double F64Copysign(double a, double b) {
  return BitsToF64((F64ToBits(a) & 0x7fffffffffffffffull) | (F64ToBits(b) & 0x8000000000000000ull));
}

// sqrt and rounding with the SSE instructions themselves: exact, they quiet
// a NaN without changing its payload (canonical in, canonical out), and the
// guest has no libm that a library call could land in. ROUNDSS/ROUNDSD
// (SSE4.1) is present on every x86-64 CPU KVM runs on; the immediate's bit 3
// suppresses the inexact exception.
inline float F32Sqrt(float a) {
  asm("sqrtss %1, %0" : "=x"(a) : "x"(a));
  return a;
}
inline double F64Sqrt(double a) {
  asm("sqrtsd %1, %0" : "=x"(a) : "x"(a));
  return a;
}
#define PALISADE_ROUND(name, T, insn, mode)                       \
  inline T name(T a) {                                            \
    T r;                                                          \
    asm(insn " $" #mode ", %1, %0" : "=x"(r) : "x"(a));           \
    return r;                                                     \
  }
PALISADE_ROUND(F32Nearest, float, "roundss", 8)
PALISADE_ROUND(F32Floor, float, "roundss", 9)
PALISADE_ROUND(F32Ceil, float, "roundss", 10)
PALISADE_ROUND(F32Trunc, float, "roundss", 11)
PALISADE_ROUND(F64Nearest, double, "roundsd", 8)
PALISADE_ROUND(F64Floor, double, "roundsd", 9)
PALISADE_ROUND(F64Ceil, double, "roundsd", 10)
PALISADE_ROUND(F64Trunc, double, "roundsd", 11)
#undef PALISADE_ROUND

// min/max: a NaN operand gives a NaN (a + b quiets it, keeping a canonical
// NaN canonical); between zeros, -0 is the smaller.
inline float F32Min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return BitsToF32(static_cast<uint32_t>(F32ToBits(a) | F32ToBits(b)));
  return a < b ? a : b;
}
inline float F32Max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return BitsToF32(static_cast<uint32_t>(F32ToBits(a) & F32ToBits(b)));
  return a > b ? a : b;
}
inline double F64Min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return BitsToF64(F64ToBits(a) | F64ToBits(b));
  return a < b ? a : b;
}
inline double F64Max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return BitsToF64(F64ToBits(a) & F64ToBits(b));
  return a > b ? a : b;
}

// --- float -> int ----------------------------------------------------------------
// Ranges are checked on the float itself (the bounds are exact powers of
// two, or the first value past them), so no C++ conversion is ever out of
// range.
#define PALISADE_TRUNC(name, F, R, C, lo_excl, hi_excl)                    \
  inline TrapKind name(F x, R* r) {                                        \
    if (x != x) return TrapKind::kInvalidConversion;                       \
    if (!(x > (lo_excl) && x < (hi_excl))) return TrapKind::kIntegerOverflow; \
    *r = static_cast<R>(static_cast<C>(x));                                \
    return TrapKind::kNone;                                                \
  }
PALISADE_TRUNC(TruncF32ToI32S, float, uint32_t, int32_t, -2147483904.0f, 2147483648.0f)
PALISADE_TRUNC(TruncF32ToI32U, float, uint32_t, uint32_t, -1.0f, 4294967296.0f)
PALISADE_TRUNC(TruncF64ToI32S, double, uint32_t, int32_t, -2147483649.0, 2147483648.0)
PALISADE_TRUNC(TruncF64ToI32U, double, uint32_t, uint32_t, -1.0, 4294967296.0)
PALISADE_TRUNC(TruncF32ToI64S, float, uint64_t, int64_t, -9223373136366403584.0f,
               9223372036854775808.0f)
PALISADE_TRUNC(TruncF32ToI64U, float, uint64_t, uint64_t, -1.0f, 18446744073709551616.0f)
PALISADE_TRUNC(TruncF64ToI64S, double, uint64_t, int64_t, -9223372036854777856.0,
               9223372036854775808.0)
PALISADE_TRUNC(TruncF64ToI64U, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0)
#undef PALISADE_TRUNC

#define PALISADE_SAT(name, F, R, lo_excl, hi_excl, min, max)               \
  inline R name(F x) {                                                     \
    if (x != x) return 0;                                                  \
    if (!(x > (lo_excl))) return (min);                                    \
    if (!(x < (hi_excl))) return (max);                                    \
    return static_cast<R>(x);                                              \
  }
PALISADE_SAT(SatF32ToI32S, float, int32_t, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
PALISADE_SAT(SatF32ToI32U, float, uint32_t, -1.0f, 4294967296.0f, 0u, UINT32_MAX)
PALISADE_SAT(SatF64ToI32S, double, int32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
PALISADE_SAT(SatF64ToI32U, double, uint32_t, -1.0, 4294967296.0, 0u, UINT32_MAX)
PALISADE_SAT(SatF32ToI64S, float, int64_t, -9223373136366403584.0f, 9223372036854775808.0f,
             INT64_MIN, INT64_MAX)
PALISADE_SAT(SatF32ToI64U, float, uint64_t, -1.0f, 18446744073709551616.0f, 0u, UINT64_MAX)
PALISADE_SAT(SatF64ToI64S, double, int64_t, -9223372036854777856.0, 9223372036854775808.0,
             INT64_MIN, INT64_MAX)
PALISADE_SAT(SatF64ToI64U, double, uint64_t, -1.0, 18446744073709551616.0, 0u, UINT64_MAX)
#undef PALISADE_SAT

// --- int -> float and between float widths ------------------------------------
// The compiler's unsigned 64-bit conversions round correctly (halve with
// the low bit kept sticky, convert, double); widening and narrowing are
// single SSE instructions that keep NaN payloads' quiet forms.
inline float F32ConvertI64U(uint64_t v) { return static_cast<float>(v); }
inline double F64ConvertI64U(uint64_t v) { return static_cast<double>(v); }
inline float F32DemoteF64(double v) { return static_cast<float>(v); }
inline double F64PromoteF32(float v) { return static_cast<double>(v); }

}  // namespace palisade::wasm
