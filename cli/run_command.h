// `palisade run`: runs a WASI command module in a fresh micro-VM
// (cli/vm_run.h), or with --in-process in this process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/fs_image_builder.h"

namespace palisade::cli {

// Exit statuses besides the program's own proc_exit code.
constexpr int kExitUsage = 2;     // bad arguments, unreadable/invalid module, link error
constexpr int kExitTrap = 134;    // the program trapped (or ran out of time or fuel)
constexpr int kExitNoSandbox = 69;  // no micro-VM could be started (no KVM, no memory)
constexpr int kExitCommitFailed = 73;  // the run succeeded, its --dir ...:rw changes did not all apply

struct RunOptions {
  bool in_process = false;
  std::string engine = "compiler";  // compiler | interpreter
  bool perf_map = false;  // with in_process: name compiled functions for perf (cli/perf_map.h)
  std::string module;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string timeout;       // e.g. "10s", "500ms"; empty = none
  uint64_t fuel = 0;         // 0 = unlimited
  uint32_t max_memory_pages = 65536;
  std::string memory;           // guest memory of the micro-VM; empty: sized to the module
  uint64_t memory_ceiling = 0;  // from the policy: at most this much guest memory (0: none)
  std::string memory_ceiling_name;
  std::vector<std::string> dirs; // --dir HOST::GUEST (read-only) or HOST::GUEST:rw
  bool partial_results = false;  // apply :rw changes after a trap or non-zero exit too
  std::string max_output = "1G"; // cap on stdout+stderr in the micro-VM; "0" = none
  std::string policy;            // --policy FILE (cli/policy_options.h applies it)
  std::string seccomp;           // enforce | log | off; empty: enforce (log in sanitizer builds)
  // Set from the policy:
  std::string policy_name;
  FsImageLimits fs_limits;  // what --dir images and writable trees may hold
  uint64_t wasi_denied = 0;
  bool refuse_denied_imports = false;
  bool clocks = true, random = true;
};

int RunRun(const RunOptions& options);

// Whether a run's :rw changes are applied: after exit 0 (or _start
// returning), and with --partial-results after a trap or another exit code
// too; never after a timeout.
bool KeepsChanges(const RunOptions& o, bool exited, int64_t exit_code, bool timed_out);

}  // namespace palisade::cli
