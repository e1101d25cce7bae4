#include "cli/audit_command.h"

#include <fstream>
#include <iostream>

#include "policy/audit_verify.h"

namespace palisade::cli {

int RunAuditVerify(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "palisade audit verify: cannot read " << path << "\n";
    return 2;
  }
  const policy::AuditVerdict v = policy::VerifyAuditLog(in);
  if (!v.ok) {
    std::cerr << path << ":" << v.bad_line << ": " << v.reason << " (" << v.lines
              << " line(s) before it verify)\n";
    return 1;
  }
  std::cout << path << ": chain intact, " << v.lines << " line(s)";
  if (v.lines > 0) std::cout << "; last line sha256 " << v.last_sha256;
  if (v.recoveries > 0) {
    std::cout << "; " << v.recoveries
              << " recovery record(s): a restart cut a crash's torn tail off (see their torn_file)";
  }
  std::cout << "\n";
  return 0;
}

}  // namespace palisade::cli
