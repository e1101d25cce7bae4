// The watchdog: a guest that never yields is stopped at the deadline, and a
// running guest can be cancelled from another thread.
#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/guest_services.h"
#include "vmm/wasi_runner.h"

namespace palisade {
namespace {

using testing::Deadline;
using testing::TestGuestOptions;
namespace tg = test_guest;

TEST(Deadline, SpinningGuestIsStoppedAtTheDeadline) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const absl::Time deadline = absl::Now() + absl::Milliseconds(300);
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kSpin), 0, 0, 0, deadline);
  const absl::Time stopped = absl::Now();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("stopped at rip"));
  EXPECT_GE(stopped, deadline);
  // Not a speed assertion: only that the spin did not run on unchecked (the
  // real figure, a few ms, is in docs/BENCHMARKS.md).
  EXPECT_LT(stopped - deadline, absl::Seconds(10));
  EXPECT_FALSE((*sb)->alive());
}

TEST(Deadline, DeadlineInThePastStopsBootAtOnce) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), absl::Now() - absl::Seconds(1));
  EXPECT_EQ(sb.status().code(), absl::StatusCode::kDeadlineExceeded) << sb.status();
}

TEST(Deadline, SandboxIsUsableAfterADeadlineThatDidNotFire) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  for (int i = 0; i < 3; ++i) {
    auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 10, 0, 0, Deadline());
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

TEST(Deadline, CancelFromAnotherThreadStopsASpinningGuest) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  Sandbox* sandbox = sb->get();
  std::thread canceller([sandbox] {
    absl::SleepFor(absl::Milliseconds(200));
    sandbox->Cancel();
  });
  auto r = sandbox->RunCommand(static_cast<abi::Command>(tg::kSpin), 0, 0, 0, Deadline());
  canceller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_FALSE(sandbox->alive());
}

// Services whose clock takes longer than the 50 ms output flush tick.
class SlowClockServices final : public GuestServices {
 public:
  int64_t ReadStdin(uint8_t*, size_t) override { return 0; }
  std::optional<uint64_t> Clock(uint32_t, bool) override {
    absl::SleepFor(absl::Milliseconds(150));
    return 1;
  }
  bool Random(uint8_t* buf, size_t len) override {
    std::memset(buf, 0, len);
    return true;
  }
  void Outcome(WasmOutcomeReport) override {}
  void Signature(std::vector<uint8_t>, std::vector<uint8_t>) override {}
  void Results(std::vector<abi::WasmValue>) override {}
  void PolicyDenied(std::string) override {}
};

// The flush tick fires while the host is in a hypercall; the kick it sends
// finds no KVM_RUN to stop. It must not be lost: the watchdog's timer is
// one-shot, and without it the spin after the hypercall would outlive the
// deadline (a canceller stands by so that a regression fails, not hangs).
TEST(Deadline, AKickDuringAHypercallIsNotLost) {
  PALISADE_REQUIRE_KVM();
  CapturingConsole console;  // a console turns the flush tick on
  SlowClockServices services;
  SandboxOptions o;
  o.image = ProductionGuestImage();
  o.memory_bytes = 64ull << 20;
  o.console = &console;
  o.services = &services;
  auto sb = Sandbox::Boot(o, Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  Sandbox* sandbox = sb->get();
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    for (int i = 0; i < 200 && !done.load(); ++i) absl::SleepFor(absl::Milliseconds(50));
    if (!done.load()) sandbox->Cancel();
  });
  std::vector<uint8_t> module = testing::TestModule("clock_then_spin");
  WasiRunSpec spec;
  spec.module = module;
  spec.args = {"prog"};
  const absl::Time deadline = absl::Now() + absl::Milliseconds(600);
  absl::Status r = RunWasiCommand(*sandbox, BuildWasiRunRequest(spec), deadline);
  const absl::Time stopped = absl::Now();
  done.store(true);
  canceller.join();
  EXPECT_EQ(r.code(), absl::StatusCode::kDeadlineExceeded) << r;
  // Stopped by its own deadline, not by the canceller 10 s later.
  EXPECT_LT(stopped - deadline, absl::Seconds(5));
}

}  // namespace
}  // namespace palisade
