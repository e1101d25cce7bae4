#include "vmm/guest_memory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace palisade {
namespace {

using ::testing::HasSubstr;

GuestMemory Make() {
  auto m = GuestMemory::Create(1 << 20);
  EXPECT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->AddRegion(0x1000, 0x1000, GuestMemory::Access::kReadOnly, "ro").ok());
  EXPECT_TRUE(m->AddRegion(0x10000, 0x10000, GuestMemory::Access::kReadWrite, "rw").ok());
  return *std::move(m);
}

TEST(GuestMemory, RefusesBadSizes) {
  EXPECT_FALSE(GuestMemory::Create(0).ok());
  EXPECT_FALSE(GuestMemory::Create(4097).ok());
}

TEST(GuestMemory, ChecksEveryRangeOverflowSafely) {
  GuestMemory m = Make();
  EXPECT_TRUE(m.Read(0x1000, 0x1000).ok());
  EXPECT_TRUE(m.Write(0x10000, 0x10000).ok());
  EXPECT_THAT(std::string(m.Read(0x1800, 0x1000).status().message()), HasSubstr("runs past the end of ro"));
  EXPECT_THAT(std::string(m.Read(0x5000, 1).status().message()), HasSubstr("is not guest memory"));
  EXPECT_THAT(std::string(m.Write(0x1000, 1).status().message()), HasSubstr("which is read-only"));
  // gpa + len wraps around 2^64.
  EXPECT_FALSE(m.Read(0x10010, ~uint64_t{0}).ok());
  EXPECT_FALSE(m.Read(~uint64_t{0}, 2).ok());
  EXPECT_FALSE(m.Write(0x1ffff, 2).ok());
  EXPECT_TRUE(m.Write(0x1ffff, 1).ok());
}

TEST(GuestMemory, RefusesOverlappingOrOutOfRangeRegions) {
  GuestMemory m = Make();
  EXPECT_FALSE(m.AddRegion(0x1800, 0x1000, GuestMemory::Access::kReadOnly, "x").ok());
  EXPECT_FALSE(m.AddRegion(0xff000, 0x2000, GuestMemory::Access::kReadOnly, "x").ok());
  EXPECT_FALSE(m.AddRegion(~uint64_t{0} - 10, 0x100, GuestMemory::Access::kReadOnly, "x").ok());
}

TEST(GuestMemory, StartsZeroed) {
  GuestMemory m = Make();
  auto v = m.Read(0x10000, 0x10000);
  ASSERT_TRUE(v.ok());
  for (uint8_t b : *v) ASSERT_EQ(b, 0);
}

}  // namespace
}  // namespace palisade
