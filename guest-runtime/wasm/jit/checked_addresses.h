// Which bounds checks the compiler tier has already made on the current
// path (docs/COMPILER.md, "Bounds checks"): "the address in slot s, plus
// `end` bytes, is inside memory". Memory never shrinks, so such a fact
// holds until slot s is written or paths merge at a label; function_jit.cc
// says when (Wrote, Forget) and skips a check a fact covers.
#pragma once

#include <stdint.h>

namespace palisade::wasm {

class CheckedAddresses {
 public:
  static constexpr int kEntries = 4;

  void Forget() { n_ = 0; }
  bool Covers(uint32_t slot, uint32_t end) const {
    for (int i = 0; i < n_; ++i) {
      if (slot_[i] == slot && end_[i] >= end) return true;
    }
    return false;
  }
  // After a check of `end` bytes at slot's address passed.
  void Add(uint32_t slot, uint32_t end) {
    for (int i = 0; i < n_; ++i) {
      if (slot_[i] == slot) {
        if (end > end_[i]) end_[i] = end;
        return;
      }
    }
    if (n_ == kEntries) {  // the oldest goes
      for (int i = 1; i < n_; ++i) slot_[i - 1] = slot_[i], end_[i - 1] = end_[i];
      --n_;
    }
    slot_[n_] = slot;
    end_[n_] = end;
    ++n_;
  }
  // The slot has a new value: what was checked for the old one is void.
  void Wrote(uint32_t slot) {
    for (int i = 0; i < n_; ++i) {
      if (slot_[i] != slot) continue;
      for (int j = i + 1; j < n_; ++j) slot_[j - 1] = slot_[j], end_[j - 1] = end_[j];
      --n_;
      return;
    }
  }

 private:
  uint32_t slot_[kEntries];
  uint32_t end_[kEntries];
  int n_ = 0;
};

}  // namespace palisade::wasm
