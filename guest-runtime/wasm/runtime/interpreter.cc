#include "wasm/runtime/interpreter.h"

#include "wasm/jit/jit_execute.h"
#include "wasm/runtime/instance_ops.h"
#include "wasm/runtime/interpreter_numerics.h"
#include "wasm/runtime/simd_lanes.h"

namespace palisade::wasm {

namespace {

// Between two looks at the interrupt flag (and at the store's fuel), at most
// this many function entries and loop iterations run: tens of microseconds.
constexpr int64_t kBudgetSlice = 1 << 14;

inline const void* LoadHandler(const uint32_t* ip) {
  const void* h;
  __builtin_memcpy(&h, ip, sizeof(h));
  return h;
}

template <typename T>
inline T LoadMem(const uint8_t* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void StoreMem(uint8_t* p, T v) {
  __builtin_memcpy(p, &v, sizeof(T));
}

}  // namespace

TrapKind RefillBudget(Store* store, int64_t* budget) {
  if (store->interrupt_requested) {
    store->interrupt_requested = 0;
    return TrapKind::kInterrupted;
  }
  if (!store->fuel_enabled) {
    *budget = kBudgetSlice - 1;
    return TrapKind::kNone;
  }
  if (store->fuel == 0) return TrapKind::kFuelExhausted;
  uint64_t grant = store->fuel < static_cast<uint64_t>(kBudgetSlice) ? store->fuel : kBudgetSlice;
  store->fuel -= grant;
  *budget = static_cast<int64_t>(grant) - 1;
  return TrapKind::kNone;
}

int32_t GrowMemory(MemoryInst* m, uint32_t delta) {
  uint32_t old = m->pages;
  if (delta == 0) return static_cast<int32_t>(old);
  if (delta > m->max_pages - old || static_cast<uint64_t>(old) + delta > m->max_pages) return -1;
  uint64_t new_size = static_cast<uint64_t>(old + delta) * 65536;
  uint8_t* base = m->provider->Grow(m->base, m->size, new_size, m->reserved);
  if (base == nullptr) return -1;
  m->base = base;
  m->size = new_size;
  m->pages = old + delta;
  return static_cast<int32_t>(old);
}

int32_t GrowTable(TableInst* t, uint32_t delta, uint64_t init) {
  uint32_t old = t->size;
  if (delta > t->max - old) return -1;
  uint32_t want = old + delta;
  if (want > t->capacity) {
    uint32_t cap = t->capacity * 2 > want ? t->capacity * 2 : want;
    if (cap > t->max) cap = t->max;
    void* p = EngineRealloc(t->elems, sizeof(uint64_t) * t->capacity, sizeof(uint64_t) * cap);
    if (p == nullptr) return -1;
    t->elems = static_cast<uint64_t*>(p);
    t->capacity = cap;
  }
  for (uint32_t i = old; i < want; ++i) t->elems[i] = init;
  t->size = want;
  return static_cast<int32_t>(old);
}

namespace {

inline void RecordCompare(CoverageMap* cov, uint32_t site, uint32_t size, uint64_t a, uint64_t b) {
  if (cov == nullptr || cov->cmp_slots == 0) return;
  CmpRecord& r = cov->cmps[site & (cov->cmp_slots - 1)];
  r.site = site;
  r.size = size;
  r.a = a;
  r.b = b;
}

// The interpreter proper. With store == nullptr it only returns its handler
// table (label addresses exist only inside this function).
Trap Run(Store* store, FuncInst* entry, uint64_t* args, HandlerTable* handlers_out) {
  static const void* const kHandlers[] = {
#define PALISADE_WASM_LABEL(name) &&L_##name,
      PALISADE_WASM_ALL_OPS(PALISADE_WASM_LABEL)
#undef PALISADE_WASM_LABEL
  };
  if (store == nullptr) {
    *handlers_out = kHandlers;
    return Trap();
  }

  Trap trap;
  TrapKind kind = TrapKind::kNone;
  int64_t budget = 0;
  Instance* inst = entry->instance;
  const CompiledModule* module = inst->module;
  const uint32_t* code_base = module->code.data();
  const CompiledFunction* funcs = module->functions.data();
  const CompiledFunction* cur = entry->code;
  uint8_t* mem_base = nullptr;
  uint64_t mem_size = 0;
  uint64_t* const stack_end = store->value_stack + store->value_stack_slots;
  CallFrame* const frames_end = store->call_stack + store->call_stack_frames;
  CallFrame* frame_top = store->frame_sp;
  uint64_t* fp = args;
  const uint32_t* ip = nullptr;
  // For calls through a FuncInst (imports, call_indirect).
  FuncInst* callee = nullptr;
  uint64_t* callee_fp = nullptr;
  const uint32_t* ret_ip = nullptr;

#define RELOAD_MEMORY()                    \
  do {                                     \
    MemoryInst* m_ = inst->memory0;        \
    mem_base = m_ ? m_->base : nullptr;    \
    mem_size = m_ ? m_->size : 0;          \
  } while (0)
#define SWITCH_INSTANCE(i)                 \
  do {                                     \
    inst = (i);                            \
    module = inst->module;                 \
    code_base = module->code.data();       \
    funcs = module->functions.data();      \
    RELOAD_MEMORY();                       \
  } while (0)
#define DISPATCH() goto* LoadHandler(ip)
#define NEXT(n)  \
  do {           \
    ip += (n);   \
    DISPATCH();  \
  } while (0)
#define TRAP(k)  \
  do {           \
    kind = (k);  \
    goto trap;   \
  } while (0)
#define SLOT(k) fp[ip[k]]
#define U32(k) static_cast<uint32_t>(SLOT(k))
#define S32(k) static_cast<int32_t>(U32(k))
#define U64(k) SLOT(k)
#define S64(k) static_cast<int64_t>(U64(k))
#define F32(k) BitsToF32(U32(k))
#define F64(k) BitsToF64(U64(k))
#define IMM64(k) (static_cast<uint64_t>(ip[k]) | (static_cast<uint64_t>(ip[(k) + 1]) << 32))
#define SET(k, v) SLOT(k) = (v)
#define SETF32(k, v) SLOT(k) = F32ToBits(v)
#define SETF64(k, v) SLOT(k) = F64ToBits(v)
// Taken backward branches (loop back-edges) pay one unit of the budget, so
// fuel and interrupts need no instruction of their own in loops.
#define JUMP(off_word)                                         \
  do {                                                         \
    int32_t off_ = static_cast<int32_t>(ip[off_word]);         \
    ip += off_;                                                \
    if (off_ <= 0 && __builtin_expect(--budget < 0, 0)) goto refill; \
    DISPATCH();                                                \
  } while (0)
#define BRANCH(cond, off_word)                                 \
  do {                                                         \
    if (cond) JUMP(off_word);                                  \
    NEXT((off_word) + 1);                                      \
  } while (0)

  if (frame_top >= frames_end || args + cur->frame_slots > stack_end) {
    kind = TrapKind::kCallStackExhausted;
    trap.kind = kind;
    trap.func_index = cur->func_index;
    return trap;
  }
  *frame_top++ = CallFrame{nullptr, nullptr, cur, inst};
  RELOAD_MEMORY();
  __builtin_memset(fp + cur->param_slots, 0, sizeof(uint64_t) * cur->local_slots);
  ip = code_base + cur->code_begin;
  DISPATCH();

  // --- control ---------------------------------------------------------------
L_Unreachable:
  TRAP(TrapKind::kUnreachable);
L_Jmp:
  JUMP(2);
L_BrIf:
  BRANCH(U32(2) != 0, 3);
L_BrUnless:
  BRANCH(U32(2) == 0, 3);
L_BrTable: {
  uint32_t i = U32(2);
  uint32_t n = ip[3];
  if (i > n) i = n;
  JUMP(4 + i);
}
L_Return1:
  fp[0] = SLOT(2);
L_Return: {
  --frame_top;
  ip = frame_top->ret_ip;
  if (ip == nullptr) goto done;
  fp = frame_top->fp;
  cur = frame_top->func;
  if (frame_top->inst != inst) SWITCH_INSTANCE(frame_top->inst);
  DISPATCH();
}
L_Call: {
  const CompiledFunction* f = funcs + ip[2];
  uint64_t* nfp = fp + ip[3];
  if (__builtin_expect(nfp + f->frame_slots > stack_end || frame_top == frames_end, 0)) {
    TRAP(TrapKind::kCallStackExhausted);
  }
  *frame_top++ = CallFrame{ip + 4, fp, cur, inst};
  __builtin_memset(nfp + f->param_slots, 0, sizeof(uint64_t) * f->local_slots);
  fp = nfp;
  cur = f;
  ip = code_base + f->code_begin;
  DISPATCH();
}
L_CallImport:
  callee = inst->funcs.data()[ip[2]];
  callee_fp = fp + ip[3];
  ret_ip = ip + 4;
  goto call_func_inst;
L_CallIndirect: {
  TableInst* t = inst->tables.data()[ip[2]];
  uint32_t i = U32(4);
  if (__builtin_expect(i >= t->size, 0)) TRAP(TrapKind::kUndefinedElement);
  callee = reinterpret_cast<FuncInst*>(t->elems[i]);
  if (__builtin_expect(callee == nullptr, 0)) TRAP(TrapKind::kUninitializedElement);
  if (__builtin_expect(callee->sig_id != inst->sig_ids.data()[ip[3]], 0)) {
    TRAP(TrapKind::kIndirectCallTypeMismatch);
  }
  callee_fp = fp + ip[5];
  ret_ip = ip + 6;
  goto call_func_inst;
}
call_func_inst: {
  if (callee->host != nullptr) {
    uint64_t* results = callee_fp + callee->param_slots;
    if (results + callee->result_slots > stack_end) TRAP(TrapKind::kCallStackExhausted);
    store->value_sp = results + callee->result_slots;
    store->frame_sp = frame_top;
    HostCall call{store, inst, inst->memory0};
    Trap t = callee->host(callee->host_context, call, callee_fp, results);
    if (!t.ok()) {
      trap = t;
      kind = t.kind;
      goto trap;
    }
    for (uint32_t i = 0; i < callee->result_slots; ++i) callee_fp[i] = results[i];
    RELOAD_MEMORY();
    ip = ret_ip;
    DISPATCH();
  }
  const CompiledFunction* f = callee->code;
  if (__builtin_expect(callee_fp + f->frame_slots > stack_end || frame_top == frames_end, 0)) {
    TRAP(TrapKind::kCallStackExhausted);
  }
  *frame_top++ = CallFrame{ret_ip, fp, cur, inst};
  if (callee->instance != inst) SWITCH_INSTANCE(callee->instance);
  __builtin_memset(callee_fp + f->param_slots, 0, sizeof(uint64_t) * f->local_slots);
  fp = callee_fp;
  cur = f;
  ip = code_base + f->code_begin;
  DISPATCH();
}
L_LoopCheck:
  if (__builtin_expect(--budget < 0, 0)) {
    kind = RefillBudget(store, &budget);
    if (kind != TrapKind::kNone) goto trap;
  }
  NEXT(2);
refill:
  // After a back-edge: ip already points at the loop's first instruction.
  kind = RefillBudget(store, &budget);
  if (kind != TrapKind::kNone) goto trap;
  DISPATCH();
L_Copy:
  SET(2, SLOT(3));
  NEXT(4);
L_Copy2:
  SET(2, SLOT(3));
  SET(4, SLOT(5));
  NEXT(6);
L_Const32:
  SET(2, ip[3]);
  NEXT(4);
L_Const64:
  SET(2, IMM64(3));
  NEXT(5);
L_Select:
  SET(2, U32(5) != 0 ? SLOT(3) : SLOT(4));
  NEXT(6);
L_GlobalGet:
  SET(2, inst->globals.data()[ip[3]]->value[0]);
  NEXT(4);
L_GlobalSet:
  inst->globals.data()[ip[2]]->value[0] = SLOT(3);
  NEXT(4);
L_GlobalGet128: {
  const GlobalInst* g = inst->globals.data()[ip[3]];
  SET(2, g->value[0]);
  fp[ip[2] + 1] = g->value[1];
  NEXT(4);
}
L_GlobalSet128: {
  GlobalInst* g = inst->globals.data()[ip[2]];
  g->value[0] = SLOT(3);
  g->value[1] = fp[ip[3] + 1];
  NEXT(4);
}
L_RefIsNull:
  SET(2, SLOT(3) == 0 ? 1u : 0u);
  NEXT(4);
L_RefFunc:
  SET(2, reinterpret_cast<uintptr_t>(inst->funcs.data()[ip[3]]));
  NEXT(4);

  // --- tables (runtime/instance_ops.h, shared with the compiler tier) ---------
#define INSTANCE_OP(name, words)                                  \
  L_##name: {                                                     \
    const TrapKind k_ = instance_ops::name(inst, fp, ip);         \
    if (__builtin_expect(k_ != TrapKind::kNone, 0)) TRAP(k_);     \
    NEXT(words);                                                  \
  }
  INSTANCE_OP(TableGet, 5)
  INSTANCE_OP(TableSet, 5)
  INSTANCE_OP(TableSize, 4)
  INSTANCE_OP(TableGrow, 6)
  INSTANCE_OP(TableFill, 6)
  INSTANCE_OP(TableCopy, 7)
  INSTANCE_OP(TableInit, 7)
  INSTANCE_OP(ElemDrop, 3)

