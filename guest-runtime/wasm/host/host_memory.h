// Linear memory for the engine on the host: each memory reserves its whole
// maximum as inaccessible address space (plus a guard), and grows by making
// pages readable and writable in place, so the base never moves.
#pragma once

#include "wasm/runtime/engine.h"

namespace palisade::wasm {

// A process-wide provider; thread-safe (it keeps no state of its own).
MemoryProvider* HostMemoryProvider();

}  // namespace palisade::wasm
