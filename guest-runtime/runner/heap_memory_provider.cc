#include "runner/heap_memory_provider.h"

#include "lib/heap.h"
#include "lib/string.h"

namespace palisade::guest {

uint8_t* HeapMemoryProvider::Allocate(uint64_t initial_bytes, uint64_t) {
  // A zero-page memory still gets a valid (never dereferenced) base.
  auto* p = static_cast<uint8_t*>(GlobalHeap().AllocateLow(initial_bytes == 0 ? 16 : initial_bytes));
  if (p != nullptr) memset(p, 0, initial_bytes);
  return p;
}

uint8_t* HeapMemoryProvider::Grow(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes,
                                  uint64_t) {
  // Most grows stay in place (the memory came from AllocateLow, and other
  // allocations are carved from the top): no copy, and no moment with the
  // old and the new memory both held.
  if (GlobalHeap().GrowInPlace(base, new_bytes)) {
    memset(base + old_bytes, 0, new_bytes - old_bytes);
    return base;
  }
  auto* p = static_cast<uint8_t*>(GlobalHeap().AllocateLow(new_bytes));
  if (p == nullptr) return nullptr;
  memcpy(p, base, old_bytes);
  memset(p + old_bytes, 0, new_bytes - old_bytes);
  GlobalHeap().Free(base);
  return p;
}

void HeapMemoryProvider::Release(uint8_t* base, uint64_t, uint64_t) { GlobalHeap().Free(base); }

}  // namespace palisade::guest