  // --- memory ----------------------------------------------------------------
L_MemorySize:
  SET(2, static_cast<uint32_t>(mem_size >> 16));
  NEXT(3);
L_MemoryGrow: {
  int32_t old = GrowMemory(inst->memory0, U32(3));
  if (old < 0) ++store->refused_grows;
  SET(2, static_cast<uint32_t>(old));
  RELOAD_MEMORY();
  NEXT(4);
}
  INSTANCE_OP(MemoryFill, 5)
  INSTANCE_OP(MemoryCopy, 5)
  INSTANCE_OP(MemoryInit, 6)
  INSTANCE_OP(DataDrop, 3)
#undef INSTANCE_OP

#define LOAD(name, T, expr)                                              \
  L_##name: {                                                            \
    uint64_t ea = static_cast<uint64_t>(U32(3)) + ip[4];                 \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) {                \
      TRAP(TrapKind::kMemoryOutOfBounds);                                \
    }                                                                    \
    T v = LoadMem<T>(mem_base + ea);                                     \
    SET(2, expr);                                                        \
    NEXT(5);                                                             \
  }
#define STORE(name, T)                                                   \
  L_##name: {                                                            \
    uint64_t ea = static_cast<uint64_t>(U32(2)) + ip[4];                 \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) {                \
      TRAP(TrapKind::kMemoryOutOfBounds);                                \
    }                                                                    \
    StoreMem<T>(mem_base + ea, static_cast<T>(SLOT(3)));                 \
    NEXT(5);                                                             \
  }
  LOAD(I32Load, uint32_t, v)
  LOAD(I64Load, uint64_t, v)
  LOAD(I32Load8S, int8_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  LOAD(I32Load8U, uint8_t, static_cast<uint32_t>(v))
  LOAD(I32Load16S, int16_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  LOAD(I32Load16U, uint16_t, static_cast<uint32_t>(v))
  LOAD(I64Load8S, int8_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD(I64Load8U, uint8_t, static_cast<uint64_t>(v))
  LOAD(I64Load16S, int16_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD(I64Load16U, uint16_t, static_cast<uint64_t>(v))
  LOAD(I64Load32S, int32_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD(I64Load32U, uint32_t, static_cast<uint64_t>(v))
  STORE(I32Store, uint32_t)
  STORE(I64Store, uint64_t)
  STORE(I32Store8, uint8_t)
  STORE(I32Store16, uint16_t)
  STORE(I64Store8, uint8_t)
  STORE(I64Store16, uint16_t)
  STORE(I64Store32, uint32_t)
#undef LOAD
#undef STORE

  // --- numeric ----------------------------------------------------------------
#define UNOP(name, expr) \
  L_##name:              \
  SET(2, expr);          \
  NEXT(4);
#define UNOP_F32(name, expr) \
  L_##name:                  \
  SETF32(2, expr);           \
  NEXT(4);
#define UNOP_F64(name, expr) \
  L_##name:                  \
  SETF64(2, expr);           \
  NEXT(4);
#define BINOP(name, expr) \
  L_##name:               \
  SET(2, expr);           \
  NEXT(5);
#define BINOP_F32(name, expr) \
  L_##name:                   \
  SETF32(2, expr);            \
  NEXT(5);
#define BINOP_F64(name, expr) \
  L_##name:                   \
  SETF64(2, expr);            \
  NEXT(5);
#define IMMOP32(name, expr) \
  L_##name: {               \
    uint32_t b = ip[4];     \
    SET(2, expr);           \
    NEXT(5);                \
  }
#define IMMOP64(name, expr)  \
  L_##name: {                \
    uint64_t b = IMM64(4);   \
    SET(2, expr);            \
    NEXT(6);                 \
  }
  // A conversion that may trap: `expr` sets `r` and returns a TrapKind.
#define TRAPPING_UNOP(name, T, expr)          \
  L_##name: {                                 \
    T r;                                      \
    TrapKind k_ = (expr);                     \
    if (__builtin_expect(k_ != TrapKind::kNone, 0)) TRAP(k_); \
    SET(2, r);                                \
    NEXT(4);                                  \
  }
#define TRAPPING_BINOP(name, T, expr)         \
  L_##name: {                                 \
    T r;                                      \
    TrapKind k_ = (expr);                     \
    if (__builtin_expect(k_ != TrapKind::kNone, 0)) TRAP(k_); \
    SET(2, r);                                \
    NEXT(5);                                  \
  }

  UNOP(I32Eqz, U32(3) == 0 ? 1u : 0u)
  UNOP(I64Eqz, U64(3) == 0 ? 1u : 0u)
  UNOP(I32Clz, I32Clz(U32(3)))
  UNOP(I32Ctz, I32Ctz(U32(3)))
  UNOP(I32Popcnt, static_cast<uint32_t>(__builtin_popcount(U32(3))))
  UNOP(I64Clz, I64Clz(U64(3)))
  UNOP(I64Ctz, I64Ctz(U64(3)))
  UNOP(I64Popcnt, static_cast<uint64_t>(__builtin_popcountll(U64(3))))
  UNOP_F32(F32Abs, F32Abs(F32(3)))
  UNOP_F32(F32Neg, F32Neg(F32(3)))
  UNOP_F32(F32Ceil, F32Ceil(F32(3)))
  UNOP_F32(F32Floor, F32Floor(F32(3)))
  UNOP_F32(F32Trunc, F32Trunc(F32(3)))
  UNOP_F32(F32Nearest, F32Nearest(F32(3)))
  UNOP_F32(F32Sqrt, F32Sqrt(F32(3)))
  UNOP_F64(F64Abs, F64Abs(F64(3)))
  UNOP_F64(F64Neg, F64Neg(F64(3)))
  UNOP_F64(F64Ceil, F64Ceil(F64(3)))
  UNOP_F64(F64Floor, F64Floor(F64(3)))
  UNOP_F64(F64Trunc, F64Trunc(F64(3)))
  UNOP_F64(F64Nearest, F64Nearest(F64(3)))
  UNOP_F64(F64Sqrt, F64Sqrt(F64(3)))
  UNOP(I32WrapI64, static_cast<uint32_t>(U64(3)))
  TRAPPING_UNOP(I32TruncF32S, uint32_t, TruncF32ToI32S(F32(3), &r))
  TRAPPING_UNOP(I32TruncF32U, uint32_t, TruncF32ToI32U(F32(3), &r))
  TRAPPING_UNOP(I32TruncF64S, uint32_t, TruncF64ToI32S(F64(3), &r))
  TRAPPING_UNOP(I32TruncF64U, uint32_t, TruncF64ToI32U(F64(3), &r))
  UNOP(I64ExtendI32S, static_cast<uint64_t>(static_cast<int64_t>(S32(3))))
  UNOP(I64ExtendI32U, static_cast<uint64_t>(U32(3)))
  TRAPPING_UNOP(I64TruncF32S, uint64_t, TruncF32ToI64S(F32(3), &r))
  TRAPPING_UNOP(I64TruncF32U, uint64_t, TruncF32ToI64U(F32(3), &r))
  TRAPPING_UNOP(I64TruncF64S, uint64_t, TruncF64ToI64S(F64(3), &r))
  TRAPPING_UNOP(I64TruncF64U, uint64_t, TruncF64ToI64U(F64(3), &r))
  UNOP_F32(F32ConvertI32S, static_cast<float>(S32(3)))
  UNOP_F32(F32ConvertI32U, static_cast<float>(U32(3)))
  UNOP_F32(F32ConvertI64S, static_cast<float>(S64(3)))
  UNOP_F32(F32ConvertI64U, F32ConvertI64U(U64(3)))
  UNOP_F32(F32DemoteF64, F32DemoteF64(F64(3)))
  UNOP_F64(F64ConvertI32S, static_cast<double>(S32(3)))
  UNOP_F64(F64ConvertI32U, static_cast<double>(U32(3)))
  UNOP_F64(F64ConvertI64S, static_cast<double>(S64(3)))
  UNOP_F64(F64ConvertI64U, F64ConvertI64U(U64(3)))
  UNOP_F64(F64PromoteF32, F64PromoteF32(F32(3)))
  UNOP(I32Extend8S, static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(U32(3)))))
  UNOP(I32Extend16S, static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(U32(3)))))
  UNOP(I64Extend8S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(U64(3)))))
  UNOP(I64Extend16S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(U64(3)))))
  UNOP(I64Extend32S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(U64(3)))))
  UNOP(I32TruncSatF32S, static_cast<uint32_t>(SatF32ToI32S(F32(3))))
  UNOP(I32TruncSatF32U, SatF32ToI32U(F32(3)))
  UNOP(I32TruncSatF64S, static_cast<uint32_t>(SatF64ToI32S(F64(3))))
  UNOP(I32TruncSatF64U, SatF64ToI32U(F64(3)))
  UNOP(I64TruncSatF32S, static_cast<uint64_t>(SatF32ToI64S(F32(3))))
  UNOP(I64TruncSatF32U, SatF32ToI64U(F32(3)))
  UNOP(I64TruncSatF64S, static_cast<uint64_t>(SatF64ToI64S(F64(3))))
  UNOP(I64TruncSatF64U, SatF64ToI64U(F64(3)))

  BINOP(I32Eq, U32(3) == U32(4) ? 1u : 0u)
  BINOP(I32Ne, U32(3) != U32(4) ? 1u : 0u)
  BINOP(I32LtS, S32(3) < S32(4) ? 1u : 0u)
  BINOP(I32LtU, U32(3) < U32(4) ? 1u : 0u)
  BINOP(I32GtS, S32(3) > S32(4) ? 1u : 0u)
  BINOP(I32GtU, U32(3) > U32(4) ? 1u : 0u)
  BINOP(I32LeS, S32(3) <= S32(4) ? 1u : 0u)
  BINOP(I32LeU, U32(3) <= U32(4) ? 1u : 0u)
  BINOP(I32GeS, S32(3) >= S32(4) ? 1u : 0u)
  BINOP(I32GeU, U32(3) >= U32(4) ? 1u : 0u)
  BINOP(I64Eq, U64(3) == U64(4) ? 1u : 0u)
  BINOP(I64Ne, U64(3) != U64(4) ? 1u : 0u)
  BINOP(I64LtS, S64(3) < S64(4) ? 1u : 0u)
  BINOP(I64LtU, U64(3) < U64(4) ? 1u : 0u)
  BINOP(I64GtS, S64(3) > S64(4) ? 1u : 0u)
  BINOP(I64GtU, U64(3) > U64(4) ? 1u : 0u)
  BINOP(I64LeS, S64(3) <= S64(4) ? 1u : 0u)
  BINOP(I64LeU, U64(3) <= U64(4) ? 1u : 0u)
  BINOP(I64GeS, S64(3) >= S64(4) ? 1u : 0u)
  BINOP(I64GeU, U64(3) >= U64(4) ? 1u : 0u)
  BINOP(F32Eq, F32(3) == F32(4) ? 1u : 0u)
  BINOP(F32Ne, F32(3) != F32(4) ? 1u : 0u)
  BINOP(F32Lt, F32(3) < F32(4) ? 1u : 0u)
  BINOP(F32Gt, F32(3) > F32(4) ? 1u : 0u)
  BINOP(F32Le, F32(3) <= F32(4) ? 1u : 0u)
  BINOP(F32Ge, F32(3) >= F32(4) ? 1u : 0u)
  BINOP(F64Eq, F64(3) == F64(4) ? 1u : 0u)
  BINOP(F64Ne, F64(3) != F64(4) ? 1u : 0u)
  BINOP(F64Lt, F64(3) < F64(4) ? 1u : 0u)
  BINOP(F64Gt, F64(3) > F64(4) ? 1u : 0u)
  BINOP(F64Le, F64(3) <= F64(4) ? 1u : 0u)
  BINOP(F64Ge, F64(3) >= F64(4) ? 1u : 0u)

  BINOP(I32Add, U32(3) + U32(4))
  BINOP(I32Sub, U32(3) - U32(4))
  BINOP(I32Mul, U32(3) * U32(4))
  TRAPPING_BINOP(I32DivS, uint32_t, I32DivS(U32(3), U32(4), &r))
  TRAPPING_BINOP(I32DivU, uint32_t, I32DivU(U32(3), U32(4), &r))
  TRAPPING_BINOP(I32RemS, uint32_t, I32RemS(U32(3), U32(4), &r))
  TRAPPING_BINOP(I32RemU, uint32_t, I32RemU(U32(3), U32(4), &r))
  BINOP(I32And, U32(3) & U32(4))
  BINOP(I32Or, U32(3) | U32(4))
  BINOP(I32Xor, U32(3) ^ U32(4))
  BINOP(I32Shl, U32(3) << (U32(4) & 31))
  BINOP(I32ShrS, static_cast<uint32_t>(S32(3) >> (U32(4) & 31)))
  BINOP(I32ShrU, U32(3) >> (U32(4) & 31))
  BINOP(I32Rotl, I32Rotl(U32(3), U32(4)))
  BINOP(I32Rotr, I32Rotr(U32(3), U32(4)))
  BINOP(I64Add, U64(3) + U64(4))
  BINOP(I64Sub, U64(3) - U64(4))
  BINOP(I64Mul, U64(3) * U64(4))
  TRAPPING_BINOP(I64DivS, uint64_t, I64DivS(U64(3), U64(4), &r))
  TRAPPING_BINOP(I64DivU, uint64_t, I64DivU(U64(3), U64(4), &r))
  TRAPPING_BINOP(I64RemS, uint64_t, I64RemS(U64(3), U64(4), &r))
  TRAPPING_BINOP(I64RemU, uint64_t, I64RemU(U64(3), U64(4), &r))
  BINOP(I64And, U64(3) & U64(4))
  BINOP(I64Or, U64(3) | U64(4))
  BINOP(I64Xor, U64(3) ^ U64(4))
  BINOP(I64Shl, U64(3) << (U64(4) & 63))
  BINOP(I64ShrS, static_cast<uint64_t>(S64(3) >> (U64(4) & 63)))
  BINOP(I64ShrU, U64(3) >> (U64(4) & 63))
  BINOP(I64Rotl, I64Rotl(U64(3), U64(4)))
  BINOP(I64Rotr, I64Rotr(U64(3), U64(4)))
  BINOP_F32(F32Add, F32(3) + F32(4))
  BINOP_F32(F32Sub, F32(3) - F32(4))
  BINOP_F32(F32Mul, F32(3) * F32(4))
  BINOP_F32(F32Div, F32(3) / F32(4))
  BINOP_F32(F32Min, F32Min(F32(3), F32(4)))
  BINOP_F32(F32Max, F32Max(F32(3), F32(4)))
  BINOP_F32(F32Copysign, F32Copysign(F32(3), F32(4)))
  BINOP_F64(F64Add, F64(3) + F64(4))
  BINOP_F64(F64Sub, F64(3) - F64(4))
  BINOP_F64(F64Mul, F64(3) * F64(4))
  BINOP_F64(F64Div, F64(3) / F64(4))
  BINOP_F64(F64Min, F64Min(F64(3), F64(4)))
  BINOP_F64(F64Max, F64Max(F64(3), F64(4)))
  BINOP_F64(F64Copysign, F64Copysign(F64(3), F64(4)))

  IMMOP32(I32AddImm, U32(3) + b)
  IMMOP32(I32MulImm, U32(3) * b)
  IMMOP32(I32AndImm, U32(3) & b)
  IMMOP32(I32OrImm, U32(3) | b)
  IMMOP32(I32XorImm, U32(3) ^ b)
  IMMOP32(I32ShlImm, U32(3) << (b & 31))
  IMMOP32(I32ShrSImm, static_cast<uint32_t>(S32(3) >> (b & 31)))
  IMMOP32(I32ShrUImm, U32(3) >> (b & 31))
  IMMOP32(I32RotlImm, I32Rotl(U32(3), b))
  IMMOP32(I32RotrImm, I32Rotr(U32(3), b))
  IMMOP32(I32DivSImm, static_cast<uint32_t>(S32(3) / static_cast<int32_t>(b)))
  IMMOP32(I32DivUImm, U32(3) / b)
  IMMOP32(I32RemSImm, static_cast<uint32_t>(S32(3) % static_cast<int32_t>(b)))
  IMMOP32(I32RemUImm, U32(3) % b)
  IMMOP32(I32EqImm, U32(3) == b ? 1u : 0u)
  IMMOP32(I32NeImm, U32(3) != b ? 1u : 0u)
  IMMOP32(I32LtSImm, S32(3) < static_cast<int32_t>(b) ? 1u : 0u)
  IMMOP32(I32LtUImm, U32(3) < b ? 1u : 0u)
  IMMOP32(I32GtSImm, S32(3) > static_cast<int32_t>(b) ? 1u : 0u)
  IMMOP32(I32GtUImm, U32(3) > b ? 1u : 0u)
  IMMOP32(I32LeSImm, S32(3) <= static_cast<int32_t>(b) ? 1u : 0u)
  IMMOP32(I32LeUImm, U32(3) <= b ? 1u : 0u)
  IMMOP32(I32GeSImm, S32(3) >= static_cast<int32_t>(b) ? 1u : 0u)
  IMMOP32(I32GeUImm, U32(3) >= b ? 1u : 0u)
  IMMOP64(I64AddImm, U64(3) + b)
  IMMOP64(I64MulImm, U64(3) * b)
  IMMOP64(I64AndImm, U64(3) & b)
  IMMOP64(I64OrImm, U64(3) | b)
  IMMOP64(I64XorImm, U64(3) ^ b)
  IMMOP64(I64ShlImm, U64(3) << (b & 63))
  IMMOP64(I64ShrSImm, static_cast<uint64_t>(S64(3) >> (b & 63)))
  IMMOP64(I64ShrUImm, U64(3) >> (b & 63))
  IMMOP64(I64RotlImm, I64Rotl(U64(3), b))
  IMMOP64(I64RotrImm, I64Rotr(U64(3), b))
  IMMOP64(I64DivSImm, static_cast<uint64_t>(S64(3) / static_cast<int64_t>(b)))
  IMMOP64(I64DivUImm, U64(3) / b)
  IMMOP64(I64RemSImm, static_cast<uint64_t>(S64(3) % static_cast<int64_t>(b)))
  IMMOP64(I64RemUImm, U64(3) % b)
  IMMOP64(I64EqImm, U64(3) == b ? 1u : 0u)
  IMMOP64(I64NeImm, U64(3) != b ? 1u : 0u)
  IMMOP64(I64LtSImm, S64(3) < static_cast<int64_t>(b) ? 1u : 0u)
  IMMOP64(I64LtUImm, U64(3) < b ? 1u : 0u)
  IMMOP64(I64GtSImm, S64(3) > static_cast<int64_t>(b) ? 1u : 0u)
  IMMOP64(I64GtUImm, U64(3) > b ? 1u : 0u)
  IMMOP64(I64LeSImm, S64(3) <= static_cast<int64_t>(b) ? 1u : 0u)
  IMMOP64(I64LeUImm, U64(3) <= b ? 1u : 0u)
  IMMOP64(I64GeSImm, S64(3) >= static_cast<int64_t>(b) ? 1u : 0u)
  IMMOP64(I64GeUImm, U64(3) >= b ? 1u : 0u)

  // --- float ops with a constant operand ---------------------------------------
