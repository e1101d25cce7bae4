// palisaded under faults it did not choose: killed with SIGKILL in the middle
// of load, again and again, on one audit log with fsync on. Every call a
// client saw answered has its decision in the log, the log verifies after
// each restart, and clients that saw UNAVAILABLE get answers again. Also:
// what a killed server leaves behind (nothing), SIGTERM with several calls
// in flight, oversized and malformed messages, and thousands of concurrent
// streams against a small queue.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/proc_inspect.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::AuthedContext;

policy::AuditVerdict VerifyLog(const fs::path& log) {
  std::ifstream in(log);
  return policy::VerifyAuditLog(in);
}

// The log's records as JSON (lines that do not parse are left out: the
// verifier is what judges the file).
std::vector<nlohmann::json> LogEvents(const fs::path& log) {
  std::vector<nlohmann::json> events;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) events.push_back(std::move(j));
  }
  return events;
}

std::unique_ptr<grpc::ClientContext> TaggedContext(const std::string& request_id,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto ctx = AuthedContext("alice-token", timeout);
  ctx->AddMetadata("x-request-id", request_id);
  return ctx;
}

std::string CreateSandboxOf(v1::Palisade::Stub& stub, const std::string& module) {
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(module);
  v1::SandboxInfo sb;
  grpc::Status s = stub.CreateSandbox(AuthedContext("alice-token").get(), cs, &sb);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return sb.id();
}

// Invocations started on `sandboxes`, all told: a call counts from when a
// worker takes it up.
uint64_t Invocations(v1::Palisade::Stub& stub, const std::vector<std::string>& sandboxes) {
  uint64_t total = 0;
  for (const std::string& id : sandboxes) {
    v1::GetSandboxRequest get;
    get.set_id(id);
    v1::SandboxInfo info;
    if (stub.GetSandbox(AuthedContext("alice-token").get(), get, &info).ok()) total += info.invocations();
  }
  return total;
}

// Asks until `done` holds or `timeout` passes; whether it held.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "\n  " + l;
  return out;
}

// Waits for a fixed number of callbacks, whichever threads they come on.
class Countdown {
 public:
  explicit Countdown(size_t n) : left_(n) {}
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--left_ == 0) cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return left_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t left_;
};

// What a broken or hostile client can put on the wire: any bytes as the
// messages of any method, with any metadata.
struct RawCall {
  std::string what;
  std::string method;
  std::vector<std::string> messages;  // a unary call sends exactly messages[0]
  bool streaming = false;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::set<grpc::StatusCode> want;
  // gRPC ends the whole connection of a call whose metadata is over its
  // limit, failing the other calls on it too: such a call gets one of its own.
  bool own_connection = false;
};

// A streaming call of raw messages: writes them all, half-closes, reads
// whatever comes back, and reports the status.
class RawStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawStream(grpc::GenericStub& stub, const RawCall& call, std::chrono::system_clock::time_point deadline,
            grpc::Status* status, Countdown* done)
      : messages_(call.messages), status_(status), done_(done) {
    for (const auto& [key, value] : call.metadata) ctx_.AddMetadata(key, value);
    ctx_.set_deadline(deadline);
    stub.PrepareBidiStreamingCall(&ctx_, call.method, grpc::StubOptions(), this);
    StartRead(&in_);
    WriteNext();
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();  // not ok: the server already ended the call
  }
  void OnReadDone(bool ok) override {
    if (ok) StartRead(&in_);
  }
  void OnDone(const grpc::Status& s) override {
    *status_ = s;
    done_->Done();
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  void WriteNext() {
    if (next_ == messages_.size()) {
      StartWritesDone();
      return;
    }
    grpc::Slice slice(messages_[next_++]);
    out_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&out_);
  }

  grpc::ClientContext ctx_;
  const std::vector<std::string> messages_;
  size_t next_ = 0;
  grpc::ByteBuffer out_, in_;
  grpc::Status* status_;
  Countdown* done_;
};

