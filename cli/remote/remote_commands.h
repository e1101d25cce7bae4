// `palisade --server ADDR run|invoke|stats`: the local commands' meaning,
// carried out by a palisaded. Options the server cannot honour (--dir,
// --in-process) are refused, not ignored. Unset limits ask for the
// tenant's defaults; the server clamps the rest to the tenant's.
#pragma once

#include "cli/invoke_command.h"
#include "cli/remote/remote_options.h"
#include "cli/run_command.h"

namespace palisade::cli {

int RunRemote(const RemoteOptions& remote, const RunOptions& options);
int InvokeRemote(const RemoteOptions& remote, const InvokeOptions& options);
// Prints the server's counters (GetStats), one per line.
int StatsRemote(const RemoteOptions& remote);

}  // namespace palisade::cli