#define FIMMOP32(name, expr)               \
  L_##name: {                              \
    float b = BitsToF32(ip[4]);            \
    SETF32(2, expr);                       \
    NEXT(5);                               \
  }
#define FIMMOP64(name, expr)               \
  L_##name: {                              \
    double b = BitsToF64(IMM64(4));        \
    SETF64(2, expr);                       \
    NEXT(6);                               \
  }
  FIMMOP32(F32AddImm, F32(3) + b)
  FIMMOP32(F32SubImm, F32(3) - b)
  FIMMOP32(F32MulImm, F32(3) * b)
  FIMMOP32(F32DivImm, F32(3) / b)
  FIMMOP64(F64AddImm, F64(3) + b)
  FIMMOP64(F64SubImm, F64(3) - b)
  FIMMOP64(F64MulImm, F64(3) * b)
  FIMMOP64(F64DivImm, F64(3) / b)
#undef FIMMOP32
#undef FIMMOP64

  // --- fused pairs (compile/ops.h) ------------------------------------------------
#define LOAD_ADD_IMM(name, T)                                                      \
  L_##name: {                                                                      \
    uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(U32(3) + ip[4])) + ip[5]; \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(TrapKind::kMemoryOutOfBounds); \
    SET(2, LoadMem<T>(mem_base + ea));                                             \
    NEXT(6);                                                                       \
  }
