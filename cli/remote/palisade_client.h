// A client of palisaded for the CLI: the channel (plaintext, TLS or mTLS),
// the bearer token on every call, and the calls the remote commands make,
// with gRPC errors as absl::Status (same codes, the server's message).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/remote/remote_options.h"
#include "palisade/v1/palisade.grpc.pb.h"

namespace palisade::cli {

class PalisadeClient {
 public:
  // Checks the options (token present, TLS files readable); does not dial:
  // the first call does, and fails with UNAVAILABLE if nobody answers.
  static absl::StatusOr<std::unique_ptr<PalisadeClient>> Connect(const RemoteOptions& options);

  // The module's digest on the server: asked first (GetModule), uploaded in
  // 1 MiB chunks only if the server does not have it for this tenant.
  absl::StatusOr<v1::ModuleInfo> EnsureModule(std::span<const uint8_t> bytes);

  absl::StatusOr<v1::SandboxInfo> CreateSandbox(const v1::CreateSandboxRequest& request);
  absl::StatusOr<v1::FunctionType> DescribeFunction(const std::string& sandbox_id,
                                                    const std::string& function);
  // `deadline` InfiniteFuture: none (the sandbox's timeout still applies).
  absl::StatusOr<v1::InvokeResponse> Invoke(const v1::InvokeRequest& request,
                                            absl::Time deadline = absl::InfiniteFuture());
  absl::Status DestroySandbox(const std::string& id);
  absl::StatusOr<v1::Stats> GetStats(absl::Time deadline = absl::Now() + absl::Seconds(30));

  // RunWasiStream: `output(is_stderr, bytes)` for each piece of output as
  // the server streams it; returns the final outcome.
  using OutputFn = std::function<void(bool is_stderr, const std::string& bytes)>;
  absl::StatusOr<v1::RunWasiResponse> RunStreamed(const v1::RunWasiRequest& request,
                                                  const OutputFn& output, absl::Time deadline);

  const std::string& server() const { return server_; }

  // Use Connect(); public for std::make_unique.
  PalisadeClient(std::string server, std::string token, std::shared_ptr<grpc::Channel> channel);

 private:
  void Prepare(grpc::ClientContext* ctx, absl::Time deadline) const;

  std::string server_;
  std::string authorization_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Palisade::Stub> stub_;
};

// gRPC's status as absl's (the codes are the same numbers).
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace palisade::cli
