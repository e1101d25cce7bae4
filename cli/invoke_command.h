// `palisade invoke`: calls one export with typed arguments and prints its
// results, one per line.
#pragma once

#include <string>
#include <vector>

namespace palisade::cli {

struct InvokeOptions {
  bool in_process = false;
  std::string module;
  std::string function;
  std::vector<std::string> args;
};

int RunInvoke(const InvokeOptions& options);

}  // namespace palisade::cli
