#include "vmm/guest_memory.h"

#include <fcntl.h>

#include <algorithm>
#include <vector>

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

TEST(GuestMemory, OneShotMemoryIsHugePageAlignedAndNeverFrozen) {
  auto m = GuestMemory::Create(6 << 20, GuestMemory::Backing::kOneShot);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m->host_base()) % (2 << 20), 0u);
  ASSERT_TRUE(m->AddRegion(0, 6 << 20, GuestMemory::Access::kReadWrite, "ram").ok());
  auto v = m->Write((6 << 20) - 4096, 4096);
  ASSERT_TRUE(v.ok());
  for (uint8_t b : *v) ASSERT_EQ(b, 0);
  std::fill(v->begin(), v->end(), 0x5a);
  EXPECT_EQ((*m->Read((6 << 20) - 1, 1))[0], 0x5a);
  EXPECT_FALSE(m->can_freeze());
  auto frozen = m->Freeze();
  EXPECT_TRUE(absl::IsFailedPrecondition(frozen.status()));
  EXPECT_THAT(std::string(frozen.status().message()), HasSubstr("one-shot"));
  EXPECT_TRUE(GuestMemory::Create(1 << 20).value().can_freeze());
}

uint8_t ByteAt(const GuestMemory& m, uint64_t gpa) { return (*m.Read(gpa, 1))[0]; }

TEST(GuestMemory, FrozenMemoryIsSealedAndViewsAreCopyOnWrite) {
  GuestMemory m = Make();
  (*m.Write(0x10000, 1))[0] = 0x11;
  (*m.Write(0x12000, 1))[0] = 0x22;
  auto fd = m.Freeze();
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(m.is_private());
  EXPECT_TRUE(fcntl(fd->get(), F_GET_SEALS) & F_SEAL_WRITE);
  EXPECT_FALSE(m.Freeze().ok()) << "frozen twice";

  auto view = GuestMemory::MapSnapshot(fd->get(), 1 << 20);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(view->AddRegion(0x10000, 0x10000, GuestMemory::Access::kReadWrite, "rw").ok());
  EXPECT_EQ(ByteAt(*view, 0x10000), 0x11);
  // Writes through one view are private to it.
  (*m.Write(0x10000, 1))[0] = 0x33;
  (*view->Write(0x12000, 1))[0] = 0x44;
  EXPECT_EQ(ByteAt(*view, 0x10000), 0x11);
  EXPECT_EQ(ByteAt(m, 0x12000), 0x22);
}

TEST(GuestMemory, DiscardingHostWrittenPagesRestoresTheSnapshot) {
  GuestMemory m = Make();
  (*m.Write(0x10000, 1))[0] = 0x11;
  ASSERT_TRUE(m.Freeze().ok());
  std::vector<uint64_t> bitmap(m.bitmap_words(), 0);
  m.TakeHostWrites(bitmap);
  EXPECT_EQ(std::count_if(bitmap.begin(), bitmap.end(), [](uint64_t w) { return w != 0; }), 0)
      << "freezing starts a clean record";

  // A write from 0x10ff0 to 0x13010 touches four pages and marks them.
  auto span = m.Write(0x10ff0, 0x2020);
  ASSERT_TRUE(span.ok());
  std::fill(span->begin(), span->end(), 0xee);
  m.TakeHostWrites(bitmap);
  EXPECT_EQ(bitmap[0x10 / 64], uint64_t{0xf} << (0x10 % 64));  // pages 0x10..0x13
  auto dropped = m.DiscardPages(bitmap);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 4u);
  EXPECT_EQ(ByteAt(m, 0x10000), 0x11);
  EXPECT_EQ(ByteAt(m, 0x11000), 0x00);
  EXPECT_EQ(ByteAt(m, 0x13000), 0x00);
  // The record was consumed.
  std::fill(bitmap.begin(), bitmap.end(), 0);
  m.TakeHostWrites(bitmap);
  EXPECT_EQ(bitmap[0x10 / 64], 0u);
}

TEST(GuestMemory, OnlySnapshotViewsDiscardPages) {
  GuestMemory m = Make();
  std::vector<uint64_t> bitmap(m.bitmap_words(), ~uint64_t{0});
  EXPECT_TRUE(absl::IsFailedPrecondition(m.DiscardPages(bitmap).status()));
}

}  // namespace
}  // namespace palisade
