#include "cli/remote/palisade_client.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace palisade::cli {
namespace {

constexpr size_t kChunk = 1 << 20;  // the API's chunk size

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not PEM (the ", what, ")"));
  }
  return text;
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
  auto channel = grpc::CreateCustomChannel(o.server, creds, args);
  return std::make_unique<PalisadeClient>(o.server, token, std::move(channel));
}

PalisadeClient::PalisadeClient(std::string server, std::string token, std::shared_ptr<grpc::Channel> channel)
    : server_(std::move(server)),
      authorization_("Bearer " + token),
      channel_(std::move(channel)),
      stub_(v1::Palisade::NewStub(channel_)) {}

void PalisadeClient::Prepare(grpc::ClientContext* ctx, absl::Time deadline) const {
  ctx->AddMetadata("authorization", authorization_);
  if (deadline != absl::InfiniteFuture()) ctx->set_deadline(absl::ToChronoTime(deadline));
}

absl::StatusOr<v1::ModuleInfo> PalisadeClient::EnsureModule(std::span<const uint8_t> bytes) {
  const std::string digest = Sha256Hex(bytes);
  v1::ModuleInfo info;
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, absl::Now() + absl::Seconds(30));
    v1::GetModuleRequest req;
    req.set_sha256(digest);
    grpc::Status s = stub_->GetModule(&ctx, req, &info);
    if (s.ok()) return info;
    if (s.error_code() != grpc::StatusCode::NOT_FOUND) return FromGrpc(s);
  }
  grpc::ClientContext ctx;
  // Uploads are validated in a micro-VM on arrival; big ones take a while.
  Prepare(&ctx, absl::Now() + absl::Minutes(5));
  auto writer = stub_->UploadModule(&ctx, &info);
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
  if (absl::Status s = FromGrpc(writer->Finish()); !s.ok()) return s;
  return info;
}

absl::StatusOr<v1::SandboxInfo> PalisadeClient::CreateSandbox(const v1::CreateSandboxRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::InfiniteFuture());
  v1::SandboxInfo info;
  if (absl::Status s = FromGrpc(stub_->CreateSandbox(&ctx, request, &info)); !s.ok()) return s;
  return info;
}

absl::StatusOr<v1::FunctionType> PalisadeClient::DescribeFunction(const std::string& sandbox_id,
                                                                  const std::string& function) {
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::InfiniteFuture());
  v1::DescribeFunctionRequest req;
  req.set_sandbox_id(sandbox_id);
  req.set_function(function);
  v1::FunctionType type;
  if (absl::Status s = FromGrpc(stub_->DescribeFunction(&ctx, req, &type)); !s.ok()) return s;
  return type;
}

absl::StatusOr<v1::InvokeResponse> PalisadeClient::Invoke(const v1::InvokeRequest& request,
                                                          absl::Time deadline) {
  grpc::ClientContext ctx;
  Prepare(&ctx, deadline);
  v1::InvokeResponse out;
  if (absl::Status s = FromGrpc(stub_->Invoke(&ctx, request, &out)); !s.ok()) return s;
  return out;
}

absl::Status PalisadeClient::DestroySandbox(const std::string& id) {
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::Now() + absl::Seconds(30));
  v1::DestroySandboxRequest req;
  req.set_id(id);
  v1::DestroySandboxResponse out;
  return FromGrpc(stub_->DestroySandbox(&ctx, req, &out));
}

absl::StatusOr<v1::Stats> PalisadeClient::GetStats(absl::Time deadline) {
  grpc::ClientContext ctx;
  Prepare(&ctx, deadline);
  v1::Stats stats;
  if (absl::Status s = FromGrpc(stub_->GetStats(&ctx, {}, &stats)); !s.ok()) return s;
  return stats;
}

absl::StatusOr<v1::RunWasiResponse> PalisadeClient::RunStreamed(const v1::RunWasiRequest& request,
                                                                const OutputFn& output,
                                                                absl::Time deadline) {
  grpc::ClientContext ctx;
  Prepare(&ctx, deadline);
  auto reader = stub_->RunWasiStream(&ctx, request);
  v1::RunWasiEvent e;
  v1::RunWasiResponse done;
  bool have_done = false;
  while (reader->Read(&e)) {
    switch (e.event_case()) {
      case v1::RunWasiEvent::kStdout: output(false, e.stdout()); break;
      case v1::RunWasiEvent::kStderr: output(true, e.stderr()); break;
      case v1::RunWasiEvent::kDone:
        done = e.done();
        have_done = true;
        break;
      case v1::RunWasiEvent::EVENT_NOT_SET: break;
    }
  }
  if (absl::Status s = FromGrpc(reader->Finish()); !s.ok()) return s;
  if (!have_done) return absl::InternalError("the server ended the run without an outcome");
  return done;
}

}  // namespace palisade::cli
