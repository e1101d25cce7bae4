// The audit log: JSON lines, one per decision. Each line ends with its own
// `sha256`: the SHA-256 of the line's text without that field (the JSON
// object as written, closed after `seq`), and carries the previous line's
// as `prev` (64 zeros for the first) and a sequence number `seq` from 1. So
// the file is a hash chain: changing any byte of a line breaks its own
// digest, and deleting or reordering lines breaks a `prev` link
// (policy/audit_verify.h checks). One writer (a mutex) keeps
// the order; fsync after every line is configurable. Cutting lines off the
// end leaves a valid shorter chain: anchor the last hash elsewhere (the
// verifier prints it, Stats carries it) to catch that.
//
// A line is one write(2). One that fails or comes up short (a full disk, an
// I/O error) is cut off again, so the file keeps only whole lines, and the
// chain goes on from the last line that was written: the caller decides what
// an unrecorded decision means (palisaded refuses the call by default).
//
// Rotation by size: once the file holds `rotate_bytes`, it is renamed to
// `PATH.NNNNNN` (numbered from 000001 upwards, never renamed again, so a
// shipper can take each as it appears) and a new PATH begins with a `rotate`
// record that names that file. The chain does not restart: the new file's
// first `prev` is the old file's last hash and `seq` goes on, so
// `palisade audit verify PATH.* PATH` checks the whole series. Rotation
// happens only inside the log's directory, through a directory fd opened at
// Open(): palisaded's seccomp policy lets it create and rename files there
// and nowhere else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace palisade::policy {

// The `prev` of a log's first line: 64 zeros.
inline constexpr char kAuditChainStart[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditLogOptions {
  bool fsync = false;         // flush each line to disk before Record() returns
  uint64_t rotate_bytes = 0;  // start a new file once one holds this many bytes; 0: never
};

class AuditLog {
 public:
  // Appends to `path`, continuing the chain from its last record (or, when
  // `path` is empty or missing, from the newest rotated `path.NNNNNN`). A
  // tail a crash left (a line without its newline, bytes that are no record)
  // is moved to `path.torn-<time>`, cut off, and named by a `recovery` record
  // that continues the chain.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, AuditLogOptions options);

  // Adds `time` and `prev` to `event` and writes it as one line; on failure
  // nothing of it stays in the file and the chain is unchanged.
  absl::Status Record(nlohmann::json event);

  // The hash of the last line written (the chain head) and its seq.
  std::string head() const;
  uint64_t seq() const;

  // The directory holding the log (-1 for a device such as /dev/full):
  // rotation creates and renames files only relative to it.
  int directory_fd() const { return dir_.get(); }
  // Rotated files so far (the newest is PATH.<rotations()>, zero-padded).
  uint64_t rotations() const;

  // Use Open(); public only for std::make_unique.
  AuditLog(std::string path, UniqueFd dir, UniqueFd fd, bool regular, uint64_t size, AuditLogOptions options)
      : path_(std::move(path)), base_(std::filesystem::path(path_).filename()), dir_(std::move(dir)), fd_(std::move(fd)), regular_(regular), size_(size),
        options_(options) {}

 private:
  absl::Status RecoverTornTail(const std::string& torn);
  // Both with mu_ held.
  absl::Status WriteLine(nlohmann::json event);
  absl::Status Rotate();

  const std::string path_;
  const std::string base_;  // the file's name within its directory
  mutable std::mutex mu_;
  UniqueFd dir_;
  UniqueFd fd_;
  bool regular_;            // a regular file: a failed line can be cut off again
  uint64_t size_;           // bytes of whole lines in the file
  std::string prev_ = kAuditChainStart;  // hash of the last line written
  uint64_t seq_ = 0;        // of the last line written (0: none)
  const AuditLogOptions options_;
  uint64_t rotated_ = 0;    // the highest PATH.NNNNNN there is
  // The rotated file the current one continues, until its `rotate` record
  // (the current file's first line) is written.
  std::string continues_;
};

// The name of the `index`th rotated file of the log at `path`: PATH.000001.
std::string RotatedAuditFile(const std::string& path, uint64_t index);

// `body` (a JSON object's text) with `"sha256":"<digest>"` added as its
// last field: how every line is written.
std::string SealAuditLine(std::string_view body, std::string_view digest);


}  // namespace palisade::policy
