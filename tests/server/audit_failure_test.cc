// Fail closed: a decision the audit log cannot record refuses its call with
// UNAVAILABLE, health says NOT_SERVING until a line is written again, and
// Stats counts the failures; `audit_failure: ALLOW_AND_COUNT` serves on and
// counts. The faults are real: /dev/full (ENOSPC on every write) and a file
// size limit set on the running server (EFBIG mid-run, then lifted).
#include <sys/resource.h>

#include <fstream>
#include <iterator>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;
using testing::HealthStatus;

constexpr int kServing = 1, kNotServing = 2;

grpc::Status Stats(v1::Palisade::Stub& stub, v1::Stats* out) {
  return stub.GetStats(AuthedContext("alice-token").get(), {}, out);
}

TEST(AuditFailure, ByDefaultAnUnrecordableDecisionRefusesItsCall) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "audit_log: \"/dev/full\"\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  grpc::Status s = Stats(*stub, &stats);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("audit log is failing"));
  EXPECT_THAT(s.error_message(), HasSubstr("No space left on device"));
  // The health service needs no token and no log: it says why calls fail.
  EXPECT_EQ(HealthStatus(server.channel()), kNotServing);
  // Unready, but alive: Kubernetes' liveness probe must not restart it.
  EXPECT_EQ(HealthStatus(server.channel(), "palisade.v1.Liveness"), kServing);
  // Refusals stay refusals: an unknown token is still UNAUTHENTICATED.
  EXPECT_EQ(stub->GetStats(AuthedContext("nobody").get(), {}, &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(AuditFailure, AllowAndCountServesOnAndCounts) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() +
                         "audit_log: \"/dev/full\"\naudit_failure: ALLOW_AND_COUNT\n"),
            "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats first, second;
  ASSERT_TRUE(Stats(*stub, &first).ok());
  ASSERT_TRUE(Stats(*stub, &second).ok());
  // The start record and every call's authentication failed to be written.
  EXPECT_GE(first.audit_failures(), 2u);
  EXPECT_EQ(second.audit_failures(), first.audit_failures() + 1);
  EXPECT_EQ(HealthStatus(server.channel()), kServing);
}

TEST(AuditFailure, ALogThatFillsUpMidRunRefusesCallsUntilItRecovers) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  ASSERT_TRUE(Stats(*stub, &stats).ok());
  EXPECT_EQ(HealthStatus(server.channel()), kServing);
  // The disk is full: no byte more fits in the log (RLIMIT_FSIZE on the
  // server, which then gets EFBIG).
  const auto size = std::filesystem::file_size(server.audit_log());
  struct rlimit full {static_cast<rlim_t>(size), RLIM_INFINITY};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &full, nullptr), 0);
  grpc::Status s = Stats(*stub, &stats);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("audit log is failing"));
  EXPECT_EQ(HealthStatus(server.channel()), kNotServing);
  EXPECT_EQ(std::filesystem::file_size(server.audit_log()), size);
  // Room again: the next call is served and recorded, health recovers, and
  // the refused call's failure was counted.
  struct rlimit room {RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &room, nullptr), 0);
  ASSERT_TRUE(Stats(*stub, &stats).ok());
  EXPECT_EQ(stats.audit_failures(), 1u);
  EXPECT_EQ(HealthStatus(server.channel()), kServing);
  // The log holds whole lines only and verifies; Stats names its head.
  std::ifstream in(server.audit_log());
  policy::AuditVerdict v = policy::VerifyAuditLog(in);
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  EXPECT_EQ(v.last_sha256, stats.audit_head());
  EXPECT_EQ(v.lines, stats.audit_seq());
  // The start record names the choice made for failures.
  std::ifstream again(server.audit_log());
  std::string first_line;
  std::getline(again, first_line);
  EXPECT_THAT(first_line, HasSubstr("\"audit_failure\":\"deny\""));
  EXPECT_THAT(first_line, HasSubstr("\"event\":\"start\""));
}

}  // namespace
}  // namespace palisade
