// Checks an audit log's hash chain (policy/audit_log.h): every line is a
// JSON object whose last field `sha256` is the digest of the rest of the
// line, whose `prev` is the line before's `sha256` (64 zeros for the first),
// and whose `seq` is one more than the line before's.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

namespace palisade::policy {

struct AuditVerdict {
  bool ok = false;
  uint64_t lines = 0;        // lines that verified
  std::string last_sha256;   // of the last good line: anchor it elsewhere to catch truncation
  uint64_t bad_line = 0;     // 1-based, when !ok
  std::string reason;        // when !ok
  // `recovery` records: a restart after a crash cut a torn tail off the log
  // (kept in the file each names). Part of the chain like any record.
  uint64_t recoveries = 0;
};

AuditVerdict VerifyAuditLog(std::istream& in);

}  // namespace palisade::policy
