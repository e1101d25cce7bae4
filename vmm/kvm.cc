#include "vmm/kvm.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <mutex>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "vmm/kvm_backend.h"

namespace palisade {
namespace {

absl::Status RequireCap(int fd, int cap, const char* name, const char* why) {
  int r = ::ioctl(fd, KVM_CHECK_EXTENSION, cap);
  if (r <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("KVM lacks ", name, ", which Palisade needs ", why));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Kvm>> Kvm::Open(const char* path) {
  UniqueFd fd(::open(path, O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    absl::Status s = ErrnoError(err, absl::StrCat("open ", path));
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
      return absl::UnavailableError(absl::StrCat(
          s.message(),
          " (KVM is not available: load the kvm_intel or kvm_amd module, or on a "
          "cloud VM enable nested virtualization)"));
    }
    if (err == EACCES || err == EPERM) {
      return absl::PermissionDeniedError(absl::StrCat(
          s.message(), " (run as root or add this user to the 'kvm' group)"));
    }
    return s;
  }
  int version = ::ioctl(fd.get(), KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " speaks KVM API version ", version, ", expected ", KVM_API_VERSION));
  }
  if (auto s = RequireCap(fd.get(), KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY",
                          "to give the guest memory");
      !s.ok()) {
    return s;
  }
  if (auto s = RequireCap(fd.get(), KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM",
                          "to keep page tables and code out of the guest's reach");
      !s.ok()) {
    return s;
  }
  if (auto s = RequireCap(fd.get(), KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
                          "for race-free deadlines");
      !s.ok()) {
    return s;
  }
  if (auto s = RequireCap(fd.get(), KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID",
                          "to give the guest the host's CPUID");
      !s.ok()) {
    return s;
  }

  auto kvm = std::make_shared<Kvm>(Key{});
  int mmap_size = ::ioctl(fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (mmap_size < static_cast<int>(sizeof(kvm_run))) {
    return ErrnoError(errno, "KVM_GET_VCPU_MMAP_SIZE");
  }
  kvm->vcpu_mmap_size_ = static_cast<size_t>(mmap_size);
  kvm->max_memslots_ = ::ioctl(fd.get(), KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

  // The entry count is not known in advance; KVM says E2BIG until it fits.
  for (uint32_t n = 64; n <= 4096; n *= 2) {
    size_t bytes = sizeof(KvmCpuid2Header) + n * sizeof(kvm_cpuid_entry2);
    std::vector<uint64_t> buf((bytes + 7) / 8, 0);
    auto* cpuid = reinterpret_cast<KvmCpuid2Header*>(buf.data());
    cpuid->nent = n;
    if (::ioctl(fd.get(), kKvmGetSupportedCpuid, cpuid) == 0) {
      kvm->cpuid_ = std::move(buf);
      break;
    }
    if (errno != E2BIG) return ErrnoError(errno, "KVM_GET_SUPPORTED_CPUID");
  }
  if (kvm->cpuid_.empty()) {
    return absl::InternalError("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
  }
  kvm->fd_ = std::move(fd);
  return std::shared_ptr<const Kvm>(std::move(kvm));
}

absl::StatusOr<std::shared_ptr<const Kvm>> Kvm::Shared() {
  static std::mutex mu;
  static std::shared_ptr<const Kvm> shared;
  std::lock_guard<std::mutex> lock(mu);
  if (shared == nullptr) {
    auto kvm = Open();
    if (!kvm.ok()) return kvm.status();
    shared = *std::move(kvm);
  }
  return shared;
}

}  // namespace palisade
