// SIGTERM with several kinds of call in flight: each is answered with its
// result and recorded, new calls are refused (and recorded as refused)
// while the server drains, and it exits 0.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
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
using testing::LogEvents;
using testing::TaggedContext;
using testing::VerifyLog;

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
  // `count` loops N times and returns N: about a second of guest work each
  // (QEMU's emulation is several times slower: an eighth of the loop there),
  // and the counts differ so an answer cannot be another call's.
  const int32_t loops = testing::KvmIsEmulated() ? 50'000'000 : 400'000'000;
  const std::map<std::string, int32_t> counts = {{"drain-invoke-0", loops}, {"drain-invoke-1", loops + 1}};
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

  std::map<std::string, std::string> want = {{"drain-invoke-0", std::to_string(loops)},
                                             {"drain-invoke-1", std::to_string(loops + 1)},
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

}  // namespace
}  // namespace palisade
