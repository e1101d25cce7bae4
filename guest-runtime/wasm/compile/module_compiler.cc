// CompileModule: decode, validate the module, then validate and compile
// every function body.
#include "wasm/binary/decoder.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/jit/function_jit.h"
#include "wasm/compile/function_compiler.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/interpreter.h"
#include "wasm/validate/module_validator.h"

namespace palisade::wasm {

namespace {

// The compiler tier over the compiled module; false only when out of memory.
bool CompileTier(CompiledModule* cm, const CompileOptions& options) {
  if (options.sealer == nullptr) {
    cm->jit_status = "no code sealer: the embedder cannot make compiled code executable";
    return true;
  }
  void* p = EngineAlloc(sizeof(JitModule));
  if (p == nullptr) return false;
  JitModule* jit = new (p) JitModule();
  if (!JitCompileModule(*cm, InterpreterHandlers(), jit)) {
    jit->~JitModule();
    EngineFree(p);
    return false;
  }
  cm->jit = jit;
  if (jit->not_compiled[0] != '\0') {
    cm->jit_status = jit->not_compiled;
    return true;
  }
  const char* error = "";
  cm->jit_code = options.sealer->Seal(*jit, &error);
  cm->sealer = options.sealer;
  cm->jit_status = cm->jit_code != nullptr ? "" : error;
  // The sealed copy is what runs; the staging bytes would only hold heap
  // (in a micro-VM, the guest's) for as long as the module lives.
  if (cm->jit_code != nullptr) {
    jit->code = Vec<uint8_t>();
    jit->relocations = Vec<x64::Relocation>();
  }
  return true;
}

}  // namespace

Error CompileModule(const uint8_t* bytes, size_t size, CompiledModule** out,
                    const CompileOptions& options) {
  *out = nullptr;
  void* p = EngineAlloc(sizeof(CompiledModule));
  if (p == nullptr) return MakeError(ErrorKind::kOutOfMemory, 0, "", "out of memory");
  CompiledModule* cm = new (p) CompiledModule();
  Error e = DecodeModule(bytes, size, &cm->module, options.limits);
  if (e.ok()) e = ValidateModule(cm->module);
  if (e.ok()) {
    const Module& m = cm->module;
    if (!cm->functions.reserve(m.functions.size())) {
      e = MakeError(ErrorKind::kOutOfMemory, 0, "code", "out of memory");
    }
    FunctionCompiler fc(m, cm, InterpreterHandlers(), CompileLimits(), options.coverage);
    for (uint32_t i = 0; e.ok() && i < m.functions.size(); ++i) e = fc.Compile(i);
    cm->coverage_probes = fc.probes();
  }
  if (!e.ok()) {
    FreeCompiledModule(cm);
    return e;
  }
  if (options.tier == EngineTier::kCompiler) {
    if (!CompileTier(cm, options)) {
      FreeCompiledModule(cm);
      return MakeError(ErrorKind::kOutOfMemory, 0, "code", "out of memory");
    }
  }
  *out = cm;
  return e;
}

void FreeCompiledModule(CompiledModule* module) {
  if (module == nullptr) return;
  if (module->jit_code != nullptr) module->sealer->Release(module->jit_code);
  if (module->jit != nullptr) {
    module->jit->~JitModule();
    EngineFree(module->jit);
  }
  module->~CompiledModule();
  EngineFree(module);
}

const char* CompiledTierStatus(const CompiledModule* module) { return module->jit_status; }

const Module& GetModule(const CompiledModule* module) { return module->module; }

uint32_t SuggestedCoverageMapSize(const CompiledModule* module, uint32_t max_size) {
  // About eight counters per probe keeps AFL's edge hash from colliding
  // much, and a small harness's counters on a few pages: in a micro-VM each
  // page an input writes is a page the reset restores.
  uint64_t want = 4096;
  while (want < uint64_t{module->coverage_probes} * 8 && want < max_size) want *= 2;
  return want < max_size ? static_cast<uint32_t>(want) : max_size;
}

const char* FunctionNameOf(const CompiledModule* module, uint32_t func_index, size_t* len) {
  const Vec<FunctionName>& names = module->module.function_names;
  size_t lo = 0, hi = names.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (names[mid].index < func_index) lo = mid + 1; else hi = mid;
  }
  if (lo == names.size() || names[lo].index != func_index) return nullptr;
  *len = names[lo].name.size;
  return reinterpret_cast<const char*>(module->module.bytes + names[lo].name.offset);
}

}  // namespace palisade::wasm
