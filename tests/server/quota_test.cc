// Per-tenant quotas under concurrency: stored module bytes, calls in flight
// and call rate each hold when a tenant's requests arrive together, refuse
// with RESOURCE_EXHAUSTED and an audited reason, and leave the other tenant
// untouched. (The sandbox quota's test is in tenant_isolation_test.cc.)
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;

// A valid module `size` bytes long, made distinct by `tag`: the empty module
// plus one custom section of filler.
std::string ModuleOfSize(size_t size, int tag) {
  std::string m("\0asm\1\0\0\0", 8);
  const std::string name = "pad" + std::to_string(tag);
  // Section id 0, a LEB128 length (always 3 bytes here), the name, filler.
  const size_t payload = size - m.size() - 1 - 3;
  const size_t filler = payload - 1 - name.size();
  m.push_back('\0');
  m.push_back(static_cast<char>(0x80 | (payload & 0x7f)));
  m.push_back(static_cast<char>(0x80 | ((payload >> 7) & 0x7f)));
  m.push_back(static_cast<char>((payload >> 14) & 0x7f));
  m.push_back(static_cast<char>(name.size()));
  m += name;
  m.append(filler, 'x');
  return m;
}

int CountAuditLines(const std::filesystem::path& log, const std::vector<std::string>& needles) {
  std::ifstream in(log);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const std::string& s : needles) all = all && line.find(s) != std::string::npos;
    n += all;
  }
  return n;
}

TEST(Quota, StoredModuleBytesHoldUnderConcurrentUploads) {
  PALISADE_REQUIRE_KVM();
  constexpr size_t kModule = 20000, kQuota = 3 * kModule + kModule / 2;  // room for 3
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() +
                         "max_store_bytes_per_tenant: " + std::to_string(kQuota) + "\n"),
            "");
  auto stub = v1::Palisade::NewStub(server.channel());
  constexpr int kUploads = 8;
  std::vector<grpc::Status> results(kUploads);
  std::vector<std::string> digests(kUploads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([&, i] {
      v1::UploadModuleRequest chunk;
      chunk.set_chunk(ModuleOfSize(kModule, i));
      v1::ModuleInfo info;
      auto ctx = AuthedContext("alice-token");
      auto writer = stub->UploadModule(ctx.get(), &info);
      writer->Write(chunk);
      writer->WritesDone();
      results[i] = writer->Finish();
      digests[i] = info.sha256();
    });
  }
  for (std::thread& t : threads) t.join();
  int stored = 0, kept_tag = -1;
  std::string kept;
  for (int i = 0; i < kUploads; ++i) {
    if (results[i].ok()) {
      ++stored;
      kept = digests[i];
      kept_tag = i;
    } else {
      EXPECT_EQ(results[i].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << results[i].error_message();
      EXPECT_THAT(results[i].error_message(), HasSubstr("store quota"));
    }
  }
  EXPECT_EQ(stored, 3);
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.modules(), 3u);
  EXPECT_EQ(stats.module_bytes(), 3 * kModule);
  // Re-uploading a module it holds costs nothing, even at the quota.
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(testing::UploadAs(*stub, "alice-token", ModuleOfSize(kModule, kept_tag)), kept);
  // Bob's quota is his own: alice filling hers leaves his room whole.
  EXPECT_FALSE(testing::UploadAs(*stub, "bob-token", ModuleOfSize(kModule, 100)).empty());
  // Deleting frees room; the deleted digest is gone for her.
  v1::DeleteModuleRequest del;
  del.set_sha256(kept);
  v1::DeleteModuleResponse deleted;
  ASSERT_TRUE(stub->DeleteModule(AuthedContext("alice-token").get(), del, &deleted).ok());
  v1::GetModuleRequest get;
  get.set_sha256(kept);
  v1::ModuleInfo info;
  EXPECT_EQ(stub->GetModule(AuthedContext("alice-token").get(), get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(testing::UploadAs(*stub, "alice-token", ModuleOfSize(kModule, 200)).empty());
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.module_bytes(), 3 * kModule);
  EXPECT_EQ(CountAuditLines(server.audit_log(), {"\"event\":\"module_upload\"", "\"tenant\":\"alice\"",
                                                 "\"decision\":\"deny\"", "store quota"}),
            kUploads - 3);
  EXPECT_EQ(CountAuditLines(server.audit_log(), {"\"event\":\"module_delete\"", kept}), 1);
}

