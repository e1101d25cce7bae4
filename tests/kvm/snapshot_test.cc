// Snapshots of an instantiated module: sandboxes made from one start exactly
// where it stopped, Reset() undoes everything a call did (guest writes, host
// writes, crashes, deadlines) and drops only the pages that were dirtied,
// and a pool hands out reset sandboxes.
#include <fcntl.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox_pool.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/trap.h"
#include "wasm/runtime/engine.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::Deadline;

std::vector<uint8_t> Module(const std::string& name) { return testing::TestModule(name); }

abi::WasmValue I32(uint32_t v) {
  return abi::WasmValue{static_cast<uint64_t>(wasm::ValType::kI32), v, 0};
}

class SnapshotTest : public ::testing::Test {
 protected:
  SandboxOptions Options() {
    SandboxOptions o;
    o.image = ProductionGuestImage();
    o.memory_bytes = 64ull << 20;
    o.console = &console_;
    o.services = &services_;
    return o;
  }

  // Boots, instantiates snapshot_target and snapshots; sandbox_ is the
  // snapshot's first user.
  void BootAndSnapshot() {
    auto sb = Sandbox::Boot(Options(), Deadline());
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = std::move(*sb);
    module_ = Module("snapshot_target");
    WasiRunSpec spec;
    spec.module = module_;
    spec.args = {"target"};
    spec.mode = abi::WasiRunMode::kInstantiate;
    ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
    ASSERT_TRUE(services_.outcome().has_value());
    ASSERT_EQ(services_.outcome()->kind, abi::WasmOutcome::kExited) << services_.outcome()->text;
    auto warm = SnapshotForCalls(*sandbox_, 64 << 10, Deadline());
    ASSERT_TRUE(warm.ok()) << warm.status();
    warm_ = *warm;
  }

  // Calls an export of the kept instance; returns its i32 result, or -1 and
  // leaves the outcome in services_ when there is none.
  absl::StatusOr<int64_t> Call(Sandbox& sandbox, const std::string& name,
                               std::vector<abi::WasmValue> args = {},
                               absl::Time deadline = Deadline()) {
    WasiRunSpec spec;
    spec.mode = abi::WasiRunMode::kInvoke;
    spec.export_name = name;
    spec.values = std::move(args);
    services_.ClearOutcome();
    absl::Status s = RunWarmCommand(sandbox, warm_, BuildWasiRunRequest(spec), deadline);
    if (!s.ok()) return s;
    if (services_.values().size() != 1) return -1;
    return static_cast<int64_t>(services_.values()[0].lo);
  }

  CapturingConsole console_;
  PosixGuestServices services_{-1};
  std::vector<uint8_t> module_;
  std::unique_ptr<Sandbox> sandbox_;
  WarmStart warm_;
};

TEST_F(SnapshotTest, EveryCallAfterAResetSeesTheSnapshotState) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  // _initialize ran before the snapshot: 41 + 1 call + 1001.
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1043);
  // Without a reset the instance lives on.
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1045);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(sandbox_->Reset().ok());
    EXPECT_EQ(*Call(*sandbox_, "bump"), 1043) << "call " << i;
  }
  // A call dirties a handful of pages (stack, heap, the instance's memory,
  // the mailbox); the reset drops those, not the 64 MiB of guest memory.
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_GT(sandbox_->last_reset_pages(), 0u);
  EXPECT_LT(sandbox_->last_reset_pages(), 64u);
}

// Pages that call after call dirties stay writable between resets (no
// write-protection fault per call) and are copied back every time; pages
// written only now and then are watched again. Either way every call, over
// more resets than the hot set is kept for, starts from the snapshot.
TEST_F(SnapshotTest, PagesKeptWritableAcrossResetsAreStillRolledBack) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  for (int i = 0; i < 1100; ++i) {
    SCOPED_TRACE(i);
    if (i % 7 == 3) {
      // Now and then another page too: linear memory grown to 3 Wasm pages.
      ASSERT_EQ(*Call(*sandbox_, "dirty", {I32(3)}), 3);
    } else {
      ASSERT_EQ(*Call(*sandbox_, "bump"), 1043);
    }
    ASSERT_TRUE(sandbox_->Reset().ok());
  }
  // Memory is back at its snapshot size and contents.
  EXPECT_EQ(*Call(*sandbox_, "dirty", {I32(0)}), 2);
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1043);
}

