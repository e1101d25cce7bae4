// The guest's operator new and delete, on its heap (lib/heap.h).
#include <new>

#include "lib/heap.h"
#include "lib/hypercall.h"

// Guest operator new never returns null (no exceptions to throw): running out
// of heap is reported to the host, which ends the sandbox with a clear error.
namespace {
void* AllocateOrAbort(size_t n) {
  auto& heap = palisade::guest::GlobalHeap();
  void* p = heap.Allocate(n);
  if (p == nullptr) {
    palisade::guest::Abort(palisade::abi::AbortReason::kOutOfMemory,
                           "guest heap exhausted", n, heap.free_bytes());
  }
  return p;
}
}  // namespace

void* operator new(size_t n) { return AllocateOrAbort(n); }
void* operator new[](size_t n) { return AllocateOrAbort(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return palisade::guest::GlobalHeap().Allocate(n);
}
void operator delete(void* p) noexcept { palisade::guest::GlobalHeap().Free(p); }
void operator delete[](void* p) noexcept { palisade::guest::GlobalHeap().Free(p); }
void operator delete(void* p, size_t) noexcept {
  palisade::guest::GlobalHeap().Free(p);
}
void operator delete[](void* p, size_t) noexcept {
  palisade::guest::GlobalHeap().Free(p);
}
