// A directory tree in one buffer: what `--dir HOST::GUEST[:rw]` hands a
// WASI program. The host serializes the directory (within a size cap); the
// engine (in the guest or in process) validates it once and seeds its
// mutable tree (fs_tree.h) from it. No file is ever opened on the host on
// the program's behalf; a writable root's changes leave the engine as a
// change set (fs_changes.h) at the end of a successful run.
//
// Layout: FsImageHeader, then entry_count FsEntry records, then the names,
// then the file contents. Entries [0, root_count) are the preopened
// directories (their name is the guest path, e.g. "/data"; kFsWritable in
// their flags when the program may change them); every other entry's parent
// is a directory with a smaller index.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::wasm::wasi {

inline constexpr uint64_t kFsImageMagic = 0x3253464553494c50ull;  // "PLISEFS2"
inline constexpr uint32_t kNoParent = 0xffffffffu;
// FsEntry::flags: a root the program may write (`--dir HOST::GUEST:rw`).
inline constexpr uint32_t kFsWritable = 1;

struct FsImageHeader {
  uint64_t magic;
  uint32_t entry_count;
  uint32_t root_count;
  uint64_t names_offset;
  uint64_t names_size;
  uint64_t data_offset;
  uint64_t data_size;
  // Bounds on the tree while the program runs (file bytes plus names, and
  // files plus directories); beyond them a write or create fails ENOSPC.
  uint64_t max_tree_bytes;
  uint32_t max_tree_entries;
  uint32_t reserved;  // zero
};

enum class FsType : uint32_t { kDirectory = 1, kFile = 2 };

struct FsEntry {
  uint32_t parent;       // kNoParent for roots
  FsType type;
  uint32_t name_offset;  // in the names area
  uint32_t name_len;
  uint64_t data_offset;  // files: in the data area
  uint64_t size;         // files: bytes
  uint64_t mtime_ns;
  uint32_t flags;        // roots: kFsWritable or 0; others 0
  uint32_t reserved;     // zero
};

// A validated view of an image (pointers into the caller's buffer).
class FsImage {
 public:
  // Checks every count, offset, parent link and name; false if anything is
  // out of place (the image is then unusable as a whole).
  bool Init(const uint8_t* data, size_t size);

  uint32_t entry_count() const { return count_; }
  uint32_t root_count() const { return roots_; }
  uint64_t max_tree_bytes() const { return max_bytes_; }
  uint32_t max_tree_entries() const { return max_entries_; }
  bool writable(uint32_t root) const { return (entries_[root].flags & kFsWritable) != 0; }
  const FsEntry& entry(uint32_t i) const { return entries_[i]; }
  const char* name(uint32_t i) const { return names_ + entries_[i].name_offset; }
  const uint8_t* contents(uint32_t i) const { return data_ + entries_[i].data_offset; }

  // The child of directory `dir` named [name, name + len), or kNoParent.
  uint32_t Child(uint32_t dir, const char* name, size_t len) const;

 private:
  const FsEntry* entries_ = nullptr;
  const char* names_ = nullptr;
  const uint8_t* data_ = nullptr;
  uint32_t count_ = 0;
  uint32_t roots_ = 0;
  uint64_t max_bytes_ = 0;
  uint32_t max_entries_ = 0;
};

}  // namespace palisade::wasm::wasi
