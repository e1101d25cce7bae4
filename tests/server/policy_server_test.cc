// Tenant policies in palisaded: each limit and quota is enforced and lands
// in the audit log — module size, environment, call rate, sandbox count,
// fuel, linear memory, output — and WASI denials (a clock under the
// deterministic policy, a refused import under strict) are audited per
// function. Bad policy files stop the server at start with file and line.
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <iterator>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/test_modules.h"
#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;

std::string Tenant(const std::string& name, const std::string& policy_file) {
  return "tenants { name: \"" + name + "\" token_sha256: \"" + Sha256Hex(std::string_view(name + "-token")) +
         "\" policy_file: \"" + policy_file + "\" }\n";
}

class PolicyServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<testing::PalisadedProcess>();
    const std::string policies = std::string(PALISADE_SOURCE_DIR) + "/policy/";
    // tight and rated are written beside the config, which names them by
    // relative path.
    const std::map<std::string, std::string> files = {
        {"tight.textproto",
         "name: \"tight\"\nmax_module_bytes: 2000\nmax_sandboxes: 1\n"
         "limits { max_memory_pages: 4 fuel: 1000000 timeout_ms: 20000 max_output_bytes: 4096 }\n"},
        {"rated.textproto", "name: \"rated\"\ncalls_per_second: 1\ncall_burst: 2\n"}};
    ASSERT_EQ(server_->Start(Tenant("det", policies + "deterministic.textproto") +
                                 Tenant("strict", policies + "strict.textproto") +
                                 Tenant("tight", "tight.textproto") + Tenant("rated", "rated.textproto"),
                             files),
              "");
  }
  static void TearDownTestSuite() { server_.reset(); }

  std::unique_ptr<v1::Palisade::Stub> Stub() { return v1::Palisade::NewStub(server_->channel()); }
  std::string Audit() {
    std::ifstream in(server_->audit_log());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  grpc::Status Upload(const std::string& tenant, const std::string& bytes, v1::ModuleInfo* info) {
    auto ctx = AuthedContext(tenant + "-token");
    auto writer = Stub()->UploadModule(ctx.get(), info);
    v1::UploadModuleRequest r;
    r.set_chunk(bytes);
    writer->Write(r);
    writer->WritesDone();
    return writer->Finish();
  }
  grpc::Status RunInline(const std::string& tenant, const std::string& module, v1::RunWasiResponse* out,
                         std::vector<std::string> env = {}, const std::string& request_id = "") {
    v1::RunRequest run;
    run.set_module_bytes(module);
    for (const std::string& e : env) run.add_env(e);
    auto ctx = AuthedContext(tenant + "-token");
    if (!request_id.empty()) ctx->AddMetadata("x-request-id", request_id);
    return Stub()->Run(ctx.get(), run, out);
  }

  static std::unique_ptr<testing::PalisadedProcess> server_;
};
std::unique_ptr<testing::PalisadedProcess> PolicyServer::server_;

