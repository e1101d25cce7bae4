// Guest side of the outbox (abi::OutboxHeader): hypercalls whose answer the
// guest does not need now are queued in shared memory and handled by the host
// at its next exit, so a warm call costs one exit (its kAwaitCommand) instead
// of one per result, outcome and line of output.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "abi/hypercall_abi.h"

namespace palisade::guest {

void OutboxInit(abi::OutboxHeader* outbox);

// Queues `nr` (abi::IsDeferrable) with `args`. With `data`, its `len` bytes
// are copied into the record and args[data_arg] becomes their address. When
// the outbox is full it is flushed first (one exit); a record that could
// never fit is made as a plain hypercall, which drains the outbox before it,
// so the order holds either way.
void Defer(abi::Hypercall nr, const uint64_t (&args)[6], const void* data = nullptr,
           size_t len = 0, int data_arg = 0);

// One exit that hands everything queued to the host now.
void FlushOutbox();

}  // namespace palisade::guest
