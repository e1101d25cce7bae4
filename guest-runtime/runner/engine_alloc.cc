// The engine's allocator hooks (wasm/support/alloc.h) on the guest heap.
// Exhaustion returns nullptr, which the engine turns into a clean error.
#include "lib/heap.h"
#include "lib/string.h"
#include "wasm/support/alloc.h"

namespace palisade::wasm {

void* EngineAlloc(size_t bytes) { return guest::GlobalHeap().Allocate(bytes == 0 ? 1 : bytes); }

void* EngineRealloc(void* p, size_t old_bytes, size_t new_bytes) {
  void* q = EngineAlloc(new_bytes);
  if (q == nullptr) return nullptr;
  if (p != nullptr) {
    memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
    guest::GlobalHeap().Free(p);
  }
  return q;
}

void EngineFree(void* p) {
  if (p != nullptr) guest::GlobalHeap().Free(p);
}

}  // namespace palisade::wasm
