// palisaded sizes a run's guest to the module when the caller leaves
// memory_bytes at 0: a module with 16 MiB of code (more than a 256 MiB guest
// can load) runs for a tenant whose ceiling allows it, and a tenant whose
// ceiling is below the need gets RESOURCE_EXHAUSTED naming the need and the
// ceiling, not an out-of-memory from deep inside the guest.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::AuthedContext;

std::string Config() {
  return "max_receive_bytes: 33554432\n"
         "max_module_bytes: 33554432\n"
         "tenants { name: \"roomy\" token_sha256: \"" + Sha256Hex(std::string_view("roomy-token")) +
         "\" limits { memory_bytes: 1073741824 timeout_ms: 60000 } }\n"
         "tenants { name: \"tight\" token_sha256: \"" + Sha256Hex(std::string_view("tight-token")) +
         "\" limits { timeout_ms: 60000 } }\n";
}

grpc::Status RunWasi(v1::Palisade::Stub& stub, const std::string& token, const std::string& digest,
                 uint64_t memory_bytes, v1::RunWasiResponse* out) {
  v1::RunWasiRequest run;
  run.set_module_sha256(digest);
  run.mutable_limits()->set_memory_bytes(memory_bytes);
  auto ctx = AuthedContext(token, std::chrono::seconds(120));
  return stub.RunWasi(ctx.get(), run, out);
}

TEST(MemorySizing, RunsGetTheMemoryTheirModuleNeedsUnderTheTenantCeiling) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(Config()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string big = testing::TestModuleBytes("big_code");
  ASSERT_GT(big.size(), 16u << 20);
  const std::string roomy = testing::UploadAs(*stub, "roomy-token", big);
  const std::string tight = testing::UploadAs(*stub, "tight-token", big);
  ASSERT_FALSE(roomy.empty());
  ASSERT_FALSE(tight.empty());

  v1::RunWasiResponse out;
  grpc::Status s = RunWasi(*stub, "roomy-token", roomy, 0, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.exit_code(), 0);

  // Asked for explicitly, the size is what the caller said, and too small
  // stays too small: the guest runs out while loading.
  s = RunWasi(*stub, "roomy-token", roomy, 256ull << 20, &out);
  EXPECT_FALSE(s.ok() && out.exit_code() == 0);

  s = RunWasi(*stub, "tight-token", tight, 0, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), AllOf(HasSubstr("needs about"), HasSubstr("16.0 MiB of code"),
                                       HasSubstr("tenant 'tight' (limits.memory_bytes), 256.0 MiB")));
}

}  // namespace
}  // namespace palisade
