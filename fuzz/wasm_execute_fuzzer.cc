// Untrusted modules, run: every module that compiles is instantiated with
// WASI (a system that swallows output and has no input) and each exported
// function is called with zero arguments under a fuel budget and a memory
// cap, so every input ends quickly. Traps are fine; crashes are not.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/null_wasi_system.h"
#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"
#include "wasm/support/vec.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_linker.h"

using namespace palisade::wasm;  // NOLINT: a single-function target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CompiledModule* raw = nullptr;
  if (!CompileModule(data, size, &raw).ok()) return 0;
  std::unique_ptr<CompiledModule, void (*)(CompiledModule*)> module(raw, FreeCompiledModule);
  static palisade::fuzz::NullWasiSystem system;
  wasi::WasiContext context(&system);
  StoreLimits limits;
  limits.max_memory_pages = 64;  // 4 MiB
  std::unique_ptr<Store, void (*)(Store*)> store(NewStore(limits, HostMemoryProvider()), FreeStore);
  if (store == nullptr) return 0;
  SetFuel(store.get(), true, 20000);
  Vec<Extern> externs;
  if (!wasi::ResolveWasiImports(store.get(), module.get(), &context, &externs).ok()) return 0;
  InstantiateResult r = Instantiate(store.get(), module.get(), externs.data(), externs.size());
  if (r.status != InstantiateStatus::kOk) return 0;
  for (size_t i = 0; i < ExportCount(r.instance); ++i) {
    const char* name;
    size_t len;
    Extern e = ExportAt(r.instance, i, &name, &len);
    if (e.kind != ExternKind::kFunc) continue;
    auto* f = static_cast<FuncInst*>(e.object);
    const ValType *params, *results;
    uint32_t np, nr;
    GetFuncSignature(f, &params, &np, &results, &nr);
    Value args[16], outs[16];
    if (np > 16 || nr > 16) continue;
    for (uint32_t p = 0; p < np; ++p) args[p].type = params[p];
    SetFuel(store.get(), true, 20000);
    (void)Invoke(store.get(), f, args, np, outs, nr);
  }
  return 0;
}
