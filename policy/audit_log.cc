#include "policy/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/errno_status.h"
#include "common/sha256.h"

namespace palisade::policy {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, bool fsync) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoError(errno, "opening audit log " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat of audit log " + path);
  const bool regular = S_ISREG(st.st_mode);
  // Continue the chain from the last line already there. Only a regular
  // file has one (a device such as /dev/full reads forever).
  std::string prev = kAuditChainStart;
  uint64_t seq = 0;
  bool ends_mid_line = false;
  if (regular) {
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
  uint64_t size = regular ? static_cast<uint64_t>(st.st_size) : 0;
  // A line cut short by a crash stays (verify reports it); ours start on a
  // line of their own.
  if (ends_mid_line) {
    if (::write(fd.get(), "\n", 1) != 1) return ErrnoError(errno, "writing the audit log");
    ++size;
  }
  return std::make_unique<AuditLog>(std::move(fd), regular, size, std::move(prev), seq, fsync);
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
  const std::string line = SealAuditLine(body, digest) + "\n";
  const ssize_t n = ::write(fd_.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    const int err = n < 0 ? errno : ENOSPC;  // a short write: the disk filled up
    // Keep only whole lines: what did get written of this one goes again.
    if (n > 0 && regular_) (void)::ftruncate(fd_.get(), static_cast<off_t>(size_));
    return ErrnoError(err, n < 0 ? "writing the audit log" : "writing the audit log (short write)");
  }
  if (fsync_ && ::fsync(fd_.get()) != 0) {
    const int err = errno;
    if (regular_) (void)::ftruncate(fd_.get(), static_cast<off_t>(size_));
    return ErrnoError(err, "fsync of the audit log");
  }
  size_ += line.size();
  prev_ = digest;
  ++seq_;
  return absl::OkStatus();
}

std::string AuditLog::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prev_;
}

uint64_t AuditLog::seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

}  // namespace palisade::policy
