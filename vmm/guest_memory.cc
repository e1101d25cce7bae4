#include "vmm/guest_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_format.h"
#include "common/errno_status.h"

namespace palisade {

absl::StatusOr<GuestMemory> GuestMemory::Create(uint64_t size) {
  if (size == 0 || size % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("guest memory size %d is not a positive multiple of 4096", size));
  }
  UniqueFd fd(::memfd_create("palisade-guest", MFD_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "memfd_create");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return ErrnoError(errno, "ftruncate of guest memory");
  }
  auto mapping = Mapping::Create(size, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_NORESERVE, fd.get(), 0,
                                 "guest memory");
  if (!mapping.ok()) return mapping.status();
  return GuestMemory(std::move(fd), *std::move(mapping), size);
}

absl::Status GuestMemory::AddRegion(uint64_t gpa, uint64_t size, Access access,
                                    std::string name) {
  if (size == 0 || gpa > size_ || size > size_ - gpa) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "region %s [%#x, +%#x) does not fit in %#x bytes of guest memory", name,
        gpa, size, size_));
  }
  for (const Region& r : regions_) {
    if (gpa < r.gpa + r.size && r.gpa < gpa + size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("region %s overlaps region %s", name, r.name));
    }
  }
  regions_.push_back(Region{gpa, size, access, std::move(name)});
  return absl::OkStatus();
}

const GuestMemory::Region* GuestMemory::Find(uint64_t gpa, uint64_t len,
                                             std::string* why) const {
  for (const Region& r : regions_) {
    if (gpa < r.gpa || gpa - r.gpa >= r.size) continue;
    // Overflow-safe: compare the length against what is left of the region.
    if (len > r.size - (gpa - r.gpa)) {
      *why = absl::StrFormat("runs past the end of %s (%#x bytes left)", r.name,
                             r.size - (gpa - r.gpa));
      return nullptr;
    }
    return &r;
  }
  *why = "is not guest memory";
  return nullptr;
}

absl::StatusOr<std::span<const uint8_t>> GuestMemory::Read(uint64_t gpa,
                                                           uint64_t len) const {
  std::string why;
  if (len == 0) return std::span<const uint8_t>();
  const Region* r = Find(gpa, len, &why);
  if (r == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("guest range [%#x, +%#x) %s", gpa, len, why));
  }
  return std::span<const uint8_t>(mapping_.data() + gpa, len);
}

absl::StatusOr<std::span<uint8_t>> GuestMemory::Write(uint64_t gpa, uint64_t len) {
  std::string why;
  if (len == 0) return std::span<uint8_t>();
  const Region* r = Find(gpa, len, &why);
  if (r == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("guest range [%#x, +%#x) %s", gpa, len, why));
  }
  if (r->access != Access::kReadWrite) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "guest range [%#x, +%#x) lies in %s, which is read-only", gpa, len, r->name));
  }
  return std::span<uint8_t>(mapping_.data() + gpa, len);
}

uint8_t* GuestMemory::HostAddress(uint64_t gpa, uint64_t len) {
  if (gpa > size_ || len > size_ - gpa) std::abort();  // VMM bug, not guest input
  return mapping_.data() + gpa;
}

}  // namespace palisade
