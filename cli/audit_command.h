// `palisade audit verify LOG`: checks an audit log's hash chain and names
// the first line that breaks it (policy/audit_verify.h).
#pragma once

#include <string>

namespace palisade::cli {

// 0: the chain holds; 1: it is broken (the line and why on stderr); 2: the
// file cannot be read.
int RunAuditVerify(const std::string& path);

}  // namespace palisade::cli
