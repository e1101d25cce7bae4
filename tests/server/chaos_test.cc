// palisaded under faults it did not choose: killed with SIGKILL in the middle
// of load, again and again, on one audit log with fsync on. Every call a
// client saw answered has its decision in the log, the log verifies after
// each restart, and clients that saw UNAVAILABLE get answers again.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::AuthedContext;

TEST(Chaos, KillNineUnderLoadLosesNoAnsweredDecision) {
  const fs::path dir = fs::temp_directory_path() / ("palisaded-chaos-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path log = dir / "audit.jsonl";
  const std::string config = testing::StandardTestConfig() + "audit_fsync: true\naudit_log: \"" +
                             log.string() + "\"\n";
  std::mutex mu;
  std::set<std::string> answered;
  uint64_t refused_after_kill = 0;
  constexpr int kRounds = 6, kClients = 4;
  for (int round = 0; round < kRounds; ++round) {
    testing::PalisadedProcess server;
    ASSERT_EQ(server.Start(config), "") << "round " << round;
    // The log left by the last kill verifies before the server adds to it.
    {
      std::ifstream in(log);
      policy::AuditVerdict v = policy::VerifyAuditLog(in);
      ASSERT_TRUE(v.ok) << "round " << round << ": " << v.reason << " at line " << v.bad_line;
    }
    auto stub = v1::Palisade::NewStub(server.channel());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        for (int n = 0; !stop.load(); ++n) {
          const std::string id = "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" + std::to_string(n);
          auto ctx = AuthedContext("alice-token", std::chrono::seconds(2));
          ctx->AddMetadata("x-request-id", id);
          v1::Stats stats;
          grpc::Status s = stub->GetStats(ctx.get(), {}, &stats);
          std::lock_guard<std::mutex> lock(mu);
          if (s.ok()) {
            answered.insert(id);
          } else {
            EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
            ++refused_after_kill;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(120 + 37 * round));
    EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // clients meet the dead server
    stop.store(true);
    for (std::thread& t : clients) t.join();
  }
  // One last start recovers whatever the last kill left, and serves.
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(config), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(server.Stop(SIGTERM), 0);

  std::ifstream in(log);
  policy::AuditVerdict v = policy::VerifyAuditLog(in);
  ASSERT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  std::set<std::string> recorded;
  std::ifstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "auth" && j.value("decision", "") == "allow") {
      recorded.insert(j.value("request", ""));
    }
  }
  ASSERT_GT(answered.size(), 100u) << "too little load to mean anything";
  size_t missing = 0;
  for (const std::string& id : answered) {
    if (recorded.count(id) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << answered.size() << " answered calls";
  std::printf("%zu answered calls over %d kills, all recorded; %llu refused while the server was down\n",
              answered.size(), kRounds, static_cast<unsigned long long>(refused_after_kill));
  fs::remove_all(dir);
}

// A cancellation storm: hundreds of calls into spinning guests, each cut off
// by its deadline or cancelled by its client a moment after it started.
// Afterwards no VM is left running, the server is healthy and serves, and
// the audit log verifies.
TEST(Chaos, ACancellationStormLeavesTheServerHealthy) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("snapshot_target")));
  v1::SandboxInfo sb;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("alice-token").get(), cs, &sb).ok());
  constexpr int kThreads = 16, kCalls = 20;
  std::vector<std::thread> threads;
  std::atomic<int> ended_early{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        v1::InvokeRequest spin;
        spin.set_sandbox_id(sb.id());
        spin.set_function("spin");
        v1::InvokeResponse out;
        const auto delay = std::chrono::milliseconds(1 + (t * kCalls + i) % 23);
        auto ctx = AuthedContext("alice-token", i % 2 == 0 ? delay : std::chrono::seconds(30));
        std::thread canceller;
        if (i % 2 == 1) {
          canceller = std::thread([&ctx, delay] {
            std::this_thread::sleep_for(delay);
            ctx->TryCancel();
          });
        }
        grpc::Status s = stub->Invoke(ctx.get(), spin, &out);
        if (canceller.joinable()) canceller.join();
        const auto code = s.error_code();
        if (code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED ||
            code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++ended_early;
        } else {
          ADD_FAILURE() << "call ended with " << code << ": " << s.error_message();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ended_early.load(), kThreads * kCalls);
  v1::Stats stats = testing::WaitForStats(
      *stub, "alice-token",
      [](const v1::Stats& s) { return s.running() == 0 && s.queue_depth() == 0; },
      std::chrono::seconds(5));
  EXPECT_EQ(stats.running(), 0u);
  EXPECT_EQ(stats.queue_depth(), 0u);
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sb.id());
  bump.set_function("bump");
  v1::InvokeResponse out;
  ASSERT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
  EXPECT_EQ(out.results(0).i32(), 1043);  // from the snapshot, whatever the storm left
  std::ifstream in(server.audit_log());
  policy::AuditVerdict v = policy::VerifyAuditLog(in);
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
}

// A streaming client that never reads: the server stops the run once a
// bounded amount of output waits unread, frees the worker, and tells the
// client why when it finally reads.
TEST(Chaos, AStreamingClientThatNeverReadsNeitherPinsAWorkerNorGrowsMemory) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "workers: 1\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::RunWasiRequest run;
  run.set_module_sha256(
      testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("flood_command")));
  auto ctx = AuthedContext("alice-token", std::chrono::seconds(60));
  std::unique_ptr<grpc::ClientReader<v1::RunWasiEvent>> stream = stub->RunWasiStream(ctx.get(), run);
  // Not reading. The worker comes free long before the run's own limits.
  const v1::Stats stats = testing::WaitForStats(
      *stub, "alice-token",
      [](const v1::Stats& s) { return s.running() == 0 && s.calls_total() > 0; },
      std::chrono::seconds(10));
  EXPECT_TRUE(stats.running() == 0 && stats.calls_total() > 0)
      << "the worker is still busy with the unread stream";
  v1::RunWasiEvent event;
  size_t bytes = 0;
  while (stream->Read(&event)) bytes += event.stdout().size();
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("unread"));
  EXPECT_LT(bytes, size_t{16} << 20);  // well short of the run's 16 MiB output cap
  // The server serves on.
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
}

}  // namespace
}  // namespace palisade