// Runs `calls` all at once; their statuses, in order. A call still running
// after `timeout` fails the test (its status is then DEADLINE_EXCEEDED from
// its own deadline, which is `timeout`).
std::vector<grpc::Status> RunRawCalls(testing::PalisadedProcess& server, const std::vector<RawCall>& calls,
                                      std::chrono::milliseconds timeout) {
  grpc::GenericStub shared(server.channel());
  std::vector<std::unique_ptr<grpc::GenericStub>> own;
  const auto deadline = std::chrono::system_clock::now() + timeout;
  std::vector<grpc::Status> statuses(calls.size());
  Countdown done(calls.size());
  struct Unary {
    grpc::ClientContext ctx;
    grpc::ByteBuffer request, response;
  };
  std::vector<std::unique_ptr<Unary>> unary;
  std::vector<std::unique_ptr<RawStream>> streams;
  for (size_t i = 0; i < calls.size(); ++i) {
    const RawCall& call = calls[i];
    grpc::GenericStub* stub = &shared;
    if (call.own_connection) {
      grpc::ChannelArguments args;  // channels with equal arguments share a connection
      args.SetInt("palisade.test.connection", static_cast<int>(own.size()));
      own.push_back(std::make_unique<grpc::GenericStub>(
          grpc::CreateCustomChannel(server.address(), grpc::InsecureChannelCredentials(), args)));
      stub = own.back().get();
    }
    if (call.streaming) {
      streams.push_back(std::make_unique<RawStream>(*stub, call, deadline, &statuses[i], &done));
      continue;
    }
    auto u = std::make_unique<Unary>();
    for (const auto& [key, value] : call.metadata) u->ctx.AddMetadata(key, value);
    u->ctx.set_deadline(deadline);
    grpc::Slice slice(call.messages.at(0));
    u->request = grpc::ByteBuffer(&slice, 1);
    stub->UnaryCall(&u->ctx, call.method, grpc::StubOptions(), &u->request, &u->response,
                   [&statuses, &done, i](grpc::Status s) {
                     statuses[i] = std::move(s);
                     done.Done();
                   });
    unary.push_back(std::move(u));
  }
  // Past their deadline every call has ended one way or another; the slack
  // is for the callbacks to run.
  if (!done.Wait(timeout + std::chrono::seconds(5))) {
    ADD_FAILURE() << "calls still running past their deadline";
    // Cancelled calls end promptly; their state must outlive them.
    for (auto& u : unary) u->ctx.TryCancel();
    for (auto& st : streams) st->Cancel();
    done.Wait(std::chrono::hours(1));
  }
  return statuses;
}

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

