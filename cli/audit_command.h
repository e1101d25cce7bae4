// `palisade audit verify LOG...`: checks an audit log's hash chain, or a
// rotated series of them (any order), and names the first line that breaks
// it (policy/audit_verify.h).
#pragma once

#include <string>
#include <vector>

namespace palisade::cli {

// 0: the chain holds; 1: it is broken (the file, line and why on stderr);
// 2: a file cannot be read.
int RunAuditVerify(const std::vector<std::string>& paths);

}  // namespace palisade::cli
