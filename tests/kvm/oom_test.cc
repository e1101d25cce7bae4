// A guest that runs out of memory ends with ResourceExhausted, saying how
// much it asked for; the host is unaffected.
#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::Deadline;
using testing::TestGuestOptions;
namespace tg = test_guest;

TEST(OutOfMemory, HeapExhaustionIsReportedToTheHost) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kAllocUntilOom), 1 << 20, 0, 0,
                             Deadline());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("guest out of memory"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("requested 1048576 bytes"));
  EXPECT_FALSE((*sb)->alive());
}

TEST(OutOfMemory, GuestMemoryIsBoundedByTheCallersSize) {
  PALISADE_REQUIRE_KVM();
  // With 4 MiB of guest memory, less than 4 MiB can ever be allocated.
  SandboxOptions o = TestGuestOptions();
  o.memory_bytes = 4ull << 20;
  auto sb = Sandbox::Boot(o, Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kAllocUntilOom), 4096, 0, 0,
                             Deadline());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  // ...and a fresh, bigger sandbox in the same process still works.
  auto big = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_TRUE((*big)->RunCommand(abi::Command::kEchoLoop, 1, 0, 0, Deadline()).ok());
}

}  // namespace
}  // namespace palisade
