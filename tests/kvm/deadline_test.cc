// The watchdog: a guest that never yields is stopped at the deadline, and a
// running guest can be cancelled from another thread.
#include <thread>

#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"

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

}  // namespace
}  // namespace palisade
