// Where the engine's value and call stacks live in the guest: the boot info's
// scratch memory, which the host never rolls back, so a warm call's stack
// writes cost no fault (abi::BootInfo::scratch).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::guest {

// Called once at boot; with too little scratch the stacks come from the heap.
void SetEngineScratch(uintptr_t begin, size_t bytes);

}  // namespace palisade::guest
