#include "cli/fuzz/fuzz_stats.h"

#include <cstdio>

namespace palisade::cli::fuzz {

std::string StatusLine(uint64_t execs, double execs_per_second, uint64_t edges, uint64_t crashes,
                       absl::Duration elapsed) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "#%llu | %.0f exec/s | %llu edges | %llu crash%s | %llds",
                static_cast<unsigned long long>(execs), execs_per_second,
                static_cast<unsigned long long>(edges), static_cast<unsigned long long>(crashes),
                crashes == 1 ? "" : "es", static_cast<long long>(absl::ToInt64Seconds(elapsed)));
  return buf;
}

}  // namespace palisade::cli::fuzz
