// `palisade run` in a micro-VM: boots the production guest, hands it the
// module, arguments and environment as a WasiRunRequest, forwards its
// stdin/stdout/stderr as the program runs, and turns the outcome the guest
// reports into an exit status.
#pragma once

#include <string>

#include "cli/run_command.h"
#include "vmm/guest_services.h"

namespace palisade::cli {

int RunInVm(const RunOptions& options);

// Prints a trap (one line) or a load/link error the guest reported, and
// returns the exit status for it; -1 for kExited (not a failure).
int ReportFailedOutcome(const char* command, const std::string& module, const WasmOutcomeReport& r);

}  // namespace palisade::cli
