#include <thread>

#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/kvm.h"

namespace palisade {
namespace {

using testing::Deadline;
using testing::TestGuestOptions;
namespace tg = test_guest;

TEST(Boot, ProductionGuestBootsAndShutsDown) {
  PALISADE_REQUIRE_KVM();
  SandboxOptions o;
  o.image = ProductionGuestImage();
  auto sb = Sandbox::Boot(o, Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_TRUE((*sb)->alive());
  EXPECT_GE((*sb)->hypercalls(), 1u);  // the ready call
  auto code = (*sb)->Shutdown(7, Deadline());
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 7);
  EXPECT_FALSE((*sb)->alive());
}

// The image audit runs before anything is loaded: the test guest, with its
// privileged instructions, is refused unless a test turns the audit off.
TEST(Boot, TheImageAuditRefusesAnImageWithForbiddenInstructions) {
  PALISADE_REQUIRE_KVM();
  SandboxOptions o = testing::TestGuestOptions();
  o.audit_image = true;
  auto sandbox = Sandbox::Boot(o);
  ASSERT_FALSE(sandbox.ok());
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(sandbox.status().message()), ::testing::HasSubstr("refusing to boot"));
  EXPECT_THAT(std::string(sandbox.status().message()), ::testing::ContainsRegex("` at 0x[0-9a-f]+ in "));
}

TEST(Boot, GuestSeesTheLayoutTheHostPlanned) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kBootInfoCheck), 0, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 0);
  const GuestLayout& l = (*sb)->layout();
  EXPECT_EQ(l.mem_size, 8ull << 20);
  EXPECT_LT(l.stack_bottom, l.stack_top);
  EXPECT_LT(l.heap_begin, l.heap_end);
}

TEST(Boot, SseIsEnabled) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  // sum of 0.5 * i for i < 100 = 2475.
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kSseSum), 100, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 2475);
}

TEST(Boot, GuestCpuidComesFromKvmSupportedCpuid) {
  PALISADE_REQUIRE_KVM();
  auto kvm = Kvm::Shared();
  ASSERT_TRUE(kvm.ok()) << kvm.status();
  const KvmCpuid2Header* cpuid = (*kvm)->supported_cpuid();
  uint32_t want = 0;
  for (uint32_t i = 0; i < cpuid->nent; ++i) {
    if (CpuidEntries(cpuid)[i].function == 0) want = CpuidEntries(cpuid)[i].ebx;
  }
  ASSERT_NE(want, 0u);
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kCpuidVendorEbx), 0, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(static_cast<uint32_t>(*r), want);
}

TEST(Boot, ConsoleOutputReachesTheSink) {
  PALISADE_REQUIRE_KVM();
  CapturingConsole console;
  auto sb = Sandbox::Boot(TestGuestOptions(&console), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kPrint), 0, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(console.out, "hello from the guest\n");
  EXPECT_EQ(console.err, "");
}

TEST(Boot, GuestHeapAllocatesFreesAndCoalesces) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kHeapSelfTest), 0, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 0);
}

TEST(Boot, SeveralSandboxesLiveSideBySide) {
  PALISADE_REQUIRE_KVM();
  std::vector<std::unique_ptr<Sandbox>> sandboxes;
  for (int i = 0; i < 4; ++i) {
    auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandboxes.push_back(*std::move(sb));
  }
  for (size_t i = 0; i < sandboxes.size(); ++i) {
    auto code = sandboxes[i]->Shutdown(static_cast<int64_t>(i), Deadline());
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, static_cast<int64_t>(i));
  }
}

TEST(Boot, UnknownCommandIsReportedNotFatal) {
  PALISADE_REQUIRE_KVM();
  SandboxOptions o;
  o.image = ProductionGuestImage();
  auto sb = Sandbox::Boot(o, Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(4242), 0, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, -1);
  EXPECT_TRUE((*sb)->alive());
}

TEST(Boot, StoppedSandboxRefusesMoreWork) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  ASSERT_TRUE((*sb)->Shutdown(0, Deadline()).ok());
  auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 1, 0, 0, Deadline());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Boot, TooLittleMemoryIsAClearError) {
  PALISADE_REQUIRE_KVM();
  SandboxOptions o = TestGuestOptions();
  o.memory_bytes = 256 * 1024;
  auto sb = Sandbox::Boot(o, Deadline());
  EXPECT_EQ(sb.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sb.status().message()), ::testing::HasSubstr("need at least"));
}

}  // namespace
}  // namespace palisade

namespace palisade {
namespace {

TEST(Boot, SandboxesOnManyThreadsAtOnce) {
  PALISADE_REQUIRE_KVM();
  // Each thread owns its sandboxes; nothing is shared but the process's Kvm
  // and parsed image. Deadlines use per-thread timers, so they are armed too.
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &results] {
      for (int i = 0; i < 5; ++i) {
        auto sb = Sandbox::Boot(testing::TestGuestOptions(), testing::Deadline());
        if (!sb.ok()) {
          results[t] = sb.status();
          return;
        }
        auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 50, 64, 0, testing::Deadline());
        if (!r.ok() || *r != 0) {
          results[t] = r.ok() ? absl::InternalError("echo mismatch") : r.status();
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace palisade
