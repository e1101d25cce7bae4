// Runs a module's exports as the Wasm fuzz targets do: one instance with
// WASI (NullWasiSystem), linear memory capped at 4 MiB, every exported
// function called with zero arguments under fresh fuel (20,000) so each
// input ends quickly. Exports with more than 16 parameters or results are
// passed over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/null_wasi_system.h"
#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"
#include "wasm/support/vec.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::fuzz {

// `on_call(trap, results, result_count)` sees each call's outcome and
// returns whether to go on to the next export.
template <typename OnCall>
void RunExports(wasm::CompiledModule* module, OnCall on_call) {
  using namespace palisade::wasm;  // NOLINT: the engine API reads best bare here
  static NullWasiSystem system;
  wasi::WasiContext context(&system);
  StoreLimits limits;
  limits.max_memory_pages = 64;  // 4 MiB
  std::unique_ptr<Store, void (*)(Store*)> store(NewStore(limits, HostMemoryProvider()), FreeStore);
  if (store == nullptr) return;
  SetFuel(store.get(), true, 20000);
  Vec<Extern> externs;
  if (!wasi::ResolveWasiImports(store.get(), module, &context, &externs).ok()) return;
  InstantiateResult r = Instantiate(store.get(), module, externs.data(), externs.size());
  if (r.status != InstantiateStatus::kOk) return;
  for (size_t i = 0; i < ExportCount(r.instance); ++i) {
    const char* name;
    size_t len;
    Extern e = ExportAt(r.instance, i, &name, &len);
    if (e.kind != ExternKind::kFunc) continue;
    auto* f = static_cast<FuncInst*>(e.object);
    const ValType *params, *results;
    uint32_t np, nr;
    GetFuncSignature(f, &params, &np, &results, &nr);
    if (np > 16 || nr > 16) continue;
    Value args[16], outs[16];
    for (uint32_t p = 0; p < np; ++p) args[p].type = params[p];
    SetFuel(store.get(), true, 20000);
    const Trap t = Invoke(store.get(), f, args, np, outs, nr);
    if (!on_call(t, outs, nr)) return;
  }
}

}  // namespace palisade::fuzz
