#include "vmm/page_tables.h"

#include "absl/strings/str_format.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

// Upper levels allow everything; each leaf narrows it.
constexpr uint64_t kTableFlags =
    x86::kPtePresent | x86::kPteWritable | x86::kPteUser | x86::kPteAccessed;

uint64_t LeafFlags(PagePermission p, PagePrivilege privilege) {
  uint64_t f = x86::kPtePresent | x86::kPteAccessed | x86::kPteDirty |
               (privilege == PagePrivilege::kUser ? x86::kPteUser : 0);
  switch (p) {
    case PagePermission::kReadExecute:
      return f;
    case PagePermission::kRead:
      return f | x86::kPteNx;
    case PagePermission::kReadWrite:
      return f | x86::kPteWritable | x86::kPteNx;
  }
  return f | x86::kPteNx;
}

class Builder {
 public:
  Builder(uint64_t base, size_t max_pages) : base_(base), max_pages_(max_pages) {
    tables_.base = base;
    tables_.pages.emplace_back();  // PML4
    tables_.pages.back().fill(0);
  }

  absl::Status Map(uint64_t addr, uint64_t size_class, uint64_t flags) {
    // Levels: PML4 (shift 39), PDPT (30), PD (21), PT (12).
    size_t table = 0;
    int leaf_shift = size_class == x86::kPage2M ? 21 : 12;
    for (int shift = 39; shift > leaf_shift; shift -= 9) {
      const size_t index = (addr >> shift) & 511;
      if (tables_.pages[table][index] == 0) {
        if (tables_.pages.size() >= max_pages_) {
          return absl::ResourceExhaustedError(absl::StrFormat(
              "page tables need more than the %d pages reserved for them", max_pages_));
        }
        // emplace_back may move the pages, so index afresh afterwards.
        tables_.pages.emplace_back();
        tables_.pages.back().fill(0);
        tables_.pages[table][index] =
            (base_ + (tables_.pages.size() - 1) * x86::kPage4K) | kTableFlags;
      }
      table = ((tables_.pages[table][index] & x86::kPteAddrMask) - base_) / x86::kPage4K;
    }
    uint64_t leaf = addr | flags | (leaf_shift == 21 ? x86::kPteLarge : 0);
    tables_.pages[table][(addr >> leaf_shift) & 511] = leaf;
    return absl::OkStatus();
  }

  PageTables Take() { return std::move(tables_); }

 private:
  uint64_t base_;
  size_t max_pages_;
  PageTables tables_;
};

}  // namespace

absl::StatusOr<PageTables> BuildPageTables(const std::vector<PageRange>& ranges, uint64_t base,
                                           size_t max_pages) {
  Builder b(base, max_pages);
  for (const PageRange& r : ranges) {
    if (r.begin % x86::kPage4K != 0 || r.end % x86::kPage4K != 0 || r.end < r.begin ||
        r.end > (1ull << 47)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("page range [%#x, %#x) is not page-aligned or not canonical", r.begin,
                          r.end));
    }
    uint64_t flags = LeafFlags(r.permission, r.privilege);
    for (uint64_t a = r.begin; a < r.end;) {
      if (a % x86::kPage2M == 0 && r.end - a >= x86::kPage2M) {
        if (auto s = b.Map(a, x86::kPage2M, flags); !s.ok()) return s;
        a += x86::kPage2M;
      } else {
        if (auto s = b.Map(a, x86::kPage4K, flags); !s.ok()) return s;
        a += x86::kPage4K;
      }
    }
  }
  return b.Take();
}

uint64_t LookupPage(const PageTables& tables, uint64_t address) {
  size_t table = 0;
  for (int shift = 39; shift >= 12; shift -= 9) {
    uint64_t e = tables.pages[table][(address >> shift) & 511];
    if ((e & x86::kPtePresent) == 0) return 0;
    if (shift == 12 || (shift == 21 && (e & x86::kPteLarge) != 0)) return e;
    uint64_t next = (e & x86::kPteAddrMask) - tables.base;
    table = next / x86::kPage4K;
    if (table >= tables.pages.size()) return 0;
  }
  return 0;
}

}  // namespace palisade
