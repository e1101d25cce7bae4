#include "cli/remote/palisade_client.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "cli/remote/palisade_channel.h"
#include "common/sandbox_id.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace palisade::cli {
namespace {

constexpr size_t kChunk = 1 << 20;  // the API's chunk size
// Modules up to this size go inline in an InvokeModule retry (a server takes
// 16 MiB messages by default); bigger ones are uploaded first.
constexpr size_t kInlineModule = 4 << 20;
constexpr char kMissingModuleKey[] = "palisade-missing-module";

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not PEM (the ", what, ")"));
  }
  return text;
}

// A failed call for a sandbox: when its replica did not answer, say which
// one (through a balancer the error is only an HTTP 502).
absl::Status SandboxCallError(const grpc::Status& s, const std::string& sandbox_id) {
  absl::Status status = FromGrpc(s);
  const std::optional<std::string> replica = SandboxReplica(sandbox_id);
  if (status.ok() || !replica || replica->empty() ||
      (s.error_code() != grpc::StatusCode::UNAVAILABLE && s.error_code() != grpc::StatusCode::UNKNOWN &&
       s.error_code() != grpc::StatusCode::INTERNAL)) {
    return status;
  }
  return absl::UnavailableError(absl::StrCat("sandbox ", sandbox_id, " lives on replica '", *replica,
                                             "', which did not answer (a sandbox cannot move to another "
                                             "replica; is '", *replica, "' gone?): ", s.error_message()));
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

absl::StatusOr<std::unique_ptr<PalisadeClient>> PalisadeClient::Connect(const RemoteOptions& o) {
  if (o.server.empty()) return absl::InvalidArgumentError("--server needs an address (host:port or unix:PATH)");
  std::string token = o.token;
  if (token.empty()) {
    const char* env = std::getenv("PALISADE_TOKEN");
    if (env != nullptr) token = env;
  }
  if (token.empty()) return absl::InvalidArgumentError("no token: pass --token or set PALISADE_TOKEN");
  if (token.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("the token contains a line break");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  grpc::ChannelArguments args;
  // Run outputs come back whole in the unary forms; the server caps them.
  args.SetMaxReceiveMessageSize(256 << 20);
  if (o.tls || !o.tls_ca.empty() || !o.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!o.tls_ca.empty()) {
      auto ca = ReadPem(o.tls_ca, "CA certificate (--tls-ca)");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!o.tls_cert.empty()) {
      auto cert = ReadPem(o.tls_cert, "client certificate (--tls-cert)");
      if (!cert.ok()) return cert.status();
      auto key = ReadPem(o.tls_key, "client key (--tls-key)");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    if (!o.tls_server_name.empty()) args.SetSslTargetNameOverride(o.tls_server_name);
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  absl::StatusOr<std::string> target = ServerTarget(o.server);
  if (!target.ok()) return target.status();
  grpc::ChannelArguments pinned_args = args, balanced_args = args;
  pinned_args.SetServiceConfigJSON(ServiceConfigJson("pick_first"));
  balanced_args.SetServiceConfigJSON(ServiceConfigJson("round_robin"));
  return std::make_unique<PalisadeClient>(o.server, token, grpc::CreateCustomChannel(*target, creds, pinned_args),
                                          grpc::CreateCustomChannel(*target, creds, balanced_args));
}

PalisadeClient::PalisadeClient(std::string server, std::string token, std::shared_ptr<grpc::Channel> pinned,
                               std::shared_ptr<grpc::Channel> balanced)
    : server_(std::move(server)),
      authorization_("Bearer " + token),
      stub_(v1::Palisade::NewStub(pinned)),
      balanced_(v1::Palisade::NewStub(balanced)) {}

void PalisadeClient::Prepare(grpc::ClientContext* ctx, absl::Time deadline, const std::string& sandbox_id) const {
  ctx->AddMetadata("authorization", authorization_);
  if (deadline != absl::InfiniteFuture()) ctx->set_deadline(absl::ToChronoTime(deadline));
  if (std::optional<std::string> replica = SandboxReplica(sandbox_id); replica && !replica->empty()) {
    ctx->AddMetadata("palisade-replica", *replica);
  }
}

absl::Status PalisadeClient::Upload(v1::Palisade::Stub& stub, std::span<const uint8_t> bytes,
                                    const std::string& digest, v1::ModuleInfo* info) {
  grpc::ClientContext ctx;
  // Uploads are validated in a micro-VM on arrival; big ones take a while.
  Prepare(&ctx, absl::Now() + absl::Minutes(5));
  auto writer = stub.UploadModule(&ctx, info);
  size_t at = 0;
  do {
    v1::UploadModuleRequest chunk;
    if (at == 0) chunk.set_expected_sha256(digest);
    const size_t n = std::min(kChunk, bytes.size() - at);
    chunk.set_chunk(reinterpret_cast<const char*>(bytes.data()) + at, n);
    at += n;
    if (!writer->Write(chunk)) break;  // the server gave up: Finish says why
  } while (at < bytes.size());
  writer->WritesDone();
  return FromGrpc(writer->Finish());
}

template <typename Request>
absl::Status PalisadeClient::WithModule(Request request, std::span<const uint8_t> module,
                                        const std::function<grpc::Status(const Request&, grpc::ClientContext*)>& call) {
  // Each attempt may land on another replica (through a balancer, or
  // round_robin): a few, then give up with the last answer.
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    grpc::Status s = call(request, &ctx);
    if (s.ok()) return absl::OkStatus();
    // An error with no message before it is one HEADERS frame; balancers
    // may hand its metadata on as headers rather than trailers.
    bool names_it = false;
    for (const auto* md : {&ctx.GetServerTrailingMetadata(), &ctx.GetServerInitialMetadata()}) {
      auto missing = md->find(kMissingModuleKey);
      names_it = names_it || (missing != md->end() && std::string_view(missing->second.data(), missing->second.size()) ==
                                                          request.module_sha256());
    }
    names_it = names_it && s.error_code() == grpc::StatusCode::NOT_FOUND;
    if (!names_it || attempt == 6) return FromGrpc(s);
    if (module.size() <= kInlineModule) {
      request.set_module(reinterpret_cast<const char*>(module.data()), module.size());
    } else {
      v1::ModuleInfo info;
      RETURN_IF_ERROR(Upload(*balanced_, module, request.module_sha256(), &info));
    }
  }
}

absl::StatusOr<v1::InvokeResponse> PalisadeClient::InvokeModule(const v1::InvokeModuleRequest& request,
                                                                std::span<const uint8_t> module,
                                                                absl::Time deadline) {
  v1::InvokeResponse out;
  RETURN_IF_ERROR(WithModule<v1::InvokeModuleRequest>(
      request, module, [&](const v1::InvokeModuleRequest& r, grpc::ClientContext* ctx) {
        Prepare(ctx, deadline);
        return balanced_->InvokeModule(ctx, r, &out);
      }));
  return out;
}

absl::StatusOr<v1::SandboxInfo> PalisadeClient::CreateSandbox(const v1::CreateSandboxRequest& request,
                                                             std::span<const uint8_t> module) {
  v1::SandboxInfo info;
  RETURN_IF_ERROR(WithModule<v1::CreateSandboxRequest>(
      request, module, [&](const v1::CreateSandboxRequest& r, grpc::ClientContext* ctx) {
        Prepare(ctx, absl::InfiniteFuture());
        return stub_->CreateSandbox(ctx, r, &info);
      }));
  return info;
}

absl::StatusOr<v1::FunctionType> PalisadeClient::DescribeFunction(const std::string& sandbox_id,
                                                                  const std::string& function) {
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::InfiniteFuture(), sandbox_id);
  v1::DescribeFunctionRequest req;
  req.set_sandbox_id(sandbox_id);
  req.set_function(function);
  v1::FunctionType type;
  if (absl::Status s = SandboxCallError(stub_->DescribeFunction(&ctx, req, &type), sandbox_id); !s.ok()) return s;
  return type;
}

absl::StatusOr<v1::InvokeResponse> PalisadeClient::Invoke(const v1::InvokeRequest& request,
                                                          absl::Time deadline) {
  grpc::ClientContext ctx;
  Prepare(&ctx, deadline, request.sandbox_id());
  v1::InvokeResponse out;
  if (absl::Status s = SandboxCallError(stub_->Invoke(&ctx, request, &out), request.sandbox_id()); !s.ok()) {
    return s;
  }
  return out;
}

absl::Status PalisadeClient::DestroySandbox(const std::string& id) {
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::Now() + absl::Seconds(30), id);
  v1::DestroySandboxRequest req;
  req.set_id(id);
  v1::DestroySandboxResponse out;
  return SandboxCallError(stub_->DestroySandbox(&ctx, req, &out), id);
}

