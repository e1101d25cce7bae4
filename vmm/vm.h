// A KVM virtual machine: its fd and its guest-physical memory slots.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "vmm/kvm.h"

namespace palisade {

class Vcpu;

class Vm {
 public:
  static absl::StatusOr<Vm> Create(std::shared_ptr<const Kvm> kvm);

  // Maps `size` bytes of host memory at `host` into the guest at `gpa`.
  // A read-only slot makes every guest write to it exit to the VMM, whatever
  // the guest does to its own page tables or CR0.WP.
  // With `log_dirty`, KVM records which pages the guest writes (see
  // GetDirtyLog); calling it again on a slot changes only the flags.
  absl::Status SetMemorySlot(uint32_t slot, uint64_t gpa, uint64_t size,
                             void* host, bool read_only, bool log_dirty = false);

  // The pages of a dirty-logged slot written since the last call, one bit
  // per 4 KiB page; `bitmap` must hold at least ceil(pages / 64) words.
  // After EnableManualDirtyProtect(): written since their last ClearDirtyLog.
  absl::Status GetDirtyLog(uint32_t slot, std::span<uint64_t> bitmap) const;

  // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GetDirtyLog() stops write-protecting
  // what it reports; ClearDirtyLog() does it for the pages the caller picks.
  // Returns false where KVM lacks the capability (the old behaviour stays).
  absl::StatusOr<bool> EnableManualDirtyProtect();
  // Clears the bits set in `bitmap` (page `first_page` + i for bit i) and
  // write-protects those pages again, so their next write is logged.
  absl::Status ClearDirtyLog(uint32_t slot, uint64_t first_page, uint64_t pages,
                             std::span<uint64_t> bitmap);

  absl::StatusOr<Vcpu> CreateVcpu(uint32_t id) const;

  // Intel VMX without "unrestricted guest" needs three pages of guest-physical
  // address space for its real-mode TSS, even for a guest that starts in long
  // mode; `gpa` must lie outside every memory slot and below 4 GiB.
  absl::Status SetTssAddress(uint64_t gpa);

  const Kvm& kvm() const { return *kvm_; }
  int fd() const { return fd_.get(); }

 private:
  Vm(std::shared_ptr<const Kvm> kvm, UniqueFd fd)
      : kvm_(std::move(kvm)), fd_(std::move(fd)) {}
  std::shared_ptr<const Kvm> kvm_;
  UniqueFd fd_;
};

}  // namespace palisade
