// Compiled Wasm made executable in process (`--in-process`, tests,
// benchmarks): written into a fresh mapping near the binary, so rel32 calls
// reach the runtime's helpers; checked by vmm/code_check.h; only then sealed
// read+execute, never writable again. The micro-VM path makes the same
// check on the host before mapping the code into the guest.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "absl/status/statusor.h"
#include "vmm/mapping.h"

namespace palisade {

class SealedCode {
 public:
  // `write(load_address, dst)` fills the `size` bytes at `dst`, which will
  // run at `load_address` (apply relocations there); false fails the seal.
  // `helpers`: the helper entries the code may call (the check's rule 4).
  static absl::StatusOr<SealedCode> Seal(size_t size, std::span<const uint64_t> helpers,
                                         const std::function<bool(uint64_t, uint8_t*)>& write);

  const uint8_t* base() const { return mapping_.data(); }
  size_t size() const { return size_; }

 private:
  SealedCode(Mapping m, size_t size) : mapping_(std::move(m)), size_(size) {}
  Mapping mapping_;
  size_t size_ = 0;
};

}  // namespace palisade
