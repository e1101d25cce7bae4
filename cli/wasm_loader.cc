#include "cli/wasm_loader.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli/compiled_code_sealer.h"
#include "cli/perf_map.h"
#include "wasm/host/host_memory.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::cli {

absl::Status CheckEngine(const std::string& engine) {
  if (engine == "interpreter" || engine == "compiler") return absl::OkStatus();
  return absl::InvalidArgumentError("--engine takes interpreter or compiler, not '" + engine + "'");
}

absl::Status CheckPerfMap(bool perf_map, bool in_process) {
  if (!perf_map || in_process) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "--perf-map needs --in-process: in a micro-VM the compiled code lives in guest memory, where "
      "the host's perf does not name it");
}

absl::StatusOr<std::unique_ptr<LoadedProgram>> LoadProgram(const std::string& path,
                                                           wasm::wasi::WasiSystem* system,
                                                           const LoadOptions& options) {
  auto p = std::make_unique<LoadedProgram>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  p->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  wasm::CompiledModule* cm = nullptr;
  wasm::CompileOptions compile;
  // Lives as long as the process: modules hold code it sealed until freed.
  static InProcessCodeSealer sealer;
  if (options.engine == "compiler") {
    compile.tier = wasm::EngineTier::kCompiler;
    compile.sealer = &sealer;
  }
  wasm::Error e = wasm::CompileModule(p->bytes.data(), p->bytes.size(), &cm, compile);
  p->module.reset(cm);
  if (!e.ok()) return absl::InvalidArgumentError(path + ": " + DescribeCompileError(e));
  if (options.engine == "compiler" && wasm::CompiledTierStatus(cm)[0] != '\0') {
    std::fprintf(stderr, "palisade: %s runs interpreted: the compiler tier: %s\n", path.c_str(),
                 wasm::CompiledTierStatus(cm));
  }
  if (options.perf_map && cm->jit_code == nullptr) {
    std::fprintf(stderr, "palisade: --perf-map: %s runs interpreted, so there is nothing to name\n", path.c_str());
  } else if (options.perf_map) {
    const std::string name = std::filesystem::path(path).filename().string();
    if (absl::Status s = AppendPerfMap(*cm, name, PerfMapPath()); !s.ok()) return s;
  }
  p->wasi = std::make_unique<wasm::wasi::WasiContext>(system);
  p->wasi->SetPolicy(options.policy);
  if (!options.fs_image.empty()) {
    p->fs_bytes = options.fs_image;
    if (!p->fs.Init(p->fs_bytes.data(), p->fs_bytes.size()) || !p->wasi->SetFs(&p->fs)) {
      return absl::InternalError("unusable directory image");
    }
  }
  for (const std::string& a : options.args) {
    if (!p->wasi->AddArg(a.data(), a.size())) return absl::ResourceExhaustedError("out of memory");
  }
  for (const std::string& v : options.env) {
    if (!p->wasi->AddEnv(v.data(), v.size())) return absl::ResourceExhaustedError("out of memory");
  }
  wasm::StoreLimits limits;
  limits.max_memory_pages = options.max_memory_pages;
  p->store.reset(wasm::NewStore(limits, wasm::HostMemoryProvider()));
  if (p->store == nullptr) return absl::ResourceExhaustedError("out of memory");
  wasm::Vec<wasm::Extern> externs;
  e = wasm::wasi::ResolveWasiImports(p->store.get(), cm, p->wasi.get(), &externs);
  if (!e.ok()) return absl::FailedPreconditionError(path + ": " + e.message);
  wasm::InstantiateResult r =
      wasm::Instantiate(p->store.get(), cm, externs.data(), externs.size());
  switch (r.status) {
    case wasm::InstantiateStatus::kOk:
      break;
    case wasm::InstantiateStatus::kLinkError:
      return absl::FailedPreconditionError(path + ": link error: " + r.error.message);
    case wasm::InstantiateStatus::kOutOfMemory:
      return absl::ResourceExhaustedError(path + ": out of memory while instantiating");
    case wasm::InstantiateStatus::kTrap:
      return absl::AbortedError(path + ": trap while instantiating: " +
                                DescribeTrap(*p, r.trap));
  }
  p->instance = r.instance;
  return p;
}

std::string DescribeCompileError(const wasm::Error& e) {
  char where[64];
  std::snprintf(where, sizeof where, " (%s section, offset 0x%x)",
                e.section[0] != '\0' ? e.section : "module", e.offset);
  const char* kind = e.kind == wasm::ErrorKind::kMalformed ? "malformed module"
                     : e.kind == wasm::ErrorKind::kInvalid ? "invalid module"
                     : e.kind == wasm::ErrorKind::kLimit   ? "module exceeds a limit"
                                                           : "out of memory";
  return std::string(kind) + ": " + e.message + where;
}

std::string DescribeTrap(const LoadedProgram& program, const wasm::Trap& trap) {
  return DescribeTrap(program.module.get(), trap);
}

std::string DescribeTrap(const wasm::CompiledModule* module, const wasm::Trap& trap) {
  std::string s = wasm::TrapMessage(trap.kind);
  if (trap.kind == wasm::TrapKind::kHostError && trap.detail[0] != '\0') {
    s += std::string(": ") + trap.detail;
  }
  size_t len = 0;
  const char* name = wasm::FunctionNameOf(module, trap.func_index, &len);
  char buf[64];
  std::snprintf(buf, sizeof buf, " in function %u", trap.func_index);
  s += buf;
  if (name != nullptr) s += " (" + std::string(name, len) + ")";
  std::snprintf(buf, sizeof buf, " at offset 0x%x", trap.offset);
  s += buf;
  return s;
}

}  // namespace palisade::cli
