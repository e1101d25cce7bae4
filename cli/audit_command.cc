#include "cli/audit_command.h"

#include <unistd.h>

#include <iostream>

#include "policy/audit_verify.h"

namespace palisade::cli {

int RunAuditVerify(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (::access(p.c_str(), R_OK) != 0) {
      std::cerr << "palisade audit verify: cannot read " << p << "\n";
      return 2;
    }
  }
  const std::vector<policy::AuditSeriesFile> files = policy::VerifyAuditSeries(paths);
  uint64_t lines = 0, recoveries = 0;
  for (const policy::AuditSeriesFile& f : files) {
    const policy::AuditVerdict& v = f.verdict;
    if (!v.ok) {
      std::cerr << f.path << ":" << v.bad_line << ": " << v.reason << " (" << v.lines
                << " line(s) before it verify)\n";
      return 1;
    }
    lines += v.lines;
    recoveries += v.recoveries;
  }
  const policy::AuditVerdict* last = nullptr;
  for (const policy::AuditSeriesFile& f : files) {
    if (f.verdict.lines > 0) last = &f.verdict;
  }
  std::cout << (files.size() == 1 ? files[0].path : std::to_string(files.size()) + " files")
            << ": chain intact, " << lines << " line(s)";
  if (last != nullptr) std::cout << " (seq " << files[0].verdict.first_seq << " to " << last->last_seq << ")";
  if (last != nullptr) std::cout << "; last line sha256 " << last->last_sha256;
  if (recoveries > 0) {
    std::cout << "; " << recoveries
              << " recovery record(s): a restart cut a crash's torn tail off (see their torn_file)";
  }
  std::cout << "\n";
  // The oldest file given may continue one that was not: say where the
  // checked chain begins, since lines before it cannot be vouched for.
  for (const policy::AuditSeriesFile& f : files) {
    if (f.verdict.lines == 0) continue;
    if (!f.verdict.continues.empty()) {
      std::cout << "note: " << f.path << " continues " << f.verdict.continues
                << ", which was not given; the chain is checked from seq " << f.verdict.first_seq << "\n";
    }
    break;
  }
  return 0;
}

}  // namespace palisade::cli
