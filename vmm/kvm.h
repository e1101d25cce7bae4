// The process's handle on /dev/kvm: API version and capability checks, the
// vCPU mmap size and the host-supported CPUID, all read once and shared by
// every VM in the process.
#pragma once

#include <linux/kvm.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "vmm/kvm_uapi.h"

namespace palisade {

class Kvm {
 public:
  // Opens `path` and checks everything Palisade relies on; the error says
  // what is missing and what to do about it.
  static absl::StatusOr<std::shared_ptr<const Kvm>> Open(const char* path = "/dev/kvm");
  // One Kvm per process, opened on first use. A failed open is retried on the
  // next call (the administrator may have fixed it meanwhile).
  static absl::StatusOr<std::shared_ptr<const Kvm>> Shared();

  int fd() const { return fd_.get(); }
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
  // A kvm_cpuid2 (C layout, see kvm_uapi.h) with its entries, ready for
  // KVM_SET_CPUID2.
  const KvmCpuid2Header* supported_cpuid() const {
    return reinterpret_cast<const KvmCpuid2Header*>(cpuid_.data());
  }
  int max_memslots() const { return max_memslots_; }

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  explicit Kvm(Key) {}

 private:
  UniqueFd fd_;
  size_t vcpu_mmap_size_ = 0;
  int max_memslots_ = 0;
  std::vector<uint64_t> cpuid_;  // u64 storage keeps kvm_cpuid2 aligned
};

}  // namespace palisade