TEST(PolicyServerConfig, ABadPolicyFileStopsTheServerWithFileAndLine) {
  const std::string dir = ::testing::TempDir() + "/palisaded-bad-policy";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/bad.textproto") << "name: \"bad\"\nwasi { deny_functions: \"no_such_call\" }\n";
  std::ofstream(dir + "/config.textproto") << Tenant("t", "bad.textproto");
  testing::ProcessResult r =
      testing::RunProcess({PALISADED_PATH, "--listen", "127.0.0.1:0", "--config", dir + "/config.textproto"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("config.textproto:1:"));
  EXPECT_THAT(r.err, HasSubstr("tenants[0].policy_file: " + dir + "/bad.textproto:2:8: wasi.deny_functions: "
                               "'no_such_call' is not a WASI function"));
}

TEST_F(PolicyServer, ModuleSizeEnvironmentAndCallRateAreRefusedBeforeAnyVm) {
  v1::ModuleInfo info;
  grpc::Status big = Upload("tight", std::string(3000, 'x'), &info);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << big.error_message();
  EXPECT_THAT(big.error_message(), HasSubstr("2000-byte cap"));

  v1::RunWasiResponse out;
  grpc::Status env = RunInline("strict", "\0asm\1\0\0\0", &out, {"SECRET=1"});
  EXPECT_EQ(env.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(env.error_message(), HasSubstr("policy 'strict' passes no environment variables"));

  // rated: 1 call/s, bursts of 2. Three calls at once: two get through
  // (whatever they then do), the third is refused by the quota — at once,
  // so it does not matter how long the others take.
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(std::async(std::launch::async, [this, i] {
      v1::RunWasiResponse r;
      return RunInline("rated", std::string("\0asm\1\0\0\0", 8), &r, {}, "req-rated-" + std::to_string(i));
    }));
  }
  int refused = 0;
  for (auto& c : calls) {
    grpc::Status s = c.get();
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      EXPECT_THAT(s.error_message(), HasSubstr("call-rate quota: 1 calls/s"));
    }
  }
  EXPECT_EQ(refused, 1);

  const std::string audit = Audit();
  EXPECT_THAT(audit, HasSubstr("over the 2000-byte module cap"));
  EXPECT_THAT(audit, HasSubstr("passes no environment variables"));
  EXPECT_THAT(audit, ::testing::ContainsRegex(R"("reason":"call-rate quota[^"]*","request":"req-rated-[0-2]")"));
  EXPECT_THAT(audit, HasSubstr(R"("decision":"allow","event":"auth")"));
}

TEST_F(PolicyServer, TheDeterministicPolicyDeniesTheClockAndAuditsIt) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiResponse out;
  v1::RunRequest run;
  run.set_module_bytes(testing::TestModuleBytes("vm_stdio"));
  run.set_stdin("in\n");
  ASSERT_TRUE(Stub()->Run(AuthedContext("det-token").get(), run, &out).ok());
  EXPECT_EQ(out.stdout(), "in\n");
  EXPECT_EQ(out.exit_code(), 1);  // vm_stdio's answer to a failing clock
  const std::string audit = Audit();
  EXPECT_THAT(audit, ::testing::ContainsRegex(R"("event":"policy","function":"clock_time_get")"));
  EXPECT_THAT(audit, HasSubstr(R"("denied_calls":["clock_time_get"])"));
}

TEST_F(PolicyServer, StrictRefusesAModuleImportingADeniedFunction) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiResponse out;
  grpc::Status s = RunInline("strict", testing::TestModuleBytes("fs_cat"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("denied import (the policy forbids it): wasi_snapshot_preview1.path_open"));
  EXPECT_THAT(Audit(), HasSubstr(R"("outcome":"denied_import")"));
}

TEST_F(PolicyServer, FuelMemoryOutputAndSandboxLimitsAreEnforcedAndAudited) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  // snapshot_target fits tight's 2000-byte cap.
  ASSERT_TRUE(Upload("tight", testing::TestModuleBytes("snapshot_target"), &info).ok());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(info.sha256());
  v1::SandboxInfo sb;
  ASSERT_TRUE(Stub()->CreateSandbox(AuthedContext("tight-token").get(), cs, &sb).ok());
  EXPECT_EQ(sb.limits().max_memory_pages(), 4u);
  // One sandbox is tight's quota.
  v1::SandboxInfo second;
  EXPECT_EQ(Stub()->CreateSandbox(AuthedContext("tight-token").get(), cs, &second).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::InvokeRequest spin;
  spin.set_sandbox_id(sb.id());
  spin.set_function("spin");
  v1::InvokeResponse out;
  ASSERT_TRUE(Stub()->Invoke(AuthedContext("tight-token").get(), spin, &out).ok());
  EXPECT_EQ(out.trap().kind(), "fuel exhausted");

  v1::InvokeRequest grow;
  grow.set_sandbox_id(sb.id());
  grow.set_function("dirty");
  grow.add_args()->set_i32(10);  // asks for 10 pages; the policy allows 4
  ASSERT_TRUE(Stub()->Invoke(AuthedContext("tight-token").get(), grow, &out).ok());
  ASSERT_EQ(out.results_size(), 1);
  EXPECT_EQ(out.results(0).i32(), 2);  // memory.grow failed: still the initial 2 pages

  v1::RunWasiResponse flood;
  ASSERT_TRUE(RunInline("tight", testing::TestModuleBytes("flood_command"), &flood).ok());
  EXPECT_TRUE(flood.output_truncated());
  EXPECT_LE(flood.stdout().size() + flood.stderr().size(), 4096u);

  const std::string audit = Audit();
  EXPECT_THAT(audit, HasSubstr(R"("outcome":"fuel_limit")"));
  EXPECT_THAT(audit, HasSubstr(R"("outcome":"output_limit")"));
  EXPECT_THAT(audit, HasSubstr("sandbox quota"));
}

TEST_F(PolicyServer, ZzTheAuditLogVerifies) {
  EXPECT_EQ(server_->Stop(), 0);
  testing::ProcessResult r = testing::RunProcess({PALISADE_CLI_PATH, "audit", "verify", server_->audit_log().string()});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace
}  // namespace palisade
