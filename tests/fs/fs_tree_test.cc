// The engine's mutable tree (wasm/wasi/fs_tree.h) and the change sets it
// exports (wasm/wasi/fs_changes.h): copy on write, bounds, hostile paths,
// files unlinked while open, and exactly what changed in the change set.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cli/fs_image_builder.h"
#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_tree.h"

namespace palisade::wasm::wasi {
namespace {

namespace fs = std::filesystem;

class FsTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("palisade_fs_tree_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "rw" / "sub");
    fs::create_directories(root_ / "ro");
    std::ofstream(root_ / "rw" / "a.txt") << "hello";
    std::ofstream(root_ / "rw" / "sub" / "b.txt") << "nested";
    std::ofstream(root_ / "ro" / "c.txt") << "read only";
  }
  void TearDown() override { fs::remove_all(root_); }

  void Build(const cli::FsImageLimits& limits = cli::FsImageLimits()) {
    auto image = cli::BuildFsImage({{(root_ / "rw").string(), "/rw", true}, {(root_ / "ro").string(), "/ro", false}},
                                   limits);
    ASSERT_TRUE(image.ok()) << image.status();
    bytes_ = *image;
    ASSERT_TRUE(image_.Init(bytes_.data(), bytes_.size()));
    ASSERT_TRUE(tree_.Init(&image_));
  }
  uint32_t Path(uint32_t dir, const char* p) {
    uint32_t n = kNoParent;
    EXPECT_EQ(tree_.Resolve(dir, p, static_cast<uint32_t>(std::strlen(p)), &n), kSuccess) << p;
    return n;
  }
  Errno Lookup(uint32_t dir, const std::string& p) {
    uint32_t n;
    return tree_.Resolve(dir, p.data(), static_cast<uint32_t>(p.size()), &n);
  }
  std::string Contents(uint32_t n) {
    return std::string(reinterpret_cast<const char*>(tree_.Contents(n)), tree_.node(n).size);
  }
  std::vector<std::string> Changes() {
    Vec<uint8_t> out;
    EXPECT_TRUE(ExportFsChanges(tree_, &out));
    FsChanges set;
    EXPECT_TRUE(set.Init(out.data(), out.size()));
    std::vector<std::string> lines;
    for (uint32_t i = 0; i < set.count(); ++i) {
      const FsChange& c = set.change(i);
      const char* verb = c.kind == FsChangeKind::kDelete          ? "rm "
                         : c.kind == FsChangeKind::kMakeDirectory ? "mkdir "
                                                                  : "write ";
      std::string line = absl::StrCat(verb, c.root, ":", absl::string_view(set.path(i), c.path_size));
      if (c.kind == FsChangeKind::kWriteFile) {
        absl::StrAppend(&line, "=", absl::string_view(reinterpret_cast<const char*>(set.contents(i)), c.size));
      }
      lines.push_back(line);
    }
    return lines;
  }

