// `palisade invoke` in a micro-VM: the guest instantiates the module, reports
// the export's signature (untrusted bytes are only ever decoded inside the
// guest), then calls it with the parsed arguments; with --repeat N, each call
// runs on a freshly instantiated module so mutated memory or globals never
// leak from one call into the next.
#pragma once

#include "cli/invoke_command.h"

namespace palisade::cli {

int InvokeInVm(const InvokeOptions& options);

}  // namespace palisade::cli
