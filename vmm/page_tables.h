// Builds the guest's 4-level x86-64 page tables on the host, once, before the
// first instruction runs: on PVM the shadow MMU never sees a host edit that
// takes access away, so the tables only ever hold their final permissions.
// The tables live in their own slot, unmapped in the guest, with
// Accessed/Dirty bits preset so the CPU never needs to write them.
// Permissions are per 4 KiB page (W^X: code is R+X, everything writable is
// NX; U/S per range, set on every upper level so the leaf decides); runs of
// 2 MiB with one permission become large pages so a big heap costs few table
// pages.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade {

enum class PagePermission { kReadExecute, kRead, kReadWrite };
// Who may touch a page: the guest runs at CPL 3 (kUser); kSupervisor pages
// (descriptor tables, ring-0 stubs and stack) are reachable only while the
// CPU handles an exception. The default is the safe one.
enum class PagePrivilege { kSupervisor, kUser };

struct PageRange {
  uint64_t begin;  // page-aligned
  uint64_t end;    // page-aligned, exclusive
  PagePermission permission;
  PagePrivilege privilege = PagePrivilege::kSupervisor;
};

struct PageTables {
  uint64_t base = 0;  // guest-physical address of the PML4 (the first page)
  std::vector<std::array<uint64_t, 512>> pages;
};

// Identity-maps `ranges` (which must not overlap); every address not in a
// range is not present. Fails if more than `max_pages` table pages are needed.
absl::StatusOr<PageTables> BuildPageTables(const std::vector<PageRange>& ranges, uint64_t base,
                                           size_t max_pages);

// Walks `tables` like the MMU would; returns the leaf entry for `address`
// (0 if not present). Used by tests and by crash reports.
uint64_t LookupPage(const PageTables& tables, uint64_t address);

}  // namespace palisade
