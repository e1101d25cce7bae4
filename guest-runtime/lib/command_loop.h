// The guest's service loop: announce readiness, run each command the host
// hands out, report its status, until told to shut down (which exits the
// guest). The wait itself is serve_loop.S: every command starts from the same
// stack pointer with cleared registers, so the host may rewind memory to a
// snapshot without restoring the vCPU.
#pragma once

#include <stdint.h>

#include "abi/hypercall_abi.h"

namespace palisade::guest {

// Status values a command reports back through kAwaitCommand's args[0].
inline constexpr int64_t kStatusOk = 0;
inline constexpr int64_t kStatusUnknownCommand = -1;
inline constexpr int64_t kStatusBadArgument = -2;
inline constexpr int64_t kStatusMismatch = -3;

// Handles commands the base loop does not know; returns their status.
using CommandHandler = int64_t (*)(int64_t command, const uint64_t args[3]);

// Never returns: kShutdown exits the guest with the code it carries.
[[noreturn]] void ServeCommands(CommandHandler extra);

}  // namespace palisade::guest
