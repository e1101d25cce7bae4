// `palisade run [--in-process] --dir HOST::GUEST:rw` end to end, in process
// and in a micro-VM (seccomp enforced): a C program (programs/fs_rw.c)
// changes its directories, and the host directory holds those changes after
// a run that succeeded, and nothing after one that trapped, exited non-zero
// or ran out of time.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::RunProcess;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every path below `root` with its contents ("/" for directories).
std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(e.path(), root).string();
    out[rel] = e.is_directory() ? "/" : Read(e.path());
  }
  return out;
}

// The parameter: in a micro-VM (true) or in process.
class FsRunTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) PALISADE_REQUIRE_KVM();
    base_ = fs::temp_directory_path() / ("palisade_fs_run_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    for (const char* d : {"data/olddir", "other", "ro"}) fs::create_directories(base_ / d);
    Write("data/keep.txt", "keep\n");
    Write("data/old.txt", "old\n");
    Write("data/gone.txt", "gone\n");
    Write("data/mod.txt", "mod1\n");
    Write("data/trunc.txt", "long text\n");
    Write("data/olddir/x.txt", "x\n");
    Write("data/swap", "swapfile\n");
    Write("data/sized.txt", "0123456789");
    Write("ro/r.txt", "r\n");
    // An old mtime: a file the program leaves alone must keep it.
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, (base_ / "data/keep.txt").c_str(), old, 0);
  }
  void TearDown() override { fs::remove_all(base_); }

  void Write(const std::string& rel, const std::string& text) { std::ofstream(base_ / rel) << text; }

  testing::ProcessResult Run(const std::string& mode, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {PALISADE_CLI_PATH, "run"};
    if (!GetParam()) argv.push_back("--in-process");
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const std::string& d : {(base_ / "data").string() + "::/data:rw", (base_ / "other").string() + "::/other:rw",
                                 (base_ / "ro").string() + "::/ro"}) {
      argv.push_back("--dir");
      argv.push_back(d);
    }
    argv.insert(argv.end(), {std::string(PALISADE_FS_PROGRAM_DIR) + "/fs_rw.wasm", "--", mode});
    return RunProcess(argv);
  }

  fs::path base_;
};

TEST_P(FsRunTest, ASuccessfulRunChangesTheHostDirectory) {
  testing::ProcessResult r = Run("apply");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::map<std::string, std::string> want = {
      {"alloc.bin", std::string("ab\0\0\0\0\0\0\0\0", 10)},
      {"keep.txt", "keep\n"},        {"mod.txt", "mod1\nmore\n"},   {"new.txt", "hello\n"},
      {"newdir", "/"},               {"newdir/deep", "/"},          {"newdir/deep/f.txt", "deep\n"},
      {"renamed.txt", "old\n"},      {"sized.txt", "0XY3"},         {"swap", "/"},
      {"swap/in.txt", "inside\n"},   {"timed.txt", "t"},            {"trunc.txt", "T"}};
  EXPECT_EQ(Snapshot(base_ / "data"), want);
  EXPECT_EQ(Snapshot(base_ / "other"), (std::map<std::string, std::string>{{"o.txt", "other\n"}}));
  EXPECT_EQ(Snapshot(base_ / "ro"), (std::map<std::string, std::string>{{"r.txt", "r\n"}}));
  struct stat st;
  ASSERT_EQ(stat((base_ / "data/timed.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  ASSERT_EQ(stat((base_ / "data/keep.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000) << "an unchanged file was rewritten";
  // No temporary file is left behind.
  for (const auto& e : fs::recursive_directory_iterator(base_)) {
    EXPECT_EQ(e.path().filename().string().find(".palisade-"), std::string::npos) << e.path();
  }
}

TEST_P(FsRunTest, EveryRefusedCallAnswersTheExpectedErrno) {
  testing::ProcessResult r = Run("errnos");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n");
  // What the checks made along the way is applied too, and only beneath /data.
  EXPECT_TRUE(fs::exists(base_ / "data/d/f"));
  EXPECT_EQ(Read(base_ / "data/d/f"), "replaced");
  EXPECT_TRUE(fs::exists(base_ / "data/caf\xc3\xa9"));
  EXPECT_EQ(Snapshot(base_ / "ro"), (std::map<std::string, std::string>{{"r.txt", "r\n"}}));
}

TEST_P(FsRunTest, ARunThatFailsChangesNothing) {
  const auto before = Snapshot(base_);
  testing::ProcessResult trap = Run("trap");
  EXPECT_EQ(trap.status, 134) << trap.err;
  EXPECT_EQ(Snapshot(base_), before);
  testing::ProcessResult fail = Run("fail");
  EXPECT_EQ(fail.status, 3) << fail.err;
  EXPECT_EQ(Snapshot(base_), before);
  testing::ProcessResult spin = Run("spin", {"--timeout", "300ms"});
  EXPECT_EQ(spin.status, 134) << spin.err;
  EXPECT_NE(spin.err.find("timeout"), std::string::npos) << spin.err;
  EXPECT_EQ(Snapshot(base_), before);
}

INSTANTIATE_TEST_SUITE_P(InProcessAndInAMicroVm, FsRunTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "MicroVm" : "InProcess";
                         });

}  // namespace
}  // namespace palisade
