// The guest memory a micro-VM gets for a module nobody sized: enough for the
// engine to load it (the measured bytes per byte of code), at least the old
// default, cut to the caller's ceiling, refused with the numbers when even
// the need is over it.
#include "vmm/guest_memory_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/guest_layout.h"

namespace palisade {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

ModuleNeeds Needs(uint64_t code_mib, bool compiler, uint64_t pages = 2) {
  ModuleNeeds n;
  n.code_bytes = code_mib << 20;
  n.module_bytes = n.code_bytes + (200 << 10);
  n.initial_memory_pages = pages;
  n.compiler = compiler;
  return n;
}

TEST(GuestMemoryPlan, SmallModulesKeepTheDefault) {
  auto chosen = ChooseGuestMemory(Needs(1, true), {});
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(*chosen, kDefaultGuestMemory);
}

TEST(GuestMemoryPlan, BigModulesGetTheirNeedAndHeadroomInWhole2MiB) {
  const ModuleNeeds big = Needs(27, true);
  const uint64_t need = GuestMemoryNeed(big);
  EXPECT_GE(need, uint64_t{27} * kCompilerBytesPerCodeByte << 20);
  auto chosen = ChooseGuestMemory(big, {});
  ASSERT_TRUE(chosen.ok());
  EXPECT_GE(*chosen, need + need / 8);
  EXPECT_EQ(*chosen % (2 << 20), 0u);
  // The interpreter keeps less per byte of code, and linear memory counts.
  EXPECT_LT(GuestMemoryNeed(Needs(27, false)), need);
  EXPECT_EQ(GuestMemoryNeed(Needs(27, true, 1002)) - need, uint64_t{1000} << 16);
}

TEST(GuestMemoryPlan, ACeilingAboveTheNeedCutsTheChoice) {
  auto chosen = ChooseGuestMemory(Needs(1, true), {64ull << 20, "policy 'p'"});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, 64ull << 20);
}

TEST(GuestMemoryPlan, ACeilingBelowTheNeedSaysBothNumbersAndWhose) {
  auto chosen = ChooseGuestMemory(Needs(27, true), {512ull << 20, "policy 'strict' (limits.memory_bytes)"});
  ASSERT_TRUE(absl::IsResourceExhausted(chosen.status()));
  EXPECT_THAT(std::string(chosen.status().message()),
              AllOf(HasSubstr("needs about 8"), HasSubstr("27.0 MiB of code"), HasSubstr("compiler tier"),
                    HasSubstr("policy 'strict' (limits.memory_bytes), 512.0 MiB")));
}

TEST(GuestMemoryPlan, WantedRoomIsGivenUnderTheCeilingButNeverRequired) {
  ModuleNeeds n = Needs(1, true);
  n.wanted_bytes = 1ull << 30;
  auto roomy = ChooseGuestMemory(n, {});
  ASSERT_TRUE(roomy.ok());
  EXPECT_GE(*roomy, GuestMemoryNeed(n) + (1ull << 30));
  auto capped = ChooseGuestMemory(n, {512ull << 20, "policy 'p'"});
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(*capped, 512ull << 20);
}

TEST(GuestMemoryPlan, HostileFootprintsSaturateInsteadOfWrapping) {
  ModuleNeeds n = Needs(0, true, uint64_t{1} << 40);
  n.code_bytes = UINT64_MAX / 3;
  auto chosen = ChooseGuestMemory(n, {});
  ASSERT_TRUE(absl::IsResourceExhausted(chosen.status()));
  EXPECT_THAT(std::string(chosen.status().message()), HasSubstr("64 GiB"));
}

}  // namespace
}  // namespace palisade
