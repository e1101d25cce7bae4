// `palisade run`: runs a WASI command module. Only `--in-process` exists
// until the micro-VM engine lands (issue 5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace palisade::cli {

// Exit statuses besides the program's own proc_exit code.
constexpr int kExitUsage = 2;     // bad arguments, unreadable/invalid module, link error
constexpr int kExitTrap = 134;    // the program trapped (or ran out of time or fuel)

struct RunOptions {
  bool in_process = false;
  std::string module;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string timeout;       // e.g. "10s", "500ms"; empty = none
  uint64_t fuel = 0;         // 0 = unlimited
  uint32_t max_memory_pages = 65536;
};

int RunRun(const RunOptions& options);

}  // namespace palisade::cli
