// The code check split among its workers (vmm/code_check_workers.h): a
// large buffer with good hints passes in stretches; every other buffer gets
// exactly the verdict of the check from its start, whatever the hints say.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/confine.h"
#include "vmm/code_check.h"
#include "vmm/code_check_workers.h"

namespace palisade {
namespace {

constexpr uint64_t kBase = 0x40000000;
constexpr uint64_t kHelper = 0x00105000;

void Put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Functions as a compiler lays them out, back to back, each 64 bytes: a
// prologue, integer and SSE work, a loop, a call to another function far
// away (into other stretches) and one to a helper. `starts` gets each
// function's offset.
std::vector<uint8_t> Functions(size_t count, std::vector<uint32_t>* starts) {
  std::vector<uint8_t> b;
  for (size_t f = 0; f < count; ++f) {
    const size_t at = b.size();
    starts->push_back(static_cast<uint32_t>(at));
    b.insert(b.end(), {0x55, 0x48, 0x89, 0xe5});  // push rbp; mov rbp, rsp
    b.push_back(0x05);                             // add eax, imm32
    Put32(b, static_cast<uint32_t>(f * 2654435761u));
    b.insert(b.end(), {0x66, 0x0f, 0xef, 0xc0});  // pxor xmm0, xmm0
    b.insert(b.end(), {0xff, 0xc9, 0x75, 0xfc});  // loop: dec ecx; jnz loop
    const uint64_t callee = (f * 7919 + 13) % count * 64;
    b.push_back(0xe8);  // call the callee
    Put32(b, static_cast<uint32_t>(callee - (b.size() + 4)));
    b.push_back(0xe8);  // call the helper
    Put32(b, static_cast<uint32_t>(kHelper - (kBase + b.size() + 4)));
    b.insert(b.end(), {0x5d, 0xc3});  // pop rbp; ret
    while (b.size() < at + 64) b.push_back(0x90);
  }
  return b;
}

std::string Sequential(const std::vector<uint8_t>& code) {
  const uint64_t helpers[] = {kHelper};
  return CheckCompiledCode(code, {.load_address = kBase, .helper_entries = helpers}).ToString();
}

std::string WithHints(const std::vector<uint8_t>& code, const std::vector<uint32_t>& hints) {
  const uint64_t helpers[] = {kHelper};
  return CheckCompiledCode(code, {.load_address = kBase, .helper_entries = helpers}, hints).ToString();
}

class CodeCheckSplit : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(StartCodeCheckWorkers(3).ok());
    code_ = Functions(24 * 1024, &starts_);  // 1.5 MiB: four stretches
    ASSERT_GE(code_.size(), 4 * kCodeCheckPiece);
  }
  std::vector<uint8_t> code_;
  std::vector<uint32_t> starts_;
};

TEST_F(CodeCheckSplit, ALargeBufferWithGoodHintsPassesInStretches) {
  const uint64_t before = CodeChecksSplit();
  EXPECT_EQ(WithHints(code_, starts_), "OK");
  EXPECT_EQ(CodeChecksSplit(), before + 1);
  EXPECT_EQ(Sequential(code_), "OK");  // and from the start, without hints
  EXPECT_EQ(CodeChecksSplit(), before + 1);
}

TEST_F(CodeCheckSplit, HintsInsideInstructionsCostTimeNotTheVerdict) {
  const uint64_t before = CodeChecksSplit();
  std::vector<uint32_t> wrong;
  for (uint32_t s : starts_) wrong.push_back(s + 5);  // inside `add eax, imm32`
  EXPECT_EQ(WithHints(code_, wrong), "OK");
  // Unsorted hints are not used at all.
  std::vector<uint32_t> unsorted(starts_.rbegin(), starts_.rend());
  EXPECT_EQ(WithHints(code_, unsorted), "OK");
  // Hints past the end are no cut either.
  EXPECT_EQ(WithHints(code_, {static_cast<uint32_t>(code_.size()), static_cast<uint32_t>(code_.size() + 64)}), "OK");
  EXPECT_EQ(CodeChecksSplit(), before);
}

TEST_F(CodeCheckSplit, AViolationInALaterStretchIsReportedAsFromTheStart) {
  std::vector<uint8_t> bad = code_;
  const size_t at = code_.size() - 64 * 3 + 13;  // the loop's `dec ecx` of a late function
  bad[at] = 0x0f;
  bad[at + 1] = 0xa2;  // cpuid
  const std::string expected = Sequential(bad);
  EXPECT_THAT(expected, ::testing::HasSubstr("cpuid"));
  EXPECT_EQ(WithHints(bad, starts_), expected);
}

TEST_F(CodeCheckSplit, AnInstructionAcrossACutIsDecodedAsFromTheStart) {
  // The last function before the second stretch ends in a 10-byte
  // `mov rax, imm64` whose last bytes are the next function's first ones:
  // from its start, the buffer's instructions no longer meet the hint, and
  // the next function's `push rbp` is not an instruction boundary at all.
  std::vector<uint8_t> bad = code_;
  const uint32_t cut = *std::lower_bound(starts_.begin(), starts_.end(), code_.size() / 4);
  for (uint32_t i = cut - 8; i < cut; ++i) bad[i] = 0x90;
  bad[cut - 8] = 0x48;
  bad[cut - 7] = 0xb8;  // mov rax, imm64: eats 8 bytes, 2 of them past the cut
  const std::string expected = Sequential(bad);
  EXPECT_EQ(WithHints(bad, starts_), expected);
  // Some call targets that function's start, which is now inside the mov.
  EXPECT_THAT(expected, ::testing::HasSubstr("direct branches stay inside"));
}

