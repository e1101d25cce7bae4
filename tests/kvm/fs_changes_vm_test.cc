// Writable directories in the production guest: a successful run hands its
// change set to the host in one kFsChanges hypercall (read through
// GuestMemory's checked Read()), which cli/fs_commit.h then applies; a run
// that traps or exits non-zero hands over nothing.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/fs_commit.h"
#include "cli/fs_image_builder.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/guest_services.h"
#include "vmm/wasi_runner.h"
#include "wasm/wasi/fs_changes.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::Deadline;

std::vector<uint8_t> Program() {
  std::ifstream in(std::string(PALISADE_FS_PROGRAM_DIR) + "/fs_rw.wasm", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class FsChangesVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("palisade_vm_rw_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    for (const char* d : {"data/olddir", "other", "ro"}) fs::create_directories(base_ / d);
    // What programs/fs_rw.c expects to find.
    for (const char* f : {"keep.txt", "old.txt", "gone.txt", "trunc.txt", "olddir/x.txt", "swap"}) {
      std::ofstream(base_ / "data" / f) << f;
    }
    std::ofstream(base_ / "data" / "mod.txt") << "mod1\n";
    std::ofstream(base_ / "data" / "sized.txt") << "0123456789";
    std::ofstream(base_ / "ro" / "r.txt") << "r\n";
    preopens_ = {{(base_ / "data").string(), "/data", true},
                 {(base_ / "other").string(), "/other", true},
                 {(base_ / "ro").string(), "/ro", false}};
  }
  void TearDown() override { fs::remove_all(base_); }

  // Runs fs_rw.wasm with `mode` in a fresh micro-VM; the outcome's code.
  int64_t Run(const std::string& mode) {
    auto image = cli::BuildFsImage(preopens_);
    EXPECT_TRUE(image.ok()) << image.status();
    services_ = std::make_unique<PosixGuestServices>(-1);
    SandboxOptions o;
    o.image = ProductionGuestImage();
    o.memory_bytes = 64ull << 20;
    o.console = &console_;
    o.services = services_.get();
    auto sb = Sandbox::Boot(o, Deadline());
    EXPECT_TRUE(sb.ok()) << sb.status();
    if (!sb.ok()) return -1;
    std::vector<uint8_t> module = Program();
    WasiRunSpec spec;
    spec.module = module;
    spec.fs_image = *image;
    spec.args = {"fs_rw", mode};
    absl::Status run = RunWasiCommand(**sb, BuildWasiRunRequest(spec), Deadline());
    EXPECT_TRUE(run.ok()) << run;
    EXPECT_TRUE(services_->outcome().has_value());
    return services_->outcome().has_value() ? services_->outcome()->code : -1;
  }

  fs::path base_;
  std::vector<cli::Preopen> preopens_;
  CapturingConsole console_;
  std::unique_ptr<PosixGuestServices> services_;
};

TEST_F(FsChangesVmTest, ASuccessfulRunHandsItsChangesToTheHost) {
  PALISADE_REQUIRE_KVM();
  ASSERT_EQ(Run("apply"), 0) << console_.out;
  const std::vector<uint8_t>& changes = services_->fs_changes();
  wasm::wasi::FsChanges set;
  ASSERT_TRUE(set.Init(changes.data(), changes.size()));
  // Both writable roots, never the read-only one.
  bool saw_other = false;
  for (uint32_t i = 0; i < set.count(); ++i) {
    EXPECT_LT(set.change(i).root, 2u);
    saw_other |= set.change(i).root == 1;
  }
  EXPECT_TRUE(saw_other);
  ASSERT_TRUE(cli::ApplyFsChanges(changes, preopens_).ok());
  auto read = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(base_ / "data" / "new.txt"), "hello\n");
  EXPECT_EQ(read(base_ / "data" / "newdir" / "deep" / "f.txt"), "deep\n");
  EXPECT_EQ(read(base_ / "data" / "renamed.txt"), "old.txt");
  EXPECT_EQ(read(base_ / "data" / "sized.txt"), "0XY3");
  EXPECT_EQ(read(base_ / "other" / "o.txt"), "other\n");
  EXPECT_FALSE(fs::exists(base_ / "data" / "gone.txt"));
  EXPECT_TRUE(fs::is_directory(base_ / "data" / "swap"));
}

TEST_F(FsChangesVmTest, ARunThatFailsHandsOverNothing) {
  PALISADE_REQUIRE_KVM();
  EXPECT_EQ(Run("fail"), 3);
  EXPECT_TRUE(services_->fs_changes().empty());
  Run("trap");
  EXPECT_EQ(services_->outcome()->kind, abi::WasmOutcome::kTrapped);
  EXPECT_TRUE(services_->fs_changes().empty());
}

TEST_F(FsChangesVmTest, RefusedCallsAnswerTheSameErrnosInTheGuest) {
  PALISADE_REQUIRE_KVM();
  EXPECT_EQ(Run("errnos"), 0) << console_.out;
  EXPECT_EQ(console_.out, "ok\n");
}

}  // namespace
}  // namespace palisade
