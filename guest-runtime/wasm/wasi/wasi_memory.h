// Helpers shared by the WASI function files: the caller's linear memory,
// argument access and the errno result convention.
#pragma once

#include "wasm/runtime/engine.h"
#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_context.h"

namespace palisade::wasm::wasi {

// The caller's linear memory, every access checked against its size
// (overflow-safe: pointers are 32-bit, lengths at most 64-bit products of
// 32-bit values).
struct Memory {
  uint8_t* base = nullptr;
  uint64_t size = 0;

  explicit Memory(HostCall& call) {
    if (call.memory != nullptr) {
      base = MemoryData(call.memory);
      size = MemorySize(call.memory);
    }
  }
  bool Has(uint64_t ptr, uint64_t len) const { return ptr <= size && len <= size - ptr; }
  bool PutU32(uint32_t ptr, uint32_t v) {
    if (!Has(ptr, 4)) return false;
    __builtin_memcpy(base + ptr, &v, 4);
    return true;
  }
  bool PutU64(uint32_t ptr, uint64_t v) {
    if (!Has(ptr, 8)) return false;
    __builtin_memcpy(base + ptr, &v, 8);
    return true;
  }
  uint32_t U32(uint32_t ptr) const {
    uint32_t v;
    __builtin_memcpy(&v, base + ptr, 4);
    return v;
  }
};

inline WasiContext* Ctx(void* c) { return static_cast<WasiContext*>(c); }
inline uint32_t Arg32(const uint64_t* args, int i) { return static_cast<uint32_t>(args[i]); }
inline Trap Ok(uint64_t* results, Errno e) {
  results[0] = e;
  return Trap();
}


}  // namespace palisade::wasm::wasi
