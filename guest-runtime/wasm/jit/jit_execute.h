// Running a function of a module the compiler tier compiled: the same
// entry checks, fuel accounting and trap report as the interpreter's.
#pragma once

#include <stdint.h>

#include "wasm/runtime/store.h"
#include "wasm/runtime/trap.h"

namespace palisade::wasm {

// `func`'s module must have compiled code (CompiledModule::jit_code).
Trap ExecuteCompiled(Store* store, FuncInst* func, uint64_t* args);

}  // namespace palisade::wasm
