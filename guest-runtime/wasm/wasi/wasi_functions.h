// The wasi_snapshot_preview1 functions we implement, as engine host
// functions taking a WasiContext.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/runtime/engine.h"

namespace palisade::wasm::wasi {

struct WasiFunction {
  const char* name;
  const ValType* params;
  uint32_t param_count;
  const ValType* results;
  uint32_t result_count;
  HostFunction function;
};

// The implemented functions; nullptr if `name` is not one of them.
const WasiFunction* FindWasiFunction(const char* name, size_t len);

// For any other wasi_snapshot_preview1 import: returns ENOSYS (52) as its
// i32 result, if it has one.
Trap WasiNotImplemented(void* context, HostCall& call, const uint64_t* args, uint64_t* results);

}  // namespace palisade::wasm::wasi