#define LOAD_AT(name, T)                                                           \
  L_##name: {                                                                      \
    uint64_t ea = ip[3];                                                           \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(TrapKind::kMemoryOutOfBounds); \
    SET(2, LoadMem<T>(mem_base + ea));                                             \
    NEXT(4);                                                                       \
  }
#define STORE_AT(name, T)                                                          \
  L_##name: {                                                                      \
    uint64_t ea = ip[2];                                                           \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(TrapKind::kMemoryOutOfBounds); \
    StoreMem<T>(mem_base + ea, static_cast<T>(SLOT(3)));                           \
    NEXT(4);                                                                       \
  }
// `expr` combines x (slot 3) with the loaded value v.
#define OP_LOAD(name, T, set, expr)                                                \
  L_##name: {                                                                      \
    uint64_t ea = static_cast<uint64_t>(U32(4)) + ip[5];                           \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(TrapKind::kMemoryOutOfBounds); \
    T v = LoadMem<T>(mem_base + ea);                                               \
    set(2, expr);                                                                  \
    NEXT(6);                                                                       \
  }
  LOAD_ADD_IMM(I32LoadAddImm, uint32_t)
  LOAD_ADD_IMM(I64LoadAddImm, uint64_t)
  LOAD_AT(I32LoadAt, uint32_t)
  LOAD_AT(I64LoadAt, uint64_t)
  STORE_AT(I32StoreAt, uint32_t)
  STORE_AT(I64StoreAt, uint64_t)
  OP_LOAD(I32AddLoad, uint32_t, SET, U32(3) + v)
  OP_LOAD(I64AddLoad, uint64_t, SET, U64(3) + v)
  OP_LOAD(F32AddLoad, uint32_t, SETF32, F32(3) + BitsToF32(v))
  OP_LOAD(F32SubLoad, uint32_t, SETF32, F32(3) - BitsToF32(v))
  OP_LOAD(F32MulLoad, uint32_t, SETF32, F32(3) * BitsToF32(v))
  OP_LOAD(F64AddLoad, uint64_t, SETF64, F64(3) + BitsToF64(v))
  OP_LOAD(F64SubLoad, uint64_t, SETF64, F64(3) - BitsToF64(v))
  OP_LOAD(F64MulLoad, uint64_t, SETF64, F64(3) * BitsToF64(v))
