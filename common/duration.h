// Durations as users type them: "250ms", "1m30s", "10s" (absl's syntax), and
// a bare number, which means seconds ("120", "0.5"), as libFuzzer's
// -max_total_time and most Unix tools have it.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"

namespace palisade {

inline bool ParseUserDuration(std::string_view text, absl::Duration* out) {
  double seconds;
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos &&
      absl::SimpleAtod(absl::string_view(text.data(), text.size()), &seconds)) {
    *out = absl::Seconds(seconds);
    return true;
  }
  return absl::ParseDuration(std::string(text), out);
}

}  // namespace palisade