absl::StatusOr<v1::Stats> PalisadeClient::GetStats(absl::Time deadline) {
  grpc::ClientContext ctx;
  Prepare(&ctx, deadline);
  v1::Stats stats;
  if (absl::Status s = FromGrpc(balanced_->GetStats(&ctx, {}, &stats)); !s.ok()) return s;
  return stats;
}

absl::StatusOr<v1::RunWasiResponse> PalisadeClient::RunStreamed(const v1::RunWasiRequest& request,
                                                                std::span<const uint8_t> module,
                                                                const OutputFn& output, absl::Time deadline,
                                                                const ChangeFn& change) {
  v1::RunWasiResponse done;
  bool have_done = false;
  absl::Status changes = absl::OkStatus();
  absl::Status call = WithModule<v1::RunWasiRequest>(
      request, module, [&](const v1::RunWasiRequest& r, grpc::ClientContext* ctx) {
        Prepare(ctx, deadline);
        auto reader = stub_->RunWasiStream(ctx, r);
        v1::RunWasiEvent e;
        while (reader->Read(&e)) {
          switch (e.event_case()) {
            case v1::RunWasiEvent::kStdout: output(false, e.stdout()); break;
            case v1::RunWasiEvent::kStderr: output(true, e.stderr()); break;
            case v1::RunWasiEvent::kDone:
              done = e.done();
              have_done = true;
              break;
            case v1::RunWasiEvent::kChange:
              if (change && changes.ok()) changes = change(std::move(*e.mutable_change()));
              if (!changes.ok()) ctx->TryCancel();
              break;
            case v1::RunWasiEvent::EVENT_NOT_SET: break;
          }
        }
        return reader->Finish();
      });
  RETURN_IF_ERROR(changes);  // what made us cancel the call, rather than the cancellation
  RETURN_IF_ERROR(call);
  if (!have_done) return absl::InternalError("the server ended the run without an outcome");
  return done;
}

}  // namespace palisade::cli
