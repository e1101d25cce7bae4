// The engine's allocator hooks (wasm/support/alloc.h) on the guest heap.
// Exhaustion returns nullptr, which the engine turns into a clean error.
#include "lib/heap.h"
#include "runner/engine_scratch.h"
#include "lib/string.h"
#include "wasm/support/alloc.h"

namespace palisade::wasm {

void* EngineAlloc(size_t bytes) { return guest::GlobalHeap().Allocate(bytes == 0 ? 1 : bytes); }

void* EngineRealloc(void* p, size_t old_bytes, size_t new_bytes) {
  if (p != nullptr && new_bytes > old_bytes && guest::GlobalHeap().GrowInPlace(p, new_bytes)) return p;
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

// The stacks go to the boot info's scratch memory when they fit: one region
// per kind, shared by every store, which is sound because the guest runs one
// call at a time and a stack holds nothing between calls.
namespace {
struct ScratchArea {
  uintptr_t begin = 0;
  size_t bytes = 0;
  bool Holds(const void* p) const {
    const auto a = reinterpret_cast<uintptr_t>(p);
    return bytes != 0 && a >= begin && a < begin + bytes;
  }
};
ScratchArea g_scratch[2];  // StackKind::kValues, kFrames
constexpr size_t kValueScratch = size_t{8} << 20;
}  // namespace

void* EngineAllocStack(StackKind kind, size_t bytes) {
  const ScratchArea& area = g_scratch[static_cast<int>(kind)];
  if (bytes <= area.bytes) return reinterpret_cast<void*>(area.begin);
  return EngineAlloc(bytes);
}

void EngineFreeStack(StackKind kind, void* p) {
  if (!g_scratch[static_cast<int>(kind)].Holds(p)) EngineFree(p);
}

}  // namespace palisade::wasm

namespace palisade::guest {

void SetEngineScratch(uintptr_t begin, size_t bytes) {
  using wasm::kValueScratch;
  if (bytes <= kValueScratch) return;  // too small: both stacks from the heap
  wasm::g_scratch[0] = {begin, kValueScratch};
  wasm::g_scratch[1] = {begin + kValueScratch, bytes - kValueScratch};
}

}  // namespace palisade::guest
