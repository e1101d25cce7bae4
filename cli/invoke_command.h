// `palisade invoke`: calls one export with typed arguments and prints its
// results, one per line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace palisade::cli {

struct InvokeOptions {
  bool in_process = false;
  std::string engine = "compiler";  // compiler | interpreter
  bool perf_map = false;  // with in_process: name compiled functions for perf (cli/perf_map.h)
  std::string module;
  std::string function;
  std::vector<std::string> args;
  uint32_t repeat = 1;           // calls, each on a fresh instance (micro-VM only)
  std::string memory;            // guest memory of the micro-VM; empty: sized to the module
  std::string timeout;           // for the whole command; empty = none
  std::string seccomp;           // enforce | log | off; empty: the default
};

int RunInvoke(const InvokeOptions& options);

}  // namespace palisade::cli
