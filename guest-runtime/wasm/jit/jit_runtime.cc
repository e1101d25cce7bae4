// The helpers compiled code calls (jit_context.h). Float helpers take and
// return raw bit patterns (a slot's contents) and reuse the interpreter's
// own numerics, so both tiers round, saturate and trap alike.
#include "wasm/jit/jit_context.h"
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/interpreter_numerics.h"

namespace palisade::wasm {

extern "C" {

uint32_t PalisadeJitRefill(JitContext* ctx) {
  int64_t budget = 0;
  const TrapKind kind = RefillBudget(ctx->store, &budget);
  ctx->budget = budget;
  return static_cast<uint32_t>(kind);
}

#define PALISADE_F32_BINARY(name, fn) \
  uint64_t name(uint64_t a, uint64_t b) { return F32ToBits(fn(BitsToF32(static_cast<uint32_t>(a)), BitsToF32(static_cast<uint32_t>(b)))); }
#define PALISADE_F64_BINARY(name, fn) \
  uint64_t name(uint64_t a, uint64_t b) { return F64ToBits(fn(BitsToF64(a), BitsToF64(b))); }
PALISADE_F32_BINARY(PalisadeJitF32Min, F32Min)
PALISADE_F32_BINARY(PalisadeJitF32Max, F32Max)
PALISADE_F64_BINARY(PalisadeJitF64Min, F64Min)
PALISADE_F64_BINARY(PalisadeJitF64Max, F64Max)
#undef PALISADE_F32_BINARY
#undef PALISADE_F64_BINARY

uint64_t PalisadeJitF32ConvertI64U(uint64_t v) { return F32ToBits(F32ConvertI64U(v)); }
uint64_t PalisadeJitF64ConvertI64U(uint64_t v) { return F64ToBits(F64ConvertI64U(v)); }
uint64_t PalisadeJitF32DemoteF64(uint64_t v) { return F32ToBits(F32DemoteF64(BitsToF64(v))); }
uint64_t PalisadeJitF64PromoteF32(uint64_t v) { return F64ToBits(F64PromoteF32(BitsToF32(static_cast<uint32_t>(v)))); }

// Trapping truncations write the slot themselves and return the trap.
#define PALISADE_TRUNC_F32(name, fn, R)                                   \
  uint32_t name(uint64_t bits, uint64_t* dst) {                           \
    R r = 0;                                                              \
    const TrapKind k = fn(BitsToF32(static_cast<uint32_t>(bits)), &r);    \
    if (k == TrapKind::kNone) *dst = r;                                   \
    return static_cast<uint32_t>(k);                                      \
  }
#define PALISADE_TRUNC_F64(name, fn, R)                                   \
  uint32_t name(uint64_t bits, uint64_t* dst) {                           \
    R r = 0;                                                              \
    const TrapKind k = fn(BitsToF64(bits), &r);                           \
    if (k == TrapKind::kNone) *dst = r;                                   \
    return static_cast<uint32_t>(k);                                      \
  }
PALISADE_TRUNC_F32(PalisadeJitI32TruncF32S, TruncF32ToI32S, uint32_t)
PALISADE_TRUNC_F32(PalisadeJitI32TruncF32U, TruncF32ToI32U, uint32_t)
PALISADE_TRUNC_F64(PalisadeJitI32TruncF64S, TruncF64ToI32S, uint32_t)
PALISADE_TRUNC_F64(PalisadeJitI32TruncF64U, TruncF64ToI32U, uint32_t)
PALISADE_TRUNC_F32(PalisadeJitI64TruncF32S, TruncF32ToI64S, uint64_t)
PALISADE_TRUNC_F32(PalisadeJitI64TruncF32U, TruncF32ToI64U, uint64_t)
PALISADE_TRUNC_F64(PalisadeJitI64TruncF64S, TruncF64ToI64S, uint64_t)
PALISADE_TRUNC_F64(PalisadeJitI64TruncF64U, TruncF64ToI64U, uint64_t)
#undef PALISADE_TRUNC_F32
#undef PALISADE_TRUNC_F64

uint64_t PalisadeJitI32TruncSatF32S(uint64_t b) { return static_cast<uint32_t>(SatF32ToI32S(BitsToF32(static_cast<uint32_t>(b)))); }
uint64_t PalisadeJitI32TruncSatF32U(uint64_t b) { return SatF32ToI32U(BitsToF32(static_cast<uint32_t>(b))); }
uint64_t PalisadeJitI32TruncSatF64S(uint64_t b) { return static_cast<uint32_t>(SatF64ToI32S(BitsToF64(b))); }
uint64_t PalisadeJitI32TruncSatF64U(uint64_t b) { return SatF64ToI32U(BitsToF64(b)); }
uint64_t PalisadeJitI64TruncSatF32S(uint64_t b) { return static_cast<uint64_t>(SatF32ToI64S(BitsToF32(static_cast<uint32_t>(b)))); }
uint64_t PalisadeJitI64TruncSatF32U(uint64_t b) { return SatF32ToI64U(BitsToF32(static_cast<uint32_t>(b))); }
uint64_t PalisadeJitI64TruncSatF64S(uint64_t b) { return static_cast<uint64_t>(SatF64ToI64S(BitsToF64(b))); }
uint64_t PalisadeJitI64TruncSatF64U(uint64_t b) { return SatF64ToI64U(BitsToF64(b)); }

}  // extern "C"

const JitHelper* JitHelpers(size_t* count) {
  static const JitHelper kHelpers[] = {
      {Op::kLoopCheck, reinterpret_cast<const void*>(&PalisadeJitRefill), JitHelperForm::kRefill},
      {Op::kF32Min, reinterpret_cast<const void*>(&PalisadeJitF32Min), JitHelperForm::kBinary},
      {Op::kF32Max, reinterpret_cast<const void*>(&PalisadeJitF32Max), JitHelperForm::kBinary},
      {Op::kF64Min, reinterpret_cast<const void*>(&PalisadeJitF64Min), JitHelperForm::kBinary},
      {Op::kF64Max, reinterpret_cast<const void*>(&PalisadeJitF64Max), JitHelperForm::kBinary},
      {Op::kF32ConvertI64U, reinterpret_cast<const void*>(&PalisadeJitF32ConvertI64U), JitHelperForm::kUnary},
      {Op::kF64ConvertI64U, reinterpret_cast<const void*>(&PalisadeJitF64ConvertI64U), JitHelperForm::kUnary},
      {Op::kF32DemoteF64, reinterpret_cast<const void*>(&PalisadeJitF32DemoteF64), JitHelperForm::kUnary},
      {Op::kF64PromoteF32, reinterpret_cast<const void*>(&PalisadeJitF64PromoteF32), JitHelperForm::kUnary},
      {Op::kI32TruncF32S, reinterpret_cast<const void*>(&PalisadeJitI32TruncF32S), JitHelperForm::kTrapping},
      {Op::kI32TruncF32U, reinterpret_cast<const void*>(&PalisadeJitI32TruncF32U), JitHelperForm::kTrapping},
      {Op::kI32TruncF64S, reinterpret_cast<const void*>(&PalisadeJitI32TruncF64S), JitHelperForm::kTrapping},
      {Op::kI32TruncF64U, reinterpret_cast<const void*>(&PalisadeJitI32TruncF64U), JitHelperForm::kTrapping},
      {Op::kI64TruncF32S, reinterpret_cast<const void*>(&PalisadeJitI64TruncF32S), JitHelperForm::kTrapping},
      {Op::kI64TruncF32U, reinterpret_cast<const void*>(&PalisadeJitI64TruncF32U), JitHelperForm::kTrapping},
      {Op::kI64TruncF64S, reinterpret_cast<const void*>(&PalisadeJitI64TruncF64S), JitHelperForm::kTrapping},
      {Op::kI64TruncF64U, reinterpret_cast<const void*>(&PalisadeJitI64TruncF64U), JitHelperForm::kTrapping},
      {Op::kI32TruncSatF32S, reinterpret_cast<const void*>(&PalisadeJitI32TruncSatF32S), JitHelperForm::kUnary},
      {Op::kI32TruncSatF32U, reinterpret_cast<const void*>(&PalisadeJitI32TruncSatF32U), JitHelperForm::kUnary},
      {Op::kI32TruncSatF64S, reinterpret_cast<const void*>(&PalisadeJitI32TruncSatF64S), JitHelperForm::kUnary},
      {Op::kI32TruncSatF64U, reinterpret_cast<const void*>(&PalisadeJitI32TruncSatF64U), JitHelperForm::kUnary},
      {Op::kI64TruncSatF32S, reinterpret_cast<const void*>(&PalisadeJitI64TruncSatF32S), JitHelperForm::kUnary},
      {Op::kI64TruncSatF32U, reinterpret_cast<const void*>(&PalisadeJitI64TruncSatF32U), JitHelperForm::kUnary},
      {Op::kI64TruncSatF64S, reinterpret_cast<const void*>(&PalisadeJitI64TruncSatF64S), JitHelperForm::kUnary},
      {Op::kI64TruncSatF64U, reinterpret_cast<const void*>(&PalisadeJitI64TruncSatF64U), JitHelperForm::kUnary},
  };
  *count = sizeof(kHelpers) / sizeof(kHelpers[0]);
  return kHelpers;
}

}  // namespace palisade::wasm