// SIGTERM with every worker busy: two invokes computing in their guests, a
// WASI run and a streamed WASI run sleeping in theirs. Each is answered OK
// with its own result after the signal, calls made during the drain are
// UNAVAILABLE and never start, the process exits 0, and the log verifies
// and holds each drained call's end.
TEST(Chaos, SigtermDrainsEveryCallInFlight) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "workers: 4\n"), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string calls = testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("calls"));
  const std::string sleeper = testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("sleep_command"));
  const std::string sandbox = CreateSandboxOf(*stub, calls);
  // A worker counts as running a moment after it answered: settled first,
  // `running` below counts only the calls made here.
  testing::WaitForStats(*stub, "alice-token", [](const v1::Stats& s) { return s.running() == 0; },
                        std::chrono::seconds(2));

  struct Answer {
    grpc::Status status;
    std::string result;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, std::future<Answer>> in_flight;
  // `count` loops N times and returns N: about a second of guest work each,
  // and the counts differ so an answer cannot be another call's.
  const std::map<std::string, int32_t> counts = {{"drain-invoke-0", 400'000'000}, {"drain-invoke-1", 400'000'001}};
  for (const auto& [id, n] : counts) {
    in_flight[id] = std::async(std::launch::async, [&stub, &sandbox, id = id, n = n] {
      v1::InvokeRequest count;
      count.set_sandbox_id(sandbox);
      count.set_function("count");
      count.add_args()->set_i32(n);
      v1::InvokeResponse out;
      Answer a;
      a.status = stub->Invoke(TaggedContext(id).get(), count, &out);
      a.at = std::chrono::steady_clock::now();
      if (out.results_size() == 1) a.result = std::to_string(out.results(0).i32());
      return a;
    });
  }
  v1::RunWasiRequest sleep;
  sleep.set_module_sha256(sleeper);
  in_flight["drain-run"] = std::async(std::launch::async, [&] {
    v1::RunWasiResponse out;
    Answer a;
    a.status = stub->RunWasi(TaggedContext("drain-run").get(), sleep, &out);
    a.at = std::chrono::steady_clock::now();
    a.result = out.stdout() + "exit " + std::to_string(out.exit_code());
    return a;
  });
  in_flight["drain-stream"] = std::async(std::launch::async, [&] {
    auto ctx = TaggedContext("drain-stream");
    auto reader = stub->RunWasiStream(ctx.get(), sleep);
    Answer a;
    v1::RunWasiEvent event;
    while (reader->Read(&event)) {
      a.result += event.stdout();
      if (event.has_done()) a.result += "exit " + std::to_string(event.done().exit_code());
    }
    a.status = reader->Finish();
    a.at = std::chrono::steady_clock::now();
    return a;
  });
  const v1::Stats busy = testing::WaitForStats(
      *stub, "alice-token", [](const v1::Stats& s) { return s.running() == 4; }, std::chrono::seconds(5));
  ASSERT_EQ(busy.running(), 4u);
  const auto sigterm_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(Eventually([&] { return testing::HealthStatus(server.channel()) == 2; }, std::chrono::seconds(2)));
  // palisaded marks itself draining right after it stops serving health.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  // New work while draining, each kind of call that would reach a worker.
  {
    v1::InvokeRequest count;
    count.set_sandbox_id(sandbox);
    count.set_function("count");
    count.add_args()->set_i32(1);
    v1::InvokeResponse out;
    grpc::Status s = stub->Invoke(TaggedContext("refused-invoke").get(), count, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    v1::RunWasiResponse ran;
    s = stub->RunWasi(TaggedContext("refused-run").get(), sleep, &ran);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    auto ctx = TaggedContext("refused-stream");
    auto reader = stub->RunWasiStream(ctx.get(), sleep);
    v1::RunWasiEvent event;
    EXPECT_FALSE(reader->Read(&event));
    s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    v1::CreateSandboxRequest cs;
    cs.set_module_sha256(calls);
    v1::SandboxInfo sb;
    s = stub->CreateSandbox(TaggedContext("refused-create").get(), cs, &sb);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    v1::ModuleInfo info;
    auto upload_ctx = TaggedContext("refused-upload");
    auto writer = stub->UploadModule(upload_ctx.get(), &info);
    v1::UploadModuleRequest chunk;
    chunk.set_chunk(testing::TestModuleBytes("counter"));
    writer->Write(chunk);
    writer->WritesDone();
    s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
  // Those were refused by a server still draining, not by one already gone.
  v1::Stats draining;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &draining).ok());
  EXPECT_GT(draining.running(), 0u);

  std::map<std::string, std::string> want = {{"drain-invoke-0", "400000000"},
                                             {"drain-invoke-1", "400000001"},
                                             {"drain-run", "slept\nexit 0"},
                                             {"drain-stream", "slept\nexit 0"}};
  for (auto& [id, call] : in_flight) {
    Answer a = call.get();
    EXPECT_TRUE(a.status.ok()) << id << ": " << a.status.error_code() << " " << a.status.error_message();
    EXPECT_EQ(a.result, want[id]) << id;
    EXPECT_GT(a.at, sigterm_at) << id << " was answered before the signal: not drained";
    std::printf("%s answered %lld ms after SIGTERM\n", id.c_str(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(a.at - sigterm_at).count()));
  }
  EXPECT_EQ(server.Stop(0), 0);  // already signalled: just wait for the exit

  policy::AuditVerdict v = VerifyLog(server.audit_log());
  ASSERT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  std::map<std::string, nlohmann::json> ends;
  std::set<std::string> started, refused;
  for (const nlohmann::json& e : LogEvents(server.audit_log())) {
    const std::string event = e.value("event", "");
    if (event == "invoke_end" || event == "run_end") ends[e.value("request", "")] = e;
    if (event == "refused" && e.value("reason", "") == "the server is shutting down") {
      refused.insert(e.value("request", ""));
    }
    if (event == "invoke_start" || event == "run_start" || event == "sandbox_create" || event == "module_upload") {
      started.insert(e.value("request", ""));
    }
  }
  for (const std::string id : {"drain-invoke-0", "drain-invoke-1"}) {
    ASSERT_TRUE(ends.count(id)) << id << " has no end in the log";
    EXPECT_EQ(ends[id].value("decision", ""), "allow") << ends[id].dump();
    EXPECT_EQ(ends[id].value("outcome", ""), "ok") << ends[id].dump();
  }
  for (const std::string id : {"drain-run", "drain-stream"}) {
    ASSERT_TRUE(ends.count(id)) << id << " has no end in the log";
    EXPECT_EQ(ends[id].value("decision", ""), "allow") << ends[id].dump();
    EXPECT_EQ(ends[id].value("outcome", ""), "exit") << ends[id].dump();
    EXPECT_EQ(ends[id].value("exit_code", -1), 0) << ends[id].dump();
  }
  for (const std::string id : {"refused-invoke", "refused-run", "refused-stream", "refused-create", "refused-upload"}) {
    EXPECT_EQ(started.count(id), 0u) << id << " was refused but its work started";
    EXPECT_EQ(refused.count(id), 1u) << id << ": its refusal is not on the record";
  }
}

