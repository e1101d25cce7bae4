// A tenant's call-rate quota: a token bucket refilled at `rate` tokens per
// second up to `burst`. Thread-safe; TryTake never blocks.
#pragma once

#include <mutex>

#include "absl/time/time.h"

namespace palisade::server {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // False when the tenant is over its quota right now.
  bool TryTake(absl::Time now);

 private:
  std::mutex mu_;
  const double rate_, burst_;
  double tokens_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace palisade::server
