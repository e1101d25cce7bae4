// `palisade run --policy FILE`, in process and in the micro-VM: a denied
// clock fails the call cleanly (ENOTCAPABLE, reported once); REFUSE_MODULE
// refuses a module importing a denied function; the environment and
// preopens are withheld; limits come from the policy; and under the
// deterministic policy the same input gives the same output bit for bit.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/require_kvm.h"

#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

std::string Wasm(const std::string& name) { return std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm"; }
std::string Policy(const std::string& name) {
  return std::string(PALISADE_SOURCE_DIR) + "/policy/" + name + ".textproto";
}

// Runs in process (false) and in a micro-VM (true).
class PolicyRun : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) PALISADE_REQUIRE_KVM();  // the micro-VM half
  }
  ProcessResult Run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {PALISADE_CLI_PATH, "run"};
    if (!GetParam()) argv.push_back("--in-process");
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, input);
  }
};

TEST_P(PolicyRun, TheDeterministicPolicyFailsClockReadsCleanly) {
  // vm_stdio echoes stdin, then exits 1 if the clock or random_get fails.
  ProcessResult r = Run({"--policy", Policy("deterministic"), Wasm("vm_stdio")}, "same in, same out\n");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "same in, same out\n");
  EXPECT_THAT(r.err, HasSubstr("policy 'deterministic' denied clock_time_get"));
  ProcessResult again = Run({"--policy", Policy("deterministic"), Wasm("vm_stdio")}, "same in, same out\n");
  EXPECT_EQ(again.out, r.out);
  EXPECT_EQ(again.status, r.status);
  // The default policy lets the same program read both.
  ProcessResult open = Run({"--policy", Policy("default"), Wasm("vm_stdio")}, "x\n");
  EXPECT_EQ(open.status, 0) << open.err;
  EXPECT_EQ(open.err, "");
}

TEST_P(PolicyRun, StrictRefusesModulesImportingDeniedFunctions) {
  ProcessResult r = Run({"--policy", Policy("strict"), Wasm("fs_cat")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("denied import (the policy forbids it): wasi_snapshot_preview1.path_open"));
}

TEST_P(PolicyRun, EnvironmentPreopensAndLimitsFollowThePolicy) {
  ProcessResult env = Run({"--policy", Policy("strict"), "--env", "A=1", Wasm("vm_stdio")});
  EXPECT_EQ(env.status, 2);
  EXPECT_THAT(env.err, HasSubstr("does not pass environment variables"));
  ProcessResult dir = Run({"--policy", Policy("strict"), "--dir", "/tmp::/t", Wasm("vm_stdio")});
  EXPECT_EQ(dir.status, 2);
  EXPECT_THAT(dir.err, HasSubstr("allows no preopened directories"));
  // strict: 5 s and a fuel budget; a spinning program ends by one of them
  // even when the command line asks for an hour.
  ProcessResult spin = Run({"--policy", Policy("strict"), "--timeout", "1h", Wasm("spin_command")});
  EXPECT_EQ(spin.status, 134);
  EXPECT_THAT(spin.err, ::testing::AnyOf(HasSubstr("fuel exhausted"), HasSubstr("timeout")));
}

INSTANTIATE_TEST_SUITE_P(Modes, PolicyRun, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "InVm" : "InProcess"; });

}  // namespace
}  // namespace palisade
