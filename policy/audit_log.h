// The audit log: JSON lines, one per decision. Each line ends with its own
// `sha256`: the SHA-256 of the line's text without that field (the JSON
// object as written, closed after `seq`), and carries the previous line's
// as `prev` (64 zeros for the first) and a sequence number `seq` from 1. So
// the file is a hash chain: changing any byte of a line breaks its own
// digest, and deleting or reordering lines breaks a `prev` link
// (policy/audit_verify.h checks). One writer (a mutex) keeps
// the order; fsync after every line is configurable. Cutting lines off the
// end leaves a valid shorter chain: anchor the last hash elsewhere (the
// verifier prints it) to catch that.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace palisade::policy {

class AuditLog {
 public:
  // Appends to `path`, continuing the chain from its last line. `fsync`:
  // flush each line to disk before Record() returns.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, bool fsync);

  // Adds `time` and `prev` to `event` and writes it as one line.
  absl::Status Record(nlohmann::json event);

  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using File = std::unique_ptr<std::FILE, FileCloser>;
  // Use Open(); public only for std::make_unique.
  AuditLog(File file, std::string prev, uint64_t seq, bool fsync)
      : file_(std::move(file)), prev_(std::move(prev)), seq_(seq), fsync_(fsync) {}

 private:
  std::mutex mu_;
  File file_;
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
