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
  const bool hardware = Exists(modules + "/kvm_intel") || Exists(modules + "/kvm_amd");
  if (!hardware && Exists(modules + "/kvm_pvm")) return KvmBackend::kPvm;
  return KvmBackend::kHardware;
}

std::string KvmBackendProblem(KvmBackend backend) {
  switch (backend) {
    case KvmBackend::kAbsent:
      return "/dev/kvm does not exist (load the kvm_intel or kvm_amd module, or on a cloud VM "
             "enable nested virtualization)";
    case KvmBackend::kPvm:
      return "/dev/kvm here is PVM's (kvm_pvm: pagetable-based virtualization without VMX/SVM), "
             "which runs only guests built for its paravirtual ABI; Palisade's micro-VMs need "
             "KVM on hardware virtualization (kvm_intel or kvm_amd, or nested virtualization on "
             "a cloud VM)";
    case KvmBackend::kHardware:
      break;
  }
  return "";
}

}  // namespace palisade
