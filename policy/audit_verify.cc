#include "policy/audit_verify.h"

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "policy/audit_log.h"

namespace palisade::policy {

AuditVerdict VerifyAuditLog(std::istream& in) {
  AuditVerdict v;
  std::string prev = kAuditChainStart;
  uint64_t number = 0;
  std::string line;
  auto fail = [&](std::string reason) {
    v.ok = false;
    v.bad_line = number;
    v.reason = std::move(reason);
    return v;
  };
  while (std::getline(in, line)) {
    ++number;
    if (in.eof()) return fail("the last line is cut short (no newline): a write did not finish");
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return fail("not a JSON object");
    if (!j.contains("prev") || !j["prev"].is_string()) return fail("no \"prev\" hash");
    if (j["prev"].get<std::string>() != prev) {
      return fail(number == 1 ? "the first line's \"prev\" is not the chain start (64 zeros): lines "
                                "before it were removed"
                              : "\"prev\" is not the SHA-256 of line " + std::to_string(number - 1) +
                                    ": a line was changed, removed or moved");
    }
    if (!j.contains("seq") || !j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() != number) {
      return fail("\"seq\" is not " + std::to_string(number));
    }
    // The line's own digest covers every other byte of it.
    const std::string digest = j.contains("sha256") && j["sha256"].is_string() ? j["sha256"].get<std::string>() : "";
    const std::string tail = ",\"sha256\":\"" + digest + "\"}";
    if (digest.size() != 64 || line.size() < tail.size() ||
        line.compare(line.size() - tail.size(), tail.size(), tail) != 0) {
      return fail("no \"sha256\" digest as the line's last field");
    }
    const std::string body = line.substr(0, line.size() - tail.size()) + "}";
    if (Sha256Hex(body) != digest) return fail("the line's bytes do not match its \"sha256\": it was changed");
    prev = digest;
    if (j.contains("event") && j["event"] == "recovery") ++v.recoveries;
    v.lines = number;
    v.last_sha256 = prev;
  }
  if (in.bad()) return fail("read error");
  v.ok = true;
  return v;
}

}  // namespace palisade::policy
