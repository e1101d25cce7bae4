// Which slots hold nothing the code still needs at a given code word
// (docs/COMPILER.md, "Slots in registers"), so a jump there need not write
// their registers back to the frame. The compiler tier's first pass over a
// function notes, in order, every slot its instructions read or write, the
// slots a call clobbers (its callee's frame and everything above), the
// jumps and conditional branches with their targets, the returns (which
// read only the results) and the points where the frame is read
// wholesale (helpers, SIMD, coverage probes): barriers. Dead() then
// follows the paths from a word, through branches and jumps, for a few
// hundred notes: a slot is dead if every path writes or clobbers it
// before reading it, or returns without reading it. A barrier, the
// horizon or too many forks answer "live", so the answer is never wrong,
// only sometimes "live" when it is not.
#pragma once

#include <stdint.h>

#include "wasm/support/vec.h"

namespace palisade::wasm {

class DeadSlots {
 public:
  enum Kind : uint8_t {
    kRead,         // slot: read
    kWrite,        // slot: written
    kClobberFrom,  // slot: every slot from it up is changed (a call)
    kBranch,       // slot: a code word index that may be jumped to
    kJump,         // slot: the code word index that is always jumped to
    kReturn,       // slot: how many slots, from 0, are read after it (0: a trap)
    kBarrier,      // anything may be read
  };
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint32_t kHorizon = 384;  // notes followed per question
  static constexpr int kForks = 6;           // paths followed per question
  static constexpr uint32_t kShortHorizon = 160;
  static constexpr int kShortForks = 4;

  // A new function of `words` code words; false when out of memory.
  [[nodiscard]] bool Reset(size_t words) {
    notes_.clear();
    first_note_.clear();
    if (!first_note_.resize(words + 1)) return false;
    for (size_t i = 0; i <= words; ++i) first_note_[i] = kNone;
    return true;
  }
  // The instruction at code word index `w` starts here.
  void Begin(uint32_t w) {
    if (first_note_[w] == kNone) first_note_[w] = static_cast<uint32_t>(notes_.size());
  }
  [[nodiscard]] bool Note(uint32_t slot, Kind kind) { return notes_.push_back(Entry{slot, kind}); }

  // Does anything from code word index `from` up to (not including)
  // `to`, in code order, write or clobber `slot`?
  bool WrittenBetween(uint32_t from, uint32_t to, uint32_t slot) const {
    if (!Noted(from, to)) return true;
    for (size_t i = first_note_[from]; i < first_note_[to]; ++i) {
      const Entry& e = notes_[i];
      if ((e.kind == kWrite && e.slot == slot) || (e.kind == kClobberFrom && slot >= e.slot)) return true;
    }
    return false;
  }
  // How many distinct slots that `counts` takes the code from `from` up to
  // `to` names, counting no further than `limit` (a measure of a loop's
  // register pressure).
  template <typename Counts>
  int SlotsBetween(uint32_t from, uint32_t to, int limit, Counts counts) const {
    if (!Noted(from, to)) return limit;
    uint32_t seen[64];
    int n = 0;
    for (size_t i = first_note_[from]; i < first_note_[to] && n < limit && n < 64; ++i) {
      const Entry& e = notes_[i];
      if ((e.kind != kRead && e.kind != kWrite) || !counts(e.slot)) continue;
      bool found = false;
      for (int k = 0; k < n && !found; ++k) found = seen[k] == e.slot;
      if (!found) seen[n++] = e.slot;
    }
    return n;
  }
  // Is `slot` dead on entry to code word index `w`?
  bool Dead(uint32_t w, uint32_t slot) const {
    uint32_t steps = kHorizon;
    int forks = kForks;
    return DeadFrom(w, slot, &steps, &forks, false);
  }
  // Is `slot` dead once the instruction at word index `w` has read it (its
  // first read there)? Asked for most operands, so it looks less far.
  bool DeadAfterRead(uint32_t w, uint32_t slot) const {
    uint32_t steps = kShortHorizon;
    int forks = kShortForks;
    return DeadFrom(w, slot, &steps, &forks, true);
  }

 private:
  // Both words began an instruction of the first pass (their notes are known).
  bool Noted(uint32_t from, uint32_t to) const {
    return from < first_note_.size() && to < first_note_.size() && first_note_[from] != kNone &&
           first_note_[to] != kNone;
  }

  struct Entry {
    uint32_t slot;
    Kind kind;
  };

  bool DeadFrom(uint32_t w, uint32_t slot, uint32_t* steps, int* forks, bool skip_read) const {
    if (w >= first_note_.size() || first_note_[w] == kNone || --*forks < 0) return false;
    for (size_t i = first_note_[w]; i < notes_.size(); ++i) {
      if (*steps == 0) return false;
      --*steps;
      const Entry& e = notes_[i];
      switch (e.kind) {
        case kBarrier: return false;
        case kRead:
          if (e.slot == slot) {
            if (!skip_read) return false;
            skip_read = false;
          }
          break;
        case kWrite: if (e.slot == slot) return true; break;
        case kClobberFrom: if (slot >= e.slot) return true; break;
        case kReturn: return slot >= e.slot;
        case kJump: return !skip_read && DeadFrom(e.slot, slot, steps, forks, false);
        case kBranch: if (skip_read || !DeadFrom(e.slot, slot, steps, forks, false)) return false; break;
      }
    }
    return false;
  }

  Vec<Entry> notes_;
  Vec<uint32_t> first_note_;  // per word index, its first note
};

}  // namespace palisade::wasm
