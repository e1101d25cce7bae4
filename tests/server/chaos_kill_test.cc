// palisaded killed with SIGKILL: under load, again and again, on one audit
// log with fsync on, every call a client saw answered has its decision in
// the log, the log verifies after each restart and clients that saw
// UNAVAILABLE get answers again; and a new process on the same log holds no
// fd, memfd or VM the old one had.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_verify.h"
#include "tests/support/chaos_support.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/proc_inspect.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::AuthedContext;
using testing::CreateSandboxOf;
using testing::Eventually;
using testing::Invocations;
using testing::Joined;
using testing::VerifyLog;

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
          // Built with snprintf: GCC 12 misreads "r" + std::to_string(...) (a bogus -Wrestrict).
          char id[48];
          std::snprintf(id, sizeof id, "r%d-c%d-%d", round, c, n);
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
    // Emulated KVM (QEMU) runs everything far slower: a longer window per
    // round gives the same load to kill into.
    const int slow = testing::KvmIsEmulated() ? 10 : 1;
    std::this_thread::sleep_for(std::chrono::milliseconds((120 + 37 * round) * slow));
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

// What a server killed with SIGKILL leaves behind: nothing. Its VMs, memfds
// and fds went with the process (the kernel has no VM of it left), and the
// server started in its place on the same config and log holds nothing of
// it: after a warm-up call it has no VM and no memfd, and once the sandboxes
// it made are destroyed it is back to exactly the fds it started serving
// with.
TEST(Chaos, AfterKillNineTheNewServerHoldsNoLeftovers) {
  PALISADE_REQUIRE_KVM();
  const fs::path dir = fs::temp_directory_path() / ("palisaded-leftovers-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path log = dir / "audit.jsonl";
  const std::string config =
      testing::StandardTestConfig() + "workers: 2\naudit_log: \"" + log.string() + "\"\n";
  const std::string target = testing::TestModuleBytes("snapshot_target");
  const std::string program = testing::TestModuleBytes("cli_program");

  pid_t old_pid = -1;
  std::vector<pid_t> old_threads;
  {
    testing::PalisadedProcess first;
    ASSERT_EQ(first.Start(config), "");
    old_pid = first.pid();
    auto stub = v1::Palisade::NewStub(first.channel());
    const std::string module = testing::UploadAs(*stub, "alice-token", target);
    std::vector<std::string> sandboxes;
    for (int i = 0; i < 3; ++i) sandboxes.push_back(CreateSandboxOf(*stub, module));
    for (const std::string& id : sandboxes) {
      v1::InvokeRequest bump;
      bump.set_sandbox_id(id);
      bump.set_function("bump");
      v1::InvokeResponse out;
      ASSERT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
    }
    // Killed with VMs running, not only idle ones in the pools.
    std::vector<std::future<grpc::Status>> spinning;
    for (const std::string& id : sandboxes) {
      spinning.push_back(std::async(std::launch::async, [&stub, id] {
        v1::InvokeRequest spin;
        spin.set_sandbox_id(id);
        spin.set_function("spin");
        v1::InvokeResponse out;
        return stub->Invoke(AuthedContext("alice-token", std::chrono::seconds(10)).get(), spin, &out);
      }));
    }
    // Both workers are in spins once five invocations have started (a
    // worker's `running` alone can still be a bump that has answered).
    ASSERT_TRUE(Eventually([&] { return Invocations(*stub, sandboxes) >= 5; }, std::chrono::seconds(3)));
    // What the kill has to take with it: without these the checks below
    // would pass for a server that never made a VM.
    const std::vector<std::string> held = testing::OpenFdTargets(old_pid);
    EXPECT_GT(testing::CountContaining(held, "anon_inode:kvm-vm"), 0u) << Joined(held);
    EXPECT_GT(testing::CountContaining(held, "/memfd:"), 0u) << Joined(held);
    old_threads = testing::ThreadIds(old_pid);
    if (auto vms = testing::KvmDebugfsVms(old_threads)) {
      EXPECT_FALSE(vms->empty()) << "KVM lists no VM of a server running some";
    }
    EXPECT_EQ(first.Stop(SIGKILL), 128 + SIGKILL);
    for (auto& call : spinning) EXPECT_EQ(call.get().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_FALSE(testing::ProcessExists(old_pid));
  if (auto vms = testing::KvmDebugfsVms(old_threads)) {
    EXPECT_TRUE(vms->empty()) << "KVM still has VMs of the killed server:" << Joined(*vms);
  } else {
    std::printf("no KVM debugfs here: the kernel's own VM list is not checked\n");
  }

  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(config), "");
  {
    policy::AuditVerdict v = VerifyLog(log);
    ASSERT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  }
  const pid_t pid = server.pid();
  auto stub = v1::Palisade::NewStub(server.channel());
  // gRPC's own fds (the listener, the connection, its pollers) come with the
  // first call and stay: the baseline is taken after it.
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  ASSERT_EQ(testing::HealthStatus(server.channel()), 1);
  const std::vector<std::string> baseline = testing::OpenFdTargets(pid);
  EXPECT_EQ(testing::CountContaining(baseline, "anon_inode:kvm-vm"), 0u) << Joined(baseline);
  EXPECT_EQ(testing::CountContaining(baseline, "anon_inode:kvm-vcpu"), 0u) << Joined(baseline);
  EXPECT_EQ(testing::CountContaining(baseline, "/memfd:"), 0u) << Joined(baseline);
  EXPECT_THAT(testing::MemfdMappings(pid), ::testing::IsEmpty());

  // Every kind of VM work: validation, warm sandboxes, invokes, describe,
  // WASI runs unary and streamed, and a sandbox destroyed while a call runs
  // in it (its VMs go when that call ends).
  const std::string module = testing::UploadAs(*stub, "alice-token", target);
  const std::string command = testing::UploadAs(*stub, "alice-token", program);
  std::vector<std::string> sandboxes;
  for (int i = 0; i < 3; ++i) sandboxes.push_back(CreateSandboxOf(*stub, module));
  for (const std::string& id : sandboxes) {
    v1::InvokeRequest bump;
    bump.set_sandbox_id(id);
    bump.set_function("bump");
    v1::InvokeResponse out;
    ASSERT_TRUE(stub->Invoke(AuthedContext("alice-token").get(), bump, &out).ok());
    EXPECT_EQ(out.results(0).i32(), 1043);
    v1::DescribeFunctionRequest describe;
    describe.set_sandbox_id(id);
    describe.set_function("dirty");
    v1::FunctionType type;
    ASSERT_TRUE(stub->DescribeFunction(AuthedContext("alice-token").get(), describe, &type).ok());
  }
  v1::RunWasiRequest run;
  run.set_module_sha256(command);
  run.add_args("leftovers");
  v1::RunWasiResponse ran;
  ASSERT_TRUE(stub->RunWasi(AuthedContext("alice-token").get(), run, &ran).ok());
  EXPECT_EQ(ran.stdout(), "leftovers\n");
  {
    auto ctx = AuthedContext("alice-token");
    auto reader = stub->RunWasiStream(ctx.get(), run);
    v1::RunWasiEvent event;
    while (reader->Read(&event)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  const std::vector<std::string> serving = testing::OpenFdTargets(pid);
  EXPECT_GT(testing::CountContaining(serving, "anon_inode:kvm-vm"), 0u)
      << "the warm pools hold no VM while their sandboxes live:" << Joined(serving);
  if (auto vms = testing::KvmDebugfsVms(testing::ThreadIds(pid))) {
    EXPECT_FALSE(vms->empty()) << "KVM lists no VM of a server holding some";
  }
  auto spin_then_end = std::async(std::launch::async, [&] {
    v1::InvokeRequest spin;
    spin.set_sandbox_id(sandboxes[0]);
    spin.set_function("spin");
    v1::InvokeResponse out;
    return stub->Invoke(AuthedContext("alice-token", std::chrono::milliseconds(800)).get(), spin, &out);
  });
  // Running once its invocation is counted (a worker's `running` can still
  // be the last call's, which has already answered).
  ASSERT_TRUE(Eventually([&] { return Invocations(*stub, {sandboxes[0]}) == 2; }, std::chrono::seconds(2)));
  for (const std::string& id : sandboxes) {
    v1::DestroySandboxRequest destroy;
    destroy.set_id(id);
    v1::DestroySandboxResponse gone;
    ASSERT_TRUE(stub->DestroySandbox(AuthedContext("alice-token").get(), destroy, &gone).ok());
  }
  EXPECT_EQ(spin_then_end.get().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  stats = testing::WaitForStats(
      *stub, "alice-token",
      [](const v1::Stats& s) { return s.sandboxes() == 0 && s.running() == 0 && s.queue_depth() == 0; },
      std::chrono::seconds(5));
  ASSERT_EQ(stats.sandboxes(), 0u);

  // A worker lets go of a finished call's sandbox a moment after answering.
  std::vector<std::string> after;
  Eventually(
      [&] {
        after = testing::OpenFdTargets(pid);
        return after.size() <= baseline.size();
      },
      std::chrono::seconds(3));
  EXPECT_EQ(testing::CountContaining(after, "anon_inode:kvm-vm"), 0u) << Joined(after);
  EXPECT_EQ(testing::CountContaining(after, "anon_inode:kvm-vcpu"), 0u) << Joined(after);
  EXPECT_EQ(testing::CountContaining(after, "/memfd:"), 0u) << Joined(after);
  EXPECT_THAT(testing::MemfdMappings(pid), ::testing::IsEmpty());
  EXPECT_EQ(after.size(), baseline.size()) << "after serving:" << Joined(after) << "\nat start:" << Joined(baseline);
  if (auto vms = testing::KvmDebugfsVms(testing::ThreadIds(pid))) {
    EXPECT_THAT(*vms, ::testing::IsEmpty());
  }
  std::printf("fds: %zu at start, %zu while serving, %zu after (%zu VM fds while serving)\n", baseline.size(),
              serving.size(), after.size(), testing::CountContaining(serving, "anon_inode:kvm-vm"));

  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  v1::RunWasiResponse again;
  ASSERT_TRUE(stub->RunWasi(AuthedContext("alice-token").get(), run, &again).ok());
  EXPECT_EQ(again.stdout(), "leftovers\n");
  policy::AuditVerdict v = VerifyLog(log);
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace palisade
