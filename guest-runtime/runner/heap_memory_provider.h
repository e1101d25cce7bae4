// Linear memory for the engine inside the guest, carved from the guest heap.
// The guest has no virtual memory tricks to play (its page tables are the
// host's): memory comes from the low end of the heap's largest free block and
// grows into the free space above it; only when that is taken does Grow copy
// into a larger block, which the MemoryProvider contract allows.
#pragma once

#include "wasm/runtime/engine.h"

namespace palisade::guest {

class HeapMemoryProvider final : public wasm::MemoryProvider {
 public:
  uint8_t* Allocate(uint64_t initial_bytes, uint64_t max_bytes) override;
  uint8_t* Grow(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes, uint64_t max_bytes) override;
  void Release(uint8_t* base, uint64_t bytes, uint64_t max_bytes) override;
};

}  // namespace palisade::guest
