// Which frame slots the compiler tier holds in registers at the current
// point of the code it emits (docs/COMPILER.md, "Slots in registers"): the
// bookkeeping only; function_jit.cc emits the moves. A slot is in at most
// one register: a general one, or an xmm one for an f64 that float
// arithmetic computed or read; a dirty one has a value its frame slot does
// not have yet. The registers are caller-saved but for rbp and r14, so anything
// that calls out (helpers, calls, the budget refill) writes dirty ones back
// first and forgets or reloads them after.
#pragma once

#include <stdint.h>

#include "wasm/jit/x64_assembler.h"

namespace palisade::wasm {

class SlotCache {
 public:
  // Indexes [0, kGprs) are general registers, [kGprs, kRegisters) xmm ones.
  static constexpr int kGprs = 8;
  static constexpr int kXmms = 12;
  static constexpr int kRegisters = kGprs + kXmms;
  static constexpr x64::Reg kRegister[kGprs] = {x64::rsi, x64::rdi, x64::r8, x64::r9,
                                                x64::r10, x64::r11, x64::rbp, x64::r14};
  // xmm0, xmm1 and xmm15 stay scratch for the float and SIMD families.
  static constexpr x64::Xmm kXmmRegister[kXmms] = {x64::xmm2,  x64::xmm3,  x64::xmm4,  x64::xmm5,
                                                   x64::xmm6,  x64::xmm7,  x64::xmm8,  x64::xmm9,
                                                   x64::xmm10, x64::xmm11, x64::xmm12, x64::xmm13};
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr bool IsXmm(int r) { return r >= kGprs; }

  // What the registers hold, without dirtiness: the assumption code at a
  // label makes, which every jump to it must establish.
  // `dirty`: bit r set when the label's code takes register r's value to
  // be possibly newer than its frame slot (a loop head whose loop writes
  // the slot: its back-edges then need not write it back).
  // `zext`: bit r set when the code takes register r's upper half to be
  // zero (every jump there makes it so).
  struct Holding {
    uint32_t slot[kRegisters];
    uint32_t dirty = 0;
    uint32_t zext = 0;
  };

  SlotCache() { Forget(); }

  void Forget() {
    for (int i = 0; i < kRegisters; ++i) {
      slot_[i] = kNone;
      dirty_[i] = false;
      used_[i] = 0;
      zext_[i] = false;
    }
  }
  // The register index holding `slot`, or -1.
  int Find(uint32_t slot) const {
    for (int i = 0; i < kRegisters; ++i) {
      if (slot_[i] == slot) return i;
    }
    return -1;
  }
  // A free register index of the kind asked for, else its least recently
  // used one (the caller writes it back if dirty before reusing it).
  int Victim(bool xmm) const {
    const int begin = xmm ? kGprs : 0, end = xmm ? kRegisters : kGprs;
    int best = begin;
    for (int i = begin; i < end; ++i) {
      if (slot_[i] == kNone) return i;
      if (used_[i] < used_[best]) best = i;
    }
    return best;
  }
  // (Re)assigns register r: what was known of its old value goes.
  void Hold(int r, uint32_t slot, bool dirty) {
    slot_[r] = slot;
    dirty_[r] = dirty;
    zext_[r] = false;
    Touch(r);
  }
  void Touch(int r) { used_[r] = ++clock_; }
  void MarkClean(int r) { dirty_[r] = false; }
  void MarkDirty(int r) { dirty_[r] = slot_[r] != kNone; }
  void Drop(int r) {
    slot_[r] = kNone;
    dirty_[r] = false;
    zext_[r] = false;
  }
  // Register r's upper 32 bits are known zero: a 32-bit instruction wrote
  // it since it was (re)assigned. Only the code that emitted that
  // instruction says so, and a loop head's back-edges keep it so.
  void SetZeroExtended(int r) { zext_[r] = true; }
  bool zero_extended(int r) const { return slot_[r] != kNone && zext_[r]; }
  uint32_t slot(int r) const { return slot_[r]; }
  bool dirty(int r) const { return slot_[r] != kNone && dirty_[r]; }
  bool empty() const {
    for (int i = 0; i < kRegisters; ++i) {
      if (slot_[i] != kNone) return false;
    }
    return true;
  }
  Holding holding() const {
    Holding h;
    for (int i = 0; i < kRegisters; ++i) {
      h.slot[i] = slot_[i];
      if (dirty(i)) h.dirty |= 1u << i;
      if (zero_extended(i)) h.zext |= 1u << i;
    }
    return h;
  }

 private:
  uint32_t slot_[kRegisters];
  bool dirty_[kRegisters];
  bool zext_[kRegisters];
  uint64_t used_[kRegisters];
  uint64_t clock_ = 0;
};

}  // namespace palisade::wasm
