#include "policy/audit_log.h"

#include <unistd.h>

#include <fstream>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/errno_status.h"
#include "common/sha256.h"

namespace palisade::policy {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, bool fsync) {
  // Continue the chain from the last line already there.
  std::string prev = kAuditChainStart;
  uint64_t seq = 0;
  bool ends_mid_line = false;
  {
    std::ifstream in(path, std::ios::binary);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
      ends_mid_line = in.eof();  // the line had no newline
    }
    if (!last.empty()) {
      auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("sha256") && j["sha256"].is_string()) {
        prev = j["sha256"].get<std::string>();
      } else {
        prev = Sha256Hex(last);  // a damaged last line: the chain breaks here, visibly
      }
      if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) seq = j["seq"].get<uint64_t>();
    }
  }
  File f(std::fopen(path.c_str(), "ae"));
  if (f == nullptr) return ErrnoError(errno, "opening audit log " + path);
  // A line cut short by a crash stays (verify reports it); ours start on a
  // line of their own.
  if (ends_mid_line && std::fputc('\n', f.get()) == EOF) return ErrnoError(errno, "writing the audit log");
  return std::make_unique<AuditLog>(std::move(f), std::move(prev), seq, fsync);
}

std::string SealAuditLine(std::string_view body, std::string_view digest) {
  std::string line(body.substr(0, body.size() - 1));  // drop the closing brace
  line += body.size() > 2 ? ",\"sha256\":\"" : "\"sha256\":\"";
  line += digest;
  line += "\"}";
  return line;
}

absl::Status AuditLog::Record(nlohmann::json event) {
  std::lock_guard<std::mutex> lock(mu_);
  event["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  event["seq"] = seq_ + 1;
  event["prev"] = prev_;
  event.erase("sha256");
  const std::string body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string digest = Sha256Hex(body);
  const std::string line = SealAuditLine(body, digest);
  if (std::fprintf(file_.get(), "%s\n", line.c_str()) < 0 || std::fflush(file_.get()) != 0) {
    return ErrnoError(errno, "writing the audit log");
  }
  if (fsync_ && ::fsync(fileno(file_.get())) != 0) return ErrnoError(errno, "fsync of the audit log");
  prev_ = digest;
  ++seq_;
  return absl::OkStatus();
}

}  // namespace palisade::policy
