// Rotation keeps one chain across files: each new file starts with a
// `rotate` record whose `prev` is the old file's last hash, `seq` goes on,
// the series verifies in any order it is given, and a missing, reordered or
// cut file is caught. A crash between the rename and the new file's first
// line loses nothing: the next open continues from the rotated file.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/audit_log.h"
#include "policy/audit_verify.h"

namespace palisade::policy {
namespace {

namespace fs = std::filesystem;

class AuditRotation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("audit-rotation-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "audit.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(int events, uint64_t rotate_bytes) {
    auto log = AuditLog::Open(path_, {.fsync = false, .rotate_bytes = rotate_bytes});
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < events; ++i) {
      ASSERT_TRUE((*log)->Record({{"event", "invoke"}, {"n", i}, {"pad", std::string(100, 'p')}}).ok());
    }
  }
  // Every file of the series, oldest first.
  std::vector<std::string> Series() const {
    std::vector<std::string> files;
    for (uint64_t i = 1; fs::exists(RotatedAuditFile(path_, i)); ++i) files.push_back(RotatedAuditFile(path_, i));
    files.push_back(path_);
    return files;
  }
  static std::vector<std::string> Lines(const std::string& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  static bool SeriesOk(const std::vector<std::string>& files, std::string* why = nullptr) {
    const std::vector<AuditSeriesFile> r = VerifyAuditSeries(files);
    if (r.size() == files.size() && r.back().verdict.ok) return true;
    if (why != nullptr && !r.empty()) *why = r.back().path + ":" + std::to_string(r.back().verdict.bad_line) + ": " + r.back().verdict.reason;
    return false;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(AuditRotation, OneChainAcrossFilesInAnyOrderGiven) {
  Write(60, 2000);
  std::vector<std::string> files = Series();
  ASSERT_GE(files.size(), 4u) << "60 lines of ~250 bytes at 2000 bytes a file";
  uint64_t lines = 0, rotates = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::vector<std::string> l = Lines(files[i]);
    lines += l.size();
    if (i + 1 < files.size()) EXPECT_GE(fs::file_size(files[i]), 2000u) << files[i];
    if (i > 0) {
      // Each file after the first opens with the record naming its predecessor.
      ASSERT_FALSE(l.empty());
      EXPECT_NE(l[0].find("\"event\":\"rotate\""), std::string::npos) << l[0];
      EXPECT_NE(l[0].find("\"previous_file\":\"" + fs::path(files[i - 1]).filename().string() + "\""),
                std::string::npos)
          << l[0];
      ++rotates;
    }
  }
  EXPECT_EQ(lines, 60 + rotates);
  std::string why;
  EXPECT_TRUE(SeriesOk(files, &why)) << why;
  std::vector<std::string> shuffled = files;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  EXPECT_TRUE(SeriesOk(shuffled, &why)) << why;
  const std::vector<AuditSeriesFile> r = VerifyAuditSeries(shuffled);
  EXPECT_EQ(r.front().verdict.first_seq, 1u);
  EXPECT_EQ(r.back().verdict.last_seq, lines);
  // Reopened, the log goes on in the same series.
  Write(20, 2000);
  EXPECT_TRUE(SeriesOk(Series(), &why)) << why;
}

TEST_F(AuditRotation, AMissingOrCutFileBreaksTheSeries) {
  Write(60, 2000);
  const std::vector<std::string> files = Series();
  ASSERT_GE(files.size(), 4u);
  // A file taken out of the middle: the next one's rotate record no longer
  // links to the file before it.
  std::vector<std::string> gap = files;
  gap.erase(gap.begin() + 1);
  const std::vector<AuditSeriesFile> r = VerifyAuditSeries(gap);
  ASSERT_FALSE(r.back().verdict.ok);
  EXPECT_EQ(r.back().path, files[2]);
  EXPECT_EQ(r.back().verdict.bad_line, 1u);
  EXPECT_NE(r.back().verdict.reason.find("previous file's last line"), std::string::npos) << r.back().verdict.reason;
  // The last line of a rotated file cut off: the link to the next breaks.
  std::vector<std::string> l = Lines(files[1]);
  {
    std::ofstream out(files[1], std::ios::trunc);
    for (size_t i = 0; i + 1 < l.size(); ++i) out << l[i] << "\n";
  }
  EXPECT_FALSE(SeriesOk(files));
  {
    std::ofstream out(files[1], std::ios::trunc);
    for (const std::string& line : l) out << line << "\n";
  }
  EXPECT_TRUE(SeriesOk(files));
  // A newest file whose leading lines (its rotate record) were cut away no
  // longer passes for a continuation, alone or in the series.
  const std::string newest = files.back();
  std::vector<std::string> n = Lines(newest);
  ASSERT_GE(n.size(), 2u);
  {
    std::ofstream out(newest, std::ios::trunc);
    for (size_t i = 1; i < n.size(); ++i) out << n[i] << "\n";
  }
  std::ifstream in(newest);
  EXPECT_FALSE(VerifyAuditLog(in).ok);
  EXPECT_FALSE(SeriesOk(files));
}

TEST_F(AuditRotation, ARotatedFileAloneVerifiesFromItsRotateRecordAndSaysSo) {
  Write(30, 2000);
  const std::vector<std::string> files = Series();
  ASSERT_GE(files.size(), 2u);
  std::ifstream in(files.back());
  const AuditVerdict v = VerifyAuditLog(in);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_GT(v.first_seq, 1u);
  EXPECT_EQ(v.continues, fs::path(files[files.size() - 2]).filename().string());
}

TEST_F(AuditRotation, ACrashBetweenRenameAndTheNewFileLosesNothing) {
  Write(10, 0);
  // What a crash right after the rename leaves: the full file under its
  // rotated name and no log file at all.
  fs::rename(path_, RotatedAuditFile(path_, 1));
  Write(5, 0);
  const std::vector<std::string> files = Series();
  ASSERT_EQ(files.size(), 2u);
  const std::vector<std::string> l = Lines(path_);
  ASSERT_EQ(l.size(), 6u);
  EXPECT_NE(l[0].find("\"event\":\"rotate\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("\"seq\":11"), std::string::npos) << l[0];
  std::string why;
  EXPECT_TRUE(SeriesOk(files, &why)) << why;
}

TEST(AuditRotationDevice, ADeviceCannotBeRotated) {
  auto log = AuditLog::Open("/dev/full", {.fsync = false, .rotate_bytes = 4096});
  EXPECT_FALSE(log.ok());
  EXPECT_NE(std::string(log.status().message()).find("cannot be rotated"), std::string::npos) << log.status();
}

}  // namespace
}  // namespace palisade::policy
