// Untrusted modules, run: every module that compiles is instantiated with
// WASI (a system that swallows output and has no input) and each exported
// function is called with zero arguments under a fuel budget and a memory
// cap, so every input ends quickly. Traps are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/run_exports.h"
#include "wasm/runtime/engine.h"

using namespace palisade::wasm;  // NOLINT: a single-function target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CompiledModule* raw = nullptr;
  if (!CompileModule(data, size, &raw).ok()) return 0;
  std::unique_ptr<CompiledModule, void (*)(CompiledModule*)> module(raw, FreeCompiledModule);
  palisade::fuzz::RunExports(module.get(), [](const Trap&, const Value*, uint32_t) { return true; });
  return 0;
}
