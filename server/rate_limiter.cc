#include "server/rate_limiter.h"

#include <algorithm>

namespace palisade::server {

bool RateLimiter::TryTake(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ != absl::InfinitePast() && now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
  }
  last_ = std::max(last_, now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace palisade::server
