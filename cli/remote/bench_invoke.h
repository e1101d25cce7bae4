// `palisade --server ADDR bench invoke|stats`: a closed-loop load
// generator. C callers each keep one call in flight — InvokeModule (any
// replica's warm pool), Invoke on one shared warm sandbox (--sandbox), or
// GetStats (the server's RPC ceiling: auth and a reactor, no VM) — for a
// warm-up and then the measured duration; it prints calls/s and latency
// percentiles of the measured part (and a JSON line with --json). Failed
// calls are counted by status, never hidden.
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
  bool sandbox = false;  // Invoke on one sandbox instead of InvokeModule
  std::string module;
  std::string function;  // empty: bench GetStats instead
  std::vector<std::string> args;
};

int Bench(const RemoteOptions& remote, const BenchInvokeOptions& options);

}  // namespace palisade::cli
