// The audit log's hash chain: what AuditLog writes verifies, across
// reopenings; any one-byte change, deleted, reordered or cut-short line is
// caught at the line where the chain breaks.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/audit_log.h"
#include "policy/audit_verify.h"

namespace palisade::policy {
namespace {

namespace fs = std::filesystem;

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("audit-test-" + std::to_string(getpid()) + ".jsonl");
    fs::remove(path_);
  }
  void TearDown() override { fs::remove(path_); }

  void Write(int events, int first = 0) {
    auto log = AuditLog::Open(path_.string(), {.fsync = true});
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = first; i < first + events; ++i) {
      ASSERT_TRUE((*log)->Record({{"event", "invoke"}, {"tenant", "t" + std::to_string(i % 3)}, {"n", i}}).ok());
    }
  }
  std::vector<std::string> Lines() {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  static AuditVerdict Verify(const std::string& text) {
    std::istringstream in(text);
    return VerifyAuditLog(in);
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string s;
    for (const std::string& l : lines) s += l + "\n";
    return s;
  }

  fs::path path_;
};

// A full disk, made here with RLIMIT_FSIZE (a write past it fails with EFBIG,
// or comes up short): the failed line leaves nothing in the file, the chain
// goes on from the last whole line once writing works again, and the log
// verifies.
TEST_F(AuditChain, AFailedWriteLeavesOnlyWholeLinesAndTheChainGoesOn) {
  Write(3);
  auto log = AuditLog::Open(path_.string(), {});
  ASSERT_TRUE(log.ok()) << log.status();
  const uint64_t seq = (*log)->seq();
  const std::string head = (*log)->head();
  const auto size = fs::file_size(path_);
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit tight = saved;
  tight.rlim_cur = size + 40;  // room for part of a line only
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  absl::Status failed = (*log)->Record({{"event", "invoke"}, {"n", 99}});
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(fs::file_size(path_), size) << "a partial line stayed in the file";
  EXPECT_EQ((*log)->seq(), seq);
  EXPECT_EQ((*log)->head(), head);
  ASSERT_TRUE((*log)->Record({{"event", "invoke"}, {"n", 100}}).ok());
  EXPECT_EQ((*log)->seq(), seq + 1);
  std::ifstream in(path_);
  AuditVerdict v = VerifyAuditLog(in);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.lines, 4u);
  EXPECT_EQ(v.last_sha256, (*log)->head());
}

// A device that is always full (/dev/full): the log opens without reading it,
// and every line fails cleanly.
TEST(AuditLogFull, EveryLineFailsWithNoSpace) {
  auto log = AuditLog::Open("/dev/full", {});
  ASSERT_TRUE(log.ok()) << log.status();
  absl::Status s = (*log)->Record({{"event", "auth"}});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("No space left"), std::string::npos) << s;
  EXPECT_EQ((*log)->seq(), 0u);
}

TEST_F(AuditChain, WhatTheLogWritesVerifiesAcrossReopenings) {
  Write(5);
  Write(3, 5);  // a restarted server continues the chain and the sequence
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 8u);
  AuditVerdict v = Verify(Join(lines));
  EXPECT_TRUE(v.ok) << v.bad_line << ": " << v.reason;
  EXPECT_EQ(v.lines, 8u);
  EXPECT_EQ(v.last_sha256.size(), 64u);
  EXPECT_NE(lines[7].find("\"seq\":8"), std::string::npos) << lines[7];
  EXPECT_TRUE(Verify("").ok);  // an empty log is a valid (empty) chain
}

TEST_F(AuditChain, EveryOneByteChangeIsCaught) {
  Write(4);
  const std::string good = Join(Lines());
  // Flip each byte of every line but the newlines: the chain must break at
  // that line (JSON no longer parses, a field changed, or the next line's
  // prev no longer matches).
  size_t line_start = 0;
  uint64_t line_no = 1;
  for (size_t i = 0; i < good.size(); ++i) {
    if (good[i] == '\n') {
      line_start = i + 1;
      ++line_no;
      continue;
    }
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    AuditVerdict v = Verify(bad);
    ASSERT_FALSE(v.ok) << "byte " << i << " changed undetected";
    EXPECT_TRUE(v.bad_line == line_no || v.bad_line == line_no + 1)
        << "byte " << i << " (line " << line_no << ") reported at line " << v.bad_line << ": " << v.reason;
  }
  (void)line_start;
}