TEST_F(SnapshotTest, ResetCostFollowsThePagesACallDirtied) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  // Nothing ran: nothing to roll back (the mailbox and outbox, which the
  // host rewrites, are not dirty-logged).
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_EQ(sandbox_->last_reset_pages(), 0u);
  // Growing linear memory by 30 Wasm pages zeroes 30 x 16 guest pages.
  EXPECT_EQ(*Call(*sandbox_, "dirty", {I32(32)}), 32);
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_GE(sandbox_->last_reset_pages(), 30u * 16);
  EXPECT_LT(sandbox_->last_reset_pages(), 32u * 16 + 64);
  // After the reset memory is back at its snapshot size, and a call that
  // writes two bytes dirties a few pages, not hundreds.
  EXPECT_EQ(*Call(*sandbox_, "dirty", {I32(0)}), 2);
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_LT(sandbox_->last_reset_pages(), 32u);
}

TEST_F(SnapshotTest, HostWritesAreUndoneToo) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  // KVM's dirty log misses what the host writes: a reset must still undo it.
  const uint64_t gpa = sandbox_->layout().heap_end - 4096;
  auto before = sandbox_->memory().Read(gpa, 16);
  ASSERT_TRUE(before.ok());
  const std::vector<uint8_t> original(before->begin(), before->end());
  const std::vector<uint8_t> junk(16, 0xab);
  ASSERT_TRUE(sandbox_->CopyToGuest(gpa, junk).ok());
  ASSERT_TRUE(sandbox_->Reset().ok());
  auto after = sandbox_->memory().Read(gpa, 16);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(std::vector<uint8_t>(after->begin(), after->end()), original);
}

TEST_F(SnapshotTest, TrapsDeadlinesAndCancelsAreUndoneByAReset) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  ASSERT_TRUE(Call(*sandbox_, "boom").ok());
  EXPECT_EQ(services_.outcome()->kind, abi::WasmOutcome::kTrapped);
  ASSERT_TRUE(sandbox_->Reset().ok());

  auto spun = Call(*sandbox_, "spin", {}, absl::Now() + absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsDeadlineExceeded(spun.status())) << spun.status();
  EXPECT_FALSE(sandbox_->alive());
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_TRUE(sandbox_->alive());
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1043);

  ASSERT_TRUE(sandbox_->Reset().ok());
  sandbox_->Cancel();
  auto cancelled = Call(*sandbox_, "bump");
  EXPECT_TRUE(absl::IsCancelled(cancelled.status())) << cancelled.status();
  ASSERT_TRUE(sandbox_->Reset().ok());
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1043);
}

TEST_F(SnapshotTest, SandboxesFromOneSnapshotAreIndependent) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  std::vector<std::unique_ptr<Sandbox>> family;
  for (int i = 0; i < 3; ++i) {
    auto sb = Sandbox::FromSnapshot(warm_.snapshot, Options());
    ASSERT_TRUE(sb.ok()) << sb.status();
    family.push_back(std::move(*sb));
  }
  // Each starts at the snapshot, whatever the others did.
  EXPECT_EQ(*Call(*family[0], "bump"), 1043);
  EXPECT_EQ(*Call(*family[0], "bump"), 1045);
  EXPECT_EQ(*Call(*family[1], "bump"), 1043);
  EXPECT_EQ(*Call(*sandbox_, "bump"), 1043);
  EXPECT_EQ(*Call(*family[2], "dirty", {I32(8)}), 8);
  EXPECT_EQ(*Call(*family[1], "dirty", {I32(0)}), 2);
  ASSERT_TRUE(family[0]->Reset().ok());
  EXPECT_EQ(*Call(*family[0], "bump"), 1043);
}

