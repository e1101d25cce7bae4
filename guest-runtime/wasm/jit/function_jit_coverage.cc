// palisade fuzz's coverage probes in compiled code (compile/ops.h, "Coverage
// probes"): the same edge counters and compare records the interpreter
// writes (runtime/interpreter.cc, L_CovEdge/L_CovCmp*), inline, so a fuzzing
// run sees identical coverage on either tier and pays no helper call a block.
#include <stddef.h>

#include "wasm/jit/jit_context.h"
#include "wasm/jit/jit_emitter.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {
namespace {

using namespace x64;  // NOLINT: the assembler's registers read best bare

Mem Field(Reg base, size_t offset) { return Mem{base, static_cast<int32_t>(offset)}; }

// rax = the store's CoverageMap; jumps to `none` when there is none.
void LoadCoverageMap(Assembler& a, Label* none) {
  a.Mov(k64, rax, Field(kJitCtx, offsetof(JitContext, store)));
  a.Mov(k64, rax, Field(rax, offsetof(Store, coverage)));
  a.Test(k64, rax, rax);
  a.Jcc(kE, none);
}

// counters[(id ^ prev) & (size - 1)] += 1, saturating at 255; prev = id >> 1.
void Edge(Assembler& a, uint32_t id) {
  Label done, full;
  LoadCoverageMap(a, &done);
  a.Mov(k32, rcx, Field(rax, offsetof(CoverageMap, prev)));
  a.OpImm(Alu::kXor, k32, rcx, static_cast<int32_t>(id));
  a.Mov(k32, rdx, Field(rax, offsetof(CoverageMap, counters_size)));
  a.OpImm(Alu::kSub, k32, rdx, 1);
  a.Op(Alu::kAnd, k32, rcx, rdx);
  a.Mov(k64, rdx, Field(rax, offsetof(CoverageMap, counters)));
  const Mem counter{rdx, 0, rcx};
  a.Movzx8(rsi, counter);
  a.OpImm(Alu::kCmp, k32, rsi, 255);
  a.Jcc(kE, &full);
  a.OpImm(Alu::kAdd, k32, rsi, 1);
  a.Mov8(counter, rsi);
  a.Bind(&full);
  a.MovImm32(k32, Field(rax, offsetof(CoverageMap, prev)), static_cast<int32_t>(id >> 1));
  a.Bind(&done);
}

// cmps[site & (slots - 1)] = {site, size, a, b}; `b_slot` or, without one, `b_imm`.
void Compare(Assembler& a, uint32_t site, uint32_t size, Width w, uint32_t a_slot, bool b_in_slot,
             uint32_t b_slot, uint64_t b_imm) {
  Label done;
  LoadCoverageMap(a, &done);
  a.Mov(k32, rcx, Field(rax, offsetof(CoverageMap, cmp_slots)));
  a.Test(k32, rcx, rcx);
  a.Jcc(kE, &done);
  a.OpImm(Alu::kSub, k32, rcx, 1);
  a.OpImm(Alu::kAnd, k32, rcx, static_cast<int32_t>(site));
  a.ImulImm(k64, rcx, rcx, static_cast<int32_t>(sizeof(CmpRecord)));
  a.Op(Alu::kAdd, k64, rcx, Field(rax, offsetof(CoverageMap, cmps)));
  a.MovImm32(k32, Field(rcx, offsetof(CmpRecord, site)), static_cast<int32_t>(site));
  a.MovImm32(k32, Field(rcx, offsetof(CmpRecord, size)), static_cast<int32_t>(size));
  a.Mov(w, rdx, JitSlot(a_slot));  // a 32-bit load zero-extends, as U32() does
  a.Mov(k64, Field(rcx, offsetof(CmpRecord, a)), rdx);
  if (b_in_slot) {
    a.Mov(w, rdx, JitSlot(b_slot));
  } else {
    a.MovImm(rdx, b_imm);
  }
  a.Mov(k64, Field(rcx, offsetof(CmpRecord, b)), rdx);
  a.Bind(&done);
}

}  // namespace

uint32_t EmitCoverage(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip) {
  switch (op) {
    case Op::kCovEdge:
      Edge(e.a, ip[2]);
      return 3;
    case Op::kCovCmp32:
      Compare(e.a, ip[2], 4, k32, ip[3], true, ip[4], 0);
      return 5;
    case Op::kCovCmp32Imm:
      Compare(e.a, ip[2], 4, k32, ip[3], false, 0, ip[4]);
      return 5;
    case Op::kCovCmp64:
      Compare(e.a, ip[2], 8, k64, ip[3], true, ip[4], 0);
      return 5;
    case Op::kCovCmp64Imm:
      Compare(e.a, ip[2], 8, k64, ip[3], false, 0, e.Word64(w + 4));
      return 6;
    default:
      return 0;
  }
}

}  // namespace palisade::wasm
