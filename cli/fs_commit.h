// Applies a run's change set (wasm/wasi/fs_changes.h) to the host
// directories of `--dir HOST::GUEST:rw`, after a run that succeeded.
//
// The change set is untrusted: it is validated whole first (bounds, kinds,
// order, every path relative with no empty, "." or ".." component and no
// NUL), and refused whole if it names a root that is not writable. Each
// entry is then applied beneath its directory, every path opened with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
// (or, where the kernel lacks openat2, one O_NOFOLLOW component at a time):
// a symbolic link planted anywhere on the way, or in place of the entry,
// fails that entry with a clear error and nothing outside the directory is
// read or written. A file is written to a temporary file in its target
// directory, fsync'd and renamed over the target, so each file changes
// atomically. Entries that fail do not stop the others; the status lists
// them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cli/fs_image_builder.h"
#include "wasm/wasi/fs_changes.h"

namespace palisade::cli {

// `preopens` are the --dir options in the order the image was built from
// (a change's root index is its position here).
absl::Status ApplyFsChanges(const std::vector<uint8_t>& changes, const std::vector<Preopen>& preopens);

// One change wherever it came from: a change set's record, or a palisaded's
// FileChange (`palisade --server ... run --dir`). Views into the caller's
// buffers.
struct FsChangeRef {
  uint32_t root = 0;  // index into `preopens`
  wasm::wasi::FsChangeKind kind = wasm::wasi::FsChangeKind::kDelete;
  std::string_view path;
  std::string_view contents;  // kWriteFile
  uint64_t mtime_ns = 0;
};

// The same checks as ApplyFsChanges (every path clean, every root writable,
// kinds in the order deletions, directories, files; else nothing is
// applied), then the same commit.
absl::Status ApplyFsChangeList(const std::vector<FsChangeRef>& changes, const std::vector<Preopen>& preopens);

// Tests: walk paths one O_NOFOLLOW component at a time, as on kernels
// without openat2.
void ForceComponentWalkForTesting(bool on);

}  // namespace palisade::cli
