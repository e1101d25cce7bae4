// The read-only directory image: the host builder and the engine's parser
// agree, hostile images are refused whole, and the WASI functions serve
// files from it without reaching anything else.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/fs_image_builder.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::wasm::wasi {
namespace {

namespace fs = std::filesystem;

class FsImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("palisade_fs_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "sub" / "deeper");
    Write(root_ / "a.txt", "hello");
    Write(root_ / "sub" / "b.txt", "nested file");
    fs::create_symlink("/etc/passwd", root_ / "link");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

  std::vector<uint8_t> Build() {
    auto image = cli::BuildFsImage({{root_.string(), "/data"}});
    EXPECT_TRUE(image.ok()) << image.status();
    return image.ok() ? *image : std::vector<uint8_t>();
  }

  fs::path root_;
};

TEST_F(FsImageTest, BuilderAndParserAgree) {
  std::vector<uint8_t> bytes = Build();
  FsImage img;
  ASSERT_TRUE(img.Init(bytes.data(), bytes.size()));
  ASSERT_EQ(img.root_count(), 1u);
  EXPECT_EQ(std::string(img.name(0), img.entry(0).name_len), "/data");
  uint32_t a = img.Child(0, "a.txt", 5);
  ASSERT_NE(a, kNoParent);
  EXPECT_EQ(img.entry(a).size, 5u);
  EXPECT_EQ(std::memcmp(img.contents(a), "hello", 5), 0);
  uint32_t sub = img.Child(0, "sub", 3);
  ASSERT_NE(sub, kNoParent);
  EXPECT_EQ(img.entry(sub).type, FsType::kDirectory);
  uint32_t b = img.Child(sub, "b.txt", 5);
  ASSERT_NE(b, kNoParent);
  EXPECT_EQ(std::memcmp(img.contents(b), "nested file", 11), 0);
  EXPECT_NE(img.Child(sub, "deeper", 6), kNoParent);
  // Symbolic links are left out: nothing outside the directory is reachable.
  EXPECT_EQ(img.Child(0, "link", 4), kNoParent);
}

TEST_F(FsImageTest, CapsAreEnforcedWithAClearError) {
  cli::FsImageLimits tiny;
  tiny.max_bytes = 8;
  auto too_big = cli::BuildFsImage({{root_.string(), "/data"}}, tiny);
  EXPECT_FALSE(too_big.ok());
  EXPECT_NE(std::string(too_big.status().message()).find("exceed"), std::string::npos);
  cli::FsImageLimits few;
  few.max_entries = 2;
  EXPECT_FALSE(cli::BuildFsImage({{root_.string(), "/data"}}, few).ok());
  EXPECT_FALSE(cli::BuildFsImage({{(root_ / "a.txt").string(), "/x"}}).ok());  // not a directory
  EXPECT_FALSE(cli::ParsePreopen("::/x").ok());
  auto p = cli::ParsePreopen("/tmp::/data");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host, "/tmp");
  EXPECT_EQ(p->guest, "/data");
}

TEST_F(FsImageTest, EveryTruncationAndCorruptionIsRefused) {
  std::vector<uint8_t> bytes = Build();
  alignas(16) static uint8_t buf[1 << 16];
  ASSERT_LT(bytes.size(), sizeof buf);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::memcpy(buf, bytes.data(), n);
    FsImage img;
    EXPECT_FALSE(img.Init(buf, n)) << "accepted a truncation to " << n << " bytes";
  }
  auto corrupt = [&](size_t offset, uint32_t value) {
    std::memcpy(buf, bytes.data(), bytes.size());
    std::memcpy(buf + offset, &value, 4);
    FsImage img;
    return img.Init(buf, bytes.size());
  };
  const size_t first = sizeof(FsImageHeader);
  const size_t second = first + sizeof(FsEntry);
  EXPECT_FALSE(corrupt(0, 0x12345678));                                       // magic
  EXPECT_FALSE(corrupt(8, 1000000));                                          // entry count
  EXPECT_FALSE(corrupt(second + offsetof(FsEntry, parent), 5));               // parent after child
  EXPECT_FALSE(corrupt(second + offsetof(FsEntry, type), 7));                 // unknown type
  EXPECT_FALSE(corrupt(second + offsetof(FsEntry, name_len), 0xffffff));      // name past the end
  EXPECT_FALSE(corrupt(first + offsetof(FsEntry, parent), 0));                // root with a parent
  EXPECT_FALSE(corrupt(second + offsetof(FsEntry, flags), kFsWritable));      // only roots are writable
  EXPECT_FALSE(corrupt(first + offsetof(FsEntry, flags), 2));                 // unknown flag
  EXPECT_FALSE(corrupt(first + offsetof(FsEntry, reserved), 1));
  EXPECT_FALSE(corrupt(offsetof(FsImageHeader, reserved), 1));
  EXPECT_TRUE(corrupt(first + offsetof(FsEntry, flags), kFsWritable));
}

TEST_F(FsImageTest, WritableRootsAndTheirBoundsAreCarried) {
  auto p = cli::ParsePreopen("/tmp::/data:rw");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->guest, "/data");
  EXPECT_TRUE(p->writable);
  p = cli::ParsePreopen("/tmp::/data:ro");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->guest, "/data");
  EXPECT_FALSE(p->writable);
  EXPECT_EQ(cli::ParsePreopen("/tmp:::rw").value().guest, ":rw");  // a name, not a suffix
  EXPECT_FALSE(cli::ParsePreopen("/tmp::/data").value().writable);
  cli::FsImageLimits limits;
  limits.max_tree_bytes = 12345;
  limits.max_tree_entries = 77;
  auto image = cli::BuildFsImage({{root_.string(), "/rw", true}, {root_.string(), "/ro", false}}, limits);
  ASSERT_TRUE(image.ok()) << image.status();
  FsImage img;
  ASSERT_TRUE(img.Init(image->data(), image->size()));
  EXPECT_TRUE(img.writable(0));
  EXPECT_FALSE(img.writable(1));
  EXPECT_EQ(img.max_tree_bytes(), 12345u);
  EXPECT_EQ(img.max_tree_entries(), 77u);
}

TEST_F(FsImageTest, NamesThatWouldEscapeAreRefused) {
  std::vector<uint8_t> bytes = Build();
  FsImage img;
  ASSERT_TRUE(img.Init(bytes.data(), bytes.size()));
  // Rename "a.txt" to "..": a component that could climb out.
  FsImageHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  uint32_t a = img.Child(0, "a.txt", 5);
  FsEntry e;
  std::memcpy(&e, bytes.data() + sizeof h + a * sizeof(FsEntry), sizeof e);
  std::vector<uint8_t> bad = bytes;
  std::memcpy(bad.data() + h.names_offset + e.name_offset, "..\0\0\0", 5);
  e.name_len = 2;
  std::memcpy(bad.data() + sizeof h + a * sizeof(FsEntry), &e, sizeof e);
  EXPECT_FALSE(img.Init(bad.data(), bad.size()));
  std::memcpy(bad.data() + h.names_offset + e.name_offset, "a/", 2);
  EXPECT_FALSE(img.Init(bad.data(), bad.size()));
}

}  // namespace
}  // namespace palisade::wasm::wasi
