// The client side of `palisade --server ... run --dir` without a server:
// host directories become request data as the local walker reads them, a
// server's streamed pieces are joined only in order and within their size,
// and returned changes are applied only beneath a writable --dir, never
// along a hostile path.
#include "cli/remote/remote_dirs.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace palisade::cli {
namespace {

using ::testing::HasSubstr;

class RemoteDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/palisade-remote-dirs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ / "d" / "sub" / "empty");
    std::ofstream(root_ / "d" / "a.txt") << "alpha";
    std::ofstream(root_ / "d" / "sub" / "b.txt") << "beta";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static v1::FileChange Written(const std::string& path, const std::string& contents, uint64_t offset,
                                uint64_t size) {
    v1::FileChange c;
    c.set_guest_path("/d");
    c.set_path(path);
    c.set_kind(v1::FileChange::WRITTEN);
    c.set_contents(contents);
    c.set_offset(offset);
    c.set_size(size);
    return c;
  }

  std::filesystem::path root_;
};

TEST_F(RemoteDirs, HostDirectoriesBecomeRequestData) {
  auto image = BuildFsImage({{(root_ / "d").string(), "/d", true}});
  ASSERT_TRUE(image.ok()) << image.status();
  google::protobuf::RepeatedPtrField<v1::Directory> dirs;
  ASSERT_TRUE(DirectoriesFromImage(*image, &dirs).ok());
  ASSERT_EQ(dirs.size(), 1);
  EXPECT_EQ(dirs[0].guest_path(), "/d");
  EXPECT_TRUE(dirs[0].writable());
  std::vector<std::string> seen;
  for (const v1::File& f : dirs[0].files()) {
    seen.push_back(f.path() + (f.directory() ? "/" : "=" + f.contents()));
  }
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre("a.txt=alpha", "sub/", "sub/b.txt=beta", "sub/empty/"));
}

TEST_F(RemoteDirs, PiecesAreJoinedOnlyInOrderAndWithinTheirSize) {
  ChangeCollector ok;
  ASSERT_TRUE(ok.Add(Written("f", "abc", 0, 6)).ok());
  ASSERT_TRUE(ok.Add(Written("f", "def", 3, 6)).ok());
  auto joined = ok.Take();
  ASSERT_TRUE(joined.ok()) << joined.status();
  ASSERT_EQ(joined->size(), 1u);
  EXPECT_EQ((*joined)[0].contents(), "abcdef");

  ChangeCollector gap;
  ASSERT_TRUE(gap.Add(Written("f", "abc", 0, 9)).ok());
  EXPECT_THAT(gap.Add(Written("f", "ghi", 6, 9)).message(), HasSubstr("out of order"));
  ChangeCollector other_file;
  ASSERT_TRUE(other_file.Add(Written("f", "abc", 0, 6)).ok());
  EXPECT_FALSE(other_file.Add(Written("g", "def", 3, 6)).ok());
  ChangeCollector too_much;
  ASSERT_TRUE(too_much.Add(Written("f", "abc", 0, 4)).ok());
  EXPECT_FALSE(too_much.Add(Written("f", "def", 3, 4)).ok());
  EXPECT_FALSE(ChangeCollector().Add(Written("f", "abcdef", 0, 4)).ok());
  ChangeCollector short_file;
  ASSERT_TRUE(short_file.Add(Written("f", "abc", 0, 6)).ok());
  EXPECT_THAT(short_file.Take().status().message(), HasSubstr("before a changed file was whole"));
}

TEST_F(RemoteDirs, ReturnedChangesApplyOnlyBeneathAWritableDir) {
  const std::vector<Preopen> rw = {{(root_ / "d").string(), "/d", true}};
  const std::vector<Preopen> ro = {{(root_ / "d").string(), "/d", false}};
  std::vector<v1::FileChange> changes = {Written("new.txt", "fresh", 0, 5)};
  EXPECT_FALSE(ApplyReturnedChanges(changes, ro).ok());
  EXPECT_FALSE(std::filesystem::exists(root_ / "d" / "new.txt"));
  changes[0].set_guest_path("/elsewhere");
  EXPECT_FALSE(ApplyReturnedChanges(changes, rw).ok());
  // A hostile path refuses the whole list: the good change is not applied either.
  std::vector<v1::FileChange> hostile = {Written("good.txt", "x", 0, 1), Written("../escape.txt", "x", 0, 1)};
  EXPECT_THAT(ApplyReturnedChanges(hostile, rw).message(), HasSubstr("malformed; nothing was applied"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "d" / "good.txt"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "escape.txt"));

  v1::FileChange gone;
  gone.set_guest_path("/d");
  gone.set_path("a.txt");
  gone.set_kind(v1::FileChange::DELETED);
  std::vector<v1::FileChange> good = {gone, Written("sub/b.txt", "BETA", 0, 4)};
  ASSERT_TRUE(ApplyReturnedChanges(good, rw).ok());
  EXPECT_FALSE(std::filesystem::exists(root_ / "d" / "a.txt"));
  EXPECT_EQ(Read(root_ / "d" / "sub" / "b.txt"), "BETA");
  // Out of order (a write before a deletion) is refused too.
  std::vector<v1::FileChange> backwards = {Written("c.txt", "c", 0, 1), gone};
  EXPECT_FALSE(ApplyReturnedChanges(backwards, rw).ok());
}

}  // namespace
}  // namespace palisade::cli
