// The kSpec command: one step of a spec-test file on the guest's spec
// session (wasm/spectest/spec_session.h), for `palisade spec --in-vm`.
#pragma once

#include <stdint.h>

namespace palisade::guest {

// `capacity`: bytes of the buffer the request lies in (the reply is written
// over its start). Returns 0, or a negative status for an unusable request.
int64_t RunSpec(uint64_t request_addr, uint64_t request_size, uint64_t capacity);

}  // namespace palisade::guest
