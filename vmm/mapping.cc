#include "vmm/mapping.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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
