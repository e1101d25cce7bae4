// Runs a program to completion for end-to-end tests: stdin from a string,
// stdout and stderr captured, killed (status -1) if it outlives `timeout`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace palisade::testing {

struct ProcessResult {
  int status = -1;  // exit status; 128+N if killed by signal N; -1 if timed out
  std::string out, err;
};

// `env` entries (KEY=VALUE) are added to this process's environment.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::vector<std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace palisade::testing