// Messages over the configured cap and requests that are not what their
// method expects, one at a time and a few hundred at once: each gets its own
// clear status, none reaches a handler it cannot be parsed for, and the
// server stays healthy with a log that verifies.
//   over max_receive_bytes: RESOURCE_EXHAUSTED from gRPC, unary or streamed;
//   bytes that do not parse as the request: UNIMPLEMENTED (gRPC 1.51's
//     callback API fails a call whose request does not deserialize with
//     UNIMPLEMENTED and no message, before the service sees it);
//   an unknown method or service: UNIMPLEMENTED;
//   initial metadata over gRPC's 8 KiB default: RESOURCE_EXHAUSTED (and
//     gRPC closes that connection);
//   a missing, malformed or unknown token: UNAUTHENTICATED, on the record;
//   a hostile x-request-id: the call is served under a fresh id.
TEST(Chaos, OversizedAndMalformedMessagesGetClearErrors) {
  PALISADE_REQUIRE_KVM();
  constexpr size_t kCap = 64 << 10;
  std::string config = testing::StandardTestConfig();
  const std::string standard_cap = "max_receive_bytes: 1048576\n";
  ASSERT_NE(config.find(standard_cap), std::string::npos);
  config.replace(config.find(standard_cap), standard_cap.size(), "max_receive_bytes: " + std::to_string(kCap) + "\n");
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(config), "");
  auto stub = v1::Palisade::NewStub(server.channel());

  using Code = grpc::StatusCode;
  const std::pair<std::string, std::string> alice = {"authorization", "Bearer alice-token"};
  auto method = [](const std::string& name) { return "/palisade.v1.Palisade/" + name; };
  std::vector<RawCall> cases;
  {
    v1::RunRequest over;
    over.set_module_bytes(std::string(kCap + 1024, 'x'));
    cases.push_back({"Run over the cap", method("Run"), {over.SerializeAsString()}, false, {alice},
                     {Code::RESOURCE_EXHAUSTED}});
    v1::UploadModuleRequest chunk;
    chunk.set_chunk(std::string(kCap + 1024, 'x'));
    cases.push_back({"an upload chunk over the cap", method("UploadModule"), {chunk.SerializeAsString()}, true,
                     {alice}, {Code::RESOURCE_EXHAUSTED}});
    // Just under the cap gets through to the service: the cap is the one
    // configured, not some smaller one. (Padding in a field GetStatsRequest
    // does not have: parsers keep unknown fields.)
    const std::string padding(kCap - 1024, 'p');
    std::string under = "\x7a";  // field 15, length-delimited, then the length as a varint
    size_t n = padding.size();
    for (; n >= 0x80; n >>= 7) under.push_back(static_cast<char>((n & 0x7f) | 0x80));
    under.push_back(static_cast<char>(n));
    under += padding;
    cases.push_back({"GetStats under the cap", method("GetStats"), {under}, false, {alice}, {Code::OK}});
  }
  const std::vector<std::pair<std::string, std::string>> garbage = {
      {"a length past the end", std::string("\x0a\x7f" "abc", 5)},
      {"an 11-byte varint", std::string("\x08") + std::string(10, '\xff') + "\x01"},
      {"field number 0", std::string("\x00\x01", 2)},
      {"an end-group with no group", std::string("\x0c", 1)},
  };
  for (const std::string name : {"Invoke", "GetModule", "CreateSandbox", "GetSandbox", "DestroySandbox",
                                 "DescribeFunction", "RunWasi", "Run", "GetStats", "ListSandboxes"}) {
    for (const auto& [what, bytes] : garbage) {
      cases.push_back({name + " with " + what, method(name), {bytes}, false, {alice}, {Code::UNIMPLEMENTED}});
    }
  }
  // Well-formed on the wire, but proto3 strings must be UTF-8.
  for (const std::string name : {"Invoke", "GetModule", "CreateSandbox", "RunWasi", "DestroySandbox"}) {
    cases.push_back({name + " with a non-UTF-8 string", method(name), {std::string("\x0a\x02\xff\xfe", 4)}, false,
                     {alice}, {Code::UNIMPLEMENTED}});
  }
  for (const auto& [what, bytes] : garbage) {
    cases.push_back({"RunWasiStream with " + what, method("RunWasiStream"), {bytes}, true, {alice},
                     {Code::UNIMPLEMENTED}});
  }
  cases.push_back({"an unknown method", method("NoSuchMethod"), {""}, false, {alice}, {Code::UNIMPLEMENTED}});
  cases.push_back({"an unknown service", "/palisade.v0.Palisade/GetStats", {""}, false, {alice},
                   {Code::UNIMPLEMENTED}});
  cases.push_back({"an unknown streaming method", method("NoSuchStream"), {"", ""}, true, {alice},
                   {Code::UNIMPLEMENTED}});
  cases.push_back({"a 20 KiB token", method("GetStats"), {""}, false,
                   {{"authorization", "Bearer " + std::string(20 << 10, 'k')}}, {Code::RESOURCE_EXHAUSTED}, true});
  cases.push_back({"9 KiB of junk metadata", method("Invoke"), {""}, false,
                   {alice, {"x-junk", std::string(9 << 10, 'j')}}, {Code::RESOURCE_EXHAUSTED}, true});
  cases.push_back({"a 4 KiB token", method("GetStats"), {""}, false,
                   {{"authorization", "Bearer " + std::string(4 << 10, 'k')}}, {Code::UNAUTHENTICATED}});
  cases.push_back({"Basic auth", method("GetStats"), {""}, false, {{"authorization", "Basic YWxpY2U6eA=="}},
                   {Code::UNAUTHENTICATED}});
  cases.push_back({"no token", method("GetStats"), {""}, false, {}, {Code::UNAUTHENTICATED}});
  cases.push_back({"a token in a binary header", method("GetStats"), {""}, false,
                   {{"authorization-bin", std::string("Bearer alice-token\0\xff", 20)}}, {Code::UNAUTHENTICATED}});
  const std::string hostile_id = "x\",\"decision\":\"allow\",\"tenant\":\"root";
  cases.push_back({"a hostile request id", method("GetStats"), {""}, false, {alice, {"x-request-id", hostile_id}},
                   {Code::OK}});
  cases.push_back({"binary junk metadata", method("GetStats"), {""}, false,
                   {alice, {"x-junk-bin", std::string("\0\x01\xfe\xff", 4)}}, {Code::OK}});

  size_t unauthenticated = 0;
  auto check = [&](const std::vector<RawCall>& calls, const std::vector<grpc::Status>& statuses) {
    for (size_t i = 0; i < calls.size(); ++i) {
      const grpc::Status& s = statuses[i];
      if (s.error_code() == Code::UNAUTHENTICATED) ++unauthenticated;
      EXPECT_TRUE(calls[i].want.count(s.error_code()))
          << calls[i].what << ": " << s.error_code() << " " << s.error_message();
    }
  };
  // One at a time first: a request that cannot be parsed writes nothing to
  // the log, because no handler (and no authentication) ever runs for it.
  v1::Stats before, after;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &before).ok());
  std::vector<RawCall> unparsable;
  for (const RawCall& c : cases) {
    // An upload's handler runs (and authenticates) when the call starts,
    // before any message arrives.
    if (c.method == method("UploadModule")) continue;
    if (c.want == std::set<Code>{Code::UNIMPLEMENTED} || c.want == std::set<Code>{Code::RESOURCE_EXHAUSTED}) {
      unparsable.push_back(c);
    }
  }
  for (const RawCall& c : unparsable) check({c}, RunRawCalls(server, {c}, std::chrono::seconds(5)));
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &after).ok());
  EXPECT_EQ(after.audit_seq(), before.audit_seq() + 1) << "only the second GetStats is on the record";
  for (const RawCall& c : cases) check({c}, RunRawCalls(server, {c}, std::chrono::seconds(5)));

  // An upload whose only message is not an UploadModuleRequest: gRPC 1.51
  // ends the server's reading as if the client had half-closed, so the
  // server sees an empty module, which validation refuses (or, in the crowd
  // below, a full queue).
  const RawCall garbage_upload = {"an upload of garbage", method("UploadModule"), {garbage[0].second}, true, {alice},
                                  {Code::INVALID_ARGUMENT}};
  check({garbage_upload}, RunRawCalls(server, {garbage_upload}, std::chrono::seconds(5)));

  // All of it at once, several times over.
  std::vector<RawCall> crowd;
  for (int round = 0; round < 6; ++round) {
    for (const RawCall& c : cases) {
      // Each of these makes the server's protobuf library log a line; twice is enough.
      if (c.what.find("non-UTF-8") == std::string::npos) crowd.push_back(c);
    }
    crowd.push_back(garbage_upload);
    crowd.back().want.insert(Code::RESOURCE_EXHAUSTED);
  }
  const auto crowd_start = std::chrono::steady_clock::now();
  check(crowd, RunRawCalls(server, crowd, std::chrono::seconds(8)));
  std::printf("%zu malformed, oversized or unauthenticated calls at once: answered in %lld ms\n", crowd.size(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - crowd_start)
                                         .count()));

  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &after).ok());
  EXPECT_EQ(after.modules(), 0u);
  policy::AuditVerdict v = VerifyLog(server.audit_log());
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  size_t denied = 0;
  for (const nlohmann::json& e : LogEvents(server.audit_log())) {
    EXPECT_NE(e.value("request", ""), hostile_id) << "the client's hostile request id reached the log";
    if (e.value("event", "") == "auth" && e.value("decision", "") == "deny") ++denied;
  }
  EXPECT_EQ(denied, unauthenticated) << "every refused token is on the record, once";
}

