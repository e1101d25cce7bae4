// In-process sealing of compiled code (vmm/sealed_code.h): what passes the
// code check runs and is never writable; what fails it never becomes
// executable; pages go back to the arena, so sealing never runs it dry.
#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/sealed_code.h"

namespace palisade {
namespace {

absl::StatusOr<SealedCode> SealBytes(const std::vector<uint8_t>& code) {
  return SealedCode::Seal(code.size(), {}, [&](uint64_t, uint8_t* dst) {
    std::memcpy(dst, code.data(), code.size());
    return true;
  });
}

const std::vector<uint8_t> kReturn42 = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};  // mov eax, 42; ret

TEST(SealedCode, CheckedCodeRuns) {
  auto sealed = SealBytes(kReturn42);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto fn = reinterpret_cast<int (*)()>(reinterpret_cast<uintptr_t>(sealed->base()));
  EXPECT_EQ(fn(), 42);
}

TEST(SealedCode, CodeTheCheckRefusesIsNeverMadeExecutable) {
  auto sealed = SealBytes({0x0f, 0xa2, 0xc3});  // cpuid; ret
  ASSERT_FALSE(sealed.ok());
  EXPECT_THAT(std::string(sealed.status().message()), ::testing::HasSubstr("cpuid"));
}

TEST(SealedCodeDeathTest, SealedCodeIsNeverWritable) {
  auto sealed = SealBytes(kReturn42);
  ASSERT_TRUE(sealed.ok());
  EXPECT_DEATH(const_cast<uint8_t*>(sealed->base())[0] = 0xc3, "");
}

TEST(SealedCode, PagesGoBackToTheArena) {
  // 600 MiB through a 256 MiB arena: refused 1 MiB modules (undecodable at
  // their first byte, so the check is quick), then sealed ones, each
  // released before the next.
  std::vector<uint8_t> refused(1 << 20, 0x90);
  refused[0] = 0x06;  // push es: no such instruction in 64-bit mode
  for (int i = 0; i < 600; ++i) {
    auto sealed = SealBytes(refused);
    ASSERT_FALSE(sealed.ok());
    ASSERT_THAT(std::string(sealed.status().message()), ::testing::HasSubstr("decodes")) << "round " << i;
  }
  for (int i = 0; i < 1000; ++i) {
    auto sealed = SealBytes(kReturn42);
    ASSERT_TRUE(sealed.ok()) << "round " << i << ": " << sealed.status();
  }
}

}  // namespace
}  // namespace palisade
