// palisaded rotating its audit log under load, confined by its seccomp
// policy (which allows creating and renaming files in the log's directory
// and nowhere else; enforced unless this is a sanitizer build): the rotated
// files and the live one verify as one series, with `palisade audit verify`
// too, and Stats' head is the series'.
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_log.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;

TEST(AuditRotation, PalisadedRotatesUnderLoadAndTheSeriesVerifies) {
  testing::PalisadedProcess server;
  // palisaded's default confinement: seccomp enforced in a normal build (so
  // rotation works only through the rules it adds for the log's directory),
  // logged in a sanitizer build, whose runtime makes calls no policy allows.
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "audit_rotate_bytes: 8192\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        v1::Stats stats;
        EXPECT_TRUE(stub->GetStats(AuthedContext(i % 2 ? "alice-token" : "bob-token").get(), {}, &stats).ok());
      }
    });
  }
  for (std::thread& t : clients) t.join();
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);

  const std::string log = server.audit_log().string();
  std::vector<std::string> files;
  for (uint64_t i = 1; std::filesystem::exists(policy::RotatedAuditFile(log, i)); ++i) {
    files.push_back(policy::RotatedAuditFile(log, i));
  }
  // 201 authentications of ~300 bytes each at 8 KiB a file.
  EXPECT_GE(files.size(), 5u);
  files.push_back(log);
  const std::vector<policy::AuditSeriesFile> r = policy::VerifyAuditSeries(files);
  ASSERT_EQ(r.size(), files.size());
  ASSERT_TRUE(r.back().verdict.ok) << r.back().path << ":" << r.back().verdict.bad_line << ": "
                                   << r.back().verdict.reason;
  // The last GetStats's own line is the head it reported.
  EXPECT_EQ(stats.audit_head(), r.back().verdict.last_sha256);
  EXPECT_EQ(stats.audit_seq(), r.back().verdict.last_seq);

  std::vector<std::string> argv = {PALISADE_CLI_PATH, "audit", "verify", log};  // newest first: order is found
  argv.insert(argv.end(), files.begin(), files.end() - 1);
  testing::ProcessResult verify = testing::RunProcess(argv);
  EXPECT_EQ(verify.status, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr(std::to_string(files.size()) + " files: chain intact"));
  EXPECT_THAT(verify.out, HasSubstr(stats.audit_head()));
  // Without the oldest file, the rest still verify, and the CLI says where
  // the checked chain begins.
  argv.erase(argv.begin() + 4);
  verify = testing::RunProcess(argv);
  EXPECT_EQ(verify.status, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("continues audit.jsonl.000001, which was not given"));
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace palisade