// Thousands of streams at once against two workers and a queue of 256: every
// one is answered before its deadline, either with its own program's output
// or with RESOURCE_EXHAUSTED from the full queue, and nothing else; the
// server's memory stays bounded, it is healthy afterwards, and every stream
// that ran has its end in a log that verifies. The callback API lets a few
// client threads hold all of them.
TEST(Chaos, ThousandsOfConcurrentStreams) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "workers: 2\nqueue_capacity: 256\n"), "");
  const pid_t pid = server.pid();
  auto stub = v1::Palisade::NewStub(server.channel());
  const std::string program = testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("cli_program"));
  ASSERT_FALSE(program.empty());
  const uint64_t rss_at_start = testing::StatusKib(pid, "VmRSS");

  constexpr int kStreams = 2000, kChannels = 4;
  static constexpr auto kDeadline = std::chrono::seconds(20);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::Palisade::Stub>> stubs;
  for (int c = 0; c < kChannels; ++c) {
    // Channels with equal arguments would share one connection.
    grpc::ChannelArguments args;
    args.SetInt("palisade.test.channel", c);
    channels.push_back(grpc::CreateCustomChannel(server.address(), grpc::InsecureChannelCredentials(), args));
    stubs.push_back(v1::Palisade::NewStub(channels.back()));
  }

  class Stream final : public grpc::ClientReadReactor<v1::RunWasiEvent> {
   public:
    Stream(v1::Palisade::Stub& stub, const std::string& module, int n, Countdown* done) : done_(done) {
      ctx_.AddMetadata("authorization", "Bearer alice-token");
      ctx_.AddMetadata("x-request-id", "stream-" + std::to_string(n));
      ctx_.set_deadline(std::chrono::system_clock::now() + kDeadline);
      request_.set_module_sha256(module);
      request_.add_args("stream-" + std::to_string(n));
      started_ = std::chrono::steady_clock::now();
      stub.async()->RunWasiStream(&ctx_, &request_, this);
      StartRead(&event_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      stdout_ += event_.stdout();
      if (event_.has_done()) exit_code_ = event_.done().exit_code();
      StartRead(&event_);
    }
    void OnDone(const grpc::Status& s) override {
      status_ = s;
      took_ = std::chrono::steady_clock::now() - started_;
      done_->Done();
    }
    void Cancel() { ctx_.TryCancel(); }

    grpc::Status status_;
    std::string stdout_;
    int exit_code_ = -1;
    std::chrono::steady_clock::duration took_{};

   private:
    grpc::ClientContext ctx_;
    v1::RunWasiRequest request_;
    v1::RunWasiEvent event_;
    std::chrono::steady_clock::time_point started_;
    Countdown* done_;
  };

  std::atomic<bool> sampling{true};
  std::atomic<uint64_t> peak_rss{0};
  std::thread sampler([&] {
    while (sampling.load()) {
      const uint64_t rss = testing::StatusKib(pid, "VmRSS");
      if (rss > peak_rss.load()) peak_rss.store(rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Countdown done(kStreams);
  std::vector<std::unique_ptr<Stream>> streams;
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < kStreams; ++n) {
    streams.push_back(std::make_unique<Stream>(*stubs[n % kChannels], program, n, &done));
  }
  const bool all_done = done.Wait(kDeadline + std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - start;
  sampling.store(false);
  sampler.join();
  if (!all_done) {
    ADD_FAILURE() << "streams still open past their deadline";
    for (auto& s : streams) s->Cancel();
    done.Wait(std::chrono::hours(1));
  }

  int ok = 0, rejected = 0;
  std::set<std::string> ran;
  std::chrono::steady_clock::duration slowest{};
  for (int n = 0; n < kStreams; ++n) {
    const Stream& s = *streams[n];
    slowest = std::max(slowest, s.took_);
    if (s.status_.ok()) {
      ++ok;
      ran.insert("stream-" + std::to_string(n));
      EXPECT_EQ(s.stdout_, "stream-" + std::to_string(n) + "\n");
      EXPECT_EQ(s.exit_code_, 3) << "stream " << n;
    } else if (s.status_.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++rejected;
      EXPECT_THAT(s.status_.error_message(), ::testing::HasSubstr("queue is full"));
    } else {
      ADD_FAILURE() << "stream " << n << ": " << s.status_.error_code() << " " << s.status_.error_message();
    }
  }
  const uint64_t hwm = testing::StatusKib(pid, "VmHWM");
  std::printf("%d streams on %d channels in %lld ms: %d ran, %d refused by the full queue; slowest %lld ms; "
              "server RSS %llu KiB at start, %llu KiB peak sampled, VmHWM %llu KiB\n",
              kStreams, kChannels,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()), ok,
              rejected, static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()),
              static_cast<unsigned long long>(rss_at_start), static_cast<unsigned long long>(peak_rss.load()),
              static_cast<unsigned long long>(hwm));
  EXPECT_EQ(ok + rejected, kStreams);
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0) << "the queue never filled: the test did not push the server";
  EXPECT_LT(slowest, kDeadline);
  EXPECT_LT(hwm, uint64_t{1} << 20) << "KiB: the server's memory grew with the streams";

  v1::Stats stats = testing::WaitForStats(
      *stub, "alice-token", [](const v1::Stats& s) { return s.running() == 0 && s.queue_depth() == 0; },
      std::chrono::seconds(5));
  EXPECT_EQ(stats.calls_rejected(), static_cast<uint64_t>(rejected));
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  v1::RunWasiRequest run;
  run.set_module_sha256(program);
  run.add_args("after");
  v1::RunWasiResponse out;
  ASSERT_TRUE(stub->RunWasi(AuthedContext("alice-token").get(), run, &out).ok());
  EXPECT_EQ(out.stdout(), "after\n");
  policy::AuditVerdict v = VerifyLog(server.audit_log());
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  std::set<std::string> ended;
  int refusals = 0;
  for (const nlohmann::json& e : LogEvents(server.audit_log())) {
    if (e.value("event", "") == "run_end" && e.value("method", "") == "RunWasiStream" &&
        e.value("decision", "") == "allow") {
      ended.insert(e.value("request", ""));
    }
    refusals += e.value("event", "") == "refused" && e.value("method", "") == "RunWasiStream";
  }
  EXPECT_EQ(ended, ran) << "the streams that ran and the ends on record differ";
  EXPECT_EQ(refusals, rejected) << "every stream the full queue refused is on the record";
}

// A name that is no sandbox id or module digest is refused as such, and
// never echoed: echoed, an id of about 8 KiB put the status trailer over
// gRPC's metadata limit, so the client could not read its answer and its
// connection was torn down, failing every other call on it.
TEST(Chaos, AHugeIdIsRefusedAndSparesTheOtherCallsOnItsConnection) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::RunWasiRequest sleep;
  sleep.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("sleep_command")));
  testing::WaitForStats(*stub, "alice-token", [](const v1::Stats& s) { return s.running() == 0; },
                        std::chrono::seconds(2));
  auto unrelated = std::async(std::launch::async, [&] {
    v1::RunWasiResponse out;
    grpc::Status s = stub->RunWasi(AuthedContext("alice-token").get(), sleep, &out);
    return std::make_pair(s, out.stdout());
  });
  testing::WaitForStats(*stub, "alice-token", [](const v1::Stats& s) { return s.running() == 1; },
                        std::chrono::seconds(2));
  v1::GetModuleRequest module;
  module.set_sha256(std::string(9000, 'a'));
  v1::ModuleInfo info;
  grpc::Status s = stub->GetModule(AuthedContext("alice-token").get(), module, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);
  v1::GetSandboxRequest sandbox;
  sandbox.set_id(std::string(9000, 'b'));
  v1::SandboxInfo sb;
  s = stub->GetSandbox(AuthedContext("alice-token").get(), sandbox, &sb);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);
  auto [status, out] = unrelated.get();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(out, "slept\n");
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  policy::AuditVerdict v = VerifyLog(server.audit_log());
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
}