  fs::path root_;
  std::vector<uint8_t> bytes_;
  FsImage image_;
  FsTree tree_;
};

TEST_F(FsTreeTest, ContentsStayInTheImageUntilTheFirstWrite) {
  Build();
  const uint32_t a = Path(0, "a.txt");
  const uint8_t* in_image = tree_.Contents(a);
  EXPECT_GE(in_image, bytes_.data());
  EXPECT_LT(in_image, bytes_.data() + bytes_.size());
  ASSERT_EQ(tree_.Write(a, 5, reinterpret_cast<const uint8_t*>(" world"), 6, 7), kSuccess);
  EXPECT_EQ(Contents(a), "hello world");
  EXPECT_TRUE(tree_.Contents(a) < bytes_.data() || tree_.Contents(a) >= bytes_.data() + bytes_.size());
  EXPECT_EQ(std::memcmp(in_image, "hello", 5), 0) << "the image itself was written";
  EXPECT_EQ(tree_.node(a).mtime_ns, 7u);
  // Shrinking an unchanged file copies nothing.
  const uint32_t b = Path(0, "sub/b.txt");
  const uint8_t* b_image = tree_.Contents(b);
  ASSERT_EQ(tree_.SetSize(b, 3, 8), kSuccess);
  EXPECT_EQ(tree_.Contents(b), b_image);
  EXPECT_EQ(Contents(b), "nes");
  // A write past the end leaves zeros in the gap.
  ASSERT_EQ(tree_.Write(b, 5, reinterpret_cast<const uint8_t*>("!"), 1, 9), kSuccess);
  EXPECT_EQ(Contents(b), std::string("nes\0\0!", 6));
}

// Writes stamp a pending time rather than read the clock (an exit per
// write in a micro-VM); the first look resolves it and keeps it, and a
// change set carries a still-pending time as 0, for the host to stamp.
TEST_F(FsTreeTest, ChangesStampAPendingTimeThatTheFirstLookResolves) {
  Build();
  const uint32_t a = Path(0, "a.txt");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(tree_.Write(a, 0, reinterpret_cast<const uint8_t*>("x"), 1, FsTree::kTimePending), kSuccess);
  }
  EXPECT_EQ(tree_.node(a).mtime_ns, FsTree::kTimePending);
  uint32_t made = kNoParent;
  ASSERT_EQ(tree_.Create(0, "new", 3, FsType::kFile, FsTree::kTimePending, &made), kSuccess);
  tree_.ResolveTimes(a, 1234);
  EXPECT_EQ(tree_.node(a).mtime_ns, 1234u);
  tree_.ResolveTimes(a, 5678);
  EXPECT_EQ(tree_.node(a).mtime_ns, 1234u) << "a resolved time stays put";
  Vec<uint8_t> out;
  ASSERT_TRUE(ExportFsChanges(tree_, &out));
  FsChanges set;
  ASSERT_TRUE(set.Init(out.data(), out.size()));
  int files = 0;
  for (uint32_t i = 0; i < set.count(); ++i) {
    const FsChange& c = set.change(i);
    if (c.kind != FsChangeKind::kWriteFile) continue;
    ++files;
    const std::string path(set.path(i), c.path_size);
    EXPECT_EQ(c.mtime_ns, path == "a.txt" ? 1234u : 0u) << path;
  }
  EXPECT_EQ(files, 2);
}

TEST_F(FsTreeTest, ReadOnlyRootsRefuseEveryChange) {
  Build();
  const uint32_t c = Path(1, "c.txt");
  uint32_t n;
  EXPECT_EQ(tree_.Create(1, "new", 3, FsType::kFile, 0, &n), kRofs);
  EXPECT_EQ(tree_.Remove(1, "c.txt", 5, false), kRofs);
  EXPECT_EQ(tree_.Rename(1, "c.txt", 5, 1, "d.txt", 5), kRofs);
  EXPECT_EQ(tree_.Rename(0, "a.txt", 5, 1, "a.txt", 5), kRofs);
  EXPECT_EQ(tree_.Write(c, 0, reinterpret_cast<const uint8_t*>("x"), 1, 0), kBadf);
  EXPECT_EQ(tree_.SetTimes(c, 1, 1), kRofs);
  EXPECT_EQ(Contents(c), "read only");
}

