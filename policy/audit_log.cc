#include "policy/audit_log.h"

#include <unistd.h>

#include <fstream>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/errno_status.h"
#include "common/sha256.h"

namespace palisade::policy {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, bool fsync) {
  // Continue the chain: the hash of the last complete line already there.
  std::string prev = kAuditChainStart;
  {
    std::ifstream in(path, std::ios::binary);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    if (!last.empty()) prev = Sha256Hex(last);
  }
  File f(std::fopen(path.c_str(), "ae"));
  if (f == nullptr) return ErrnoError(errno, "opening audit log " + path);
  return std::make_unique<AuditLog>(std::move(f), std::move(prev), fsync);
}

absl::Status AuditLog::Record(nlohmann::json event) {
  std::lock_guard<std::mutex> lock(mu_);
  event["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  event["prev"] = prev_;
  const std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (std::fprintf(file_.get(), "%s\n", line.c_str()) < 0 || std::fflush(file_.get()) != 0) {
    return ErrnoError(errno, "writing the audit log");
  }
  if (fsync_ && ::fsync(fileno(file_.get())) != 0) return ErrnoError(errno, "fsync of the audit log");
  prev_ = Sha256Hex(line);
  return absl::OkStatus();
}

}  // namespace palisade::policy
