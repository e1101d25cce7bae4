// The helpers compiled code calls (jit_context.h). Float helpers take and
// return raw bit patterns (a slot's contents) and reuse the interpreter's
// own numerics, so both tiers round, saturate and trap alike.
#include "wasm/jit/jit_context.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/jit/function_jit.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/instance_ops.h"
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

#define PALISADE_INSTANCE_OP(name) \
  uint32_t PalisadeJit##name(JitContext* ctx, uint64_t* fp, const uint32_t* ip) { \
    return static_cast<uint32_t>(instance_ops::name(ctx->instance, fp, ip));        \
  }
PALISADE_INSTANCE_OP(TableGet)
PALISADE_INSTANCE_OP(TableSet)
PALISADE_INSTANCE_OP(TableSize)
PALISADE_INSTANCE_OP(TableGrow)
PALISADE_INSTANCE_OP(TableFill)
PALISADE_INSTANCE_OP(TableCopy)
PALISADE_INSTANCE_OP(TableInit)
PALISADE_INSTANCE_OP(ElemDrop)
PALISADE_INSTANCE_OP(MemoryFill)
PALISADE_INSTANCE_OP(MemoryCopy)
PALISADE_INSTANCE_OP(MemoryInit)
PALISADE_INSTANCE_OP(DataDrop)
#undef PALISADE_INSTANCE_OP

uint32_t PalisadeJitMemoryGrow(JitContext* ctx, uint64_t* fp, const uint32_t* ip) {
  const int32_t old = GrowMemory(ctx->instance->memory0, static_cast<uint32_t>(fp[ip[3]]));
  if (old < 0) ++ctx->store->refused_grows;
  fp[ip[2]] = static_cast<uint32_t>(old);
  return 0;
}

uint32_t PalisadeJitRefFunc(JitContext* ctx, uint64_t* fp, const uint32_t* ip) {
  fp[ip[2]] = reinterpret_cast<uintptr_t>(ctx->instance->funcs.data()[ip[3]]);
  return 0;
}

}  // extern "C"

namespace {

// A call out of compiled code through a FuncInst: a host function, or a
// Wasm function run by Execute (compiled or interpreted), as the
// interpreter's call_func_inst does, with its checks at the call site.
uint32_t CallFuncInst(JitContext* ctx, FuncInst* callee, uint64_t* callee_fp) {
  Store* store = ctx->store;
  uint64_t* const stack_end = ctx->stack_end;
  // The caller's unspent budget goes back first, so fuel runs out where the
  // interpreter's does, whoever spends it.
  if (store->fuel_enabled && ctx->budget > 0) store->fuel += static_cast<uint64_t>(ctx->budget);
  ctx->budget = 0;
  CallFrame* const saved_frames = store->frame_sp;
  uint64_t* const saved_values = store->value_sp;
  store->frame_sp = store->call_stack + (ctx->depth_limit - ctx->depth_left);
  Trap t;
  if (callee->host != nullptr) {
    uint64_t* results = callee_fp + callee->param_slots;
    if (results + callee->result_slots > stack_end) return static_cast<uint32_t>(TrapKind::kCallStackExhausted);
    store->value_sp = results + callee->result_slots;
    HostCall call{store, ctx->instance, ctx->instance->memory0};
    t = callee->host(callee->host_context, call, callee_fp, results);
    if (t.ok()) {
      for (uint32_t i = 0; i < callee->result_slots; ++i) callee_fp[i] = results[i];
    }
    ctx->callee_trap_located = false;  // the call site is where it trapped
  } else {
    if (callee_fp + callee->code->frame_slots > stack_end || ctx->depth_left == 0) {
      store->frame_sp = saved_frames;
      return static_cast<uint32_t>(TrapKind::kCallStackExhausted);
    }
    t = Execute(store, callee, callee_fp);
    ctx->callee_trap_located = true;
  }
  store->frame_sp = saved_frames;
  store->value_sp = saved_values;
  if (t.ok()) return 0;
  ctx->callee_trap = t;
  return static_cast<uint32_t>(t.kind);
}

}  // namespace

