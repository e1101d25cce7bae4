// A warm sandbox on palisaded for the length of a command: created from a
// local module file (uploaded if the server lacks it), destroyed when this
// object goes, and able to type command-line arguments for an export by
// asking the server for its signature.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/remote/palisade_client.h"

namespace palisade::cli {

class RemoteSandbox {
 public:
  // `limits` as the user set them (zeros: the tenant's defaults).
  static absl::StatusOr<std::unique_ptr<RemoteSandbox>> Create(PalisadeClient& client,
                                                               const std::string& module_path,
                                                               const v1::Limits& limits);
  ~RemoteSandbox();
  RemoteSandbox(const RemoteSandbox&) = delete;
  RemoteSandbox& operator=(const RemoteSandbox&) = delete;

  // An InvokeRequest for `function` with `args` parsed by its parameter
  // types. InvalidArgument (saying what was expected) on a count or parse
  // mismatch; NotFound if there is no such export.
  absl::StatusOr<v1::InvokeRequest> PrepareCall(const std::string& function,
                                                const std::vector<std::string>& args);

  const v1::SandboxInfo& info() const { return info_; }
  RemoteSandbox(PalisadeClient& client, v1::SandboxInfo info) : client_(client), info_(std::move(info)) {}

 private:
  PalisadeClient& client_;
  v1::SandboxInfo info_;
};

// Reads a module file; InvalidArgument naming the file if it cannot.
absl::StatusOr<std::vector<uint8_t>> ReadModuleFile(const std::string& path);

}  // namespace palisade::cli
