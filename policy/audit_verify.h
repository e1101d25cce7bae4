// Checks an audit log's hash chain (policy/audit_log.h): every line is a
// JSON object whose last field `sha256` is the digest of the rest of the
// line, whose `prev` is the line before's `sha256`, and whose `seq` is one
// more than the line before's. A file starts the chain (seq 1, `prev` 64
// zeros) or continues a rotated one: then its first line is a `rotate`
// record naming the file before it, and given that file's verdict, its
// `prev` and `seq` must follow on from that file's last line.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace palisade::policy {

struct AuditVerdict {
  bool ok = false;
  uint64_t lines = 0;        // lines that verified
  std::string last_sha256;   // of the last good line: anchor it elsewhere to catch truncation
  uint64_t first_seq = 0;    // seq of the first line (1 unless it continues a rotated file)
  uint64_t last_seq = 0;     // seq of the last good line
  uint64_t bad_line = 0;     // 1-based, when !ok
  std::string reason;        // when !ok
  // `recovery` records: a restart after a crash cut a torn tail off the log
  // (kept in the file each names). Part of the chain like any record.
  uint64_t recoveries = 0;
  // The file this one continues (its first line's `previous_file`), when it
  // does; "" when it starts the chain.
  std::string continues;
};

// `before`: the verdict of the file this one continues, when it was given;
// null when it is the first (or only) file checked.
AuditVerdict VerifyAuditLog(std::istream& in, const AuditVerdict* before = nullptr);

// A rotated series, each file a path: they are put in chain order by their
// first `seq` (so `PATH.* PATH` in any order works), then each is checked as
// the continuation of the one before (empty files are passed over). The
// verdict of each file, in that order, up to the first that fails.
struct AuditSeriesFile {
  std::string path;
  AuditVerdict verdict;
};
std::vector<AuditSeriesFile> VerifyAuditSeries(const std::vector<std::string>& paths);

}  // namespace palisade::policy
