// What a broken or hostile client can send: messages over the cap, bytes
// that are no message, unknown methods, huge or bad metadata, names of any
// size, an upload cut by garbage. Each gets a clear code, none takes the
// server or a connection's other calls down, and the log verifies.
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
using testing::LogEvents;
using testing::RawCall;
using testing::RunRawCalls;
using testing::VerifyLog;

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
