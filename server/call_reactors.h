// The reactors behind PalisadeService's calls (gRPC callback API). Each is
// owned by gRPC from creation until OnDone, where it deletes itself; the VM
// work they start runs on the service's WorkerPool, and a cancelled call
// reaches the running VM through its CallControl.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "server/service.h"
#include "server/vm_executor.h"

namespace palisade::server {

inline grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl's codes are gRPC's codes, number for number.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// A unary call whose work runs on a worker thread. gRPC owns the reactor
// from Start() until OnDone(); a cancel reaches the VM through `control`.
class PooledCall final : public grpc::ServerUnaryReactor {
 public:
  using Work = std::function<absl::Status(CallControl&)>;

  // Queued in `tenant`'s turn (WorkerPool) once it has a place among the
  // tenant's calls in flight, which it keeps until gRPC is done with it.
  static grpc::ServerUnaryReactor* Start(PalisadeService* service, const PalisadeService::Tenant& tenant,
                                         const char* method, const std::string& rid, Work work) {
    // Owned by gRPC until OnDone (the callback API's contract), so it is
    // released here and reclaimed there.
    PooledCall* call = std::make_unique<PooledCall>().release();
    if (service->draining()) {
      call->Finish(ToGrpc(service->Refuse(tenant, method, rid, absl::StatusCode::kUnavailable,
                                          "the server is shutting down")));
      return call;
    }
    absl::StatusOr<PalisadeService::CallSlot> slot = service->AdmitCall(tenant, method, rid);
    if (!slot.ok()) {
      call->Finish(ToGrpc(slot.status()));
      return call;
    }
    call->slot_ = *std::move(slot);
    const bool queued = service->workers().TrySubmit(tenant.name, [call, work = std::move(work)] {
      absl::Status s = call->control_.cancelled() ? absl::CancelledError("the call was cancelled")
                                                  : work(call->control_);
      call->Finish(ToGrpc(s));
    });
    service->CountCall();  // after the queue has it: see PalisadeService::CountCall
    if (!queued) {
      call->Finish(ToGrpc(service->Refuse(tenant, method, rid, absl::StatusCode::kResourceExhausted,
                                          "server busy: the call queue is full; retry later")));
    }
    return call;
  }

  void OnCancel() override { control_.Cancel(); }
  void OnDone() override { std::unique_ptr<PooledCall> reclaim(this); }

 private:
  CallControl control_;
  PalisadeService::CallSlot slot_;
};

// The trailing metadata of a NOT_FOUND that means "this replica lacks the
// module: send it" (proto: InvokeModule).
inline constexpr char kMissingModuleMetadata[] = "palisade-missing-module";

// A client's x-request-id if it is a sane token, else a fresh one: every
// audit line of one call carries it.
std::string RequestId(grpc::CallbackServerContext* ctx);

inline grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* ctx, const absl::Status& s) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  r->Finish(ToGrpc(s));
  return r;
}