#undef LOAD_ADD_IMM
#undef LOAD_AT
#undef STORE_AT
#undef OP_LOAD
// Two roundings, as the separate instructions would do: the product is
// stored to a variable first and the build forbids contraction into FMA.
#define MUL_THEN(name, F, set, expr)    \
  L_##name: {                           \
    auto p = F(3) * F(4);               \
    auto c = F(5);                      \
    set(2, expr);                       \
    NEXT(6);                            \
  }
  MUL_THEN(F32MulAdd, F32, SETF32, p + c)
  MUL_THEN(F32MulSub, F32, SETF32, p - c)
  MUL_THEN(F32SubMul, F32, SETF32, c - p)
  MUL_THEN(F64MulAdd, F64, SETF64, p + c)
  MUL_THEN(F64MulSub, F64, SETF64, p - c)
  MUL_THEN(F64SubMul, F64, SETF64, c - p)
#undef MUL_THEN

  // --- SIMD ---------------------------------------------------------------------
#include "wasm/runtime/interpreter_simd.inc"

  // --- fused compare-and-branch ------------------------------------------------
L_BrI32Eqz:
  BRANCH(U32(2) == 0, 3);
L_BrI32Nez:
  BRANCH(U32(2) != 0, 3);
L_BrI64Eqz:
  BRANCH(U64(2) == 0, 3);
