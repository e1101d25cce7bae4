#include "lib/heap.h"

#include "lib/hypercall.h"

namespace palisade::guest {

void Heap::SetTags(uint64_t* header, size_t size, uint64_t used) {
  header[0] = size | used;
  *reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(header) + size -
                               8) = size | used;
}

void Heap::Link(FreeNode* n) {
  n->prev = nullptr;
  n->next = free_list_;
  if (free_list_ != nullptr) free_list_->prev = n;
  free_list_ = n;
}

void Heap::Unlink(FreeNode* n) {
  if (n->prev != nullptr) {
    n->prev->next = n->next;
  } else {
    free_list_ = n->next;
  }
  if (n->next != nullptr) n->next->prev = n->prev;
}

bool Heap::Init(uintptr_t start, uintptr_t end) {
  // Layout: [prologue footer][block ...][epilogue header]. Headers sit at
  // 8 mod 16 so payloads are 16-aligned; the used prologue/epilogue stop
  // coalescing at both ends without bounds checks.
  uintptr_t base = (start + kAlign - 1) & ~(kAlign - 1);
  if (end < base || end - base < 64) return false;
  uintptr_t epilogue = (end & ~(kAlign - 1)) - 8;
  uintptr_t first = base + 8;
  if (epilogue <= first || epilogue - first < kMinBlock) return false;
  *reinterpret_cast<uint64_t*>(base) = kUsed;
  *reinterpret_cast<uint64_t*>(epilogue) = kUsed;
  size_t size = epilogue - first;
  auto* header = reinterpret_cast<uint64_t*>(first);
  SetTags(header, size, 0);
  free_list_ = nullptr;
  Link(reinterpret_cast<FreeNode*>(header + 1));
  begin_ = first;
  end_ = epilogue;
  free_bytes_ = capacity_ = size;
  return true;
}

size_t Heap::BlockSize(size_t bytes) {
  size_t need = (bytes + kOverhead + kAlign - 1) & ~(kAlign - 1);
  return need < kMinBlock ? kMinBlock : need;
}

void* Heap::Allocate(size_t bytes) {
  if (bytes > capacity_) return nullptr;
  const size_t need = BlockSize(bytes);
  for (FreeNode* n = free_list_; n != nullptr; n = n->next) {
    uint64_t* header = Header(n);
    const size_t size = SizeAt(header);
    if (size < need) continue;
    if (size - need < kMinBlock) {
      Unlink(n);
      SetTags(header, size, kUsed);
      free_bytes_ -= size;
      return header + 1;
    }
    // Carve from the high end: the free remainder keeps its place (and its
    // list node) below, where a block made by AllocateLow can grow into it.
    SetTags(header, size - need, 0);
    auto* taken = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(header) + size - need);
    SetTags(taken, need, kUsed);
    free_bytes_ -= need;
    return taken + 1;
  }
  return nullptr;
}

size_t Heap::KeepLow(uint64_t* header, size_t size, size_t keep) {
  if (size - keep < kMinBlock) return size;
  auto* rest = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(header) + keep);
  SetTags(rest, size - keep, 0);
  Link(reinterpret_cast<FreeNode*>(rest + 1));
  return keep;
}

void* Heap::AllocateLow(size_t bytes) {
  if (bytes > capacity_) return nullptr;
  const size_t need = BlockSize(bytes);
  FreeNode* best = nullptr;
  for (FreeNode* n = free_list_; n != nullptr; n = n->next) {
    if (best == nullptr || SizeAt(Header(n)) > SizeAt(Header(best))) best = n;
  }
  if (best == nullptr || SizeAt(Header(best)) < need) return nullptr;
  uint64_t* header = Header(best);
  size_t size = SizeAt(header);
  Unlink(best);
  size = KeepLow(header, size, need);
  SetTags(header, size, kUsed);
  free_bytes_ -= size;
  return header + 1;
}

bool Heap::GrowInPlace(void* p, size_t bytes) {
  if (p == nullptr || bytes > capacity_) return false;
  uint64_t* header = reinterpret_cast<uint64_t*>(p) - 1;
  const size_t size = SizeAt(header);
  const size_t need = BlockSize(bytes);
  if (need <= size) return true;
  auto* next = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(header) + size);
  if ((*next & kUsed) != 0) return false;  // also the epilogue
  const size_t next_size = SizeAt(next);
  if (size + next_size < need) return false;
  Unlink(reinterpret_cast<FreeNode*>(next + 1));
  const size_t grown = KeepLow(header, size + next_size, need);
  SetTags(header, grown, kUsed);
  free_bytes_ -= grown - size;
  return true;
}

void Heap::Free(void* p) {
  if (p == nullptr) return;
  auto addr = reinterpret_cast<uintptr_t>(p);
  uint64_t* header = reinterpret_cast<uint64_t*>(p) - 1;
  if (addr < begin_ + 8 || addr >= end_ || (addr & (kAlign - 1)) != 0 ||
      (*header & kUsed) == 0) {
    Abort(abi::AbortReason::kAssertion, "heap: free of a pointer it does not own");
  }
  size_t size = SizeAt(header);
  free_bytes_ += size;
  auto* next = reinterpret_cast<uint64_t*>(addr - 8 + size);
  if ((*next & kUsed) == 0) {
    Unlink(reinterpret_cast<FreeNode*>(next + 1));
    size += SizeAt(next);
  }
  uint64_t* prev_footer = header - 1;
  if ((*prev_footer & kUsed) == 0) {
    size_t prev_size = SizeAt(prev_footer);
    auto* prev = reinterpret_cast<uint64_t*>(
        reinterpret_cast<uintptr_t>(header) - prev_size);
    Unlink(reinterpret_cast<FreeNode*>(prev + 1));
    header = prev;
    size += prev_size;
  }
  SetTags(header, size, 0);
  Link(reinterpret_cast<FreeNode*>(header + 1));
}

namespace {
constinit Heap g_heap;
}

Heap& GlobalHeap() { return g_heap; }

}  // namespace palisade::guest

