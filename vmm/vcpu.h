// One virtual CPU: its fd, the shared kvm_run area, register access and
// KVM_RUN. Kick() makes a running (or about-to-run) vCPU leave KVM_RUN from
// any thread or a signal handler, which is what deadlines and cancellation
// are built on.
#pragma once

#include <linux/kvm.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "vmm/kvm.h"
#include "vmm/kvm_uapi.h"
#include "vmm/mapping.h"

namespace palisade {

// Everything a single-vCPU guest without an interrupt controller keeps in the
// CPU: enough to restart it exactly where a snapshot stopped it.
struct VcpuState {
  kvm_regs regs{};
  kvm_sregs sregs{};
  KvmXsave xsave{};  // x87/SSE/AVX registers: the engine keeps values in XMM
  kvm_xcrs xcrs{};
  kvm_vcpu_events events{};
};

class Vcpu {
 public:
  Vcpu(UniqueFd fd, Mapping run) : fd_(std::move(fd)), run_(std::move(run)) {}
  Vcpu(Vcpu&&) = default;
  Vcpu& operator=(Vcpu&&) = default;

  absl::Status SetCpuid(const KvmCpuid2Header& cpuid);
  absl::StatusOr<kvm_regs> GetRegs() const;
  absl::Status SetRegs(const kvm_regs& regs);
  absl::StatusOr<kvm_sregs> GetSregs() const;
  absl::Status SetSregs(const kvm_sregs& sregs);

  // KVM finishes an I/O exit (advancing rip past the `out`) only on the next
  // KVM_RUN. Before reading or replacing the state, that KVM_RUN is made with
  // immediate_exit set, so it completes the exit without entering the guest.
  absl::Status CompletePendingExit();
  // Both require CompletePendingExit() since the last exit.
  absl::StatusOr<VcpuState> SaveState() const;
  absl::Status RestoreState(const VcpuState& state);

  enum class RunResult { kExit, kInterrupted };
  // One KVM_RUN. kInterrupted means a signal or Kick() stopped it before or
  // instead of a guest exit; the caller decides whether to resume.
  absl::StatusOr<RunResult> Run();

  // Clears a previous Kick() so that the next Run() enters the guest.
  void ClearKick();

  kvm_run* run() const { return reinterpret_cast<kvm_run*>(run_.data()); }
  size_t run_size() const { return run_.size(); }

  // The signal that interrupts KVM_RUN. Its handler (installed by
  // InstallKickHandler) sets immediate_exit on the calling thread's vCPU, so a
  // kick that lands just before KVM_RUN is not lost.
  static int KickSignal();
  static void InstallKickHandler();

 private:
  UniqueFd fd_;
  Mapping run_;
};

}  // namespace palisade
