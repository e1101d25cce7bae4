// `--policy FILE` for the local commands: a tenant policy
// (policy/tenant_policy.h) applied to a run's options — its limits cap the
// command line's (and fill what it left unset), --env and --dir are refused
// when the policy withholds the environment or preopens, the module must fit
// its size cap, and its WASI denials go to the guest.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/run_command.h"

namespace palisade::cli {

// Applies options.policy (a file path; nothing if empty) to `options`.
absl::Status ApplyPolicy(RunOptions* options);

// "palisade: policy 'deterministic' denied clock_time_get" for each.
void ReportDenials(const RunOptions& options, const std::vector<std::string>& functions);

}  // namespace palisade::cli
