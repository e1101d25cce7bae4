// `palisade run` in a micro-VM: boots the production guest, hands it the
// module, arguments and environment as a WasiRunRequest, forwards its
// stdin/stdout/stderr as the program runs, and turns the outcome the guest
// reports into an exit status.
#pragma once

#include "cli/run_command.h"

namespace palisade::cli {

int RunInVm(const RunOptions& options);

// "256M", "1G", "65536K", "1048576": bytes, or 0 if malformed.
uint64_t ParseSize(const std::string& text);

}  // namespace palisade::cli
