// A micro-VM's code region (docs/COMPILER.md, "Sealing"): the guest-physical
// range where the guest's compiled Wasm runs. The guest maps it read+execute
// and can never write it -- its slot is read-only and the page tables, which
// are the host's, say R+X -- so every byte in it is one the host put there
// after the code check (vmm/code_check.h) passed it. The guest asks with
// the kSealCode hypercall and gives room back with kReleaseCode.
//
// A copyable value: a snapshot keeps the region's allocation as it was, and
// a reset puts it back together with the memory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/elf_image.h"
#include "vmm/guest_memory.h"

namespace palisade {

// The runtime helpers compiled code may call: the entry of every function
// the image's symbol table names PalisadeJit* (guest-runtime/wasm/jit/
// jit_context.h). The host takes them from the image it audited, never
// from the guest.
std::vector<uint64_t> ImageJitHelpers(const ElfImage& image);

struct CodeSealFigures {
  uint64_t modules = 0;   // sealed so far
  uint64_t bytes = 0;     // of code sealed so far
  uint64_t check_ns = 0;  // spent in the code check
};

class CodeRegion {
 public:
  CodeRegion() = default;  // no region: every seal is refused for room
  CodeRegion(uint64_t gpa, uint64_t bytes, std::vector<uint64_t> helpers);

  // Applies `relocations` to a copy of `code` for the place it gets, checks
  // it and writes it there. Returns its guest address, or 0 when the region
  // has no room for it. Relocations that do not name a helper, fall outside
  // the code or carry a nonzero reserved field are InvalidArgument; code the
  // check refuses is FailedPrecondition naming the first violation. Either
  // ends the sandbox.
  //
  // `entries`, optional, name the code's functions in crash reports: each
  // one's offset in `code`, ascending, the first being Wasm function
  // `first_function`. Out of order or past the code is InvalidArgument.
  absl::StatusOr<uint64_t> Seal(GuestMemory& memory, std::span<const uint8_t> code,
                                std::span<const abi::SealRelocation> relocations,
                                std::span<const uint32_t> entries = {}, uint32_t first_function = 0);
  // Gives back the room of the code sealed at `gpa` (which must be one),
  // filling it with int3 so a stale jump into it faults.
  absl::Status Release(GuestMemory& memory, uint64_t gpa);

  // The sealed code holding `address`, for crash reports: where its block
  // starts (the address Seal returned) and its length in whole blocks.
  // With the Wasm function there, when the guest named the entries.
  struct Block {
    uint64_t gpa = 0;
    uint64_t bytes = 0;
    std::optional<uint32_t> function;
    uint64_t function_gpa = 0;  // that function's entry
  };
  std::optional<Block> BlockAt(uint64_t address) const;
  bool Contains(uint64_t address) const { return address >= gpa_ && address - gpa_ < bytes_; }

  uint64_t gpa() const { return gpa_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t bytes_in_use() const;
  const CodeSealFigures& figures() const { return figures_; }

 private:
  uint64_t gpa_ = 0;
  uint64_t bytes_ = 0;
  // Sorted; shared, because a reset copies the region back from its
  // snapshot on every warm call.
  std::shared_ptr<const std::vector<uint64_t>> helpers_;
  struct Sealed {
    uint64_t bytes = 0;
    uint32_t first_function = 0;
    // Shared: a reset copies the region back on every warm call.
    std::shared_ptr<const std::vector<uint32_t>> entries;
  };
  std::map<uint64_t, Sealed> blocks_;  // by offset in the region
  CodeSealFigures figures_;
};

}  // namespace palisade
