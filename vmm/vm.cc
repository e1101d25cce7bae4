#include "vmm/vm.h"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "vmm/vcpu.h"

namespace palisade {

absl::StatusOr<Vm> Vm::Create(std::shared_ptr<const Kvm> kvm) {
  int fd;
  do {
    // KVM_CREATE_VM can fail with EINTR under signal load.
    fd = ::ioctl(kvm->fd(), KVM_CREATE_VM, 0);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError(errno, "KVM_CREATE_VM");
  return Vm(std::move(kvm), UniqueFd(fd));
}

absl::Status Vm::SetMemorySlot(uint32_t slot, uint64_t gpa, uint64_t size,
                               void* host, bool read_only, bool log_dirty) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.flags = (read_only ? KVM_MEM_READONLY : 0) | (log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0);
  region.guest_phys_addr = gpa;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(host);
  if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
    return ErrnoError(errno, absl::StrFormat(
                                 "KVM_SET_USER_MEMORY_REGION slot %u [%#x, +%#x)",
                                 slot, gpa, size));
  }
  return absl::OkStatus();
}

absl::Status Vm::GetDirtyLog(uint32_t slot, std::span<uint64_t> bitmap) const {
  kvm_dirty_log log{};
  log.slot = slot;
  log.dirty_bitmap = bitmap.data();
  if (::ioctl(fd_.get(), KVM_GET_DIRTY_LOG, &log) != 0) {
    return ErrnoError(errno, absl::StrFormat("KVM_GET_DIRTY_LOG slot %u", slot));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Vm::EnableManualDirtyProtect() {
  if (::ioctl(fd_.get(), KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) <= 0) return false;
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
  cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
  if (::ioctl(fd_.get(), KVM_ENABLE_CAP, &cap) != 0) {
    return ErrnoError(errno, "KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)");
  }
  return true;
}

absl::Status Vm::ClearDirtyLog(uint32_t slot, uint64_t first_page, uint64_t pages,
                               std::span<uint64_t> bitmap) {
  kvm_clear_dirty_log clear{};
  clear.slot = slot;
  clear.first_page = first_page;
  clear.num_pages = static_cast<uint32_t>(pages);
  clear.dirty_bitmap = bitmap.data();
  if (::ioctl(fd_.get(), KVM_CLEAR_DIRTY_LOG, &clear) != 0) {
    return ErrnoError(errno, absl::StrFormat("KVM_CLEAR_DIRTY_LOG slot %u", slot));
  }
  return absl::OkStatus();
}

absl::Status Vm::SetTssAddress(uint64_t gpa) {
  if (::ioctl(fd_.get(), KVM_SET_TSS_ADDR, gpa) != 0) {
    return ErrnoError(errno, "KVM_SET_TSS_ADDR");
  }
  return absl::OkStatus();
}

absl::StatusOr<Vcpu> Vm::CreateVcpu(uint32_t id) const {
  int fd = ::ioctl(fd_.get(), KVM_CREATE_VCPU, id);
  if (fd < 0) return ErrnoError(errno, "KVM_CREATE_VCPU");
  UniqueFd vcpu_fd(fd);
  auto run = Mapping::Create(kvm_->vcpu_mmap_size(), PROT_READ | PROT_WRITE,
                             MAP_SHARED, vcpu_fd.get(), 0, "the vCPU run area");
  if (!run.ok()) return run.status();
  return Vcpu(std::move(vcpu_fd), *std::move(run));
}

}  // namespace palisade
