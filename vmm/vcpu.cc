#include "vmm/vcpu.h"
#include "vmm/vm_counters.h"

#include <signal.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <mutex>

#include "common/errno_status.h"
#include "common/status_macros.h"

namespace palisade {
namespace {

// The kvm_run of the vCPU this thread is running, for the kick handler.
thread_local kvm_run* tls_running = nullptr;
// A kick that landed while this thread was outside Run() (handling a
// hypercall, say a long kSealCode check). The watchdog's timer is one-shot:
// dropping such a kick would leave the next KVM_RUN with no timer to end it,
// so a spinning guest would outlive its deadline. Run() passes it on.
thread_local bool tls_missed_kick = false;

void OnKick(int) {
  if (kvm_run* run = tls_running; run != nullptr) {
    __atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
  } else {
    __atomic_store_n(&tls_missed_kick, true, __ATOMIC_SEQ_CST);
  }
}

}  // namespace

int Vcpu::KickSignal() { return SIGRTMIN + 2; }

void Vcpu::InstallKickHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = OnKick;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    sigaction(KickSignal(), &sa, nullptr);
  });
}

absl::Status Vcpu::SetCpuid(const KvmCpuid2Header& cpuid) {
  if (::ioctl(fd_.get(), kKvmSetCpuid2, &cpuid) != 0) {
    return ErrnoError(errno, "KVM_SET_CPUID2");
  }
  return absl::OkStatus();
}

absl::StatusOr<kvm_regs> Vcpu::GetRegs() const {
  kvm_regs regs{};
  if (::ioctl(fd_.get(), KVM_GET_REGS, &regs) != 0) {
    return ErrnoError(errno, "KVM_GET_REGS");
  }
  return regs;
}

absl::Status Vcpu::SetRegs(const kvm_regs& regs) {
  if (::ioctl(fd_.get(), KVM_SET_REGS, &regs) != 0) {
    return ErrnoError(errno, "KVM_SET_REGS");
  }
  return absl::OkStatus();
}

absl::StatusOr<kvm_sregs> Vcpu::GetSregs() const {
  kvm_sregs sregs{};
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &sregs) != 0) {
    return ErrnoError(errno, "KVM_GET_SREGS");
  }
  return sregs;
}

absl::Status Vcpu::SetSregs(const kvm_sregs& sregs) {
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &sregs) != 0) {
    return ErrnoError(errno, "KVM_SET_SREGS");
  }
  return absl::OkStatus();
}

absl::StatusOr<Vcpu::RunResult> Vcpu::Run() {
  tls_running = run();
  // A kick missed since the last run ends this one at once (kInterrupted),
  // and the caller re-arms its timer; one arriving from here on sets
  // immediate_exit itself.
  if (__atomic_exchange_n(&tls_missed_kick, false, __ATOMIC_SEQ_CST)) {
    __atomic_store_n(&run()->immediate_exit, 1, __ATOMIC_SEQ_CST);
  }
  int r = ::ioctl(fd_.get(), KVM_RUN, 0);
  int err = errno;
  tls_running = nullptr;
  if (r == 0) {
    VmCounters::Add(ProcessVmCounters().exits);
    return RunResult::kExit;
  }
  if (err == EINTR || err == EAGAIN) return RunResult::kInterrupted;
  return ErrnoError(err, "KVM_RUN");
}

absl::Status Vcpu::CompletePendingExit() {
  __atomic_store_n(&run()->immediate_exit, 1, __ATOMIC_SEQ_CST);
  int r = ::ioctl(fd_.get(), KVM_RUN, 0);
  int err = errno;
  ClearKick();
  if (r == 0 || err == EINTR) return absl::OkStatus();
  return ErrnoError(err, "KVM_RUN (completing the last exit)");
}

absl::StatusOr<VcpuState> Vcpu::SaveState() const {
  VcpuState s;
  ASSIGN_OR_RETURN(s.regs, GetRegs());
  ASSIGN_OR_RETURN(s.sregs, GetSregs());
  if (::ioctl(fd_.get(), kKvmGetXsave, &s.xsave) != 0) return ErrnoError(errno, "KVM_GET_XSAVE");
  if (::ioctl(fd_.get(), KVM_GET_XCRS, &s.xcrs) != 0) return ErrnoError(errno, "KVM_GET_XCRS");
  if (::ioctl(fd_.get(), KVM_GET_VCPU_EVENTS, &s.events) != 0) {
    return ErrnoError(errno, "KVM_GET_VCPU_EVENTS");
  }
  return s;
}

absl::Status Vcpu::RestoreState(const VcpuState& s) {
  // Control registers and XCR0 first: they decide which of the other state
  // (long mode, XSAVE components) is valid.
  RETURN_IF_ERROR(SetSregs(s.sregs));
  // A host CPU without XSAVE reports no XCRs and refuses to set any.
  kvm_xcrs xcrs = s.xcrs;
  if (xcrs.nr_xcrs != 0 && ::ioctl(fd_.get(), KVM_SET_XCRS, &xcrs) != 0) {
    return ErrnoError(errno, "KVM_SET_XCRS");
  }
  if (::ioctl(fd_.get(), kKvmSetXsave, &s.xsave) != 0) return ErrnoError(errno, "KVM_SET_XSAVE");
  RETURN_IF_ERROR(SetRegs(s.regs));
  kvm_vcpu_events events = s.events;
  if (::ioctl(fd_.get(), KVM_SET_VCPU_EVENTS, &events) != 0) {
    return ErrnoError(errno, "KVM_SET_VCPU_EVENTS");
  }
  return absl::OkStatus();
}

void Vcpu::ClearKick() { __atomic_store_n(&run()->immediate_exit, 0, __ATOMIC_SEQ_CST); }

}  // namespace palisade
