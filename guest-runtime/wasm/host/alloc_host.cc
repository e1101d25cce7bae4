// The host's engine allocator: plain malloc. The guest links its own
// (guest heap) instead of this file.
#include <stdlib.h>

#include "wasm/support/alloc.h"

namespace palisade::wasm {

void* EngineAlloc(size_t bytes) { return malloc(bytes == 0 ? 1 : bytes); }
void* EngineRealloc(void* p, size_t, size_t new_bytes) {
  return realloc(p, new_bytes == 0 ? 1 : new_bytes);
}
void EngineFree(void* p) { free(p); }
void* EngineAllocStack(StackKind, size_t bytes) { return EngineAlloc(bytes); }
void EngineFreeStack(StackKind, void* p) { free(p); }

}  // namespace palisade::wasm
