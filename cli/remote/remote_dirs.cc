#include "cli/remote/remote_dirs.h"

#include <string>

#include "cli/fs_commit.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::cli {

using wasm::wasi::FsChangeKind;

absl::Status DirectoriesFromImage(const std::vector<uint8_t>& image,
                                  google::protobuf::RepeatedPtrField<v1::Directory>* out) {
  if (image.empty()) return absl::OkStatus();
  wasm::wasi::FsImage view;
  if (!view.Init(image.data(), image.size())) return absl::InternalError("--dir: the directories' image is malformed");
  std::vector<std::string> paths(view.entry_count());  // relative to the entry's root
  std::vector<uint32_t> root_of(view.entry_count());
  for (uint32_t i = 0; i < view.entry_count(); ++i) {
    const wasm::wasi::FsEntry& e = view.entry(i);
    const std::string name(view.name(i), e.name_len);
    if (i < view.root_count()) {
      v1::Directory* d = out->Add();
      d->set_guest_path(name);
      d->set_writable(view.writable(i));
      root_of[i] = i;
      continue;
    }
    root_of[i] = root_of[e.parent];
    paths[i] = paths[e.parent].empty() ? name : paths[e.parent] + "/" + name;
    v1::File* f = (*out)[static_cast<int>(root_of[i])].add_files();
    f->set_path(paths[i]);
    f->set_mtime_ns(static_cast<int64_t>(e.mtime_ns));
    if (e.type == wasm::wasi::FsType::kDirectory) {
      f->set_directory(true);
    } else {
      f->set_contents(reinterpret_cast<const char*>(view.contents(i)), e.size);
    }
  }
  return absl::OkStatus();
}

absl::Status ChangeCollector::Add(v1::FileChange piece) {
  if (piece.offset() == 0) {
    if (piece.kind() == v1::FileChange::WRITTEN && piece.contents().size() > piece.size()) {
      return absl::InternalError("the server sent more of a file than its size");
    }
    changes_.push_back(std::move(piece));
    return absl::OkStatus();
  }
  v1::FileChange* last = changes_.empty() ? nullptr : &changes_.back();
  if (last == nullptr || last->kind() != v1::FileChange::WRITTEN || piece.guest_path() != last->guest_path() ||
      piece.path() != last->path() || piece.offset() != last->contents().size() ||
      piece.size() != last->size() || piece.contents().size() > piece.size() - piece.offset()) {
    return absl::InternalError("the server sent a piece of a changed file out of order");
  }
  last->mutable_contents()->append(piece.contents());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::FileChange>> ChangeCollector::Take() {
  for (const v1::FileChange& c : changes_) {
    if (c.kind() == v1::FileChange::WRITTEN && c.contents().size() != c.size()) {
      return absl::InternalError("the server ended the run before a changed file was whole");
    }
  }
  return std::move(changes_);
}

absl::Status ApplyReturnedChanges(const std::vector<v1::FileChange>& changes, const std::vector<Preopen>& preopens) {
  std::vector<FsChangeRef> list;
  list.reserve(changes.size());
  for (const v1::FileChange& c : changes) {
    FsChangeRef ref;
    ref.root = static_cast<uint32_t>(preopens.size());  // none, unless a --dir has this guest path
    for (uint32_t i = 0; i < preopens.size(); ++i) {
      if (preopens[i].guest == c.guest_path()) ref.root = i;
    }
    switch (c.kind()) {
      case v1::FileChange::DELETED: ref.kind = FsChangeKind::kDelete; break;
      case v1::FileChange::DIRECTORY_CREATED: ref.kind = FsChangeKind::kMakeDirectory; break;
      case v1::FileChange::WRITTEN: ref.kind = FsChangeKind::kWriteFile; break;
      default: return absl::InternalError("the server returned a change of an unknown kind; nothing was applied");
    }
    ref.path = c.path();
    ref.contents = c.contents();
    ref.mtime_ns = c.mtime_ns() > 0 ? static_cast<uint64_t>(c.mtime_ns()) : 0;
    list.push_back(ref);
  }
  return ApplyFsChangeList(list, preopens);
}

}  // namespace palisade::cli
