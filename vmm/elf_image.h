// The guest image: a static x86-64 ELF executable, parsed and checked once.
// Anything malformed is refused with the reason (file offsets included):
// bad header, segments outside the file or the load window, overlapping or
// W+X segments, an entry point outside executable code, broken symbol tables,
// a ring-0 segment that is writable, not executable, one of several, or the
// one holding the entry point.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade {

class GuestMemory;

struct ElfSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t filesz = 0;
  uint64_t offset = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  // Ring 0's code (abi PALISADE_ABI_PF_RING0): mapped supervisor-only.
  bool supervisor = false;
};

struct ElfSymbol {
  std::string name;
  uint64_t address = 0;
  uint64_t size = 0;
};

struct ElfLoadWindow {
  uint64_t begin;  // lowest address a segment may occupy
  uint64_t end;    // one past the highest
};

// Where a guest image may load: from abi::kImageBase, at most 64 MiB.
ElfLoadWindow GuestImageWindow();

class ElfImage {
 public:
  static absl::StatusOr<ElfImage> Parse(std::span<const uint8_t> file,
                                        ElfLoadWindow window);

  uint64_t entry() const { return entry_; }
  // PT_LOAD segments, sorted by address, page-aligned, non-overlapping.
  const std::vector<ElfSegment>& segments() const { return segments_; }
  // The segment of ring-0 exception stubs, if the image has one (at most one,
  // read+execute, not holding the entry point).
  const ElfSegment* ring0_segment() const;
  // Lowest and one-past-highest page-aligned address the image occupies.
  uint64_t begin() const { return segments_.front().vaddr; }
  uint64_t end() const;

  // Copies every segment into guest memory at its address and zero-fills
  // the rest of it (bss). The caller has checked the window fits.
  void LoadInto(GuestMemory& memory) const;

  // Function symbol containing `address`, if the image has a symbol table.
  const ElfSymbol* FindFunction(uint64_t address) const;
  // Every function symbol, by address.
  const std::vector<ElfSymbol>& functions() const { return functions_; }

 private:
  uint64_t entry_ = 0;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSymbol> functions_;  // sorted by address
  std::vector<uint8_t> file_;
};

}  // namespace palisade
