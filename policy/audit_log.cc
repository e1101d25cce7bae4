#include "policy/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/errno_status.h"
#include "common/status_macros.h"
#include "common/sha256.h"

namespace palisade::policy {

namespace {

// A sealed record: a JSON object whose last field is its "sha256".
bool IsRecord(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("sha256") && j["sha256"].is_string() && j.contains("seq");
}

// The end of the log's last whole record: a crash (kill -9 in the middle of
// a write, power loss) can leave a line without its newline, or, after a
// power loss, a tail of bytes that is no record at all. Everything after the
// returned offset is such a tail.
uint64_t EndOfLastRecord(const std::string& text) {
  uint64_t end = text.size();
  if (end > 0 && text[end - 1] != '\n') {
    const size_t nl = text.rfind('\n');
    end = nl == std::string::npos ? 0 : nl + 1;
  }
  while (end > 0) {
    const size_t start = end >= 2 ? text.rfind('\n', end - 2) : std::string::npos;
    const size_t from = start == std::string::npos ? 0 : start + 1;
    if (IsRecord(std::string_view(text).substr(from, end - 1 - from))) break;
    end = from;
  }
  return end;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, bool fsync) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoError(errno, "opening audit log " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat of audit log " + path);
  const bool regular = S_ISREG(st.st_mode);
  // Continue the chain from the last record already there. Only a regular
  // file has one (a device such as /dev/full reads forever).
  std::string prev = kAuditChainStart;
  uint64_t seq = 0;
  uint64_t size = 0;
  std::string torn;
  if (regular) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return ErrnoError(EIO, "reading audit log " + path);
    size = EndOfLastRecord(text);
    torn = text.substr(size);
    if (size > 0) {
      const size_t start = size >= 2 ? text.rfind('\n', size - 2) : std::string::npos;
      const size_t from = start == std::string::npos ? 0 : start + 1;
      auto j = nlohmann::json::parse(text.substr(from, size - 1 - from), nullptr, false);
      prev = j["sha256"].get<std::string>();
      if (j["seq"].is_number_unsigned()) seq = j["seq"].get<uint64_t>();
    }
  }
  auto log = std::make_unique<AuditLog>(std::move(fd), regular, size, std::move(prev), seq, fsync);
  if (!torn.empty()) RETURN_IF_ERROR(log->RecoverTornTail(path, torn));
  return log;
}

absl::Status AuditLog::RecoverTornTail(const std::string& path, const std::string& torn) {
  // The torn bytes are kept, beside the log, not thrown away: they may be
  // evidence. Then the log is cut back to its last whole record and the
  // chain goes on with a record that says what was cut.
  const std::string side = path + ".torn-" +
                           absl::FormatTime("%Y%m%dT%H%M%E6SZ", absl::Now(), absl::UTCTimeZone());
  {
    std::ofstream out(side, std::ios::binary | std::ios::trunc);
    out.write(torn.data(), static_cast<std::streamsize>(torn.size()));
    out.flush();
    if (!out) return ErrnoError(errno == 0 ? EIO : errno, "keeping the audit log's torn tail in " + side);
  }
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    return ErrnoError(errno, "cutting the torn tail off audit log " + path);
  }
  return Record({{"event", "recovery"}, {"decision", "allow"},
                 {"reason", "the log ended in a record cut short by a crash; its bytes were moved aside"},
                 {"torn_bytes", torn.size()}, {"torn_sha256", Sha256Hex(torn)}, {"torn_file", side}});
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
