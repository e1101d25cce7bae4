// The seccomp policies: every built-in one compiles and exports BPF; in a
// forked child, a syscall outside palisade-cli kills with SIGSYS (and is
// only logged in log mode); the vcpu filter allows KVM_RUN but kills any
// other ioctl; bad policy files are refused with file, line and field.
#include <linux/kvm.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/confine.h"
#include "policy/seccomp_filter.h"

namespace palisade::policy {
namespace {

using ::testing::HasSubstr;

// Runs `body` in a forked child under built-in policy `name`; the child's
// wait status.
int InChild(const std::string& name, SeccompMode mode, bool all_threads, void (*body)()) {
  auto policy = BuiltinSeccompPolicy(name);
  EXPECT_TRUE(policy.ok()) << policy.status();
  auto filter = SeccompFilter::Compile(*policy, mode);
  EXPECT_TRUE(filter.ok()) << filter.status();
  pid_t pid = fork();
  if (pid == 0) {
    // Only raw syscalls from here: the child of a threaded process.
    absl::Status s = all_threads ? filter->InstallOnAllThreads() : filter->InstallOnThisThread();
    if (!s.ok()) _exit(100);
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool KilledBySigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(Seccomp, EveryBuiltinPolicyCompilesAndExportsBpf) {
  EXPECT_THAT(BuiltinSeccompPolicyNames(), ::testing::UnorderedElementsAre("palisaded", "palisade-cli", "palisade-cli-rw", "palisade-fuzz", "vcpu"));
  for (const std::string& name : BuiltinSeccompPolicyNames()) {
    auto policy = BuiltinSeccompPolicy(name);
    ASSERT_TRUE(policy.ok()) << name << ": " << policy.status();
    for (SeccompMode mode : {SeccompMode::kEnforce, SeccompMode::kLog}) {
      auto filter = SeccompFilter::Compile(*policy, mode);
      ASSERT_TRUE(filter.ok()) << name << ": " << filter.status();
      auto bpf = filter->ExportBpf();
      ASSERT_TRUE(bpf.ok()) << bpf.status();
      EXPECT_GT(bpf->size(), 8u * 10);
      EXPECT_EQ(bpf->size() % 8, 0u);  // struct sock_filter
    }
  }
}

TEST(Seccomp, AForbiddenSyscallKillsTheProcess) {
  // Allowed work first, then a socket: palisade-cli has no network.
  int status = InChild("palisade-cli", SeccompMode::kEnforce, true, [] {
    char buf[1];
    syscall(SYS_getpid);
    syscall(SYS_read, -1, buf, 0);
    syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
  // execve is no better.
  status = InChild("palisaded", SeccompMode::kEnforce, true, [] {
    const char* argv[] = {"/bin/true", nullptr};
    syscall(SYS_execve, "/bin/true", argv, nullptr);
  });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
  // Executable memory neither.
  status = InChild("palisaded", SeccompMode::kEnforce, true, [] {
    syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
}

// palisade-fuzz is palisade-cli (which it extends) plus corpus files.
TEST(Seccomp, TheFuzzPolicyAddsFilesButNoNetworkOrExec) {
  int status = InChild("palisade-fuzz", SeccompMode::kEnforce, true, [] {
    std::string path = "/tmp/palisade-seccomp-fuzz-" + std::to_string(getpid());
    int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path.c_str(), O_CREAT | O_WRONLY, 0600));
    if (fd < 0) _exit(3);
    syscall(SYS_close, fd);
    syscall(SYS_unlink, path.c_str());
  });
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  status = InChild("palisade-fuzz", SeccompMode::kEnforce, true, [] { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
  status = InChild("palisade-fuzz", SeccompMode::kEnforce, true, [] {
    const char* argv[] = {"/bin/true", nullptr};
    syscall(SYS_execve, "/bin/true", argv, nullptr);
  });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
}

TEST(Seccomp, LogModeOnlyLogs) {
  int status = InChild("palisade-cli", SeccompMode::kLog, true, [] { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); });
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Seccomp, TheVcpuFilterAllowsKvmRunAndNoOtherIoctl) {
  int status = 0;
  // On a non-KVM fd the ioctl just fails (ENOTTY): the filter let it through.
  // (Not in sanitizer builds, which default to log mode: their runtime makes
  // syscalls of its own in the child that the vcpu filter rightly refuses.)
  if (DefaultSeccompMode() == SeccompMode::kEnforce) {
    status = InChild("vcpu", SeccompMode::kEnforce, false, [] { syscall(SYS_ioctl, 0, KVM_RUN, 0); });
    ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  for (unsigned long request : {static_cast<unsigned long>(KVM_CREATE_VM), static_cast<unsigned long>(KVM_SET_REGS),
                                static_cast<unsigned long>(KVM_SET_USER_MEMORY_REGION),
                                static_cast<unsigned long>(TIOCSTI)}) {
    static unsigned long current;
    current = request;
    status = InChild("vcpu", SeccompMode::kEnforce, false, [] { syscall(SYS_ioctl, 0, current, 0); });
    EXPECT_TRUE(KilledBySigsys(status)) << "ioctl " << std::hex << request << ": wait status " << status;
  }
  // Nor may the vCPU thread open files.
  status = InChild("vcpu", SeccompMode::kEnforce, false, [] { syscall(SYS_openat, AT_FDCWD, "/dev/kvm", 2); });
  EXPECT_TRUE(KilledBySigsys(status)) << "wait status " << status;
}

TEST(Seccomp, ExplainSpellsOutEveryRule) {
  auto vcpu = BuiltinSeccompPolicy("vcpu");
  ASSERT_TRUE(vcpu.ok());
  const std::string text = ExplainSeccompPolicy(*vcpu);
  EXPECT_THAT(text, HasSubstr("allow ioctl"));
  EXPECT_THAT(text, HasSubstr("when arg1 == KVM_RUN (0xae80)"));
  EXPECT_THAT(text, HasSubstr("# entering the guest"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("openat")));
}

TEST(Seccomp, BadPolicyFilesAreRefusedWithFileLineAndField) {
  auto bad = ParseSeccompPolicy(
      "name: \"x\"\n"
      "allow { syscall: \"sokcet\" }\n"
      "allow { syscall: \"ioctl\" when { arg: 7 value_name: \"KVM_RUNN\" } }\n"
      "allow { syscall: \"read\" when { arg: 0 op: MASKED_EQ value: 1 } }\n",
      "bad.textproto");
  ASSERT_FALSE(bad.ok());
  const std::string m(bad.status().message());
  EXPECT_THAT(m, HasSubstr("bad.textproto:2:9: allow[0].syscall: 'sokcet' is not a system call"));
  EXPECT_THAT(m, HasSubstr("allow[1].when[0].arg: system calls have arguments 0 to 5"));
  EXPECT_THAT(m, HasSubstr("unknown constant 'KVM_RUNN'"));
  EXPECT_THAT(m, HasSubstr("allow[2].when[0]: MASKED_EQ needs mask"));
  EXPECT_THAT(std::string(ParseSeccompPolicy("allow { syscal: \"read\" }", "f").status().message()),
              HasSubstr("f:1:"));
}

}  // namespace
}  // namespace palisade::policy
