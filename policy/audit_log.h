// The audit log: JSON lines, one per decision, each carrying the SHA-256 of
// the line before it (`prev`), so the file is a hash chain: changing,
// deleting or reordering any line breaks every link after it. One writer
// (a mutex) keeps the order; fsync after every line is configurable.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

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
  AuditLog(File file, std::string prev, bool fsync)
      : file_(std::move(file)), prev_(std::move(prev)), fsync_(fsync) {}

 private:
  std::mutex mu_;
  File file_;
  std::string prev_;  // hash of the last line written
  bool fsync_;
};

// The `prev` of a log's first line: 64 zeros.
inline constexpr char kAuditChainStart[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace palisade::policy
