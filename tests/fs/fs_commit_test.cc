// The host's side of writable directories: change sets applied beneath the
// directory (cli/fs_commit.h) with links planted in every place a path can
// meet one, hostile change sets refused whole, and the image builder never
// following a link out of the directory.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/fs_commit.h"
#include "cli/fs_image_builder.h"
#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::cli {
namespace {

namespace fs = std::filesystem;
using wasm::wasi::FsChange;
using wasm::wasi::FsChangeKind;
using wasm::wasi::FsChangesHeader;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Builds a change set by hand (records in the order given).
class SetBuilder {
 public:
  SetBuilder& Add(FsChangeKind kind, const std::string& path, const std::string& data = "", uint32_t root = 0,
                  uint64_t mtime_ns = 1'500'000'000'000'000'000ull) {
    FsChange c{};
    c.root = root;
    c.kind = kind;
    c.path_offset = paths_.size();
    c.path_size = path.size();
    c.data_offset = kind == FsChangeKind::kWriteFile ? data_.size() : 0;
    c.size = kind == FsChangeKind::kWriteFile ? data.size() : 0;
    c.mtime_ns = mtime_ns;
    changes_.push_back(c);
    paths_ += path;
    data_ += data;
    return *this;
  }
  std::vector<uint8_t> Bytes() const {
    FsChangesHeader h{};
    h.magic = wasm::wasi::kFsChangesMagic;
    h.record_count = static_cast<uint32_t>(changes_.size());
    h.paths_offset = sizeof h + changes_.size() * sizeof(FsChange);
    h.paths_size = paths_.size();
    h.data_offset = h.paths_offset + paths_.size();
    h.data_size = data_.size();
    std::vector<uint8_t> out(h.data_offset + h.data_size);
    std::memcpy(out.data(), &h, sizeof h);
    if (!changes_.empty()) std::memcpy(out.data() + sizeof h, changes_.data(), changes_.size() * sizeof(FsChange));
    std::memcpy(out.data() + h.paths_offset, paths_.data(), paths_.size());
    std::memcpy(out.data() + h.data_offset, data_.data(), data_.size());
    return out;
  }

 private:
  std::vector<FsChange> changes_;
  std::string paths_;
  std::string data_;
};

class FsCommitTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ForceComponentWalkForTesting(GetParam());
    base_ = fs::temp_directory_path() / ("palisade_fs_commit_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "dir" / "sub");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "outside" / "secret") << "secret";
    std::ofstream(base_ / "dir" / "f.txt") << "old";
    preopens_ = {{(base_ / "dir").string(), "/d", true}, {(base_ / "outside").string(), "/o", false}};
  }
  void TearDown() override {
    ForceComponentWalkForTesting(false);
    fs::remove_all(base_);
  }
  absl::Status Apply(const SetBuilder& b) { return ApplyFsChanges(b.Bytes(), preopens_); }
  void ExpectOutsideUntouched() {
    EXPECT_EQ(Read(base_ / "outside" / "secret"), "secret");
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(base_ / "outside")) n += e.exists() ? 1 : 0;
    EXPECT_EQ(n, 1u) << "something was created outside the directory";
  }

  fs::path base_;
  std::vector<Preopen> preopens_;
};

