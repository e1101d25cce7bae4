// Counters a fuzzing process publishes for the status line; with --jobs
// they live in memory shared with the parent, which prints the sum.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace palisade::cli::fuzz {

struct FuzzStats {
  std::atomic<uint64_t> execs{0};
  std::atomic<uint64_t> crashes{0};
  std::atomic<uint64_t> edges{0};
};

// "#123456 | 5432 exec/s | 87 edges | corpus 23 | 0 crashes | 12s"; the
// corpus part only when `corpus_files` >= 0.
std::string StatusLine(uint64_t execs, double execs_per_second, uint64_t edges, int64_t corpus_files,
                       uint64_t crashes, absl::Duration elapsed);

// Files in the corpus directory libFuzzer adds to (the first of `dirs`),
// or -1 when there is none (the corpus then lives only in memory: see
// libFuzzer's own "corp:").
int64_t CorpusFiles(const std::vector<std::string>& dirs);

}  // namespace palisade::cli::fuzz
