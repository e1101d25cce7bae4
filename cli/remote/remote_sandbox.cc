#include "cli/remote/remote_sandbox.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "cli/remote/proto_values.h"
#include "cli/wasm_values.h"
#include "common/sha256.h"

namespace palisade::cli {

absl::StatusOr<std::vector<uint8_t>> ReadModuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  return bytes;
}

absl::StatusOr<std::unique_ptr<RemoteSandbox>> RemoteSandbox::Create(PalisadeClient& client,
                                                                     const std::string& module_path,
                                                                     const v1::Limits& limits) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadModuleFile(module_path);
  if (!bytes.ok()) return bytes.status();
  v1::CreateSandboxRequest req;
  req.set_module_sha256(Sha256Hex(*bytes));
  req.add_args(module_path);  // argv[0], as the local commands give it
  *req.mutable_limits() = limits;
  absl::StatusOr<v1::SandboxInfo> info = client.CreateSandbox(req, *bytes);
  if (!info.ok()) return info.status();
  return std::make_unique<RemoteSandbox>(client, *std::move(info));
}

RemoteSandbox::~RemoteSandbox() {
  // Best effort: a sandbox left behind counts against the tenant's quota,
  // so say so if it could not be removed.
  if (absl::Status s = client_.DestroySandbox(info_.id()); !s.ok()) {
    std::fprintf(stderr, "palisade: could not destroy sandbox %s: %s\n", info_.id().c_str(),
                 std::string(s.message()).c_str());
  }
}

absl::StatusOr<v1::InvokeRequest> RemoteSandbox::PrepareCall(const std::string& function,
                                                             const std::vector<std::string>& args) {
  absl::StatusOr<v1::FunctionType> type = client_.DescribeFunction(info_.id(), function);
  if (!type.ok()) return type.status();
  auto signature = [&] {
    std::string s;
    for (int i = 0; i < type->params_size(); ++i) {
      auto t = FromProtoType(type->params(i));
      absl::StrAppend(&s, i ? " " : "", t ? TypeName(*t) : "ref");
    }
    return s;
  };
  if (static_cast<size_t>(type->params_size()) != args.size()) {
    return absl::InvalidArgumentError(absl::StrCat(function, " takes ", type->params_size(),
                                                   " argument(s) (", signature(), "), got ", args.size()));
  }
  v1::InvokeRequest req;
  req.set_sandbox_id(info_.id());
  req.set_function(function);
  for (size_t i = 0; i < args.size(); ++i) {
    std::optional<wasm::ValType> t = FromProtoType(type->params(static_cast<int>(i)));
    if (!t) {
      return absl::InvalidArgumentError(absl::StrCat(
          function, " takes a reference as argument ", i + 1, ", which cannot be passed from here"));
    }
    wasm::Value v;
    if (!ParseArg(args[i], *t, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", i + 1, " '", args[i], "' is not a valid ", TypeName(*t)));
    }
    *req.add_args() = ToProtoValue(v);
  }
  return req;
}

}  // namespace palisade::cli