L_BrI64Nez:
  BRANCH(U64(2) != 0, 3);
#define BR_RR(name, T, cmp) \
  L_##name:                 \
  BRANCH(static_cast<T>(SLOT(2)) cmp static_cast<T>(SLOT(3)), 4);
#define BR_RI32(name, T, cmp) \
  L_##name:                   \
  BRANCH(static_cast<T>(SLOT(2)) cmp static_cast<T>(ip[3]), 4);
#define BR_RI64(name, T, cmp) \
  L_##name:                   \
  BRANCH(static_cast<T>(SLOT(2)) cmp static_cast<T>(IMM64(3)), 5);
  BR_RR(BrI32Eq, uint32_t, ==)
  BR_RR(BrI32Ne, uint32_t, !=)
  BR_RR(BrI32LtS, int32_t, <)
  BR_RR(BrI32LtU, uint32_t, <)
  BR_RR(BrI32GtS, int32_t, >)
  BR_RR(BrI32GtU, uint32_t, >)
  BR_RR(BrI32LeS, int32_t, <=)
  BR_RR(BrI32LeU, uint32_t, <=)
  BR_RR(BrI32GeS, int32_t, >=)
  BR_RR(BrI32GeU, uint32_t, >=)
  BR_RR(BrI64Eq, uint64_t, ==)
  BR_RR(BrI64Ne, uint64_t, !=)
  BR_RR(BrI64LtS, int64_t, <)
  BR_RR(BrI64LtU, uint64_t, <)
  BR_RR(BrI64GtS, int64_t, >)
  BR_RR(BrI64GtU, uint64_t, >)
  BR_RR(BrI64LeS, int64_t, <=)
  BR_RR(BrI64LeU, uint64_t, <=)
  BR_RR(BrI64GeS, int64_t, >=)
  BR_RR(BrI64GeU, uint64_t, >=)
  BR_RI32(BrI32EqImm, uint32_t, ==)
  BR_RI32(BrI32NeImm, uint32_t, !=)
  BR_RI32(BrI32LtSImm, int32_t, <)
  BR_RI32(BrI32LtUImm, uint32_t, <)
  BR_RI32(BrI32GtSImm, int32_t, >)
  BR_RI32(BrI32GtUImm, uint32_t, >)
  BR_RI32(BrI32LeSImm, int32_t, <=)
  BR_RI32(BrI32LeUImm, uint32_t, <=)
  BR_RI32(BrI32GeSImm, int32_t, >=)
  BR_RI32(BrI32GeUImm, uint32_t, >=)
  BR_RI64(BrI64EqImm, uint64_t, ==)
  BR_RI64(BrI64NeImm, uint64_t, !=)
  BR_RI64(BrI64LtSImm, int64_t, <)
  BR_RI64(BrI64LtUImm, uint64_t, <)
  BR_RI64(BrI64GtSImm, int64_t, >)
  BR_RI64(BrI64GtUImm, uint64_t, >)
  BR_RI64(BrI64LeSImm, int64_t, <=)
  BR_RI64(BrI64LeUImm, uint64_t, <=)
  BR_RI64(BrI64GeSImm, int64_t, >=)
  BR_RI64(BrI64GeUImm, uint64_t, >=)

  // --- coverage probes (CompileOptions::coverage) ------------------------------
