#include "vmm/guest_memory.h"

#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <cstdlib>

#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "common/status_macros.h"
#include "vmm/x86.h"

namespace palisade {

absl::StatusOr<GuestMemory> GuestMemory::Create(uint64_t size, Backing backing) {
  if (size == 0 || size % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("guest memory size %d is not a positive multiple of 4096", size));
  }
  if (backing == Backing::kOneShot) {
    // KVM maps a guest 2 MiB page with one shadow or EPT entry only when the
    // host's pages under it are one huge page, which needs a 2 MiB-aligned
    // host address. The advice is a request: with THP off, this is plain
    // anonymous memory and works the same, only slower to first touch.
    ASSIGN_OR_RETURN(Mapping mapping, Mapping::CreateAligned(size, x86::kPage2M, "guest memory"));
    if (::madvise(mapping.data(), size, MADV_HUGEPAGE) != 0 && errno != EINVAL) {
      return ErrnoError(errno, "madvise(MADV_HUGEPAGE) of guest memory");
    }
    return GuestMemory(UniqueFd(), std::move(mapping), size, false);
  }
  UniqueFd fd(::memfd_create("palisade-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError(errno, "memfd_create");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return ErrnoError(errno, "ftruncate of guest memory");
  }
  auto mapping = Mapping::Create(size, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_NORESERVE, fd.get(), 0,
                                 "guest memory");
  if (!mapping.ok()) return mapping.status();
  return GuestMemory(std::move(fd), *std::move(mapping), size, false);
}

absl::StatusOr<GuestMemory> GuestMemory::MapSnapshot(int memfd, uint64_t size) {
  if (size == 0 || size % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("snapshot size %d is not a positive multiple of 4096", size));
  }
  auto mapping = Mapping::Create(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
                                 memfd, 0, "snapshot view of guest memory");
  if (!mapping.ok()) return mapping.status();
  auto pristine = Mapping::Create(size, PROT_READ, MAP_SHARED | MAP_NORESERVE, memfd, 0,
                                  "snapshot contents");
  if (!pristine.ok()) return pristine.status();
  GuestMemory memory(UniqueFd(), *std::move(mapping), size, true);
  memory.pristine_ = *std::move(pristine);
  return memory;
}

absl::StatusOr<UniqueFd> GuestMemory::Freeze() {
  if (private_) return absl::FailedPreconditionError("guest memory is already a snapshot view");
  if (!memfd_.valid()) {
    return absl::FailedPreconditionError("one-shot guest memory cannot become a snapshot");
  }
  // Same address, so KVM's memory slots stay valid; KVM drops its mappings of
  // the replaced pages and faults the private ones in on next use.
  void* p = ::mmap(mapping_.data(), size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, memfd_.get(), 0);
  if (p == MAP_FAILED) return ErrnoError(errno, "remapping guest memory copy-on-write");
  private_ = true;
  // With no shared writable mapping left, the seal makes the snapshot
  // immutable for good: no later bug can change what every sandbox starts from.
  if (::fcntl(memfd_.get(), F_ADD_SEALS,
              F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return ErrnoError(errno, "sealing the snapshot's memory");
  }
  std::fill(host_written_.begin(), host_written_.end(), 0);
  auto pristine = Mapping::Create(size_, PROT_READ, MAP_SHARED | MAP_NORESERVE, memfd_.get(), 0,
                                  "snapshot contents");
  if (!pristine.ok()) return pristine.status();
  pristine_ = *std::move(pristine);
  return std::move(memfd_);
}

absl::StatusOr<uint64_t> GuestMemory::DiscardPages(std::span<const uint64_t> bitmap) {
  if (!private_) return absl::FailedPreconditionError("guest memory is not a snapshot view");
  const uint64_t pages = size_ / 4096;
  uint64_t dirty = 0;
  // Most words are zero; the build targets baseline x86-64, so popcount is a
  // library call and worth skipping.
  for (size_t w = 0; w < bitmap.size() && w * 64 < pages; ++w) {
    if (bitmap[w] != 0) dirty += std::popcount(bitmap[w]);
  }
  if (dirty <= kCopyBackMaxPages && pristine_.data() != nullptr) {
    for (size_t w = 0; w < bitmap.size(); ++w) {
      for (uint64_t bits = bitmap[w]; bits != 0; bits &= bits - 1) {
        const uint64_t page = w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
        if (page >= pages) break;
        std::memcpy(mapping_.data() + page * 4096, pristine_.data() + page * 4096, 4096);
      }
    }
    return dirty;
  }
  uint64_t discarded = 0;
  uint64_t page = 0;
  // Runs of dirty pages become one madvise each.
  while (page < pages) {
    const uint64_t word = page / 64;
    if (word >= bitmap.size()) break;
    if (bitmap[word] == 0 && page % 64 == 0) {
      page += 64;
      continue;
    }
    if (!(bitmap[word] >> (page % 64) & 1)) {
      ++page;
      continue;
    }
    uint64_t end = page + 1;
    while (end < pages && end / 64 < bitmap.size() && (bitmap[end / 64] >> (end % 64) & 1)) ++end;
    if (::madvise(mapping_.data() + page * 4096, (end - page) * 4096, MADV_DONTNEED) != 0) {
      return ErrnoError(errno, "discarding dirtied guest pages");
    }
    discarded += end - page;
    page = end;
  }
  return discarded;
}

void GuestMemory::TakeHostWrites(std::span<uint64_t> bitmap) {
  for (size_t i = 0; i < host_written_.size() && i < bitmap.size(); ++i) {
    bitmap[i] |= host_written_[i];
    host_written_[i] = 0;
  }
}

void GuestMemory::MarkHostWritten(uint64_t gpa, uint64_t len) {
  if (len == 0) return;
  for (uint64_t page = gpa / 4096; page <= (gpa + len - 1) / 4096; ++page) {
    host_written_[page / 64] |= uint64_t{1} << (page % 64);
  }
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
  MarkHostWritten(gpa, len);
  return std::span<uint8_t>(mapping_.data() + gpa, len);
}

uint8_t* GuestMemory::HostAddress(uint64_t gpa, uint64_t len) {
  if (gpa > size_ || len > size_ - gpa) std::abort();  // VMM bug, not guest input
  MarkHostWritten(gpa, len);
  return mapping_.data() + gpa;
}

}  // namespace palisade
