// InvokeModule end to end: a real palisaded, calls by module digest on its
// warm pools; what a replica without the module answers; replica names in
// sandbox ids.
#include <chrono>
#include <fstream>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;

v1::InvokeModuleRequest Bump(const std::string& digest) {
  v1::InvokeModuleRequest r;
  r.set_module_sha256(digest);
  r.set_function("bump");
  return r;
}

TEST(InvokeModule, CallsByDigestShareOneWarmPoolAndEachStartsFromTheSnapshot) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string digest = testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("counter"));
  for (int i = 0; i < 5; ++i) {
    v1::InvokeResponse out;
    grpc::Status s = stub->InvokeModule(AuthedContext("alice-token").get(), Bump(digest), &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(out.results_size(), 1);
    EXPECT_EQ(out.results(0).i32(), 1) << "call " << i << " saw an earlier call's writes";
  }
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.module_pools(), 1u);
  // Other limits, another pool; another tenant sees none of alice's.
  v1::InvokeModuleRequest smaller = Bump(digest);
  smaller.mutable_limits()->set_memory_bytes(64ull << 20);
  v1::InvokeResponse out;
  ASSERT_TRUE(stub->InvokeModule(AuthedContext("alice-token").get(), smaller, &out).ok());
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.module_pools(), 2u);
  ASSERT_TRUE(stub->GetStats(AuthedContext("bob-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.module_pools(), 0u);
  // A trap is a result, and the pool serves on after it.
  v1::InvokeModuleRequest missing = Bump(digest);
  missing.set_function("no_such_export");
  grpc::Status s = stub->InvokeModule(AuthedContext("alice-token").get(), missing, &out);
  EXPECT_FALSE(s.ok());
  ASSERT_TRUE(stub->InvokeModule(AuthedContext("alice-token").get(), Bump(digest), &out).ok());
  EXPECT_EQ(out.results(0).i32(), 1);
}

TEST(InvokeModule, AReplicaWithoutTheModuleSaysSoAndTakesItInline) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "replica: \"r1\"\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string bytes = testing::TestModuleBytes("counter");
  const std::string digest = Sha256Hex(bytes);
  grpc::ClientContext first;
  first.AddMetadata("authorization", "Bearer alice-token");
  v1::InvokeResponse out;
  grpc::Status s = stub->InvokeModule(&first, Bump(digest), &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("replica 'r1'"));
  const auto& trailers = first.GetServerTrailingMetadata();
  auto it = trailers.find("palisade-missing-module");
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), digest);
  // Bytes that are not the digest's are refused, and not stored.
  v1::InvokeModuleRequest wrong = Bump(digest);
  wrong.set_module(bytes + "x");
  s = stub->InvokeModule(AuthedContext("alice-token").get(), wrong, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  // The right bytes inline: stored, and the call goes on.
  v1::InvokeModuleRequest with = Bump(digest);
  with.set_module(bytes);
  s = stub->InvokeModule(AuthedContext("alice-token").get(), with, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.results(0).i32(), 1);
  s = stub->InvokeModule(AuthedContext("alice-token").get(), Bump(digest), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Stored for alice only: bob's call still finds no module.
  s = stub->InvokeModule(AuthedContext("bob-token").get(), Bump(digest), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  // Bad bytes whose digest is right are refused as an upload would be.
  const std::string junk("\0asm\x01\0\0\0\x01\x02", 10);
  v1::InvokeModuleRequest bad;
  bad.set_module_sha256(Sha256Hex(junk));
  bad.set_function("bump");
  bad.set_module(junk);
  s = stub->InvokeModule(AuthedContext("alice-token").get(), bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST(InvokeModule, SandboxIdsNameTheirReplicaAndOtherReplicasSaySo) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "replica: \"east-1\"\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest create;
  create.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("counter")));
  v1::SandboxInfo info;
  grpc::Status s = stub->CreateSandbox(AuthedContext("alice-token").get(), create, &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(info.id(), ::testing::StartsWith("sb-east-1-"));
  v1::InvokeRequest bump;
  bump.set_sandbox_id(info.id());
  bump.set_function("bump");
  v1::InvokeResponse out;
  ASSERT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
  bump.set_sandbox_id("sb-west-2-0123456789abcdef01234567");
  s = stub->Invoke(AuthedContext("alice-token").get(), bump, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("made on replica 'west-2', this is 'east-1'"));
}

TEST(InvokeModule, ABadReplicaNameStopsTheServerAtStart) {
  const std::string config = ::testing::TempDir() + "/bad_replica.textproto";
  {
    std::ofstream out(config);
    out << testing::StandardTestConfig() << "replica: \"no spaces\"\n";
  }
  testing::ProcessResult r = testing::RunProcess({PALISADED_PATH, "--config", config, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("replica: letters, digits and '-'"));
  r = testing::RunProcess({PALISADED_PATH, "--config", config, "--listen", "127.0.0.1:0", "--replica", "a/b"});
  EXPECT_EQ(r.status, 2) << r.err;
}

}  // namespace
}  // namespace palisade