TEST_F(SnapshotTest, TheSnapshotIsSealedAndTakenOnce) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  const int seals = fcntl(warm_.snapshot->memfd.get(), F_GET_SEALS);
  EXPECT_TRUE(seals & F_SEAL_WRITE);
  EXPECT_TRUE(seals & F_SEAL_SEAL);
  auto again = sandbox_->TakeSnapshot();
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();

  // A sandbox that has stopped cannot be snapshotted; one without a snapshot
  // cannot be reset.
  auto fresh = Sandbox::Boot(Options(), Deadline());
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*fresh)->Reset()));
  ASSERT_TRUE((*fresh)->Shutdown(0, Deadline()).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*fresh)->TakeSnapshot().status()));
}

// The kB of transparent huge pages backing the host mapping that holds
// `address`, from /proc/self/smaps; -1 if no mapping holds it.
long AnonHugeKbAt(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(':') > line.find(' ')) {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::stol(line.substr(14));
    }
  }
  return -1;
}

TEST_F(SnapshotTest, AOneShotSandboxRunsOnHugePagesAndIsNeverSnapshotted) {
  PALISADE_REQUIRE_KVM();
  SandboxOptions o = Options();
  o.one_shot = true;
  auto sb = Sandbox::Boot(o, Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  Sandbox& sandbox = **sb;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(sandbox.memory().host_base()) % (2 << 20), 0u);
  module_ = Module("snapshot_target");
  WasiRunSpec spec;
  spec.module = module_;
  spec.args = {"target"};
  spec.mode = abi::WasiRunMode::kInstantiate;
  ASSERT_TRUE(RunWasiCommand(sandbox, BuildWasiRunRequest(spec), Deadline()).ok());
  ASSERT_TRUE(services_.outcome().has_value());
  EXPECT_EQ(services_.outcome()->kind, abi::WasmOutcome::kExited) << services_.outcome()->text;

  auto warm = SnapshotForCalls(sandbox, 64 << 10, Deadline());
  EXPECT_TRUE(absl::IsFailedPrecondition(warm.status())) << warm.status();
  EXPECT_THAT(std::string(warm.status().message()), HasSubstr("one-shot"));
  EXPECT_TRUE(sandbox.alive()) << "a refused snapshot leaves the sandbox as it was";

  // Where the host offers transparent huge pages to those who ask, the
  // guest's memory gets them (the point of one-shot memory on PVM).
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes((std::istreambuf_iterator<char>(thp)), std::istreambuf_iterator<char>());
  if (modes.find("[never]") != std::string::npos || modes.empty()) {
    GTEST_SKIP() << "transparent huge pages are off on this host";
  }
  EXPECT_GT(AnonHugeKbAt(sandbox.memory().host_base()), 0);
}

TEST_F(SnapshotTest, APoolHandsOutResetSandboxes) {
  PALISADE_REQUIRE_KVM();
  BootAndSnapshot();
  SandboxPool pool(warm_.snapshot, Options(), 2);
  ASSERT_TRUE(pool.Fill(2).ok());
  EXPECT_EQ(pool.stats().idle, 2u);
  for (int i = 0; i < 6; ++i) {
    auto sb = pool.Acquire();
    ASSERT_TRUE(sb.ok()) << sb.status();
    EXPECT_EQ(*Call(**sb, i % 2 == 0 ? "bump" : "boom"), i % 2 == 0 ? 1043 : -1);
    pool.Release(std::move(*sb));
  }
  // A sandbox whose deadline struck is reset like any other.
  auto sb = pool.Acquire();
  ASSERT_TRUE(sb.ok());
  EXPECT_FALSE(Call(**sb, "spin", {}, absl::Now() + absl::Milliseconds(200)).ok());
  pool.Release(std::move(*sb));
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*Call(**again, "bump"), 1043);
  pool.Release(std::move(*again));
  const SandboxPool::Stats stats = pool.stats();
  EXPECT_EQ(stats.created, 2u);
  EXPECT_EQ(stats.reused, 8u);
  EXPECT_EQ(stats.discarded, 0u);
}

