// Compiled Wasm made executable in process (`--in-process`, tests,
// benchmarks): written into pages of a code arena reserved near the binary
// (so rel32 calls reach the runtime's helpers), checked by vmm/code_check.h,
// and only then sealed read+execute, never writable again. The micro-VM
// path makes the same check on the host before mapping code into the guest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>

#include "absl/status/statusor.h"

namespace palisade {

class SealedCode {
 public:
  // `write(load_address, dst)` fills the `size` bytes at `dst`, which will
  // run at `load_address` (apply relocations there); false fails the seal.
  // `helpers`: the helper entries the code may call (the check's rule 4).
  // `functions`: where functions start, ascending (the check's boundary
  // hints: they only let it split the work).
  static absl::StatusOr<SealedCode> Seal(size_t size, std::span<const uint64_t> helpers,
                                         const std::function<bool(uint64_t, uint8_t*)>& write,
                                         std::span<const uint32_t> functions = {});

  SealedCode(SealedCode&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), mapped_(std::exchange(o.mapped_, 0)), size_(o.size_) {}
  SealedCode& operator=(SealedCode&& o) noexcept;
  SealedCode(const SealedCode&) = delete;
  SealedCode& operator=(const SealedCode&) = delete;
  ~SealedCode();  // the pages go back to the arena

  const uint8_t* base() const { return base_; }
  size_t size() const { return size_; }

 private:
  SealedCode(uint8_t* base, size_t mapped, size_t size) : base_(base), mapped_(mapped), size_(size) {}
  uint8_t* base_ = nullptr;
  size_t mapped_ = 0;
  size_t size_ = 0;
};

}  // namespace palisade
