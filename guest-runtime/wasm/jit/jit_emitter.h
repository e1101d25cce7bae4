// What the compiler tier's per-family emitters share with the translator
// (function_jit.cc): the assembler, the fixed registers, frame slots, trap
// exits and bounds-checked addresses. Each family of internal instructions
// (function_jit_float.cc, ...) is one function over this interface.
#pragma once

#include <stdint.h>

#include "wasm/compile/ops.h"
#include "wasm/jit/x64_assembler.h"

namespace palisade::wasm {

// The fixed registers (docs/COMPILER.md).
inline constexpr x64::Reg kJitFrame = x64::rbx, kJitCtx = x64::r13, kJitMemBase = x64::r15,
                          kJitBudget = x64::r12;

// A frame slot: [rbx + 8 * slot].
inline x64::Mem JitSlot(uint32_t s) { return x64::Mem{kJitFrame, static_cast<int32_t>(s * 8)}; }

// A trap kind that is in eax at the jump (a helper's answer), not a constant.
inline constexpr uint8_t kJitDynamicTrap = 0xff;

class JitEmitter {
 public:
  x64::Assembler& a;

  explicit JitEmitter(x64::Assembler& assembler) : a(assembler) {}
  // A label that raises `kind` (or kJitDynamicTrap) naming code word `word`.
  virtual x64::Label* Trap(uint8_t kind, uint32_t word) = 0;
  // The operand of an access of `size` bytes at the slot's address plus
  // `offset`, bounds-checked; it indexes by rax (and rcx is clobbered).
  virtual x64::Mem Address(uint32_t addr_slot, uint32_t offset, int size, uint32_t word) = 0;
  // Two code words from `w` as one 64-bit immediate.
  virtual uint64_t Word64(uint32_t w) const = 0;

  // Frame slots, wherever they are (a register or the frame: the
  // translator's slot cache, function_jit.cc). Families that call these
  // leave the cache consistent; the others see every slot in memory.
  // dst = the slot (k32: its low half, zero-extended).
  virtual void LoadSlot(x64::Width w, x64::Reg dst, uint32_t slot) = 0;
  // The slot = src (all 64 bits).
  virtual void StoreSlot(uint32_t slot, x64::Reg src) = 0;
  // x = the slot's float (f64: 64 bits, else 32; the rest of x zeroed).
  virtual void LoadSlotXmm(bool f64, x64::Xmm x, uint32_t slot) = 0;
  // x = x <op> the slot's float (an SSE arithmetic `prefix 0f op`).
  virtual void SseSlot(bool f64, uint8_t prefix, uint16_t op, x64::Xmm x, uint32_t slot) = 0;
  // The register holding the slot's float: its own xmm register when it is
  // in one, else `scratch`, loaded.
  virtual x64::Xmm FloatIn(bool f64, x64::Xmm scratch, uint32_t slot) = 0;
  // The register to compute slot d's float in, holding operand a's value;
  // EndFloat(f64, d, x) then makes x's value d's. `d_read_later`: d is
  // also an operand read after this (the result must not overwrite it).
  virtual x64::Xmm BeginFloat(bool f64, uint32_t d, uint32_t a, bool d_read_later) = 0;
  virtual void EndFloat(bool f64, uint32_t d, x64::Xmm x) = 0;
  // The register slot d's new f64 is to be computed in (its own, when
  // slots are in registers; else xmm0): EndFloat then stores it.
  virtual x64::Xmm FloatResult(uint32_t d) = 0;
  // The slot is in an xmm register, and the current instruction reads it
  // for the last time.
  virtual bool LastReadInXmm(uint32_t slot) const = 0;
  // Every slot back in the frame, none in a register: before reading the
  // frame directly or calling out.
  virtual void SpillSlots() = 0;
  // Calls a runtime helper (System V; arguments already in place), keeping
  // the stack aligned.
  void CallHelper(const void* helper) {
    a.OpImm(x64::Alu::kSub, x64::k64, x64::rsp, 8);
    a.CallAbsolute(reinterpret_cast<uintptr_t>(helper));
    a.OpImm(x64::Alu::kAdd, x64::k64, x64::rsp, 8);
  }

 protected:
  ~JitEmitter() = default;
};

// The floating-point instructions (function_jit_float.cc): the length in
// code words of the one at `w`, or 0 if it is not one of them. They use
// the slot accessors above, xmm0, xmm1, xmm15, rax, rcx and rdx, and call
// SpillSlots before a helper.
uint32_t EmitFloat(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip);
// The v128 instructions (function_jit_simd.cc), the same way.
uint32_t EmitSimd(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip);
// palisade fuzz's coverage probes (function_jit_coverage.cc), likewise.
uint32_t EmitCoverage(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip);

}  // namespace palisade::wasm
