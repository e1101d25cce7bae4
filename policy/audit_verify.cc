#include "policy/audit_verify.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "policy/audit_log.h"

namespace palisade::policy {

AuditVerdict VerifyAuditLog(std::istream& in, const AuditVerdict* before) {
  AuditVerdict v;
  std::string prev = before != nullptr ? before->last_sha256 : kAuditChainStart;
  uint64_t seq = before != nullptr ? before->last_seq : 0;
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
    if (!j.contains("seq") || !j["seq"].is_number_unsigned()) return fail("no \"seq\" number");
    const bool rotate = j.contains("event") && j["event"] == "rotate";
    if (number == 1) {
      if (rotate) {
        v.continues = j.value("previous_file", "");
        // Without the file before it, the rotate record is where the
        // chain's check starts; with it, the link is checked like any other.
        if (before == nullptr) {
          if (j["seq"].get<uint64_t>() == 0) return fail("\"seq\" is 0");
          prev = j["prev"].get<std::string>();
          seq = j["seq"].get<uint64_t>() - 1;
        }
      } else if (before != nullptr) {
        return fail("the first line is no \"rotate\" record: this file does not continue the one before it");
      }
      v.first_seq = seq + 1;
    } else if (rotate) {
      return fail("a \"rotate\" record that is not its file's first line");
    }
    if (j["prev"].get<std::string>() != prev) {
      return fail(number == 1 ? (before != nullptr
                                     ? "\"prev\" is not the SHA-256 of the previous file's last line: lines "
                                       "between the files were removed, or the files are not one series"
                                     : "the first line's \"prev\" is not the chain start (64 zeros): lines "
                                       "before it were removed")
                              : "\"prev\" is not the SHA-256 of line " + std::to_string(number - 1) +
                                    ": a line was changed, removed or moved");
    }
    if (j["seq"].get<uint64_t>() != seq + 1) return fail("\"seq\" is not " + std::to_string(seq + 1));
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
    ++seq;
    if (j.contains("event") && j["event"] == "recovery") ++v.recoveries;
    v.lines = number;
    v.last_sha256 = prev;
    v.last_seq = seq;
  }
  if (in.bad()) return fail("read error");
  v.ok = true;
  return v;
}

namespace {

// The seq of a file's first line, for ordering a series (0: none readable).
uint64_t FirstSeq(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line)) return 0;
  auto j = nlohmann::json::parse(line, nullptr, false);
  return j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned() ? j["seq"].get<uint64_t>() : 0;
}

}  // namespace

std::vector<AuditSeriesFile> VerifyAuditSeries(const std::vector<std::string>& paths) {
  std::vector<std::pair<uint64_t, std::string>> ordered;
  for (const std::string& p : paths) ordered.emplace_back(FirstSeq(p), p);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<AuditSeriesFile> out;
  out.reserve(ordered.size());  // `last` points into it
  const AuditVerdict* last = nullptr;  // of the newest file with lines: empty ones link nothing
  for (const auto& [first, path] : ordered) {
    std::ifstream in(path, std::ios::binary);
    AuditSeriesFile f{path, {}};
    if (!in) {
      f.verdict.reason = "cannot read the file";
    } else {
      f.verdict = VerifyAuditLog(in, last);
    }
    const bool ok = f.verdict.ok;
    out.push_back(std::move(f));
    if (!ok) break;
    if (out.back().verdict.lines > 0) last = &out.back().verdict;
  }
  return out;
}

}  // namespace palisade::policy
