// Every fd and mapping a sandbox makes is released with it, whether the
// guest shut down cleanly or crashed.
#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"

namespace palisade {
namespace {

using testing::Deadline;
using testing::TestGuestOptions;

int CountOpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

// All mappings, and those that are a sandbox's own: guest memory (the memfd)
// and vCPU run areas.
struct Mappings {
  int total = 0;
  int sandbox = 0;
};
Mappings CountMappings() {
  std::ifstream maps("/proc/self/maps");
  Mappings m;
  for (std::string line; std::getline(maps, line);) {
    ++m.total;
    if (line.find("memfd:palisade-guest") != std::string::npos ||
        line.find("kvm-vcpu") != std::string::npos) {
      ++m.sandbox;
    }
  }
  return m;
}

int VmCount() {
  // PALISADE_CLEANUP_VMS lets a slow emulated run use fewer; 1,000 by default.
  const char* env = std::getenv("PALISADE_CLEANUP_VMS");
  return env != nullptr ? std::atoi(env) : 1000;
}

TEST(Cleanup, NoFdOrMappingLeftAfterManyVms) {
  PALISADE_REQUIRE_KVM();
  // Warm up once so process-wide state (the shared /dev/kvm fd, the parsed
  // image, the kick handler) exists before counting.
  {
    auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
    ASSERT_TRUE(sb.ok()) << sb.status();
  }
  const int fds = CountOpenFds();
  const Mappings maps = CountMappings();
  EXPECT_EQ(maps.sandbox, 0);
  const int vms = VmCount();
  for (int i = 0; i < vms; ++i) {
    auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
    ASSERT_TRUE(sb.ok()) << "VM " << i << ": " << sb.status();
    if (i % 3 == 0) {
      ASSERT_TRUE((*sb)->Shutdown(0, Deadline()).ok());
    } else if (i % 3 == 1) {
      // Crash it: teardown after a fault must release everything too.
      EXPECT_FALSE((*sb)->RunCommand(static_cast<abi::Command>(test_guest::kUd2), 0, 0, 0,
                                     Deadline()).ok());
    }  // else: dropped while waiting for a command
  }
  EXPECT_EQ(CountOpenFds(), fds);
  const Mappings after = CountMappings();
  EXPECT_EQ(after.sandbox, 0);
  // The allocator (and ASan's) may map a little more as it grows, but a leak
  // of even one mapping per VM would show as `vms` more.
  EXPECT_LT(after.total - maps.total, vms / 2);
  std::printf("booted and tore down %d VMs\n", vms);
}

}  // namespace
}  // namespace palisade
