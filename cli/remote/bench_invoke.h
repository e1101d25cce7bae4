// `palisade --server ADDR bench invoke`: a closed-loop load generator.
// C callers each keep one Invoke in flight on one shared warm sandbox for a
// warm-up and then the measured duration; it prints calls/s and latency
// percentiles of the measured part (and a JSON line with --json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/remote/remote_options.h"

namespace palisade::cli {

struct BenchInvokeOptions {
  uint32_t concurrency = 1;
  std::string duration = "10s";
  std::string warmup = "1s";
  bool json = false;
  std::string module;
  std::string function;
  std::vector<std::string> args;
};

int BenchInvoke(const RemoteOptions& remote, const BenchInvokeOptions& options);

}  // namespace palisade::cli