TEST_F(AuditChain, DeletedReorderedAndCutShortLinesAreCaught) {
  Write(5);
  const std::vector<std::string> lines = Lines();
  for (size_t gone = 0; gone < lines.size() - 1; ++gone) {  // the last one: see below
    std::vector<std::string> l = lines;
    l.erase(l.begin() + static_cast<long>(gone));
    AuditVerdict v = Verify(Join(l));
    EXPECT_FALSE(v.ok) << "line " << gone + 1 << " deleted undetected";
    EXPECT_EQ(v.bad_line, gone + 1);
  }
  std::vector<std::string> swapped = lines;
  std::swap(swapped[1], swapped[2]);
  AuditVerdict v = Verify(Join(swapped));
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_line, 2u);
  EXPECT_NE(v.reason.find("changed, removed or moved"), std::string::npos) << v.reason;

  // Cutting the last line off leaves a shorter valid chain; its last hash
  // differs from the full log's, which is why verify prints it.
  std::vector<std::string> shorter(lines.begin(), lines.end() - 1);
  AuditVerdict full = Verify(Join(lines)), cut = Verify(Join(shorter));
  EXPECT_TRUE(cut.ok);
  EXPECT_NE(cut.last_sha256, full.last_sha256);

  // A write cut short by a crash: verify reports it as such.
  std::string torn = Join(lines);
  torn.resize(torn.size() - 10);
  EXPECT_FALSE(Verify(torn).ok);
}

// A server that restarts after a crash finds the torn line, keeps its bytes
// beside the log, cuts the log back to its last whole record and goes on
// with a recovery record in the chain; the log verifies again, and the
// recovery is counted, not hidden.
TEST_F(AuditChain, ATornTailIsMovedAsideAndTheChainGoesOnWithARecoveryRecord) {
  Write(5);
  std::vector<std::string> lines = Lines();
  std::string text = Join(lines);
  const std::string torn_bytes = lines[4].substr(0, lines[4].size() - 10);
  text.resize(text.size() - lines[4].size() - 1);
  text += torn_bytes;  // the fifth record, cut short by a crash
  { std::ofstream(path_, std::ios::binary | std::ios::trunc) << text; }
  Write(2, 100);
  std::vector<std::string> after = Lines();
  ASSERT_EQ(after.size(), 7u);  // four whole records, the recovery, two new
  EXPECT_EQ(after[3], lines[3]);
  EXPECT_NE(after[4].find("\"event\":\"recovery\""), std::string::npos) << after[4];
  EXPECT_NE(after[4].find("\"torn_bytes\":" + std::to_string(torn_bytes.size())), std::string::npos);
  AuditVerdict v = Verify(Join(after));
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  EXPECT_EQ(v.lines, 7u);
  EXPECT_EQ(v.recoveries, 1u);
  // The torn bytes are kept, word for word, in the side file it names.
  const size_t at = after[4].find("\"torn_file\":\"") + 13;
  const std::string side = after[4].substr(at, after[4].find('"', at) - at);
  std::ifstream in(side, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), torn_bytes);
  fs::remove(side);
  // A recovery record does not make other damage acceptable.
  std::vector<std::string> changed = after;
  changed[5][changed[5].find("\"n\":100") + 4] = '7';
  EXPECT_FALSE(Verify(Join(changed)).ok);
}

// Garbage after the last record (a power loss can leave zeros) goes aside too.
TEST_F(AuditChain, BytesThatAreNoRecordAfterTheLastOneGoAsideToo) {
  Write(3);
  { std::ofstream(path_, std::ios::binary | std::ios::app) << std::string(100, '\0') << "\n"; }
  Write(1, 10);
  AuditVerdict v = Verify(Join(Lines()));
  EXPECT_TRUE(v.ok) << v.reason << " at line " << v.bad_line;
  EXPECT_EQ(v.lines, 5u);
  EXPECT_EQ(v.recoveries, 1u);
  for (const auto& e : fs::directory_iterator(path_.parent_path())) {
    if (e.path().filename().string().rfind(path_.filename().string() + ".torn-", 0) == 0) fs::remove(e.path());
  }
}

}  // namespace
}  // namespace palisade::policy
