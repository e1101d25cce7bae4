// palisaded end to end: a real server process on a loopback port, driven by
// the C++ client. Authentication, tenants, errors and limits need no VM;
// the calls that run Wasm need /dev/kvm (and run inside QEMU in ctest where
// it is absent).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"
#include <grpcpp/generic/generic_stub.h>

#include <future>

namespace palisade {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;


std::vector<uint8_t> Module(const std::string& name) {
  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<testing::PalisadedProcess>();  // one server for the whole suite
    const std::string error = server_->Start(testing::StandardTestConfig());
    ASSERT_EQ(error, "");
  }
  static void TearDownTestSuite() { server_.reset(); }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return testing::AuthedContext(token, timeout);
  }
  std::unique_ptr<v1::Palisade::Stub> Stub() { return v1::Palisade::NewStub(server_->channel()); }

  grpc::Status Upload(const std::string& token, const std::vector<uint8_t>& bytes,
                      v1::ModuleInfo* info, size_t chunk = 64 << 10) {
    auto ctx = Context(token);
    auto writer = Stub()->UploadModule(ctx.get(), info);
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      v1::UploadModuleRequest r;
      r.set_chunk(std::string(bytes.begin() + at, bytes.begin() + std::min(bytes.size(), at + chunk)));
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static std::unique_ptr<testing::PalisadedProcess> server_;
};
std::unique_ptr<testing::PalisadedProcess> ServerTest::server_;

