#include "vmm/kvm_backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace palisade {
namespace {

// An O_PATH open rather than access(2): the CLI and palisaded may already be
// confined by seccomp when they first open KVM, and their policies allow
// openat (without O_CREAT) but no other file probes.
bool Exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

KvmBackend DetectKvmBackend(const char* dev, const char* sys_module) {
  if (!Exists(dev)) return KvmBackend::kAbsent;
  const std::string modules(sys_module);
  if (Exists(modules + "/kvm_intel")) return KvmBackend::kIntel;
  if (Exists(modules + "/kvm_amd")) return KvmBackend::kAmd;
  if (Exists(modules + "/kvm_pvm")) return KvmBackend::kPvm;
  return KvmBackend::kHardware;
}

std::string KvmBackendName(KvmBackend backend) {
  switch (backend) {
    case KvmBackend::kAbsent:
      return "none";
    case KvmBackend::kIntel:
      return "hardware KVM (kvm_intel, Intel VT-x)";
    case KvmBackend::kAmd:
      return "hardware KVM (kvm_amd, AMD-V)";
    case KvmBackend::kHardware:
      return "hardware KVM (built into the kernel)";
    case KvmBackend::kPvm:
      return "PVM (kvm_pvm, shadow paging without VMX/SVM)";
  }
  return "unknown";
}

std::string KvmBackendProblem(KvmBackend backend) {
  if (backend == KvmBackend::kAbsent) {
    return "/dev/kvm does not exist (load the kvm_intel or kvm_amd module, enable nested "
           "virtualization on a cloud VM, or load kvm_pvm where the host kernel has PVM)";
  }
  return "";
}

}  // namespace palisade