TEST(Quota, CallsInFlightHoldUnderConcurrency) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  // Alice may have 2 calls queued or running; the queue itself would take 8.
  ASSERT_EQ(server.Start(testing::StandardTestConfig() +
                         "workers: 2\nqueue_capacity: 8\nmax_calls_in_flight_per_tenant: 2\n"),
            "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("snapshot_target")));
  v1::SandboxInfo sb;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("alice-token").get(), cs, &sb).ok());
  auto spin = [&] {
    v1::InvokeRequest spin;
    spin.set_sandbox_id(sb.id());
    spin.set_function("spin");
    v1::InvokeResponse out;
    return stub->Invoke(AuthedContext("alice-token", std::chrono::milliseconds(1500)).get(), spin, &out);
  };
  // CreateSandbox's place is given back when gRPC is done with its call, a
  // moment after the client has the answer.
  testing::WaitForStats(*stub, "alice-token", [](const v1::Stats& s) { return s.calls_in_flight() == 0; },
                        std::chrono::seconds(2));
  constexpr int kCalls = 8;
  std::vector<grpc::Status> results(kCalls);
  std::atomic<uint32_t> most_seen{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      v1::Stats s;
      if (stub->GetStats(AuthedContext("alice-token").get(), {}, &s).ok()) {
        uint32_t seen = most_seen.load();
        while (s.calls_in_flight() > seen && !most_seen.compare_exchange_weak(seen, s.calls_in_flight())) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) threads.emplace_back([&, i] { results[i] = spin(); });
  for (std::thread& t : threads) t.join();
  done.store(true);
  watcher.join();
  int expired = 0, refused = 0;
  for (const grpc::Status& r : results) {
    if (r.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      ++expired;
    } else {
      EXPECT_EQ(r.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << r.error_message();
      EXPECT_THAT(r.error_message(), HasSubstr("calls in flight"));
      ++refused;
    }
  }
  EXPECT_EQ(expired, 2);
  EXPECT_EQ(refused, kCalls - 2);
  EXPECT_LE(most_seen.load(), 2u);
  // Bob has no such quota: his call runs while alice is at hers.
  v1::CreateSandboxRequest bcs;
  bcs.set_module_sha256(testing::UploadAs(*stub, "bob-token", testing::TestModuleBytes("counter")));
  v1::SandboxInfo bsb;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("bob-token").get(), bcs, &bsb).ok());
  // Once alice's calls are over, her places are hers again.
  const v1::Stats after = testing::WaitForStats(
      *stub, "alice-token", [](const v1::Stats& s) { return s.calls_in_flight() == 0; },
      std::chrono::seconds(5));
  EXPECT_EQ(after.calls_in_flight(), 0u);
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sb.id());
  bump.set_function("bump");
  v1::InvokeResponse out;
  EXPECT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
  EXPECT_EQ(CountAuditLines(server.audit_log(), {"\"event\":\"policy\"", "\"tenant\":\"alice\"",
                                                 "\"decision\":\"deny\"", "calls in flight"}),
            kCalls - 2);
}

TEST(Quota, CallRateHoldsUnderConcurrency) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() +
                             "tenants { name: \"carol\" token_sha256: \"" +
                             Sha256Hex(std::string_view("carol-token")) +
                             "\" policy_file: \"rated.textproto\" }\n",
                         {{"rated.textproto", "name: \"rated\"\ncalls_per_second: 5\ncall_burst: 4\n"}}),
            "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(testing::UploadAs(*stub, "carol-token", testing::TestModuleBytes("counter")));
  v1::SandboxInfo sb;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("carol-token").get(), cs, &sb).ok());
  constexpr int kThreads = 8, kEach = 10;
  std::atomic<int> allowed{0}, refused{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        v1::InvokeRequest bump;
        bump.set_sandbox_id(sb.id());
        bump.set_function("bump");
        v1::InvokeResponse out;
        grpc::Status s = stub->Invoke(AuthedContext("carol-token").get(), bump, &out);
        if (s.ok()) {
          ++allowed;
        } else {
          EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
          EXPECT_THAT(s.error_message(), HasSubstr("call-rate quota"));
          ++refused;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The burst, plus what the rate refilled while the calls ran; never more.
  EXPECT_GE(allowed.load(), 4);
  EXPECT_LE(allowed.load(), 4 + static_cast<int>(5 * seconds) + 1) << "over " << seconds << " s";
  EXPECT_EQ(allowed.load() + refused.load(), kThreads * kEach);
  // Alice shares no bucket with carol.
  v1::Stats stats;
  EXPECT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(CountAuditLines(server.audit_log(), {"\"event\":\"policy\"", "\"tenant\":\"carol\"",
                                                 "call-rate quota"}),
            refused.load());
}

}  // namespace
}  // namespace palisade
