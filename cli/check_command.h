// `palisade check`: is KVM usable here, and how fast are a cold micro-VM boot
// and a hypercall round trip on this machine.
#pragma once

#include <cstdint>

namespace palisade::cli {

struct CheckOptions {
  int runs = 20;                   // cold boots to take the median of
  int calls_per_run = 1000;        // hypercall round trips per boot
  uint64_t memory_mib = 16;
};

// Prints its findings to stdout (errors to stderr); returns the exit code.
int RunCheck(const CheckOptions& options);

}  // namespace palisade::cli
