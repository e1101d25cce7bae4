// Guest-physical memory: one host mapping of [0, size) and the
// list of ranges actually exposed to the guest (with their access). Every
// guest-supplied address goes through Read()/Write(), which check it against
// those ranges without integer overflow; nothing else indexes this memory
// with guest numbers.
//
// Snapshots: Freeze() seals the memfd as the snapshot's contents and keeps
// running on a private copy-on-write mapping of it; MapSnapshot() gives a new
// sandbox such a mapping. DiscardPages() drops private copies, so those pages
// read as the snapshot again. Host writes (Write(), HostAddress()) are
// recorded here, because KVM's dirty log sees only the guest's own writes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "vmm/mapping.h"

namespace palisade {

class GuestMemory {
 public:
  enum class Access { kReadOnly, kReadWrite };
  struct Region {
    uint64_t gpa;
    uint64_t size;
    Access access;
    std::string name;
  };

  // kSnapshottable memory lives in a memfd, so Freeze() can make it a
  // snapshot. kOneShot memory is anonymous, 2 MiB-aligned and advised for
  // transparent huge pages, and can never be frozen: it is for a sandbox
  // that runs and goes. On PVM every first touch of a 4 KiB page is a
  // shadow-MMU fault costing tens of microseconds (../shared/PVM.md); one
  // huge host page lets KVM map 2 MiB of the guest at once (a compiled lz
  // run: ~3,400 4 KiB mappings become ~90 4 KiB plus ~9 2 MiB ones).
  // Snapshots keep the memfd, whose copy-on-write and dirty-page reset work
  // in 4 KiB pages anyway.
  enum class Backing { kSnapshottable, kOneShot };

  // Allocates `size` bytes (a multiple of 4 KiB), all zero. Untouched pages
  // cost nothing (MAP_NORESERVE).
  static absl::StatusOr<GuestMemory> Create(uint64_t size, Backing backing = Backing::kSnapshottable);

  // A private copy-on-write view of a frozen memfd of `size` bytes: clean
  // pages stay shared with every other view of it.
  static absl::StatusOr<GuestMemory> MapSnapshot(int memfd, uint64_t size);

  // Seals this memory's memfd read-only and moves this mapping onto a
  // private view of it; returns the sealed memfd (the snapshot's contents).
  absl::StatusOr<UniqueFd> Freeze();
  bool is_private() const { return private_; }
  // False for one-shot memory and for memory that already is a snapshot view.
  bool can_freeze() const { return memfd_.valid() && !private_; }

  // Rolls the pages set in `bitmap` (bit i = page i) back to the frozen
  // contents. Returns the page count. A few pages are copied back from the
  // snapshot: the private copies stay mapped, so the guest's next touch
  // costs no page fault at all (reads) or only the dirty log's
  // write-protection fault (writes), which matters most on PVM, where every
  // fault is an exit. Past kCopyBackMaxPages the private copies are dropped
  // instead (madvise), so a call that dirtied much leaves no memory behind.
  static constexpr uint64_t kCopyBackMaxPages = 256;
  absl::StatusOr<uint64_t> DiscardPages(std::span<const uint64_t> bitmap);
  // ORs the pages the host wrote since the last call into `bitmap`.
  void TakeHostWrites(std::span<uint64_t> bitmap);
  // Words in a page bitmap of this memory.
  size_t bitmap_words() const { return host_written_.size(); }

  // Declares [gpa, gpa + size) as guest-visible. Regions must not overlap.
  absl::Status AddRegion(uint64_t gpa, uint64_t size, Access access, std::string name);

  // Checked views for data the guest named. Errors say which range was bad and
  // why; they are InvalidArgument (the guest's fault), never a crash.
  absl::StatusOr<std::span<const uint8_t>> Read(uint64_t gpa, uint64_t len) const;
  absl::StatusOr<std::span<uint8_t>> Write(uint64_t gpa, uint64_t len);

  // Host-side access for the VMM's own setup (page tables, image loading).
  // The caller owns the bounds; CHECKed anyway.
  uint8_t* HostAddress(uint64_t gpa, uint64_t len);

  uint64_t size() const { return size_; }
  uint8_t* host_base() const { return mapping_.data(); }
  const std::vector<Region>& regions() const { return regions_; }

 private:
  GuestMemory(UniqueFd memfd, Mapping mapping, uint64_t size, bool is_private)
      : memfd_(std::move(memfd)), mapping_(std::move(mapping)), size_(size),
        private_(is_private), host_written_((size / 4096 + 63) / 64, 0) {}
  const Region* Find(uint64_t gpa, uint64_t len, std::string* why) const;
  void MarkHostWritten(uint64_t gpa, uint64_t len);

  UniqueFd memfd_;  // invalid once frozen, for a snapshot view, or one-shot
  Mapping mapping_;
  Mapping pristine_;  // snapshot views: the frozen contents, read-only
  uint64_t size_ = 0;
  bool private_ = false;
  std::vector<Region> regions_;
  std::vector<uint64_t> host_written_;  // one bit per page
};

}  // namespace palisade