L_CovEdge: {
  CoverageMap* cov = store->coverage;
  if (cov != nullptr) {
    uint32_t id = ip[2];
    uint8_t& c = cov->counters[(id ^ cov->prev) & (cov->counters_size - 1)];
    c = static_cast<uint8_t>(c + (c != 255));
    cov->prev = id >> 1;
  }
  NEXT(3);
}
L_CovCmp32:
  RecordCompare(store->coverage, ip[2], 4, U32(3), U32(4));
  NEXT(5);
L_CovCmp32Imm:
  RecordCompare(store->coverage, ip[2], 4, U32(3), ip[4]);
  NEXT(5);
L_CovCmp64:
  RecordCompare(store->coverage, ip[2], 8, U64(3), U64(4));
  NEXT(5);
L_CovCmp64Imm:
  RecordCompare(store->coverage, ip[2], 8, U64(3), IMM64(4));
  NEXT(6);

trap:
  trap.kind = kind;
  trap.func_index = cur->func_index;
  trap.offset = WasmOffsetOf(*module, *cur, static_cast<uint32_t>(ip - code_base));
  store->frame_sp = frame_top;  // unwound below by the caller's bookkeeping
done:
  if (store->fuel_enabled && budget > 0) store->fuel += static_cast<uint64_t>(budget);
  return trap;
}

}  // namespace

HandlerTable InterpreterHandlers() {
  HandlerTable t = nullptr;
  Run(nullptr, nullptr, nullptr, &t);
  return t;
}

Trap Execute(Store* store, FuncInst* func, uint64_t* args) {
  if (func->instance->module->jit_code != nullptr) return ExecuteCompiled(store, func, args);
  CallFrame* saved_frames = store->frame_sp;
  uint64_t* saved_values = store->value_sp;
  Trap t = Run(store, func, args, nullptr);
  store->frame_sp = saved_frames;
  store->value_sp = saved_values;
  return t;
}

}  // namespace palisade::wasm
