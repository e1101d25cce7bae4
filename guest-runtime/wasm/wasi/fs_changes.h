// What a run did to its writable preopened directories, handed from the
// engine (in the guest or in process) to the host at the end of a run that
// succeeded: the host applies it under each `--dir HOST::GUEST:rw`
// directory (cli/fs_commit.h). Only what changed is in it.
//
// Layout: FsChangesHeader, then record_count FsChange records, then the
// paths, then the file contents. Records are in the order they must be
// applied: deletions (deepest first), then directories to create (parents
// first), then files to write. A path is relative to its root, components
// separated by one '/', none empty, "." or "..", none containing NUL.
// The host validates all of it again: it is untrusted input.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"

namespace palisade::wasm::wasi {

class FsTree;

inline constexpr uint64_t kFsChangesMagic = 0x31474843534c5050ull;  // "PPLSCHG1"

struct FsChangesHeader {
  uint64_t magic;
  uint32_t record_count;
  uint32_t reserved;  // zero
  uint64_t paths_offset;
  uint64_t paths_size;
  uint64_t data_offset;
  uint64_t data_size;
};

enum class FsChangeKind : uint32_t { kDelete = 1, kMakeDirectory = 2, kWriteFile = 3 };

struct FsChange {
  uint32_t root;  // index of the preopened directory (image root)
  FsChangeKind kind;
  uint64_t path_offset;  // in the paths area
  uint64_t path_size;
  uint64_t data_offset;  // files: in the data area
  uint64_t size;         // files: bytes
  uint64_t mtime_ns;     // files; 0 when the engine had no clock (the host then stamps its own time)
};

// A validated view of a change set (pointers into the caller's buffer).
class FsChanges {
 public:
  // Checks the header, every record's bounds, kind and path, and the
  // order of kinds; false if anything is out of place.
  bool Init(const uint8_t* data, size_t size);
  uint32_t count() const { return count_; }
  const FsChange& change(uint32_t i) const { return changes_[i]; }
  const char* path(uint32_t i) const { return paths_ + changes_[i].path_offset; }
  const uint8_t* contents(uint32_t i) const { return data_ + changes_[i].data_offset; }

 private:
  const FsChange* changes_ = nullptr;
  const char* paths_ = nullptr;
  const uint8_t* data_ = nullptr;
  uint32_t count_ = 0;
};

// True when [p, p + n) is a relative path of one or more components, none
// empty, ".", ".." or containing NUL.
bool IsCleanRelativePath(const char* p, uint64_t n);

// Serializes what changed in `tree`'s writable roots since it was seeded.
// False when out of memory.
[[nodiscard]] bool ExportFsChanges(const FsTree& tree, Vec<uint8_t>* out);

}  // namespace palisade::wasm::wasi