TEST_F(FsTreeTest, HostilePathsAreRefused) {
  Build();
  EXPECT_EQ(Lookup(0, ".."), kNotcapable);
  EXPECT_EQ(Lookup(0, "sub/../.."), kNotcapable);
  EXPECT_EQ(Lookup(0, "sub/../a.txt"), kSuccess);
  EXPECT_EQ(Lookup(0, "/etc/passwd"), kNotcapable);
  EXPECT_EQ(Lookup(0, std::string("a.txt\0x", 7)), kInval);
  EXPECT_EQ(Lookup(0, std::string(256, 'n')), kNametoolong);
  std::string deep;
  while (deep.size() <= FsTree::kMaxPath) deep += "sub/";
  EXPECT_EQ(Lookup(0, deep), kNametoolong);
  EXPECT_EQ(Lookup(0, "a.txt/"), kNotdir);
  EXPECT_EQ(Lookup(0, "a.txt/x"), kNotdir);
  EXPECT_EQ(Lookup(0, ""), kNoent);
  uint32_t n;
  EXPECT_EQ(tree_.Create(0, "bad\xff", 4, FsType::kFile, 0, &n), kIlseq);
  EXPECT_EQ(tree_.Create(0, "\xc0\xaf", 2, FsType::kFile, 0, &n), kIlseq);  // overlong '/'
  EXPECT_EQ(tree_.Create(0, "..", 2, FsType::kDirectory, 0, &n), kExist);
  EXPECT_EQ(tree_.Create(0, "a/b", 3, FsType::kFile, 0, &n), kInval);
  uint32_t parent, len;
  const char* name;
  bool slash;
  EXPECT_EQ(tree_.ResolveParent(0, "sub/..", 6, &parent, &name, &len, &slash), kInval);
  ASSERT_EQ(tree_.ResolveParent(0, "sub/new//", 9, &parent, &name, &len, &slash), kSuccess);
  EXPECT_EQ(std::string(name, len), "new");
  EXPECT_TRUE(slash);
  // A directory cannot move into its own subtree.
  ASSERT_EQ(tree_.Create(Path(0, "sub"), "inner", 5, FsType::kDirectory, 0, &n), kSuccess);
  EXPECT_EQ(tree_.Rename(0, "sub", 3, n, "x", 1), kInval);
}

TEST_F(FsTreeTest, BoundsEndInNospcNeverInACrash) {
  cli::FsImageLimits limits;
  limits.max_tree_bytes = 1000;
  limits.max_tree_entries = 7;
  Build(limits);
  const uint32_t a = Path(0, "a.txt");
  std::vector<uint8_t> big(2000, 'x');
  EXPECT_EQ(tree_.Write(a, 0, big.data(), static_cast<uint32_t>(big.size()), 0), kNospc);
  EXPECT_EQ(tree_.SetSize(a, 5000, 0), kNospc);
  EXPECT_EQ(tree_.Write(a, uint64_t{1} << 63, big.data(), 1, 0), kFbig);
  EXPECT_EQ(Contents(a), "hello");
  // 6 entries exist (2 roots, a.txt, sub, b.txt, c.txt): one more fits.
  uint32_t n;
  EXPECT_EQ(tree_.Create(0, "one", 3, FsType::kFile, 0, &n), kSuccess);
  EXPECT_EQ(tree_.Create(0, "two", 3, FsType::kFile, 0, &n), kNospc);
  EXPECT_EQ(tree_.Remove(0, "one", 3, false), kSuccess);
  EXPECT_EQ(tree_.Create(0, "two", 3, FsType::kFile, 0, &n), kSuccess);
  EXPECT_EQ(tree_.entries_used(), 7u);
  EXPECT_LE(tree_.bytes_used(), 1000u);
  // An image larger than its own bounds is unusable.
  limits.max_tree_entries = 3;
  auto image = cli::BuildFsImage({{(root_ / "rw").string(), "/rw", true}}, limits);
  ASSERT_TRUE(image.ok());
  FsImage small;
  ASSERT_TRUE(small.Init(image->data(), image->size()));
  FsTree tree;
  EXPECT_FALSE(tree.Init(&small));
}

TEST_F(FsTreeTest, AFileUnlinkedWhileOpenLivesUntilItsLastClose) {
  Build();
  const uint32_t a = Path(0, "a.txt");
  tree_.Open(a);
  const uint32_t before = tree_.entries_used();
  ASSERT_EQ(tree_.Remove(0, "a.txt", 5, false), kSuccess);
  EXPECT_EQ(Lookup(0, "a.txt"), kNoent);
  EXPECT_EQ(tree_.Write(a, 0, reinterpret_cast<const uint8_t*>("J"), 1, 0), kSuccess);
  EXPECT_EQ(Contents(a), "Jello");
  EXPECT_EQ(tree_.entries_used(), before);
  // Its name can be a directory now.
  uint32_t d;
  ASSERT_EQ(tree_.Create(0, "a.txt", 5, FsType::kDirectory, 0, &d), kSuccess);
  tree_.Close(a);
  EXPECT_EQ(tree_.entries_used(), before);  // one freed, one created
  EXPECT_TRUE(tree_.IsDir(Path(0, "a.txt")));
}

