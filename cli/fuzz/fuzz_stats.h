// Counters a fuzzing process publishes for the status line; with --jobs
// they live in memory shared with the parent, which prints the sum.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace palisade::cli::fuzz {

struct FuzzStats {
  std::atomic<uint64_t> execs{0};
  std::atomic<uint64_t> crashes{0};
  std::atomic<uint64_t> edges{0};
};

// "#123456 | 5432 exec/s | 87 edges | 0 crashes | 12s"
std::string StatusLine(uint64_t execs, double execs_per_second, uint64_t edges, uint64_t crashes,
                       absl::Duration elapsed);

}  // namespace palisade::cli::fuzz