TEST_P(FsCommitTest, AppliesDeletionsDirectoriesAndFiles) {
  std::ofstream(base_ / "dir" / "sub" / "gone") << "x";
  fs::permissions(base_ / "dir" / "f.txt", fs::perms(0640));
  absl::Status s = Apply(SetBuilder()
                             .Add(FsChangeKind::kDelete, "sub/gone")
                             .Add(FsChangeKind::kDelete, "sub")
                             .Add(FsChangeKind::kDelete, "never-was")
                             .Add(FsChangeKind::kMakeDirectory, "new")
                             .Add(FsChangeKind::kMakeDirectory, "new/deeper")
                             .Add(FsChangeKind::kWriteFile, "new/deeper/n.txt", "fresh")
                             .Add(FsChangeKind::kWriteFile, "f.txt", "replaced"));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(fs::exists(base_ / "dir" / "sub"));
  EXPECT_EQ(Read(base_ / "dir" / "new" / "deeper" / "n.txt"), "fresh");
  EXPECT_EQ(Read(base_ / "dir" / "f.txt"), "replaced");
  EXPECT_EQ(fs::status(base_ / "dir" / "f.txt").permissions(), fs::perms(0640)) << "a replaced file keeps its mode";
  struct stat st;
  ASSERT_EQ(stat((base_ / "dir" / "f.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'500'000'000);
  // No time from the engine (its clock was denied): the host's own.
  ASSERT_TRUE(Apply(SetBuilder().Add(FsChangeKind::kWriteFile, "untimed", "u", 0, 0)).ok());
  ASSERT_EQ(stat((base_ / "dir" / "untimed").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1'700'000'000);
}

TEST_P(FsCommitTest, ALinkAsADirectoryComponentIsRefused) {
  fs::create_directory_symlink(base_ / "outside", base_ / "dir" / "link");
  absl::Status s = Apply(SetBuilder()
                             .Add(FsChangeKind::kDelete, "link/secret")
                             .Add(FsChangeKind::kMakeDirectory, "link/made")
                             .Add(FsChangeKind::kWriteFile, "link/secret", "pwned")
                             .Add(FsChangeKind::kWriteFile, "ok.txt", "fine"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("3 of 4 changes not applied"), std::string::npos) << s;
  EXPECT_NE(std::string(s.message()).find("symbolic link"), std::string::npos) << s;
  ExpectOutsideUntouched();
  EXPECT_EQ(Read(base_ / "dir" / "ok.txt"), "fine") << "the other entries still apply";
}

TEST_P(FsCommitTest, ALinkInPlaceOfTheEntryIsNeitherFollowedNorRemoved) {
  fs::create_symlink(base_ / "outside" / "secret", base_ / "dir" / "to-file");
  fs::create_directory_symlink(base_ / "outside", base_ / "dir" / "to-dir");
  absl::Status s = Apply(SetBuilder()
                             .Add(FsChangeKind::kDelete, "to-file")
                             .Add(FsChangeKind::kMakeDirectory, "to-dir")
                             .Add(FsChangeKind::kWriteFile, "to-file", "pwned"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("3 of 3"), std::string::npos) << s;
  ExpectOutsideUntouched();
  EXPECT_TRUE(fs::is_symlink(base_ / "dir" / "to-file"));
}

TEST_P(FsCommitTest, AFileReplacedByADirectoryOnTheHostIsReported) {
  fs::remove(base_ / "dir" / "f.txt");
  fs::create_directory(base_ / "dir" / "f.txt");
  std::ofstream(base_ / "dir" / "f.txt" / "kept") << "k";
  absl::Status s = Apply(SetBuilder()
                             .Add(FsChangeKind::kDelete, "f.txt")
                             .Add(FsChangeKind::kWriteFile, "f.txt", "new"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("not a regular file"), std::string::npos) << s;
  EXPECT_EQ(Read(base_ / "dir" / "f.txt" / "kept"), "k");
  // A directory where the set expects one to create is fine; a file is not.
  std::ofstream(base_ / "dir" / "plain") << "p";
  EXPECT_TRUE(Apply(SetBuilder().Add(FsChangeKind::kMakeDirectory, "sub")).ok());
  EXPECT_FALSE(Apply(SetBuilder().Add(FsChangeKind::kMakeDirectory, "plain")).ok());
  EXPECT_FALSE(Apply(SetBuilder().Add(FsChangeKind::kWriteFile, "plain/x", "x")).ok());
}

TEST_P(FsCommitTest, HostileSetsAreRefusedWholeAndChangeNothing) {
  for (const std::string& bad : std::vector<std::string>{"../outside/secret", "/etc/x", "a//b", "./a", std::string("a\0b", 3), ""}) {
    absl::Status s = Apply(SetBuilder()
                               .Add(FsChangeKind::kWriteFile, "first.txt", "x")
                               .Add(FsChangeKind::kWriteFile, bad, "pwned"));
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad << ": " << s;
  }
  // Kinds out of order, a root that is read-only, or out of range.
  EXPECT_FALSE(Apply(SetBuilder().Add(FsChangeKind::kWriteFile, "a", "x").Add(FsChangeKind::kDelete, "f.txt")).ok());
  EXPECT_FALSE(Apply(SetBuilder().Add(FsChangeKind::kWriteFile, "secret", "pwned", 1)).ok());
  EXPECT_FALSE(Apply(SetBuilder().Add(FsChangeKind::kWriteFile, "a", "x", 7)).ok());
  std::vector<uint8_t> truncated = SetBuilder().Add(FsChangeKind::kWriteFile, "a", "xyz").Bytes();
  truncated.pop_back();
  EXPECT_FALSE(ApplyFsChanges(truncated, preopens_).ok());
  EXPECT_FALSE(fs::exists(base_ / "dir" / "first.txt"));
  EXPECT_FALSE(fs::exists(base_ / "dir" / "a"));
  EXPECT_EQ(Read(base_ / "dir" / "f.txt"), "old");
  ExpectOutsideUntouched();
}

INSTANTIATE_TEST_SUITE_P(OpenAt2AndComponentWalk, FsCommitTest, ::testing::Bool());

TEST(FsImageBuilderTest, NeverFollowsALinkOutOfTheDirectory) {
  const fs::path base = fs::temp_directory_path() / ("palisade_fs_build_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "dir" / "real");
  fs::create_directories(base / "outside");
  std::ofstream(base / "outside" / "secret") << "secret";
  std::ofstream(base / "dir" / "real" / "f") << "f";
  fs::create_symlink(base / "outside" / "secret", base / "dir" / "file-link");
  fs::create_directory_symlink(base / "outside", base / "dir" / "dir-link");
  fs::create_directory_symlink(base / "outside", base / "dir" / "real" / "nested-link");
  std::vector<std::string> skipped;
  auto image = BuildFsImage({{(base / "dir").string(), "/d", true}}, FsImageLimits(), &skipped);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(skipped.size(), 3u);
  const std::string bytes(image->begin(), image->end());
  EXPECT_EQ(bytes.find("secret"), std::string::npos) << "the image holds a file from outside";
  wasm::wasi::FsImage img;
  ASSERT_TRUE(img.Init(image->data(), image->size()));
  EXPECT_TRUE(img.writable(0));
  EXPECT_EQ(img.entry_count(), 3u);  // the root, real/ and real/f
  fs::remove_all(base);
}

}  // namespace
}  // namespace palisade::cli
