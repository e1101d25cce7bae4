// Tenant policy files: the shipped ones load and mean what they say; bad
// ones are refused with the file, line and field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/tenant_policy.h"

namespace palisade::policy {
namespace {

using ::testing::HasSubstr;

std::string Shipped(const std::string& name) { return std::string(PALISADE_SOURCE_DIR) + "/policy/" + name + ".textproto"; }

TEST(TenantPolicy, TheShippedPoliciesLoad) {
  auto def = LoadTenantPolicy(Shipped("default"));
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->wasi_denied, 0u);
  EXPECT_TRUE(def->clocks && def->random);
  EXPECT_TRUE(def->proto.wasi().environment() && def->proto.wasi().preopens());

  auto strict = LoadTenantPolicy(Shipped("strict"));
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_TRUE(strict->Denies("path_open"));
  EXPECT_TRUE(strict->Denies("fd_readdir"));
  EXPECT_FALSE(strict->Denies("fd_write"));
  EXPECT_FALSE(strict->Denies("proc_exit"));
  EXPECT_TRUE(strict->refuse_denied_imports);
  EXPECT_FALSE(strict->proto.wasi().environment());
  EXPECT_GT(strict->proto.limits().fuel(), 0u);
  EXPECT_GT(strict->proto.calls_per_second(), 0u);

  auto det = LoadTenantPolicy(Shipped("deterministic"));
  ASSERT_TRUE(det.ok()) << det.status();
  EXPECT_THAT(det->DeniedFunctions(), ::testing::ElementsAre("clock_time_get", "clock_res_get", "random_get"));
  EXPECT_FALSE(det->clocks);
  EXPECT_FALSE(det->random);
  EXPECT_FALSE(det->refuse_denied_imports);
  EXPECT_FALSE(det->proto.wasi().environment());
}

TEST(TenantPolicy, EngineDefaultsToTheCompiler) {
  auto unset = ParseTenantPolicy("name: \"x\"\n", "p.textproto");
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_TRUE(unset->compiler);
  auto compiler = ParseTenantPolicy("name: \"x\"\nengine: ENGINE_COMPILER\n", "p.textproto");
  ASSERT_TRUE(compiler.ok()) << compiler.status();
  EXPECT_TRUE(compiler->compiler);
  auto interpreter = ParseTenantPolicy("name: \"x\"\nengine: ENGINE_INTERPRETER\n", "p.textproto");
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_FALSE(interpreter->compiler);
  auto unknown = ParseTenantPolicy("name: \"x\"\nengine: ENGINE_JIT\n", "p.textproto");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("p.textproto:"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("ENGINE_JIT"));
}

TEST(TenantPolicy, ErrorsNameTheFileLineAndField) {
  auto unknown_field = ParseTenantPolicy("name: \"x\"\nfuel: 3\n", "p.textproto");
  ASSERT_FALSE(unknown_field.ok());
  EXPECT_THAT(unknown_field.status().message(), HasSubstr("p.textproto:2:"));
  EXPECT_THAT(unknown_field.status().message(), HasSubstr("no field named \"fuel\""));

  auto bad = ParseTenantPolicy(
      "name: \"x\"\n"
      "wasi {\n"
      "  allow_functions: \"fd_write\"\n"
      "  deny_functions: \"clock_tim_get\"\n"
      "  deny_functions: \"proc_exit\"\n"
      "}\n"
      "limits { max_memory_pages: 70000 memory_bytes: 4096 }\n"
      "call_burst: 2\n",
      "p.textproto");
  ASSERT_FALSE(bad.ok());
  const std::string m(bad.status().message());
  EXPECT_THAT(m, HasSubstr("p.textproto:4:3: wasi.deny_functions: 'clock_tim_get' is not a WASI function"));
  EXPECT_THAT(m, HasSubstr("p.textproto:5:3: wasi.deny_functions: proc_exit cannot be denied"));
  EXPECT_THAT(m, HasSubstr("p.textproto:7:10: limits.max_memory_pages"));
  EXPECT_THAT(m, HasSubstr("limits.memory_bytes: at least 16 MiB"));
  EXPECT_THAT(m, HasSubstr("p.textproto:8:1: call_burst: needs calls_per_second"));
}

TEST(TenantPolicy, AnAllowListDeniesEverythingElseButProcExit) {
  auto p = ParseTenantPolicy("wasi { allow_functions: [\"fd_write\"] }\n", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->Denies("fd_write"));
  EXPECT_FALSE(p->Denies("proc_exit"));
  EXPECT_TRUE(p->Denies("fd_read"));
  EXPECT_TRUE(p->Denies("clock_time_get"));
  EXPECT_FALSE(p->clocks);
  EXPECT_TRUE(LoadTenantPolicy("/nonexistent.textproto").status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace palisade::policy
