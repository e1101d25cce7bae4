// The guest's general-purpose allocator: boundary-tag blocks on a doubly
// linked free list, first fit carved from the block's high end, coalesce on
// free; growable blocks come from the low end and grow in place. Blocks are
// 16-byte aligned. Exhaustion returns nullptr; the caller decides whether that
// is fatal (operator new reports kOutOfMemory to the host).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::guest {

class Heap {
 public:
  // Takes ownership of [start, end). Returns false if the range is too small.
  bool Init(uintptr_t start, uintptr_t end);

  // From the high end of the first free block that fits.
  void* Allocate(size_t bytes);
  // From the low end of the largest free block: for a block that will grow
  // (Wasm linear memory), which ordinary allocations then leave room above.
  void* AllocateLow(size_t bytes);
  // Extends the block at `p` to hold `bytes` by taking from the free block
  // right after it; false (and nothing changed) if that is not enough.
  bool GrowInPlace(void* p, size_t bytes);
  void Free(void* p);

  size_t free_bytes() const { return free_bytes_; }
  size_t capacity() const { return capacity_; }

 private:
  struct FreeNode {
    FreeNode* next;
    FreeNode* prev;
  };
  static constexpr uint64_t kUsed = 1;
  static constexpr size_t kAlign = 16;
  static constexpr size_t kOverhead = 16;  // header + footer
  static constexpr size_t kMinBlock = 32;  // header, 2 links, footer

  static uint64_t* Header(FreeNode* n) {
    return reinterpret_cast<uint64_t*>(n) - 1;
  }
  static size_t SizeAt(const uint64_t* tag) { return *tag & ~uint64_t{15}; }
  static void SetTags(uint64_t* header, size_t size, uint64_t used);
  static size_t BlockSize(size_t bytes);  // payload bytes -> block bytes
  // Of the unlinked block at `header` (`size` bytes), keeps the first `keep`
  // and frees the rest when it can stand alone; returns the size kept.
  size_t KeepLow(uint64_t* header, size_t size, size_t keep);
  void Link(FreeNode* n);
  void Unlink(FreeNode* n);

  FreeNode* free_list_ = nullptr;
  uintptr_t begin_ = 0;
  uintptr_t end_ = 0;
  size_t free_bytes_ = 0;
  size_t capacity_ = 0;
};

Heap& GlobalHeap();

}  // namespace palisade::guest
