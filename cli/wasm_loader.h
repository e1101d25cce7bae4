// Reading, compiling and instantiating a module for the in-process
// commands (`run`, `invoke`), with WASI as the only import source.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wasm/runtime/engine.h"
#include "wasm/wasi/wasi_context.h"

namespace palisade::cli {

struct StoreDeleter {
  void operator()(wasm::Store* s) const { wasm::FreeStore(s); }
};
struct CompiledModuleDeleter {
  void operator()(wasm::CompiledModule* m) const { wasm::FreeCompiledModule(m); }
};

// A module instantiated in its own store. Member order is destruction
// order in reverse: the store (instances) goes before the module and bytes.
struct LoadedProgram {
  std::vector<uint8_t> bytes;
  std::unique_ptr<wasm::CompiledModule, CompiledModuleDeleter> module;
  std::vector<uint8_t> fs_bytes;  // the preopened directories, if any
  wasm::wasi::FsImage fs;
  std::unique_ptr<wasm::wasi::WasiContext> wasi;
  std::unique_ptr<wasm::Store, StoreDeleter> store;
  wasm::Instance* instance = nullptr;
};

struct LoadOptions {
  uint32_t max_memory_pages = 65536;
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // KEY=VALUE
  std::vector<uint8_t> fs_image;  // from BuildFsImage, or empty
  wasm::wasi::WasiPolicy policy;  // WASI functions denied (--policy)
  // "interpreter" or "compiler" (the compiler tier where it can compile the
  // module; a note on stderr says why when it cannot).
  std::string engine = "interpreter";
  // Appends the compiled functions' names to /tmp/perf-PID.map for perf
  // (cli/perf_map.h); nothing when the module runs interpreted.
  bool perf_map = false;
};

// --perf-map is for --in-process runs only; the error names the command.
absl::Status CheckPerfMap(bool perf_map, bool in_process);

// Checks an --engine value; the error names the command.
absl::Status CheckEngine(const std::string& engine);

// Errors name the file and say what was wrong (decode/validation errors
// with section and offset, link errors with the missing imports, a trap in
// the start function).
absl::StatusOr<std::unique_ptr<LoadedProgram>> LoadProgram(const std::string& path,
                                                           wasm::wasi::WasiSystem* system,
                                                           const LoadOptions& options);

// "unreachable in function 3 ($main) at offset 0x1a2"
std::string DescribeTrap(const LoadedProgram& program, const wasm::Trap& trap);
std::string DescribeTrap(const wasm::CompiledModule* module, const wasm::Trap& trap);
// "malformed module: unexpected end (code section, offset 0x1f)"
std::string DescribeCompileError(const wasm::Error& e);

}  // namespace palisade::cli
