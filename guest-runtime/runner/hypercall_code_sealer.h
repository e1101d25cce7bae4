// The guest's side of sealing (docs/COMPILER.md, "Sealing"): a module the
// compiler tier translated is handed to the host in one kSealCode hypercall,
// which checks it and places it in the code region, read+execute for us and
// never writable. The guest never executes a byte it wrote itself.
#pragma once

#include <stdint.h>

#include "abi/hypercall_abi.h"
#include "wasm/runtime/engine.h"

namespace palisade::guest {

// Takes the code region from the boot info (none: every seal fails and
// modules are interpreted).
void CodeSealerInit(const abi::BootInfo* info);

// The sealer for CompileOptions, or nullptr when this guest has no code
// region.
wasm::CodeSealer* GuestCodeSealer();

// Compile options asking for `engine_flags`' tier (abi::kEngineCompiler).
wasm::CompileOptions EngineOptions(uint32_t engine_flags);

}  // namespace palisade::guest
