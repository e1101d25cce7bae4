#include "policy/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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

std::string RotatedAuditFile(const std::string& path, uint64_t index) {
  std::string n = std::to_string(index);
  if (n.size() < 6) n.insert(0, 6 - n.size(), '0');
  return path + "." + n;
}

namespace {

// The highest N of the rotated files PATH.N beside the log (0: none).
uint64_t NewestRotation(const std::filesystem::path& path) {
  const std::string prefix = path.filename().string() + ".";
  uint64_t newest = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(
           path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() < 6 || digits.size() > 19 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    newest = std::max<uint64_t>(newest, std::stoull(digits));
  }
  return newest;
}

struct ChainEnd {
  uint64_t size = 0;  // bytes of whole records
  std::string torn;   // what follows them
  std::string prev = kAuditChainStart;
  uint64_t seq = 0;
};

absl::StatusOr<ChainEnd> ReadChainEnd(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return ErrnoError(EIO, "reading audit log " + path);
  ChainEnd end;
  end.size = EndOfLastRecord(text);
  end.torn = text.substr(end.size);
  if (end.size > 0) {
    const size_t start = end.size >= 2 ? text.rfind('\n', end.size - 2) : std::string::npos;
    const size_t from = start == std::string::npos ? 0 : start + 1;
    auto j = nlohmann::json::parse(text.substr(from, end.size - 1 - from), nullptr, false);
    end.prev = j["sha256"].get<std::string>();
    if (j["seq"].is_number_unsigned()) end.seq = j["seq"].get<uint64_t>();
  }
  return end;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, AuditLogOptions options) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoError(errno, "opening audit log " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat of audit log " + path);
  const bool regular = S_ISREG(st.st_mode);
  // Continue the chain from the last record already there. Only a regular
  // file has one (a device such as /dev/full reads forever).
  ChainEnd end;
  UniqueFd dir;
  uint64_t rotated = 0;
  if (regular) {
    ASSIGN_OR_RETURN(end, ReadChainEnd(path));
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    const std::string dir_path = parent.empty() ? "." : parent.string();
    dir = UniqueFd(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return ErrnoError(errno, "opening the audit log's directory " + dir_path);
    rotated = NewestRotation(path);
  } else if (options.rotate_bytes != 0) {
    return absl::InvalidArgumentError("audit log " + path + " is not a regular file: it cannot be rotated");
  }
  auto log = std::make_unique<AuditLog>(path, std::move(dir), std::move(fd), regular, end.size, options);
  log->rotated_ = rotated;
  log->prev_ = end.prev;
  log->seq_ = end.seq;
  if (end.size == 0 && rotated > 0) {
    // A new file after a rotation (or a crash between its rename and the
    // first line of its successor): the chain goes on from the newest
    // rotated file, and the first line written here says so.
    log->continues_ = RotatedAuditFile(path, rotated);
    ASSIGN_OR_RETURN(ChainEnd before, ReadChainEnd(log->continues_));
    log->prev_ = before.prev;
    log->seq_ = before.seq;
  }
  if (!end.torn.empty()) RETURN_IF_ERROR(log->RecoverTornTail(end.torn));
  return log;
}

absl::Status AuditLog::RecoverTornTail(const std::string& torn) {
  // The torn bytes are kept, beside the log, not thrown away: they may be
  // evidence. Then the log is cut back to its last whole record and the
  // chain goes on with a record that says what was cut.
  const std::string side = path_ + ".torn-" +
                           absl::FormatTime("%Y%m%dT%H%M%E6SZ", absl::Now(), absl::UTCTimeZone());
  {
    std::ofstream out(side, std::ios::binary | std::ios::trunc);
    out.write(torn.data(), static_cast<std::streamsize>(torn.size()));
    out.flush();
    if (!out) return ErrnoError(errno == 0 ? EIO : errno, "keeping the audit log's torn tail in " + side);
  }
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    return ErrnoError(errno, "cutting the torn tail off audit log " + path_);
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
  if (options_.rotate_bytes != 0 && size_ >= options_.rotate_bytes) RETURN_IF_ERROR(Rotate());
  if (!continues_.empty()) {
    RETURN_IF_ERROR(WriteLine({{"event", "rotate"}, {"decision", "allow"},
                               {"previous_file", std::filesystem::path(continues_).filename().string()},
                               {"reason", "the log reached its rotation size; the chain continues here"}}));
    continues_.clear();
  }
  return WriteLine(std::move(event));
}

absl::Status AuditLog::Rotate() {
  // Rename, then create: a crash in between leaves no PATH, and the next
  // Open() continues from the renamed file. RENAME_NOREPLACE: a file that
  // is somehow there already is never overwritten.
  const std::string name = std::filesystem::path(RotatedAuditFile(path_, rotated_ + 1)).filename();
  if (::fsync(fd_.get()) != 0) return ErrnoError(errno, "fsync of the audit log before rotating it");
  if (::renameat2(dir_.get(), base_.c_str(), dir_.get(), name.c_str(), RENAME_NOREPLACE) != 0) {
    return ErrnoError(errno, "rotating the audit log to " + name);
  }
  UniqueFd next(::openat(dir_.get(), base_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!next.valid()) {
    const int err = errno;
    // Back as it was, so the chain goes on in the same file.
    (void)::renameat2(dir_.get(), name.c_str(), dir_.get(), base_.c_str(), RENAME_NOREPLACE);
    return ErrnoError(err, "starting a new audit log after rotating to " + name);
  }
  (void)::fsync(dir_.get());  // the rename and the new name survive a power loss
  fd_ = std::move(next);
  size_ = 0;
  ++rotated_;
  continues_ = RotatedAuditFile(path_, rotated_);
  return absl::OkStatus();
}

absl::Status AuditLog::WriteLine(nlohmann::json event) {
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
  if (options_.fsync && ::fsync(fd_.get()) != 0) {
    const int err = errno;
    if (regular_) (void)::ftruncate(fd_.get(), static_cast<off_t>(size_));
    return ErrnoError(err, "fsync of the audit log");
  }
  size_ += line.size();
  prev_ = digest;
  ++seq_;
  return absl::OkStatus();
}

uint64_t AuditLog::rotations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rotated_;
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