// A call that ended cleanly is rewound by memory alone (no vCPU ioctl), and
// nothing it left in registers reaches the next call: the guest's serve loop
// clears them (guest-runtime/lib/serve_loop.S). A crash restores the vCPU.
TEST(SnapshotResetTest, ACleanCallIsRewoundWithoutTouchingTheVcpu) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(testing::TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  Sandbox& sandbox = **sb;
  ASSERT_TRUE(sandbox.TakeSnapshot().ok());
  auto run = [&](test_guest::Command c, uint64_t a0 = 0) {
    return sandbox.RunCommand(static_cast<abi::Command>(c), a0, 0, 0, Deadline());
  };
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(*run(test_guest::kDirtyRegisters, 0x5eed0000 + i), 0);
    EXPECT_EQ(*run(test_guest::kReadRegisters), 0) << "registers carried over within a run";
    ASSERT_EQ(*run(test_guest::kDirtyRegisters, 0x5eed0000 + i), 0);
    ASSERT_TRUE(sandbox.Reset().ok());
    EXPECT_FALSE(sandbox.last_reset_restored_vcpu());
    EXPECT_EQ(*run(test_guest::kReadRegisters), 0) << "registers carried over a reset";
    auto sum = run(test_guest::kSseSum, 10);
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(*run(test_guest::kBootInfoCheck), 0);
    ASSERT_TRUE(sandbox.Reset().ok());
  }
  EXPECT_FALSE(run(test_guest::kUd2).ok());
  ASSERT_TRUE(sandbox.Reset().ok());
  EXPECT_TRUE(sandbox.last_reset_restored_vcpu());
  EXPECT_EQ(*run(test_guest::kHeapSelfTest), 0);
}

// A guest that tries to wreck its own CPU state (lidt, writes to the system
// area, hlt: all faults from ring 3), overflows its stack, or makes a
// malformed hypercall is still back in working order after
// a reset: control registers, descriptor tables, SSE state and memory all
// come from the snapshot.
TEST(SnapshotResetTest, AGuestThatWreckedItselfIsRestored) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(testing::TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  Sandbox& sandbox = **sb;
  ASSERT_TRUE(sandbox.TakeSnapshot().ok());
  const struct {
    test_guest::Command command;
    uint64_t arg;
  } wrecks[] = {
      {test_guest::kLoadEmptyIdt, 0},       {test_guest::kWriteSystemArea, 0},
      {test_guest::kStackOverflow, 0},      {test_guest::kHalt, 0},
      {test_guest::kWriteCode, 0},          {test_guest::kAllocUntilOom, 4096},
      {test_guest::kBadHypercall, test_guest::kWrongAbiVersion},
  };
  for (const auto& w : wrecks) {
    SCOPED_TRACE(static_cast<int>(w.command));
    auto r = sandbox.RunCommand(static_cast<abi::Command>(w.command), w.arg, 0, 0, Deadline());
    EXPECT_FALSE(r.ok() && *r == 0) << "the wreck did not fail";
    ASSERT_TRUE(sandbox.Reset().ok());
    auto sum = sandbox.RunCommand(static_cast<abi::Command>(test_guest::kSseSum), 10, 0, 0, Deadline());
    ASSERT_TRUE(sum.ok()) << sum.status();
    auto info = sandbox.RunCommand(static_cast<abi::Command>(test_guest::kBootInfoCheck), 0, 0, 0,
                                   Deadline());
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(*info, 0);
    auto heap = sandbox.RunCommand(static_cast<abi::Command>(test_guest::kHeapSelfTest), 0, 0, 0,
                                   Deadline());
    ASSERT_TRUE(heap.ok()) << heap.status();
    EXPECT_EQ(*heap, 0);
    ASSERT_TRUE(sandbox.Reset().ok());
  }
}

}  // namespace
}  // namespace palisade
