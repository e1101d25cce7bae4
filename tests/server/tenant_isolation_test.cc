// Tenants under attack: bob, with his own valid token, tries every RPC that
// names a module or a sandbox against alice's, by digest and id. Every try
// is NOT_FOUND with the same message a made-up name gets (nothing confirms
// that alice's exist), every try is audited as a denied lookup, and Stats
// counts only the caller's own modules and sandboxes.
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

using testing::AuthedContext;

// What bob gets back for a name, with the name itself blanked out.
struct Answer {
  grpc::StatusCode code;
  std::string message;
  bool operator==(const Answer&) const = default;
};
Answer Blank(const grpc::Status& s, const std::string& name) {
  return {s.error_code(), std::regex_replace(s.error_message(), std::regex(name), "NAME")};
}

TEST(TenantIsolation, AnotherTenantsModulesAndSandboxesAreNotFoundAndTheTriesAudited) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string digest = testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("counter"));
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(digest);
  v1::SandboxInfo sandbox;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("alice-token").get(), cs, &sandbox).ok());
  const std::string made_up_digest(64, 'a'), made_up_id = "sb-000000000000000000000000";

  // Each RPC, once with alice's real name and once with a made-up one.
  auto module_rpcs = [&](const std::string& d) {
    std::vector<grpc::Status> out;
    v1::GetModuleRequest gm;
    gm.set_sha256(d);
    v1::ModuleInfo info;
    out.push_back(stub->GetModule(AuthedContext("bob-token").get(), gm, &info));
    v1::CreateSandboxRequest c;
    c.set_module_sha256(d);
    v1::SandboxInfo sb;
    out.push_back(stub->CreateSandbox(AuthedContext("bob-token").get(), c, &sb));
    v1::RunWasiRequest run;
    run.set_module_sha256(d);
    v1::RunWasiResponse ran;
    out.push_back(stub->RunWasi(AuthedContext("bob-token").get(), run, &ran));
    v1::RunRequest one;
    one.set_module_sha256(d);
    out.push_back(stub->Run(AuthedContext("bob-token").get(), one, &ran));
    v1::DeleteModuleRequest del;
    del.set_sha256(d);
    v1::DeleteModuleResponse deleted;
    out.push_back(stub->DeleteModule(AuthedContext("bob-token").get(), del, &deleted));
    return out;
  };
  auto sandbox_rpcs = [&](const std::string& id) {
    std::vector<grpc::Status> out;
    v1::GetSandboxRequest get;
    get.set_id(id);
    v1::SandboxInfo info;
    out.push_back(stub->GetSandbox(AuthedContext("bob-token").get(), get, &info));
    v1::InvokeRequest invoke;
    invoke.set_sandbox_id(id);
    invoke.set_function("bump");
    v1::InvokeResponse result;
    out.push_back(stub->Invoke(AuthedContext("bob-token").get(), invoke, &result));
    v1::DescribeFunctionRequest describe;
    describe.set_sandbox_id(id);
    describe.set_function("bump");
    v1::FunctionType type;
    out.push_back(stub->DescribeFunction(AuthedContext("bob-token").get(), describe, &type));
    v1::DestroySandboxRequest destroy;
    destroy.set_id(id);
    v1::DestroySandboxResponse gone;
    out.push_back(stub->DestroySandbox(AuthedContext("bob-token").get(), destroy, &gone));
    return out;
  };
  const auto real_modules = module_rpcs(digest), fake_modules = module_rpcs(made_up_digest);
  const auto real_sandboxes = sandbox_rpcs(sandbox.id()), fake_sandboxes = sandbox_rpcs(made_up_id);
  for (size_t i = 0; i < real_modules.size(); ++i) {
    SCOPED_TRACE("module RPC " + std::to_string(i));
    EXPECT_EQ(real_modules[i].error_code(), grpc::StatusCode::NOT_FOUND) << real_modules[i].error_message();
    EXPECT_EQ(Blank(real_modules[i], digest), Blank(fake_modules[i], made_up_digest));
  }
  for (size_t i = 0; i < real_sandboxes.size(); ++i) {
    SCOPED_TRACE("sandbox RPC " + std::to_string(i));
    EXPECT_EQ(real_sandboxes[i].error_code(), grpc::StatusCode::NOT_FOUND) << real_sandboxes[i].error_message();
    EXPECT_EQ(Blank(real_sandboxes[i], sandbox.id()), Blank(fake_sandboxes[i], made_up_id));
  }
  // Alice's module survived bob's DeleteModule, her sandbox his
  // DestroySandbox; both still answer her.
  v1::GetModuleRequest mine;
  mine.set_sha256(digest);
  v1::ModuleInfo info;
  EXPECT_TRUE(stub->GetModule(AuthedContext("alice-token").get(), mine, &info).ok());
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sandbox.id());
  bump.set_function("bump");
  v1::InvokeResponse out;
  ASSERT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
  // Stats: bob has nothing; alice sees her one module and one sandbox.
  v1::Stats bob, alice;
  ASSERT_TRUE(stub->GetStats(AuthedContext("bob-token").get(), {}, &bob).ok());
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &alice).ok());
  EXPECT_EQ(bob.modules(), 0u);
  EXPECT_EQ(bob.sandboxes(), 0u);
  EXPECT_EQ(alice.modules(), 1u);
  EXPECT_EQ(alice.sandboxes(), 1u);
  // Every try is on the record as bob's denied lookup.
  std::ifstream in(server.audit_log());
  int denied = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"event\":\"lookup\"") != std::string::npos &&
        line.find("\"tenant\":\"bob\"") != std::string::npos &&
        line.find("\"decision\":\"deny\"") != std::string::npos) {
      ++denied;
    }
  }
  EXPECT_EQ(denied, 2 * static_cast<int>(real_modules.size() + real_sandboxes.size()));
}

// The sandbox quota (3 per tenant in the test config) holds when the creates
// arrive together: each accepted create holds its place from the start.
TEST(TenantIsolation, TheSandboxQuotaHoldsUnderConcurrency) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(testing::UploadAs(*stub, "bob-token", testing::TestModuleBytes("counter")));
  constexpr int kCreates = 8;
  std::vector<std::thread> threads;
  std::vector<grpc::Status> results(kCreates);
  for (int i = 0; i < kCreates; ++i) {
    threads.emplace_back([&, i] {
      v1::SandboxInfo sb;
      results[i] = stub->CreateSandbox(AuthedContext("bob-token").get(), cs, &sb);
    });
  }
  for (std::thread& t : threads) t.join();
  int made = 0, refused = 0;
  for (const grpc::Status& r : results) {
    if (r.ok()) {
      ++made;
    } else {
      EXPECT_EQ(r.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << r.error_message();
      ++refused;
    }
  }
  EXPECT_EQ(made, 3);
  EXPECT_EQ(refused, kCreates - 3);
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("bob-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.sandboxes(), 3u);
}

}  // namespace
}  // namespace palisade