TEST_F(ServerTest, CallsWithoutAValidTokenAreUnauthenticated) {
  v1::Stats stats;
  EXPECT_EQ(Stub()->GetStats(Context("").get(), {}, &stats).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Stub()->GetStats(Context("mallory").get(), {}, &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto ctx = Context("");
  ctx->AddMetadata("authorization", "Basic YWxpY2U6");
  EXPECT_EQ(Stub()->GetStats(ctx.get(), {}, &stats).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Stub()->GetStats(Context("alice-token").get(), {}, &stats).ok());
  EXPECT_GE(stats.workers(), 1u);
  EXPECT_EQ(stats.queue_capacity(), 64 * stats.workers());
}

// grpc.health.v1.Health/Check for the whole server, without its generated
// stubs (Debian ships none): an empty request, and a response whose field 1
// is the status (1 = SERVING).
TEST_F(ServerTest, HealthIsServing) {
  grpc::GenericStub stub(server_->channel());
  grpc::ClientContext ctx;
  grpc::Slice empty("");  // an empty message (a ByteBuffer of no slices is invalid)
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(ServerTest, UnknownModulesAndSandboxesAreNotFoundAndMalformedNamesInvalid) {
  v1::ModuleInfo info;
  v1::GetModuleRequest gm;
  gm.set_sha256(std::string(64, 'a'));
  EXPECT_EQ(Stub()->GetModule(Context("alice-token").get(), gm, &info).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::InvokeRequest inv;
  inv.set_sandbox_id("sb-000000000000000000000000");
  v1::InvokeResponse out;
  EXPECT_EQ(Stub()->Invoke(Context("alice-token").get(), inv, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  // A name that cannot be one is refused as such (and never echoed).
  inv.set_sandbox_id("sb-nope");
  grpc::Status bad = Stub()->Invoke(Context("alice-token").get(), inv, &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "not a sandbox id (sb-, a replica name and - if any, 24 hex digits): 7 bytes");
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(std::string(64, 'b'));
  v1::SandboxInfo sb;
  EXPECT_EQ(Stub()->CreateSandbox(Context("alice-token").get(), cs, &sb).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, OversizeMessagesAndModulesAreRefused) {
  // Over max_receive_bytes (1 MiB): gRPC refuses the message itself.
  v1::RunRequest run;
  run.set_module_bytes(std::string(2 << 20, 'x'));
  v1::RunWasiResponse out;
  EXPECT_EQ(Stub()->Run(Context("alice-token").get(), run, &out).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Under it, but over max_module_bytes (512 KiB), in chunks.
  v1::ModuleInfo info;
  grpc::Status s = Upload("alice-token", std::vector<uint8_t>(600 << 10, 0), &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("cap"));
}

TEST_F(ServerTest, AMismatchedDigestIsInvalid) {
  v1::ModuleInfo info;
  auto ctx = Context("alice-token");
  auto writer = Stub()->UploadModule(ctx.get(), &info);
  v1::UploadModuleRequest r;
  r.set_chunk("\0asm\1\0\0\0");
  r.set_expected_sha256(std::string(64, '0'));
  writer->Write(r);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("sha256"));
}

TEST_F(ServerTest, MalformedModulesAreInvalidArguments) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  std::vector<uint8_t> junk = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5};
  grpc::Status s = Upload("alice-token", junk, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("malformed module"));
}

TEST_F(ServerTest, UploadCreateInvokeDestroy) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  const std::vector<uint8_t> module = Module("snapshot_target");
  ASSERT_TRUE(Upload("alice-token", module, &info, 100).ok());  // small chunks
  EXPECT_EQ(info.sha256(), Sha256Hex(module));
  EXPECT_EQ(info.size(), module.size());

  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(info.sha256());
  v1::SandboxInfo sb;
  grpc::Status created = Stub()->CreateSandbox(Context("alice-token").get(), cs, &sb);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_THAT(sb.id(), ::testing::StartsWith("sb-"));

  // Signatures come from the guest; a missing export is NOT_FOUND.
  v1::DescribeFunctionRequest describe;
  describe.set_sandbox_id(sb.id());
  describe.set_function("dirty");
  v1::FunctionType type;
  ASSERT_TRUE(Stub()->DescribeFunction(Context("alice-token").get(), describe, &type).ok());
  ASSERT_EQ(type.params_size(), 1);
  EXPECT_EQ(type.params(0), v1::VALUE_TYPE_I32);
  ASSERT_EQ(type.results_size(), 1);
  EXPECT_EQ(type.results(0), v1::VALUE_TYPE_I32);
  describe.set_function("absent");
  grpc::Status missing = Stub()->DescribeFunction(Context("alice-token").get(), describe, &type);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(missing.error_message(), HasSubstr("exports no function 'absent'"));

  // Malformed requests: a value with no type, a v128 of 3 bytes, a call
  // to a missing export.
  v1::InvokeRequest untyped;
  untyped.set_sandbox_id(sb.id());
  untyped.set_function("dirty");
  untyped.add_args();
  v1::InvokeResponse unused;
  grpc::Status no_type = Stub()->Invoke(Context("alice-token").get(), untyped, &unused);
  EXPECT_EQ(no_type.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_type.error_message(), HasSubstr("no type"));
  untyped.mutable_args(0)->set_v128("abc");
  EXPECT_EQ(Stub()->Invoke(Context("alice-token").get(), untyped, &unused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::InvokeRequest nothing;
  nothing.set_sandbox_id(sb.id());
  nothing.set_function("absent");
  grpc::Status absent = Stub()->Invoke(Context("alice-token").get(), nothing, &unused);
  EXPECT_EQ(absent.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(absent.error_message(), HasSubstr("absent"));

  // Every call starts from the snapshot: the same answer each time.
  for (int i = 0; i < 5; ++i) {
    v1::InvokeRequest inv;
    inv.set_sandbox_id(sb.id());
    inv.set_function("bump");
    v1::InvokeResponse out;
    grpc::Status s = Stub()->Invoke(Context("alice-token").get(), inv, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(out.results_size(), 1);
    EXPECT_EQ(out.results(0).i32(), 1043);
    EXPECT_GT(out.dirty_pages(), 0u);
  }
  // A trap is a result; a wrong argument is INVALID_ARGUMENT.
  v1::InvokeRequest boom;
  boom.set_sandbox_id(sb.id());
  boom.set_function("boom");
  v1::InvokeResponse trapped;
  ASSERT_TRUE(Stub()->Invoke(Context("alice-token").get(), boom, &trapped).ok());
  EXPECT_EQ(trapped.trap().kind(), "unreachable");
  v1::InvokeRequest bad;
  bad.set_sandbox_id(sb.id());
  bad.set_function("dirty");
  bad.add_args()->set_i64(3);
  v1::InvokeResponse ignored;
  EXPECT_EQ(Stub()->Invoke(Context("alice-token").get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetSandboxRequest get;
  get.set_id(sb.id());
  v1::SandboxInfo got;
  ASSERT_TRUE(Stub()->GetSandbox(Context("alice-token").get(), get, &got).ok());
  EXPECT_EQ(got.invocations(), 8u);

  // Bob sees none of it.
  EXPECT_EQ(Stub()->GetSandbox(Context("bob-token").get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListSandboxesResponse list;
  ASSERT_TRUE(Stub()->ListSandboxes(Context("bob-token").get(), {}, &list).ok());
  EXPECT_EQ(list.sandboxes_size(), 0);
  v1::CreateSandboxRequest steal;
  steal.set_module_sha256(info.sha256());
  EXPECT_EQ(Stub()->CreateSandbox(Context("bob-token").get(), steal, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::DestroySandboxRequest kill_it;
  kill_it.set_id(sb.id());
  v1::DestroySandboxResponse destroyed;
  EXPECT_EQ(Stub()->DestroySandbox(Context("bob-token").get(), kill_it, &destroyed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(Stub()->DestroySandbox(Context("alice-token").get(), kill_it, &destroyed).ok());
  v1::InvokeRequest after;
  after.set_sandbox_id(sb.id());
  after.set_function("bump");
  EXPECT_EQ(Stub()->Invoke(Context("alice-token").get(), after, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, DeadlinesAndCancellationStopTheVm) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  ASSERT_TRUE(Upload("alice-token", Module("snapshot_target"), &info).ok());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(info.sha256());
  v1::SandboxInfo sb;
  ASSERT_TRUE(Stub()->CreateSandbox(Context("alice-token").get(), cs, &sb).ok());
  v1::InvokeRequest spin;
  spin.set_sandbox_id(sb.id());
  spin.set_function("spin");
  v1::InvokeResponse out;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Stub()->Invoke(Context("alice-token", std::chrono::milliseconds(500)).get(), spin, &out).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // Cancelled by the client after 300 ms.
  auto ctx = Context("alice-token");
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ctx->TryCancel();
  });
  EXPECT_EQ(Stub()->Invoke(ctx.get(), spin, &out).error_code(), grpc::StatusCode::CANCELLED);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  // The sandbox serves the next call: the spinning VMs were stopped and reset.
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sb.id());
  bump.set_function("bump");
  ASSERT_TRUE(Stub()->Invoke(Context("alice-token").get(), bump, &out).ok());
  EXPECT_EQ(out.results(0).i32(), 1043);
  // No VM keeps running (a worker counts itself idle just after it answers).
  v1::Stats stats = testing::WaitForStats(
      *Stub(), "alice-token", [](const v1::Stats& s) { return s.running() == 0; },
      std::chrono::seconds(5));
  EXPECT_EQ(stats.running(), 0u);
  // Both endings are on the record.
  std::ifstream audit(server_->audit_log());
  std::string text((std::istreambuf_iterator<char>(audit)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::ContainsRegex(R"("event":"invoke_end","function":"spin","module":"[0-9a-f]+","outcome":"timeout")"));
  EXPECT_THAT(text, ::testing::ContainsRegex(R"("event":"invoke_end","function":"spin","module":"[0-9a-f]+","outcome":"cancelled")"));
}

TEST_F(ServerTest, TheTenantTimeoutAppliesWithoutAClientDeadline) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  ASSERT_TRUE(Upload("bob-token", Module("spin_command"), &info).ok());
  v1::RunWasiRequest run;
  run.set_module_sha256(info.sha256());
  v1::RunWasiResponse out;
  // Bob's timeout is 1.5 s.
  EXPECT_EQ(Stub()->RunWasi(Context("bob-token").get(), run, &out).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ServerTest, WasiRunsTakeStdinAndReturnOutputAndExitCode) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  ASSERT_TRUE(Upload("alice-token", Module("vm_stdio"), &info).ok());
  v1::RunWasiRequest run;
  run.set_module_sha256(info.sha256());
  run.set_stdin("hello over grpc\n");
  v1::RunWasiResponse out;
  grpc::Status s = Stub()->RunWasi(Context("alice-token").get(), run, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.stdout(), "hello over grpc\n");
  EXPECT_EQ(out.exit_code(), 0);

  // Streamed: the output arrives as events, the outcome last.
  auto ctx = Context("alice-token");
  auto reader = Stub()->RunWasiStream(ctx.get(), run);
  v1::RunWasiEvent e;
  std::string streamed;
  bool done = false;
  while (reader->Read(&e)) {
    if (e.has_done()) {
      done = true;
      EXPECT_EQ(e.done().exit_code(), 0);
    } else {
      streamed += e.stdout();
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(streamed, "hello over grpc\n");

  // One-shot, module inline, with arguments and an exit code.
  v1::RunRequest once;
  const std::vector<uint8_t> program = Module("cli_program");
  once.set_module_bytes(std::string(program.begin(), program.end()));
  once.add_args("one");
  once.add_args("two words");
  ASSERT_TRUE(Stub()->Run(Context("alice-token").get(), once, &out).ok());
  EXPECT_EQ(out.exit_code(), 3);
  EXPECT_THAT(out.stdout(), HasSubstr("one\ntwo words\n"));
  // A trap in a run is a result too.
  once.set_module_bytes(std::string());
  const std::vector<uint8_t> trap = Module("trap_command");
  once.set_module_bytes(std::string(trap.begin(), trap.end()));
  ASSERT_TRUE(Stub()->Run(Context("alice-token").get(), once, &out).ok());
  EXPECT_EQ(out.trap().kind(), "out of bounds memory access");
}

TEST_F(ServerTest, TheSandboxQuotaIsEnforcedAndAudited) {
  PALISADE_REQUIRE_KVM();
  v1::ModuleInfo info;
  ASSERT_TRUE(Upload("bob-token", Module("counter"), &info).ok());
  v1::CreateSandboxRequest cs;
  cs.set_module_sha256(info.sha256());
  v1::SandboxInfo sb;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Stub()->CreateSandbox(Context("bob-token").get(), cs, &sb).ok());
  EXPECT_EQ(Stub()->CreateSandbox(Context("bob-token").get(), cs, &sb).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::ifstream audit(server_->audit_log());
  std::string text((std::istreambuf_iterator<char>(audit)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("\"reason\":\"sandbox quota\""));
}

// Once listening, palisaded confines itself: every thread, including those
// gRPC and the worker pool started, runs under the seccomp filter.
TEST_F(ServerTest, EveryThreadIsUnderSeccomp) {
  v1::Stats stats;
  ASSERT_TRUE(Stub()->GetStats(Context("alice-token").get(), {}, &stats).ok());  // threads busy once
  const fs::path tasks = fs::path("/proc") / std::to_string(server_->pid()) / "task";
  int threads = 0;
  for (const fs::directory_entry& task : fs::directory_iterator(tasks)) {
    std::ifstream status(task.path() / "status");
    std::string line, seccomp;
    while (std::getline(status, line)) {
      if (line.rfind("Seccomp:", 0) == 0) seccomp = line;
    }
    EXPECT_EQ(seccomp, "Seccomp:\t2") << "thread " << task.path().filename();
    ++threads;
  }
  EXPECT_GE(threads, 3);  // main, signal, workers, gRPC's
}

// Last (gtest runs tests in order of definition): stops the server.
TEST_F(ServerTest, ZzSigtermDrainsAndExitsCleanly) {
  EXPECT_EQ(server_->Stop(), 0);
  std::ifstream audit(server_->audit_log());
  std::string first;
  ASSERT_TRUE(std::getline(audit, first));
  EXPECT_THAT(first, HasSubstr("\"prev\":\"0000000000000000"));
  // The real log's chain verifies; one changed byte is named by line.
  testing::ProcessResult ok = testing::RunProcess({PALISADE_CLI_PATH, "audit", "verify", server_->audit_log().string()});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("chain intact"));
  std::string text;
  {
    std::ifstream in(server_->audit_log());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const size_t second_line = text.find('\n') + 1;
  const size_t at = text.find("\"event\":\"", second_line);
  ASSERT_NE(at, std::string::npos);
  text[at + 9] ^= 1;
  const std::string tampered = server_->audit_log().string() + ".tampered";
  std::ofstream(tampered) << text;
  testing::ProcessResult bad = testing::RunProcess({PALISADE_CLI_PATH, "audit", "verify", tampered});
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, ::testing::MatchesRegex(".*tampered:[0-9]+: the line's bytes do not match.*\n"));
}

}  // namespace
}  // namespace palisade