TEST_F(FsTreeTest, TheChangeSetHoldsExactlyWhatChanged) {
  Build();
  EXPECT_TRUE(Changes().empty());
  uint32_t n;
  ASSERT_EQ(tree_.Create(0, "new.txt", 7, FsType::kFile, 5, &n), kSuccess);
  ASSERT_EQ(tree_.Write(n, 0, reinterpret_cast<const uint8_t*>("hi"), 2, 5), kSuccess);
  ASSERT_EQ(tree_.Create(0, "dir", 3, FsType::kDirectory, 5, &n), kSuccess);
  ASSERT_EQ(tree_.Rename(0, "a.txt", 5, n, "moved", 5), kSuccess);
  ASSERT_EQ(tree_.Remove(Path(0, "sub"), "b.txt", 5, false), kSuccess);
  ASSERT_EQ(tree_.Remove(0, "sub", 3, true), kSuccess);
  EXPECT_EQ(Changes(), (std::vector<std::string>{"rm 0:sub/b.txt", "rm 0:sub", "rm 0:a.txt", "mkdir 0:dir",
                                                  "write 0:new.txt=hi", "write 0:dir/moved=hello"}));
  // Moved back unchanged: nothing left to do at that path.
  ASSERT_EQ(tree_.Rename(n, "moved", 5, 0, "a.txt", 5), kSuccess);
  EXPECT_EQ(Changes(), (std::vector<std::string>{"rm 0:sub/b.txt", "rm 0:sub", "mkdir 0:dir", "write 0:new.txt=hi"}));
  // A file where a directory was: the directory goes first.
  ASSERT_EQ(tree_.Create(0, "sub", 3, FsType::kFile, 5, &n), kSuccess);
  EXPECT_EQ(Changes(), (std::vector<std::string>{"rm 0:sub/b.txt", "rm 0:sub", "mkdir 0:dir", "write 0:new.txt=hi",
                                                  "write 0:sub="}));
}

TEST(FsChangesTest, HostileChangeSetsAreRefusedWhole) {
  EXPECT_TRUE(IsCleanRelativePath("a/b", 3));
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", std::string("a\0b", 3)}) {
    EXPECT_FALSE(IsCleanRelativePath(bad.data(), bad.size())) << bad;
  }
  // One record, then corrupted in each way.
  struct Set {
    FsChangesHeader h;
    FsChange c;
    char path[8];
  };
  alignas(16) Set good{};
  good.h = {kFsChangesMagic, 1, 0, offsetof(Set, path), 3, offsetof(Set, path) + 3, 0};
  good.c = {0, FsChangeKind::kMakeDirectory, 0, 3, 0, 0, 0};
  std::memcpy(good.path, "a/b", 3);
  FsChanges set;
  EXPECT_TRUE(set.Init(reinterpret_cast<const uint8_t*>(&good), sizeof good));
  for (size_t n = 0; n < offsetof(Set, path) + 3; ++n) {
    EXPECT_FALSE(set.Init(reinterpret_cast<const uint8_t*>(&good), n)) << "accepted " << n << " bytes";
  }
  auto refused = [&](auto change) {
    alignas(16) Set s = good;
    change(s);
    FsChanges c;
    return !c.Init(reinterpret_cast<const uint8_t*>(&s), sizeof s);
  };
  EXPECT_TRUE(refused([](Set& s) { s.h.magic ^= 1; }));
  EXPECT_TRUE(refused([](Set& s) { s.h.record_count = 1000; }));
  EXPECT_TRUE(refused([](Set& s) { s.c.kind = static_cast<FsChangeKind>(9); }));
  EXPECT_TRUE(refused([](Set& s) { s.c.path_size = 100; }));
  EXPECT_TRUE(refused([](Set& s) { std::memcpy(s.path, "../", 3); }));
  EXPECT_TRUE(refused([](Set& s) { s.c.size = 5; }));  // a directory with contents
  EXPECT_TRUE(refused([](Set& s) {
    s.c.kind = FsChangeKind::kWriteFile;
    s.c.size = 1;  // past the (empty) data area
  }));
}

}  // namespace
}  // namespace palisade::wasm::wasi
