// Which hypervisor answers on /dev/kvm. Palisade's micro-VMs run on every one
// of them with the same guest image: its code runs at CPL 3, which hardware
// KVM (kvm_intel, kvm_amd, directly or nested) runs like any user process and
// PVM's kvm_pvm (pagetable-based virtualization on cloud VMs without VMX/SVM)
// runs natively on shadow page tables. Only an absent /dev/kvm leaves no
// micro-VMs (the tests then go to QEMU's emulated KVM).
//
// The rule, kept in step with scripts/kvm-backend.sh: no /dev/kvm is kAbsent;
// else kvm_intel or kvm_amd loaded is that vendor's hardware KVM; else
// kvm_pvm loaded is kPvm; else a KVM built into the kernel, kHardware.
#pragma once

#include <string>

namespace palisade {

enum class KvmBackend { kAbsent, kIntel, kAmd, kHardware, kPvm };

// `dev` and `sys_module` are parameters for tests; callers use the defaults.
KvmBackend DetectKvmBackend(const char* dev = "/dev/kvm",
                            const char* sys_module = "/sys/module");

// True when micro-VMs can run here.
inline bool MicroVmsUsable() { return DetectKvmBackend() != KvmBackend::kAbsent; }

// The backend by name, for `palisade check` and benchmark figures:
// "hardware KVM (kvm_intel)", "PVM (kvm_pvm)", "none".
std::string KvmBackendName(KvmBackend backend);

// One sentence for users: why micro-VMs cannot run on this backend ("" when
// they can).
std::string KvmBackendProblem(KvmBackend backend);

}  // namespace palisade
