// `palisade --server ADDR bench invoke|stats`: a closed-loop load
// generator. C callers each keep one call in flight — Invoke on one shared
// warm sandbox, or GetStats (the server's RPC ceiling: auth and a reactor,
// no VM) — for a warm-up and then the measured duration; it prints calls/s
// and latency percentiles of the measured part (and a JSON line with --json).
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
  std::string function;  // empty: bench GetStats instead
  std::vector<std::string> args;
};

int Bench(const RemoteOptions& remote, const BenchInvokeOptions& options);

}  // namespace palisade::cli
