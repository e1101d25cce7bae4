// Resolves a module's imports against WASI preview1: the implemented
// functions, ENOSYS for the rest of wasi_snapshot_preview1, and a link error
// naming every import from any other module.
#pragma once

#include "wasm/runtime/engine.h"
#include "wasm/support/error.h"
#include "wasm/support/vec.h"
#include "wasm/wasi/wasi_context.h"

namespace palisade::wasm::wasi {

// Fills *externs with one Extern per import of `module` (import order).
Error ResolveWasiImports(Store* store, const CompiledModule* module, WasiContext* context,
                         Vec<Extern>* externs);

}  // namespace palisade::wasm::wasi
