#include "server/run_changes.h"

#include <algorithm>

#include "wasm/wasi/fs_changes.h"

namespace palisade::server {

using wasm::wasi::FsChangeKind;

absl::StatusOr<ReturnedChanges> ChangesFromGuest(const std::vector<uint8_t>& set, const Directories& dirs,
                                                 uint64_t max_bytes) {
  ReturnedChanges out;
  if (set.empty()) return out;
  wasm::wasi::FsChanges changes;
  if (!changes.Init(set.data(), set.size())) {
    return absl::InternalError("the guest handed over a malformed change set; no changes are returned");
  }
  for (uint32_t i = 0; i < changes.count(); ++i) {
    const wasm::wasi::FsChange& c = changes.change(i);
    if (c.root >= static_cast<uint32_t>(dirs.size()) || !dirs[static_cast<int>(c.root)].writable()) {
      return absl::InternalError("the guest's change set names a directory that is not writable; no changes are returned");
    }
    if (c.kind == FsChangeKind::kWriteFile) out.bytes += c.size;
  }
  if (out.bytes > max_bytes) {
    out.too_large = true;
    return out;
  }
  out.changes.reserve(changes.count());
  for (uint32_t i = 0; i < changes.count(); ++i) {
    const wasm::wasi::FsChange& c = changes.change(i);
    v1::FileChange& f = out.changes.emplace_back();
    f.set_guest_path(dirs[static_cast<int>(c.root)].guest_path());
    f.set_path(changes.path(i), c.path_size);
    switch (c.kind) {
      case FsChangeKind::kDelete:
        f.set_kind(v1::FileChange::DELETED);
        break;
      case FsChangeKind::kMakeDirectory:
        f.set_kind(v1::FileChange::DIRECTORY_CREATED);
        break;
      case FsChangeKind::kWriteFile:
        f.set_kind(v1::FileChange::WRITTEN);
        f.set_contents(changes.contents(i), c.size);
        f.set_mtime_ns(static_cast<int64_t>(std::min<uint64_t>(c.mtime_ns, INT64_MAX)));
        f.set_size(c.size);
        break;
    }
  }
  return out;
}

void ForEachPiece(const v1::FileChange& change, size_t piece, const std::function<void(v1::FileChange)>& fn) {
  const std::string& all = change.contents();
  size_t at = 0;
  do {
    v1::FileChange part;
    part.set_guest_path(change.guest_path());
    part.set_path(change.path());
    part.set_kind(change.kind());
    part.set_mtime_ns(change.mtime_ns());
    part.set_size(change.size());
    part.set_offset(at);
    const size_t n = std::min(piece, all.size() - at);
    part.set_contents(all.substr(at, n));
    at += n;
    fn(std::move(part));
  } while (at < all.size());
}

}  // namespace palisade::server
