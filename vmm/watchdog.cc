#include "vmm/watchdog.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/errno_status.h"
#include "vmm/vcpu.h"

namespace palisade {

Watchdog::Watchdog(Watchdog&& other) noexcept
    : timer_(other.timer_), tid_(std::exchange(other.tid_, 0)) {}

Watchdog& Watchdog::operator=(Watchdog&& other) noexcept {
  if (this != &other) {
    Destroy();
    timer_ = other.timer_;
    tid_ = std::exchange(other.tid_, 0);
  }
  return *this;
}

Watchdog::~Watchdog() { Destroy(); }

void Watchdog::Destroy() {
  if (tid_ != 0) timer_delete(timer_);
  tid_ = 0;
}

absl::Status Watchdog::Arm(absl::Time deadline, absl::Duration tick) {
  const absl::Time now = absl::Now();
  if (tick != absl::InfiniteDuration() && now + tick < deadline) deadline = now + tick;
  if (deadline == absl::InfiniteFuture()) {
    Disarm();
    return absl::OkStatus();
  }
  Vcpu::InstallKickHandler();
  // The timer is bound to a thread; a sandbox driven from another thread than
  // last time needs a new one.
  pid_t tid = ::gettid();
  if (tid_ != tid) {
    Destroy();
    struct sigevent sev {};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = Vcpu::KickSignal();
    sev._sigev_un._tid = tid;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0) {
      return ErrnoError(errno, "timer_create for the sandbox deadline");
    }
    tid_ = tid;
  }
  absl::Duration left = deadline - now;
  if (left < absl::Nanoseconds(1)) left = absl::Nanoseconds(1);
  struct itimerspec spec {};
  spec.it_value = absl::ToTimespec(left);
  if (timer_settime(timer_, 0, &spec, nullptr) != 0) {
    return ErrnoError(errno, "timer_settime for the sandbox deadline");
  }
  return absl::OkStatus();
}

void Watchdog::Disarm() {
  if (tid_ == 0) return;
  struct itimerspec spec {};
  timer_settime(timer_, 0, &spec, nullptr);
}

}  // namespace palisade
