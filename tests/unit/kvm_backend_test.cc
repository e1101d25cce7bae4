// The rule that names the backend behind /dev/kvm (Intel, AMD, built-in
// hardware KVM, PVM, none), on a fake /dev and /sys/module.
#include "vmm/kvm_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace palisade {
namespace {

namespace fs = std::filesystem;

class KvmBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kvm_backend_test." + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "." + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "module");
  }
  void TearDown() override { fs::remove_all(root_); }

  void MakeDevice() { std::ofstream(root_ / "kvm").put('\0'); }
  void LoadModule(const char* name) { fs::create_directories(root_ / "module" / name); }
  KvmBackend Detect() const {
    return DetectKvmBackend((root_ / "kvm").c_str(), (root_ / "module").c_str());
  }

  fs::path root_;
};

TEST_F(KvmBackendTest, NoDeviceIsAbsentWhateverIsLoaded) {
  LoadModule("kvm_amd");
  EXPECT_EQ(Detect(), KvmBackend::kAbsent);
}

TEST_F(KvmBackendTest, VmxModuleIsIntel) {
  MakeDevice();
  LoadModule("kvm");
  LoadModule("kvm_intel");
  EXPECT_EQ(Detect(), KvmBackend::kIntel);
}

TEST_F(KvmBackendTest, SvmModuleIsAmd) {
  MakeDevice();
  LoadModule("kvm");
  LoadModule("kvm_amd");
  EXPECT_EQ(Detect(), KvmBackend::kAmd);
}

TEST_F(KvmBackendTest, PvmAloneIsPvm) {
  MakeDevice();
  LoadModule("kvm");
  LoadModule("kvm_pvm");
  EXPECT_EQ(Detect(), KvmBackend::kPvm);
}

TEST_F(KvmBackendTest, PvmBesideAHardwareModuleIsTheHardware) {
  // /dev/kvm then belongs to the hardware module.
  MakeDevice();
  LoadModule("kvm_pvm");
  LoadModule("kvm_amd");
  EXPECT_EQ(Detect(), KvmBackend::kAmd);
}

TEST_F(KvmBackendTest, AKvmBuiltIntoTheKernelIsHardware) {
  // Built-in modules may leave no trace in /sys/module.
  MakeDevice();
  EXPECT_EQ(Detect(), KvmBackend::kHardware);
}

TEST_F(KvmBackendTest, OnlyAnAbsentDeviceIsAProblem) {
  EXPECT_NE(KvmBackendProblem(KvmBackend::kAbsent).find("/dev/kvm"), std::string::npos);
  EXPECT_NE(KvmBackendProblem(KvmBackend::kAbsent).find("kvm_amd"), std::string::npos);
  for (KvmBackend b : {KvmBackend::kIntel, KvmBackend::kAmd, KvmBackend::kHardware,
                       KvmBackend::kPvm}) {
    EXPECT_EQ(KvmBackendProblem(b), "") << KvmBackendName(b);
  }
}

TEST_F(KvmBackendTest, EveryBackendHasItsOwnName) {
  EXPECT_EQ(KvmBackendName(KvmBackend::kAbsent), "none");
  EXPECT_NE(KvmBackendName(KvmBackend::kIntel).find("kvm_intel"), std::string::npos);
  EXPECT_NE(KvmBackendName(KvmBackend::kAmd).find("kvm_amd"), std::string::npos);
  EXPECT_NE(KvmBackendName(KvmBackend::kPvm).find("PVM"), std::string::npos);
  EXPECT_NE(KvmBackendName(KvmBackend::kHardware), KvmBackendName(KvmBackend::kPvm));
}

}  // namespace
}  // namespace palisade