// A message in an upload stream that does not parse fails the upload: gRPC
// 1.51 reports it exactly like the end of the stream (OnReadDone(false)),
// so the server reads the stream raw and parses each message itself;
// before, it stored whatever came first as the whole module.
TEST(Chaos, AnUnparsableChunkFailsTheUploadInsteadOfEndingIt) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(testing::StandardTestConfig()), "");
  v1::UploadModuleRequest first;
  first.set_chunk(testing::TestModuleBytes("counter"));
  const RawCall upload = {"a valid chunk, then garbage", "/palisade.v1.Palisade/UploadModule",
                          {first.SerializeAsString(), std::string("\x0a\x7f" "abc", 5)}, true,
                          {{"authorization", "Bearer alice-token"}}, {}};
  const grpc::Status s = RunRawCalls(server, {upload}, std::chrono::seconds(5)).at(0);
  EXPECT_FALSE(s.ok()) << "the server took the first chunk for the whole module";
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  ASSERT_TRUE(stub->GetStats(AuthedContext("alice-token").get(), {}, &stats).ok());
  EXPECT_EQ(stats.modules(), 0u);
  EXPECT_EQ(testing::HealthStatus(server.channel()), 1);
  policy::AuditVerdict v = VerifyLog(server.audit_log());
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
}

}  // namespace
}  // namespace palisade
