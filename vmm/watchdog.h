// A per-sandbox wall-clock deadline. Arm() starts a one-shot POSIX timer that
// sends Vcpu::KickSignal() to the calling (vCPU) thread; the signal handler
// sets kvm_run.immediate_exit, so the vCPU leaves KVM_RUN within a timer tick
// of the deadline whether it was inside the guest or about to enter it.
// An optional tick fires earlier, when the host wants the guest stopped for
// a moment (to pass on its buffered output); the caller re-arms after it.
#pragma once

#include <sys/types.h>
#include <time.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace palisade {

class Watchdog {
 public:
  Watchdog() = default;
  Watchdog(Watchdog&& other) noexcept;
  Watchdog& operator=(Watchdog&& other) noexcept;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();

  // Fires at the deadline, or `tick` from now if that is sooner. An infinite
  // deadline and tick disarm instead. A past deadline fires at once.
  absl::Status Arm(absl::Time deadline, absl::Duration tick = absl::InfiniteDuration());
  void Disarm();

 private:
  void Destroy();
  timer_t timer_{};
  pid_t tid_ = 0;  // thread the timer signals; 0 = no timer yet
};

}  // namespace palisade
