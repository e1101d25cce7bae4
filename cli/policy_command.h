// `palisade policy explain [--tenant] [NAME|FILE...]` and
// `palisade policy export-bpf [--mode enforce|log] NAME|FILE -o OUT`: the
// seccomp policies (built-in names or files) as a reviewer reads them and as
// the kernel gets them; tenant policies with --tenant.
#pragma once

#include <string>
#include <vector>

namespace palisade::cli {

struct PolicyCommandOptions {
  std::vector<std::string> policies;  // explain: empty = every built-in seccomp policy
  bool tenant = false;
  std::string mode = "enforce";       // export-bpf
  std::string output;                 // export-bpf
};

int RunPolicyExplain(const PolicyCommandOptions& options);
int RunPolicyExportBpf(const PolicyCommandOptions& options);

}  // namespace palisade::cli
