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
// The implemented functions by index (stable: policies name bits by it);
// at most 64. -1 if `name` is not one of them.
uint32_t WasiFunctionCount();
const WasiFunction& WasiFunctionAt(uint32_t index);
int WasiFunctionIndex(const char* name, size_t len);
// What a denied function is linked to: it reports the denial (once) to the
// context's system and returns ENOTCAPABLE — EBADF for fd_prestat_get, so
// that a program simply sees no preopened directories.
HostFunction DeniedWasiFunction(uint32_t index);

// For any other wasi_snapshot_preview1 import: returns ENOSYS (52) as its
// i32 result, if it has one.
Trap WasiNotImplemented(void* context, HostCall& call, const uint64_t* args, uint64_t* results);

}  // namespace palisade::wasm::wasi
