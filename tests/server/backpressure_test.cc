// palisaded under pressure: a full call queue refuses with
// RESOURCE_EXHAUSTED instead of growing, and SIGTERM in the middle of a
// call lets that call finish (health NOT_SERVING, new calls UNAVAILABLE)
// before the server exits 0. Both need VMs that stay busy: /dev/kvm.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <iterator>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/test_modules.h"
#include "tests/support/require_kvm.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::AuthedContext;


TEST(Backpressure, AFullQueueIsResourceExhaustedNotUnboundedMemory) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "workers: 1\nqueue_capacity: 1\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("snapshot_target")));
  v1::SandboxInfo sb;
  ASSERT_TRUE(stub->CreateSandbox(AuthedContext("alice-token").get(), cs, &sb).ok());

  // One spinning call runs, one waits; every other is refused at once.
  constexpr int kCalls = 6;
  std::vector<std::future<grpc::Status>> calls;
  auto spin = [&] {
    v1::InvokeRequest spin;
    spin.set_sandbox_id(sb.id());
    spin.set_function("spin");
    v1::InvokeResponse out;
    return stub->Invoke(AuthedContext("alice-token", std::chrono::seconds(3)).get(), spin, &out);
  };
  // The first must have left the queue for the worker before the others
  // arrive (on fast KVM they would otherwise find it still queued).
  calls.push_back(std::async(std::launch::async, spin));
  // Its invocation is counted when a worker starts it (Stats' `running`
  // can still count the worker of a call already answered).
  for (int i = 0; i < 200; ++i) {
    v1::GetSandboxRequest get;
    get.set_id(sb.id());
    v1::SandboxInfo info;
    if (stub->GetSandbox(AuthedContext("alice-token").get(), get, &info).ok() && info.invocations() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int i = 1; i < kCalls; ++i) calls.push_back(std::async(std::launch::async, spin));
  int rejected = 0, expired = 0;
  for (auto& c : calls) {
    grpc::Status s = c.get();
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++rejected;
      EXPECT_THAT(s.error_message(), HasSubstr("queue is full"));
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
      ++expired;
    }
  }
  EXPECT_EQ(rejected, kCalls - 2);
  EXPECT_EQ(expired, 2);
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.calls_rejected(), static_cast<uint64_t>(kCalls - 2));
  EXPECT_EQ(stats.queue_capacity(), 1u);
  // Once the queue drains (the clients gave up at their deadlines a moment
  // before the server stopped the VMs), the server answers normally again.
  stats = testing::WaitForStats(
      *stub, "alice-token",
      [](const v1::Stats& s) { return s.running() == 0 && s.queue_depth() == 0; },
      std::chrono::seconds(5));
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sb.id());
  bump.set_function("bump");
  v1::InvokeResponse out;
  grpc::Status s = stub->Invoke(AuthedContext("alice-token").get(), bump, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.results(0).i32(), 1043);
}

TEST(Shutdown, SigtermMidCallLetsTheCallFinishThenExitsCleanly) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::RunWasiRequest run;
  run.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("sleep_command")));  // sleeps 1.5 s, prints "slept"
  ASSERT_EQ(testing::HealthStatus(server.channel()), 1);
  // The upload's validation may still hold a worker a moment after its
  // answer; "running == 1" below must mean the sleeping call.
  testing::WaitForStats(
      *stub, "alice-token", [](const v1::Stats& s) { return s.running() == 0 && s.queue_depth() == 0; },
      std::chrono::seconds(5));

  auto in_flight = std::async(std::launch::async, [&] {
    v1::RunWasiResponse out;
    grpc::Status s = stub->RunWasi(AuthedContext("alice-token").get(), run, &out);
    return std::make_pair(s, out);
  });
  // Wait until the VM runs, then ask the server to stop.
  v1::Stats stats = testing::WaitForStats(
      *stub, "alice-token", [](const v1::Stats& s) { return s.running() == 1; }, std::chrono::seconds(2));
  ASSERT_EQ(stats.running(), 1u);
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Draining: not serving, and new work is refused.
  EXPECT_EQ(testing::HealthStatus(server.channel()), 2);
  v1::RunWasiResponse refused;
  grpc::Status s = stub->RunWasi(AuthedContext("alice-token").get(), run, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  // The call that was running completes normally.
  auto [status, out] = in_flight.get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.stdout(), "slept\n");
  EXPECT_EQ(out.exit_code(), 0);
  EXPECT_EQ(server.Stop(0), 0);  // already signalled: just wait for the exit
}

}  // namespace
}  // namespace palisade
