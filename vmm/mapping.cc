#include "vmm/mapping.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace palisade {

absl::StatusOr<Mapping> Mapping::Create(size_t size, int prot, int flags,
                                        int fd, off_t offset, const char* what) {
  void* p = ::mmap(nullptr, size, prot, flags, fd, offset);
  if (p == MAP_FAILED) {
    int err = errno;
    return absl::ResourceExhaustedError(absl::StrCat(
        "mmap of ", size, " bytes for ", what, " failed: ", std::strerror(err)));
  }
  return Mapping(p, size);
}

absl::StatusOr<Mapping> Mapping::CreateAligned(size_t size, size_t align, const char* what) {
  ASSIGN_OR_RETURN(Mapping whole, Create(size + align, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, what));
  const uintptr_t start = reinterpret_cast<uintptr_t>(whole.data_);
  const uintptr_t aligned = (start + align - 1) & ~(uintptr_t{align} - 1);
  const size_t head = aligned - start;
  const size_t tail = align - head;
  if (head > 0) ::munmap(whole.data_, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  whole.data_ = nullptr;
  whole.size_ = 0;
  return Mapping(reinterpret_cast<void*>(aligned), size);
}

absl::StatusOr<Mapping> Mapping::CreateNear(size_t size, int prot, uint64_t near, uint64_t reach,
                                            const char* what) {
  // Hints walk outwards from `near` in 32 MiB steps, above it and (ending)
  // below it; the kernel takes a free hint as given, and MAP_FIXED_NOREPLACE
  // never clobbers what is there.
  constexpr uint64_t kStep = 32ull << 20;
  for (uint64_t distance = kStep; distance + size < reach; distance += kStep) {
    for (const bool above : {true, false}) {
      if (!above && near < distance + size) continue;
      const uint64_t hint = (above ? near + distance : near - distance - size) & ~0xfffull;
      void* p = ::mmap(reinterpret_cast<void*>(hint), size, prot,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
      if (p == MAP_FAILED) continue;
      const uint64_t at = reinterpret_cast<uint64_t>(p);
      if ((at > near ? at + size - near : near - at) < reach) return Mapping(p, size);
      ::munmap(p, size);  // an old kernel that took it as a mere hint, elsewhere
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no room for ", size, " bytes of ", what, " within ", reach >> 20, " MiB of the binary"));
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Mapping::Reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace palisade
