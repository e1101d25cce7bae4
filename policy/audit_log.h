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
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace palisade::policy {

class AuditLog {
 public:
  // Appends to `path`, continuing the chain from its last record. A tail a
  // crash left (a line without its newline, bytes that are no record) is
  // moved to `path.torn-<time>`, cut off, and named by a `recovery` record
  // that continues the chain. `fsync`: flush each line to disk before
  // Record() returns.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, bool fsync);

  // Adds `time` and `prev` to `event` and writes it as one line; on failure
  // nothing of it stays in the file and the chain is unchanged.
  absl::Status Record(nlohmann::json event);

  // The hash of the last line written (the chain head) and its seq.
  std::string head() const;
  uint64_t seq() const;

  // Use Open(); public only for std::make_unique.
  AuditLog(UniqueFd fd, bool regular, uint64_t size, std::string prev, uint64_t seq, bool fsync)
      : fd_(std::move(fd)), regular_(regular), size_(size), prev_(std::move(prev)), seq_(seq),
        fsync_(fsync) {}

 private:
  absl::Status RecoverTornTail(const std::string& path, const std::string& torn);

  mutable std::mutex mu_;
  UniqueFd fd_;
  bool regular_;      // a regular file: a failed line can be cut off again
  uint64_t size_;     // bytes of whole lines in the file
  std::string prev_;  // hash of the last line written
  uint64_t seq_;      // of the last line written (0: none)
  bool fsync_;
};

// `body` (a JSON object's text) with `"sha256":"<digest>"` added as its
// last field: how every line is written.
std::string SealAuditLine(std::string_view body, std::string_view digest);

// The `prev` of a log's first line: 64 zeros.
inline constexpr char kAuditChainStart[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace palisade::policy
