// Where the engine gets memory. The engine never calls malloc or operator new
// itself: the embedder provides these three functions (host: malloc/free in
// host/alloc_host.cc; guest: the guest heap). A null return is an ordinary
// error path everywhere, so hostile sizes end in a clean kOutOfMemory.
#pragma once

#include <stddef.h>

namespace palisade::wasm {

void* EngineAlloc(size_t bytes);                   // 16-byte aligned, or nullptr
void* EngineRealloc(void* p, size_t old_bytes, size_t new_bytes);  // nullptr keeps p
void EngineFree(void* p);

// A store's value and call stacks: memory whose contents are dead between
// calls, so an embedder may put it where writes cost least (the guest: memory
// the host never rolls back after a call). Same contract as EngineAlloc.
enum class StackKind { kValues, kFrames };
void* EngineAllocStack(StackKind kind, size_t bytes);
void EngineFreeStack(StackKind kind, void* p);

}  // namespace palisade::wasm