extern "C" {

uint32_t PalisadeJitCallImport(JitContext* ctx, uint64_t* fp, const uint32_t* ip) {
  return CallFuncInst(ctx, ctx->instance->funcs.data()[ip[2]], fp + ip[3]);
}

uint64_t PalisadeJitResolveIndirect(JitContext* ctx, uint64_t* fp, const uint32_t* ip) {
  Instance* inst = ctx->instance;
  TableInst* t = inst->tables.data()[ip[2]];
  const uint32_t i = static_cast<uint32_t>(fp[ip[4]]);
  if (i >= t->size) return static_cast<uint64_t>(TrapKind::kUndefinedElement);
  FuncInst* callee = reinterpret_cast<FuncInst*>(t->elems[i]);
  if (callee == nullptr) return static_cast<uint64_t>(TrapKind::kUninitializedElement);
  if (callee->sig_id != inst->sig_ids.data()[ip[3]]) return static_cast<uint64_t>(TrapKind::kIndirectCallTypeMismatch);
  const CompiledModule* m = inst->module;
  if (callee->instance != inst || callee->host != nullptr || m->jit_code == nullptr) return kJitSlowCall;
  if (fp + ip[5] + callee->code->frame_slots > ctx->stack_end) {
    return static_cast<uint64_t>(TrapKind::kCallStackExhausted);
  }
  return reinterpret_cast<uintptr_t>(m->jit_code + m->jit->entries[callee->code - m->functions.data()]);
}

uint32_t PalisadeJitCallIndirect(JitContext* ctx, uint64_t* fp, const uint32_t* ip) {
  Instance* inst = ctx->instance;
  TableInst* t = inst->tables.data()[ip[2]];
  const uint32_t i = static_cast<uint32_t>(fp[ip[4]]);
  if (i >= t->size) return static_cast<uint32_t>(TrapKind::kUndefinedElement);
  FuncInst* callee = reinterpret_cast<FuncInst*>(t->elems[i]);
  if (callee == nullptr) return static_cast<uint32_t>(TrapKind::kUninitializedElement);
  if (callee->sig_id != inst->sig_ids.data()[ip[3]]) return static_cast<uint32_t>(TrapKind::kIndirectCallTypeMismatch);
  return CallFuncInst(ctx, callee, fp + ip[5]);
}

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
      {Op::kTableGet, reinterpret_cast<const void*>(&PalisadeJitTableGet), JitHelperForm::kInstance},
      {Op::kTableSet, reinterpret_cast<const void*>(&PalisadeJitTableSet), JitHelperForm::kInstance},
      {Op::kTableSize, reinterpret_cast<const void*>(&PalisadeJitTableSize), JitHelperForm::kInstance},
      {Op::kTableGrow, reinterpret_cast<const void*>(&PalisadeJitTableGrow), JitHelperForm::kInstance},
      {Op::kTableFill, reinterpret_cast<const void*>(&PalisadeJitTableFill), JitHelperForm::kInstance},
      {Op::kTableCopy, reinterpret_cast<const void*>(&PalisadeJitTableCopy), JitHelperForm::kInstance},
      {Op::kTableInit, reinterpret_cast<const void*>(&PalisadeJitTableInit), JitHelperForm::kInstance},
      {Op::kElemDrop, reinterpret_cast<const void*>(&PalisadeJitElemDrop), JitHelperForm::kInstance},
      {Op::kMemoryFill, reinterpret_cast<const void*>(&PalisadeJitMemoryFill), JitHelperForm::kInstance},
      {Op::kMemoryCopy, reinterpret_cast<const void*>(&PalisadeJitMemoryCopy), JitHelperForm::kInstance},
      {Op::kMemoryInit, reinterpret_cast<const void*>(&PalisadeJitMemoryInit), JitHelperForm::kInstance},
      {Op::kDataDrop, reinterpret_cast<const void*>(&PalisadeJitDataDrop), JitHelperForm::kInstance},
      {Op::kMemoryGrow, reinterpret_cast<const void*>(&PalisadeJitMemoryGrow), JitHelperForm::kInstance},
      {Op::kRefFunc, reinterpret_cast<const void*>(&PalisadeJitRefFunc), JitHelperForm::kInstance},
      {Op::kCallImport, reinterpret_cast<const void*>(&PalisadeJitCallImport), JitHelperForm::kInstance},
      {Op::kCallIndirect, reinterpret_cast<const void*>(&PalisadeJitCallIndirect), JitHelperForm::kInstance},
      {Op::kCallIndirect, reinterpret_cast<const void*>(&PalisadeJitResolveIndirect), JitHelperForm::kResolve},
  };
  *count = sizeof(kHelpers) / sizeof(kHelpers[0]);
  return kHelpers;
}

const JitHelper* FindJitHelper(Op op, JitHelperForm form) {
  size_t n = 0;
  const JitHelper* h = JitHelpers(&n);
  for (size_t i = 0; i < n; ++i) {
    if (h[i].op == op && h[i].form == form) return &h[i];
  }
  return nullptr;
}

}  // namespace palisade::wasm
