// tenants_file: tenants (their token hashes) from a file of their own, as a
// Kubernetes Secret mounts them beside a ConfigMap's config.
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;

TEST(TenantsFile, TenantsComeFromTheFileTheConfigNames) {
  testing::PalisadedProcess server;
  const std::string tenants = "tenants { name: \"carol\" token_sha256: \"" +
                              Sha256Hex(std::string_view("carol-token")) + "\" }\n";
  ASSERT_EQ(server.Start("tenants_file: \"tenants.textproto\"\n", {{"tenants.textproto", tenants}}), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  EXPECT_TRUE(stub->GetStats(testing::AuthedContext("carol-token").get(), {}, &stats).ok());
  EXPECT_FALSE(stub->GetStats(testing::AuthedContext("alice-token").get(), {}, &stats).ok());
}

TEST(TenantsFile, AMissingOrBadFileStopsTheServerSayingWhere) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream(dir + "/c1.textproto") << "tenants_file: \"nowhere.textproto\"\n";
    std::ofstream(dir + "/c2.textproto") << "tenants_file: \"bad_tenants.textproto\"\n";
    std::ofstream(dir + "/bad_tenants.textproto") << "tenants { name: \"x\" }\ntenants { nme: \"y\" }\n";
  }
  testing::ProcessResult r =
      testing::RunProcess({PALISADED_PATH, "--config", dir + "/c1.textproto", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("tenants_file: cannot read"));
  r = testing::RunProcess({PALISADED_PATH, "--config", dir + "/c2.textproto", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("bad_tenants.textproto:2"));
}

}  // namespace
}  // namespace palisade