TEST_F(CodeCheckSplit, ABranchIntoTheMiddleOfAnotherStretchIsRefused) {
  std::vector<uint8_t> bad = code_;
  // The first function's callee becomes the middle of the last function's
  // `add eax, imm32`.
  const uint32_t call_at = 17;
  ASSERT_EQ(bad[call_at], 0xe8);
  const uint64_t target = starts_.back() + 6;
  const uint32_t rel = static_cast<uint32_t>(target - (call_at + 5));
  for (int i = 0; i < 4; ++i) bad[call_at + 1 + i] = static_cast<uint8_t>(rel >> (8 * i));
  const std::string expected = Sequential(bad);
  EXPECT_THAT(expected, ::testing::HasSubstr("offset 0x11"));
  EXPECT_EQ(WithHints(bad, starts_), expected);
}

TEST(CodeCheckWorkers, EveryTaskRunsExactlyOnceAcrossTheWorkers) {
  ASSERT_TRUE(StartCodeCheckWorkers(3).ok());
  EXPECT_GE(CodeCheckWorkerCount(), 3u);
  std::vector<std::atomic<int>> runs(1000);
  std::mutex mu;
  std::set<std::thread::id> threads;
  ForEachOnCodeCheckWorkers(runs.size(), [&](size_t i) {
    runs[i].fetch_add(1);
    std::lock_guard<std::mutex> l(mu);
    threads.insert(std::this_thread::get_id());
  });
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  EXPECT_GE(threads.size(), 1u);
  // Many callers at once, as palisaded's sandboxes seal at once.
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&] { ForEachOnCodeCheckWorkers(50, [&](size_t) { total.fetch_add(1); }); });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 300);
}

TEST(CodeCheckWorkers, ConfiningRunsOnEveryWorkerOnItsOwnThread) {
  ASSERT_TRUE(StartCodeCheckWorkers(2).ok());
  const size_t workers = CodeCheckWorkerCount();
  std::mutex mu;
  std::set<std::thread::id> threads;
  absl::Status s = ConfineCodeCheckWorkers([&] {
    std::lock_guard<std::mutex> l(mu);
    threads.insert(std::this_thread::get_id());
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(threads.size(), workers);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  // A failure on any worker is the answer.
  std::atomic<int> calls{0};
  s = ConfineCodeCheckWorkers([&] {
    return calls.fetch_add(1) == 0 ? absl::PermissionDeniedError("no filter") : absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(calls.load(), static_cast<int>(workers));
}

TEST(CodeCheckWorkers, TheEnvironmentCanSetHowManyStart) {
  const size_t machine = [] {
    ::unsetenv("PALISADE_CHECK_WORKERS");
    return CodeCheckWorkersForThisMachine();
  }();
  EXPECT_LE(machine, kMaxCodeCheckWorkers);
  ::setenv("PALISADE_CHECK_WORKERS", "0", 1);
  EXPECT_EQ(CodeCheckWorkersForThisMachine(), 0u);
  ::setenv("PALISADE_CHECK_WORKERS", "3", 1);
  EXPECT_EQ(CodeCheckWorkersForThisMachine(), 3u);
  ::setenv("PALISADE_CHECK_WORKERS", "1000", 1);
  EXPECT_EQ(CodeCheckWorkersForThisMachine(), kMaxCodeCheckWorkers);
  ::setenv("PALISADE_CHECK_WORKERS", "two", 1);  // not a number: the machine decides
  EXPECT_EQ(CodeCheckWorkersForThisMachine(), machine);
  ::unsetenv("PALISADE_CHECK_WORKERS");
}

// What `palisade run` does: workers started, the process confined, then the
// vCPU thread and the workers under the vCPU thread's filter. The split
// check still runs there, and a worker may do no more than that thread.
TEST(CodeCheckWorkers, WorkUnderTheVcpuThreadsFilterAndAreHeldToIt) {
  if (policy::DefaultSeccompMode() != policy::SeccompMode::kEnforce) {
    GTEST_SKIP() << "sanitizer builds: their runtime makes syscalls of its own that the vcpu filter refuses";
  }
  std::vector<uint32_t> starts;
  const std::vector<uint8_t> code = Functions(24 * 1024, &starts);
  auto child = [&](bool then_open) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (!StartCodeCheckWorkers(3).ok()) _exit(10);
      if (!policy::Confine("palisade-cli", policy::SeccompMode::kEnforce, true).ok()) _exit(11);
      if (!policy::Confine("vcpu", policy::SeccompMode::kEnforce, false).ok()) _exit(12);
      if (!ConfineCodeCheckWorkers([] { return policy::Confine("vcpu", policy::SeccompMode::kEnforce, false); })
               .ok()) {
        _exit(13);
      }
      const uint64_t before = CodeChecksSplit();
      for (int round = 0; round < 3; ++round) {
        if (WithHints(code, starts) != "OK") _exit(14);
      }
      if (CodeChecksSplit() != before + 3) _exit(15);
      if (then_open) {
        (void)ConfineCodeCheckWorkers([] {
          ::syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
          return absl::OkStatus();
        });
      }
      _exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  };
  int status = child(false);
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  status = child(true);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "wait status " << status;
}

}  // namespace
}  // namespace palisade
