// An owned mmap(2) region: unmapped exactly once, movable, never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/statusor.h"

namespace palisade {

class Mapping {
 public:
  // mmap(nullptr, size, prot, flags, fd, offset); errors name `what`.
  static absl::StatusOr<Mapping> Create(size_t size, int prot, int flags, int fd,
                                        off_t offset, const char* what);
  // An anonymous private mapping placed within `reach` bytes of `near`
  // (compiled code whose rel32 calls must reach the helpers in the binary);
  // ResourceExhausted if the kernel places none there.
  static absl::StatusOr<Mapping> CreateNear(size_t size, int prot, uint64_t near, uint64_t reach,
                                            const char* what);

  // An anonymous private read-write mapping whose start is a multiple of
  // `align` (a power of two), trimmed so nothing else is left mapped.
  static absl::StatusOr<Mapping> CreateAligned(size_t size, size_t align, const char* what);

  Mapping() = default;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { Reset(); }

  uint8_t* data() const { return static_cast<uint8_t*>(data_); }
  size_t size() const { return size_; }

 private:
  Mapping(void* data, size_t size) : data_(data), size_(size) {}
  void Reset();

  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace palisade
