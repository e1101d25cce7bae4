#include "vmm/page_tables.h"

#include <gtest/gtest.h>

#include "vmm/x86.h"

namespace palisade {
namespace {

constexpr uint64_t kBase = 0x4000;

uint64_t Frame(uint64_t entry, uint64_t address) {
  if (entry & x86::kPteLarge) return (entry & x86::kPteAddrMask & ~(x86::kPage2M - 1)) | (address & (x86::kPage2M - 1) & ~0xfffull);
  return entry & x86::kPteAddrMask;
}

TEST(PageTables, IdentityMapsWithPermissions) {
  std::vector<PageRange> ranges = {
      {0x1000, 0x3000, PagePermission::kRead},
      {0x100000, 0x102000, PagePermission::kReadExecute},
      {0x102000, 0x103000, PagePermission::kRead},
      {0x103000, 0x106000, PagePermission::kReadWrite},
      {0x108000, 0x1000000, PagePermission::kReadWrite},
  };
  auto t = BuildPageTables(ranges, kBase, 64);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->base, kBase);
  for (const auto& r : ranges) {
    for (uint64_t a = r.begin; a < r.end; a += 0x1000) {
      uint64_t e = LookupPage(*t, a);
      ASSERT_NE(e & x86::kPtePresent, 0u) << std::hex << a;
      EXPECT_EQ(Frame(e, a), a) << std::hex << a;
      EXPECT_EQ((e & x86::kPteWritable) != 0, r.permission == PagePermission::kReadWrite) << std::hex << a;
      EXPECT_EQ((e & x86::kPteNx) == 0, r.permission == PagePermission::kReadExecute) << std::hex << a;
      // Preset so the CPU never writes the read-only tables.
      EXPECT_NE(e & x86::kPteAccessed, 0u);
      EXPECT_NE(e & x86::kPteDirty, 0u);
    }
  }
  // Gaps and guard pages are not present.
  for (uint64_t a : {0x0ull, 0x3000ull, 0xff000ull, 0x106000ull, 0x107000ull, 0x1000000ull}) {
    EXPECT_EQ(LookupPage(*t, a), 0u) << std::hex << a;
  }
}

// Ring 3 may touch only user ranges; every upper level allows user access so
// the leaf alone decides, for 4 KiB and 2 MiB leaves alike.
TEST(PageTables, UserAndSupervisorPagesAreMarkedAtTheLeaf) {
  std::vector<PageRange> ranges = {
      {0x1000, 0x4000, PagePermission::kRead},  // default: supervisor
      {0x4000, 0x5000, PagePermission::kRead, PagePrivilege::kUser},
      {0x100000, 0x101000, PagePermission::kReadExecute, PagePrivilege::kSupervisor},
      {0x101000, 0x102000, PagePermission::kReadExecute, PagePrivilege::kUser},
      {0x200000, 0x600000, PagePermission::kReadWrite, PagePrivilege::kUser},
  };
  auto t = BuildPageTables(ranges, kBase, 64);
  ASSERT_TRUE(t.ok()) << t.status();
  for (const auto& r : ranges) {
    for (uint64_t a = r.begin; a < r.end; a += 0x1000) {
      const uint64_t e = LookupPage(*t, a);
      ASSERT_NE(e & x86::kPtePresent, 0u) << std::hex << a;
      EXPECT_EQ((e & x86::kPteUser) != 0, r.privilege == PagePrivilege::kUser) << std::hex << a;
    }
  }
  EXPECT_NE(LookupPage(*t, 0x200000) & x86::kPteLarge, 0u);
  for (const auto& table : t->pages) {
    for (uint64_t e : table) {
      // Upper-level entries (those that point at another table page).
      const uint64_t next = e & x86::kPteAddrMask;
      if ((e & x86::kPtePresent) != 0 && (e & x86::kPteLarge) == 0 && next >= kBase &&
          next < kBase + t->pages.size() * 0x1000) {
        EXPECT_NE(e & x86::kPteUser, 0u);
      }
    }
  }
}

TEST(PageTables, UsesLargePagesForBigRuns) {
  auto t = BuildPageTables({{0x200000, 0x40000000, PagePermission::kReadWrite}}, kBase, 8);
  ASSERT_TRUE(t.ok()) << t.status();
  // PML4 + PDPT + one PD: 511 large pages, no page-table pages at all.
  EXPECT_EQ(t->pages.size(), 3u);
  EXPECT_NE(LookupPage(*t, 0x200000) & x86::kPteLarge, 0u);
}

TEST(PageTables, RefusesWhenOutOfRoom) {
  auto t = BuildPageTables({{0x1000, 0x400000, PagePermission::kRead}}, kBase, 3);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(PageTables, RefusesUnalignedRanges) {
  auto t = BuildPageTables({{0x1001, 0x2000, PagePermission::kRead}}, kBase, 8);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace palisade
