#include "vmm/wasi_runner.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace palisade {

std::vector<uint8_t> BuildWasiRunRequest(const WasiRunSpec& spec) {
  auto blob = [](const std::vector<std::string>& strings) {
    std::string b;
    for (const std::string& s : strings) b.append(s).push_back('\0');
    return b;
  };
  const std::string args = blob(spec.args), env = blob(spec.env);
  abi::WasiRunRequest req{};
  req.magic = abi::kWasiRunMagic;
  req.module_offset = sizeof(req);
  req.module_size = static_cast<uint32_t>(spec.module.size());
  req.args_offset = req.module_offset + req.module_size;
  req.args_size = static_cast<uint32_t>(args.size());
  req.argc = static_cast<uint32_t>(spec.args.size());
  req.env_offset = req.args_offset + req.args_size;
  req.env_size = static_cast<uint32_t>(env.size());
  req.envc = static_cast<uint32_t>(spec.env.size());
  req.max_memory_pages = spec.max_memory_pages;
  req.fuel = spec.fuel;
  const uint64_t strings_end = req.env_offset + req.env_size;
  const uint64_t fs_offset = (strings_end + 7) & ~uint64_t{7};  // the image wants 8-byte alignment
  if (!spec.fs_image.empty()) {
    req.fs_offset = static_cast<uint32_t>(fs_offset);
    req.fs_size = spec.fs_image.size();
  }
  std::vector<uint8_t> out(sizeof(req));
  std::memcpy(out.data(), &req, sizeof(req));
  out.insert(out.end(), spec.module.begin(), spec.module.end());
  out.insert(out.end(), args.begin(), args.end());
  out.insert(out.end(), env.begin(), env.end());
  if (!spec.fs_image.empty()) {
    out.resize(fs_offset, 0);
    out.insert(out.end(), spec.fs_image.begin(), spec.fs_image.end());
  }
  // The export's name, then the arguments (8-aligned).
  const uint32_t name_offset = static_cast<uint32_t>(out.size());
  out.insert(out.end(), spec.export_name.begin(), spec.export_name.end());
  out.resize((out.size() + 7) & ~size_t{7}, 0);
  const uint32_t values_offset = static_cast<uint32_t>(out.size());
  const auto* v = reinterpret_cast<const uint8_t*>(spec.values.data());
  out.insert(out.end(), v, v + spec.values.size() * sizeof(abi::WasmValue));
  req.mode = spec.mode;
  req.export_offset = name_offset;
  req.export_size = static_cast<uint32_t>(spec.export_name.size());
  req.values_offset = values_offset;
  req.value_count = static_cast<uint32_t>(spec.values.size());
  req.wasi_denied = spec.wasi_denied;
  req.policy_flags = (spec.refuse_denied_imports ? abi::kPolicyRefuseModule : 0) |
                     (spec.coverage ? abi::kFuzzCoverage : 0) |
                     (spec.compiler ? abi::kEngineCompiler : 0) |
                     (spec.stdio_terminals[0] ? abi::kStdinTerminal : 0) |
                     (spec.stdio_terminals[1] ? abi::kStdoutTerminal : 0) |
                     (spec.stdio_terminals[2] ? abi::kStderrTerminal : 0) |
                     (spec.partial_results ? abi::kPartialResults : 0);
  std::memcpy(out.data(), &req, sizeof(req));
  return out;
}

absl::Status RunWasiCommand(Sandbox& sandbox, std::span<const uint8_t> request,
                            absl::Time deadline) {
  // The request's offsets are 32-bit.
  if (request.size() > UINT32_MAX) return absl::InvalidArgumentError("run request over 4 GiB");
  ASSIGN_OR_RETURN(int64_t addr,
                   sandbox.RunCommand(abi::Command::kAllocInput, request.size(), 0, 0, deadline));
  if (addr <= 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the guest has no room for a ", request.size(), "-byte run request"));
  }
  RETURN_IF_ERROR(sandbox.CopyToGuest(static_cast<uint64_t>(addr), request));
  ASSIGN_OR_RETURN(int64_t status, sandbox.RunCommand(abi::Command::kRunWasi,
                                                      static_cast<uint64_t>(addr), request.size(),
                                                      0, deadline));
  if (status != 0) {
    return absl::InternalError(absl::StrCat("the guest rejected the run request (status ", status, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<WarmStart> SnapshotForCalls(Sandbox& sandbox, uint64_t request_capacity,
                                           absl::Time deadline) {
  ASSIGN_OR_RETURN(int64_t addr, sandbox.RunCommand(abi::Command::kAllocInput, request_capacity,
                                                    abi::kInputInRequestArea, 0, deadline));
  if (addr <= 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the guest has no room for a ", request_capacity, "-byte request buffer"));
  }
  WarmStart warm;
  warm.request_addr = static_cast<uint64_t>(addr);
  warm.request_capacity = request_capacity;
  // The buffer is recycled heap (the instantiate request's module bytes may
  // still be in it): zero it, so every call starts with the same known bytes
  // and anything the guest reads back there (fuzzing's coverage arrays) is
  // zero until written.
  RETURN_IF_ERROR(sandbox.CopyToGuest(warm.request_addr, std::vector<uint8_t>(request_capacity, 0)));
  ASSIGN_OR_RETURN(warm.snapshot, sandbox.TakeSnapshot());
  return warm;
}

absl::Status RunWarmCommand(Sandbox& sandbox, const WarmStart& warm,
                            std::span<const uint8_t> request, absl::Time deadline) {
  if (request.size() > warm.request_capacity) {
    return absl::InvalidArgumentError(absl::StrCat("a ", request.size(), "-byte request exceeds the ",
                                                   warm.request_capacity,
                                                   "-byte buffer of a warm sandbox"));
  }
  RETURN_IF_ERROR(sandbox.CopyToGuest(warm.request_addr, request));
  ASSIGN_OR_RETURN(int64_t status, sandbox.RunCommand(abi::Command::kRunWasi, warm.request_addr,
                                                      request.size(), 0, deadline));
  if (status != 0) {
    return absl::InternalError(absl::StrCat("the guest rejected the request (status ", status, ")"));
  }
  return absl::OkStatus();
}

}  // namespace palisade
