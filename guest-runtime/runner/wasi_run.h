// The kRunWasi command: compile, link and run one WASI command from a
// WasiRunRequest the host wrote into guest memory, then report how it ended
// with a kWasmOutcome hypercall.
#pragma once

#include <stdint.h>

namespace palisade::guest {

// Returns the command status: 0 once an outcome was reported, negative if
// the request itself was unusable (then no outcome is reported).
int64_t RunWasi(uint64_t request_addr, uint64_t request_size);

}  // namespace palisade::guest
