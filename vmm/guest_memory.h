// Guest-physical memory: one memfd-backed host mapping of [0, size) and the
// list of ranges actually exposed to the guest (with their access). Every
// guest-supplied address goes through Read()/Write(), which check it against
// those ranges without integer overflow; nothing else indexes this memory
// with guest numbers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "vmm/mapping.h"

namespace palisade {

class GuestMemory {
 public:
  enum class Access { kReadOnly, kReadWrite };
  struct Region {
    uint64_t gpa;
    uint64_t size;
    Access access;
    std::string name;
  };

  // Allocates `size` bytes (a multiple of 4 KiB), all zero. Untouched pages
  // cost nothing (MAP_NORESERVE on a memfd).
  static absl::StatusOr<GuestMemory> Create(uint64_t size);

  // Declares [gpa, gpa + size) as guest-visible. Regions must not overlap.
  absl::Status AddRegion(uint64_t gpa, uint64_t size, Access access, std::string name);

  // Checked views for data the guest named. Errors say which range was bad and
  // why; they are InvalidArgument (the guest's fault), never a crash.
  absl::StatusOr<std::span<const uint8_t>> Read(uint64_t gpa, uint64_t len) const;
  absl::StatusOr<std::span<uint8_t>> Write(uint64_t gpa, uint64_t len);

  // Host-side access for the VMM's own setup (page tables, image loading).
  // The caller owns the bounds; CHECKed anyway.
  uint8_t* HostAddress(uint64_t gpa, uint64_t len);

  uint64_t size() const { return size_; }
  uint8_t* host_base() const { return mapping_.data(); }
  const std::vector<Region>& regions() const { return regions_; }
  int memfd() const { return memfd_.get(); }

 private:
  GuestMemory(UniqueFd memfd, Mapping mapping, uint64_t size)
      : memfd_(std::move(memfd)), mapping_(std::move(mapping)), size_(size) {}
  const Region* Find(uint64_t gpa, uint64_t len, std::string* why) const;

  UniqueFd memfd_;
  Mapping mapping_;
  uint64_t size_ = 0;
  std::vector<Region> regions_;
};

}  // namespace palisade