// Client-streamed upload: chunks accumulate up to the module cap; at the
// end the module is validated in a micro-VM (unless already stored) and
// recorded for the tenant. Messages arrive raw and are parsed here: gRPC
// 1.51 reports a message that does not parse exactly like the end of the
// stream, which would store whatever came before it as the whole module.
class UploadCall final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadCall(PalisadeService* service, const PalisadeService::Tenant* tenant, grpc::CallbackServerContext* ctx,
             grpc::ByteBuffer* response, std::string rid)
      : service_(service), tenant_(tenant), ctx_(ctx), response_(response), rid_(std::move(rid)) {
    StartRead(&raw_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Complete();
      return;
    }
    ++messages_;
    if (!grpc::SerializationTraits<v1::UploadModuleRequest>::Deserialize(&raw_, &request_).ok()) {
      const std::string reason =
          absl::StrCat("upload message ", messages_, " is not an UploadModuleRequest (it does not parse)");
      (void)service_->Audit({{"request", rid_}, {"event", "module_upload"}, {"tenant", tenant_->name},
                             {"decision", "deny"}, {"reason", reason}});
      FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, reason));
      return;
    }
    if (first_) {
      expected_ = request_.expected_sha256();
      first_ = false;
      if (!expected_.empty() && !IsSha256Hex(expected_)) {
        FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("expected_sha256 is not 64 lowercase hex digits (", expected_.size(),
                                         " bytes)")));
        return;
      }
    }
    const uint64_t cap = service_->ModuleCapFor(*tenant_);
    if (bytes_.size() + request_.chunk().size() > cap) {
      (void)service_->Audit({{"request", rid_}, {"event", "module_upload"}, {"tenant", tenant_->name},
                             {"decision", "deny"}, {"reason", absl::StrCat("over the ", cap, "-byte module cap")}});
      FinishWith(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("module exceeds the ", cap, "-byte cap")));
      return;
    }
    bytes_.insert(bytes_.end(), request_.chunk().begin(), request_.chunk().end());
    StartRead(&raw_);
  }

  void OnCancel() override { control_.Cancel(); }
  void OnDone() override { std::unique_ptr<UploadCall> reclaim(this); }

 private:
  void Complete() {
    std::string digest = Sha256Hex(bytes_);
    if (!expected_.empty() && expected_ != digest) {
      FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the module's sha256 is " + digest + ", not " + expected_));
      return;
    }
    info_.set_sha256(digest);
    info_.set_size(bytes_.size());
    if (service_->modules().Contains(digest)) {  // validated when first stored: no VM needed
      FinishWith(ToGrpc(service_->StoreModule(*tenant_, rid_, digest, std::move(bytes_), absl::InfiniteFuture())));
      return;
    }
    // Validation is VM work like any call: it needs a place in flight.
    absl::StatusOr<PalisadeService::CallSlot> slot = service_->AdmitCall(*tenant_, "UploadModule", rid_);
    if (!slot.ok()) {
      FinishWith(ToGrpc(slot.status()));
      return;
    }
    slot_ = *std::move(slot);
    const absl::Time deadline = service_->DeadlineFor(ctx_, service_->Clamp(*tenant_, v1::Limits()));
    const bool queued = service_->workers().TrySubmit(tenant_->name, [this, digest, deadline] {
      FinishWith(ToGrpc(service_->StoreModule(*tenant_, rid_, digest, std::move(bytes_), deadline)));
    });
    if (!queued) {
      FinishWith(ToGrpc(service_->Refuse(*tenant_, "UploadModule", rid_, absl::StatusCode::kResourceExhausted,
                                         "server busy: the call queue is full")));
    }
  }

  // The answer, with the ModuleInfo serialized into the raw response when OK.
  void FinishWith(const grpc::Status& s) {
    if (s.ok()) {
      bool own = false;
      if (!grpc::SerializationTraits<v1::ModuleInfo>::Serialize(info_, response_, &own).ok()) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "could not serialize the module info"));
        return;
      }
    }
    Finish(s);
  }

  PalisadeService* service_;
  const PalisadeService::Tenant* tenant_;
  grpc::CallbackServerContext* ctx_;
  grpc::ByteBuffer* response_;
  const std::string rid_;
  grpc::ByteBuffer raw_;
  v1::UploadModuleRequest request_;
  v1::ModuleInfo info_;
  uint64_t messages_ = 0;
  std::vector<uint8_t> bytes_;
  std::string expected_;
  bool first_ = true;
  CallControl control_;
  PalisadeService::CallSlot slot_;
};

// Server-streamed WASI run: the guest's output becomes events as it is
// written. One write is in flight at a time; the rest wait in order.
// Output a streaming client has not taken yet, beyond which its run is
// stopped: a client that never reads must neither hold a worker for the
// program's whole budget nor make the server buffer its whole output.
inline constexpr size_t kMaxUnreadStreamBytes = 1 << 20;

class StreamRunCall final : public grpc::ServerWriteReactor<v1::RunWasiEvent>, public ConsoleSink {
 public:
  StreamRunCall() = default;

