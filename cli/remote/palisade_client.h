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

  // The calls that name a module by digest take its bytes too (`module`):
  // a replica that lacks it says so, and the call is sent again with the
  // module in it (up to 4 MiB; bigger ones are uploaded and the call made
  // again), so the caller never sees it.
  absl::StatusOr<v1::SandboxInfo> CreateSandbox(const v1::CreateSandboxRequest& request,
                                                std::span<const uint8_t> module);
  // On whichever replica the balancer picks.
  absl::StatusOr<v1::InvokeResponse> InvokeModule(const v1::InvokeModuleRequest& request,
                                                  std::span<const uint8_t> module, absl::Time deadline);
  absl::StatusOr<v1::FunctionType> DescribeFunction(const std::string& sandbox_id,
                                                    const std::string& function);
  // `deadline` InfiniteFuture: none (the sandbox's timeout still applies).
  absl::StatusOr<v1::InvokeResponse> Invoke(const v1::InvokeRequest& request,
                                            absl::Time deadline = absl::InfiniteFuture());
  absl::Status DestroySandbox(const std::string& id);
  absl::StatusOr<v1::Stats> GetStats(absl::Time deadline = absl::Now() + absl::Seconds(30));

  // RunWasiStream: `output(is_stderr, bytes)` for each piece of output as
  // the server streams it, `change` for each piece of a changed file (if
  // given; an error from it ends the call); returns the final outcome.
  using OutputFn = std::function<void(bool is_stderr, const std::string& bytes)>;
  using ChangeFn = std::function<absl::Status(v1::FileChange piece)>;
  absl::StatusOr<v1::RunWasiResponse> RunStreamed(const v1::RunWasiRequest& request,
                                                  std::span<const uint8_t> module, const OutputFn& output,
                                                  absl::Time deadline, const ChangeFn& change = nullptr);

  const std::string& server() const { return server_; }

  // Use Connect(); public for std::make_unique.
  PalisadeClient(std::string server, std::string token, std::shared_ptr<grpc::Channel> pinned,
                 std::shared_ptr<grpc::Channel> balanced);

 private:
  // The bearer token, the deadline, and for a sandbox's calls the replica
  // its id names (`palisade-replica`, which balancers route on).
  void Prepare(grpc::ClientContext* ctx, absl::Time deadline, const std::string& sandbox_id = "") const;
  absl::Status Upload(v1::Palisade::Stub& stub, std::span<const uint8_t> bytes, const std::string& digest,
                      v1::ModuleInfo* info);
  template <typename Request>
  absl::Status WithModule(Request request, std::span<const uint8_t> module,
                          const std::function<grpc::Status(const Request&, grpc::ClientContext*)>& call);

  std::string server_;
  std::string authorization_;
  // Calls that need one replica (a module uploaded, then a sandbox made of
  // it and called) go to the first endpoint that answers (pick_first);
  // calls any replica can take are spread over all (round_robin). Both
  // retry idempotent calls on UNAVAILABLE (palisade_channel.h).
  std::unique_ptr<v1::Palisade::Stub> stub_;
  std::unique_ptr<v1::Palisade::Stub> balanced_;
};

// gRPC's status as absl's (the codes are the same numbers).
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace palisade::cli
