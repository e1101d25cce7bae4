// Which hypervisor answers on /dev/kvm. Palisade's guest is a plain x86-64
// long-mode guest and needs KVM on hardware virtualization (kvm_intel or
// kvm_amd, directly or nested). PVM's kvm_pvm ("pagetable-based virtual
// machine", found on cloud VMs without nested VMX/SVM) also provides
// /dev/kvm, but runs natively only guests written for its paravirtual ABI; it
// feeds any other guest to KVM's instruction emulator, which cannot run the
// guest's SSE code. So a PVM /dev/kvm counts as no usable KVM.
//
// The rule, kept in step with scripts/kvm-backend.sh: /dev/kvm exists, and
// kvm_pvm is loaded while neither kvm_intel nor kvm_amd is.
#pragma once

#include <string>

namespace palisade {

enum class KvmBackend { kAbsent, kHardware, kPvm };

// `dev` and `sys_module` are parameters for tests; callers use the defaults.
KvmBackend DetectKvmBackend(const char* dev = "/dev/kvm",
                            const char* sys_module = "/sys/module");

// True when micro-VMs can run here.
inline bool HardwareKvmUsable() { return DetectKvmBackend() == KvmBackend::kHardware; }

// One sentence for users: why micro-VMs cannot run on this backend.
std::string KvmBackendProblem(KvmBackend backend);

}  // namespace palisade