  // ConsoleSink, on the worker thread.
  void Write(abi::ConsoleStream stream, std::string_view bytes) override {
    v1::RunWasiEvent e;
    if (stream == abi::ConsoleStream::kStderr) {
      e.set_stderr(std::string(bytes));
    } else {
      e.set_stdout(std::string(bytes));
    }
    Push(std::move(e));
  }

  void Push(v1::RunWasiEvent e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_) return;
    pending_bytes_ += e.ByteSizeLong();
    if (pending_bytes_ > kMaxUnreadStreamBytes) {
      // The client stopped reading: end the run now, keep what it has not
      // read from growing, and tell it why once it reads again.
      broken_ = true;
      unread_ = true;
      pending_.clear();
      pending_bytes_ = 0;
      control_.Cancel();
      return;
    }
    pending_.push_back(std::move(e));
    if (!writing_) WriteNext();
  }

  // After the run, on the worker: `e` is queued at once if it fits beside
  // what is pending within kMaxUnreadStreamBytes, else once the events
  // before it are on their way, so a run's changes (up to
  // max_changes_bytes) stream at the client's pace instead of piling up
  // here, and a run without them never waits. A client that takes none for
  // kUnreadPatience ends the call as one that stopped reading. False once
  // the call is broken.
  bool PushPaced(v1::RunWasiEvent e) {
    const size_t size = e.ByteSizeLong();
    std::unique_lock<std::mutex> lock(mu_);
    const auto give_up = std::chrono::steady_clock::now() + kUnreadPatience;
    // Polled as well as notified: OnCancel takes no lock (gRPC may call it
    // from anywhere), so its notification can come between a check and the
    // wait.
    while (!broken_ && !pending_.empty() && pending_bytes_ + size > kMaxUnreadStreamBytes) {
      if (control_.cancelled()) {
        broken_ = true;
      } else if (std::chrono::steady_clock::now() >= give_up) {
        broken_ = unread_ = true;
        control_.Cancel();
      } else {
        room_.wait_for(lock, std::chrono::milliseconds(100));
      }
    }
    if (broken_) return false;
    pending_bytes_ += size;
    pending_.push_back(std::move(e));
    if (!writing_) WriteNext();
    return true;
  }

  // The run ended: the last event (if OK) then the status, after every
  // pending write.
  void End(const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    status_ = unread_ ? grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     absl::StrCat("the client left more than ", kMaxUnreadStreamBytes,
                                                  " bytes of output unread; the run was stopped"))
                      : ToGrpc(status);
    if (!writing_) FinishOnce();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {  // the client is gone: stop the program, drop the rest
      broken_ = true;
      pending_.clear();
      pending_bytes_ = 0;
      control_.Cancel();
    }
    if (!pending_.empty()) {
      WriteNext();
    } else if (ended_) {
      FinishOnce();
    }
    room_.notify_all();
  }
  void OnCancel() override {
    control_.Cancel();
    room_.notify_all();
  }
  void OnDone() override { std::unique_ptr<StreamRunCall> reclaim(this); }
  CallControl& control() { return control_; }
  // The call's place among its tenant's calls in flight, kept until OnDone.
  void Hold(PalisadeService::CallSlot slot) { slot_ = std::move(slot); }

 private:
  void WriteNext() {  // mu_ held
    current_ = std::move(pending_.front());
    pending_.pop_front();
    pending_bytes_ -= std::min(pending_bytes_, current_.ByteSizeLong());
    writing_ = true;
    StartWrite(&current_);
  }
  void FinishOnce() {  // mu_ held
    if (finished_) return;
    finished_ = true;
    Finish(status_);
  }

  static constexpr std::chrono::seconds kUnreadPatience{60};

  std::mutex mu_;
  std::condition_variable room_;  // PushPaced waits here for pending_ to empty
  std::deque<v1::RunWasiEvent> pending_;
  v1::RunWasiEvent current_;
  size_t pending_bytes_ = 0;
  bool writing_ = false, ended_ = false, finished_ = false, broken_ = false, unread_ = false;
  grpc::Status status_;
  CallControl control_;
  PalisadeService::CallSlot slot_;
};


}  // namespace palisade::server
