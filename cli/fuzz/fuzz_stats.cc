#include "cli/fuzz/fuzz_stats.h"

#include <cstdio>
#include <filesystem>

namespace palisade::cli::fuzz {

std::string StatusLine(uint64_t execs, double execs_per_second, uint64_t edges, int64_t corpus_files,
                       uint64_t crashes, absl::Duration elapsed) {
  char corpus[48] = "";
  if (corpus_files >= 0) std::snprintf(corpus, sizeof corpus, " | corpus %lld", static_cast<long long>(corpus_files));
  char buf[200];
  std::snprintf(buf, sizeof buf, "#%llu | %.0f exec/s | %llu edges%s | %llu crash%s | %llds",
                static_cast<unsigned long long>(execs), execs_per_second,
                static_cast<unsigned long long>(edges), corpus, static_cast<unsigned long long>(crashes),
                crashes == 1 ? "" : "es", static_cast<long long>(absl::ToInt64Seconds(elapsed)));
  return buf;
}

int64_t CorpusFiles(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return -1;
  std::error_code ec;
  int64_t n = 0;
  for (std::filesystem::directory_iterator it(dirs[0], ec), end; !ec && it != end; it.increment(ec)) ++n;
  return ec ? -1 : n;
}

}  // namespace palisade::cli::fuzz
