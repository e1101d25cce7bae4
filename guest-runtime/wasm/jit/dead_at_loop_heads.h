// Which slots hold nothing a loop still needs when it branches back to its
// head (docs/COMPILER.md, "Slots in registers"), so a back-edge need not
// write their registers back to the frame. The compiler tier's first pass
// over a function notes, in order, every slot its instructions read or
// write and every point where paths part (branches) or the frame is read
// wholesale (calls, helpers, spills): a barrier. A slot whose first note
// after a loop head, before any barrier, is a write is dead at the head:
// every path from the head overwrites it before anything reads it. Past
// the first barrier nothing is concluded, so the answer is never wrong,
// only sometimes "live" when it is not.
#pragma once

#include <stdint.h>

#include "wasm/support/vec.h"

namespace palisade::wasm {

class DeadAtLoopHeads {
 public:
  enum Kind : uint8_t { kRead, kWrite, kBarrier };
  static constexpr uint32_t kNone = 0xffffffffu;
  // How far past a head to look: keeps the compile linear in the code.
  static constexpr uint32_t kHorizon = 256;

  // A new function of `words` code words; false when out of memory.
  [[nodiscard]] bool Reset(size_t words) {
    notes_.clear();
    dead_.clear();
    first_note_.clear();
    first_dead_.clear();
    if (!first_note_.resize(words) || !first_dead_.resize(words)) return false;
    for (size_t i = 0; i < words; ++i) first_note_[i] = first_dead_[i] = kNone;
    return true;
  }
  // The instruction at code word index `w` starts here.
  void Begin(uint32_t w) {
    if (first_note_[w] == kNone) first_note_[w] = static_cast<uint32_t>(notes_.size());
  }
  [[nodiscard]] bool Note(uint32_t slot, Kind kind) { return notes_.push_back(Entry{slot, kind}); }
  // After the first pass: the dead slots at every word index `is_head` says is a loop head.
  template <typename IsHead>
  [[nodiscard]] bool Compute(IsHead is_head) {
    for (size_t w = 0; w < first_note_.size(); ++w) {
      if (!is_head(w) || first_note_[w] == kNone) continue;
      const uint32_t begin = static_cast<uint32_t>(dead_.size());
      const size_t start = first_note_[w];
      for (size_t i = start; i < notes_.size() && i < start + kHorizon; ++i) {
        const Entry& e = notes_[i];
        if (e.kind == kBarrier) break;
        if (Seen(start, i, e.slot)) continue;
        if (e.kind == kWrite && !dead_.push_back(e.slot)) return false;
      }
      if (!dead_.push_back(kNone)) return false;  // the end of this head's list
      first_dead_[w] = begin;
    }
    return true;
  }
  bool Dead(uint32_t head, uint32_t slot) const {
    if (first_dead_[head] == kNone) return false;
    for (size_t i = first_dead_[head]; dead_[i] != kNone; ++i) {
      if (dead_[i] == slot) return true;
    }
    return false;
  }

 private:
  struct Entry {
    uint32_t slot;
    Kind kind;
  };
  bool Seen(size_t from, size_t to, uint32_t slot) const {
    for (size_t i = from; i < to; ++i) {
      if (notes_[i].kind != kBarrier && notes_[i].slot == slot) return true;
    }
    return false;
  }

  Vec<Entry> notes_;
  Vec<uint32_t> dead_;        // per head, its dead slots, each list ended by kNone
  Vec<uint32_t> first_note_;  // per word index, its first note
  Vec<uint32_t> first_dead_;  // per word index, where its list starts in dead_
};

}  // namespace palisade::wasm
