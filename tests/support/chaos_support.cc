#include "tests/support/chaos_support.h"

#include <fstream>
#include <thread>

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

namespace palisade::testing {

namespace fs = std::filesystem;

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
                                                   std::chrono::milliseconds timeout) {
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

namespace {

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

}  // namespace

std::vector<grpc::Status> RunRawCalls(PalisadedProcess& server, const std::vector<RawCall>& calls,
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

}  // namespace palisade::testing
