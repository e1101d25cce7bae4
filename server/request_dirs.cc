#include "server/request_dirs.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_image_writer.h"

namespace palisade::server {
namespace {

using wasm::wasi::FsImageAdd;

constexpr size_t kMaxGuestPath = 4096;

absl::Status AddStatus(FsImageAdd r, const DirLimits& limits) {
  switch (r) {
    case FsImageAdd::kOk:
      return absl::OkStatus();
    case FsImageAdd::kTooManyEntries:
      return absl::ResourceExhaustedError(
          absl::StrCat("dirs: more than ", limits.max_entries, " files and directories"));
    case FsImageAdd::kTooManyBytes:
      return absl::ResourceExhaustedError(
          absl::StrCat("dirs: contents and names exceed ", limits.max_bytes, " bytes"));
    case FsImageAdd::kOutOfMemory:
      break;
  }
  return absl::ResourceExhaustedError("dirs: out of memory building the directories' image");
}

// Adds one directory's files below its root, parents before children.
class TreeAdder {
 public:
  TreeAdder(wasm::wasi::FsImageWriter& writer, const DirLimits& limits, const v1::Directory& dir, uint32_t root)
      : writer_(writer), limits_(limits), dir_(dir) {
    nodes_[""] = {root, true};
  }

  absl::Status Run() {
    // Sorted, a path follows every one of its prefixes, so an explicit
    // directory is seen before anything under it.
    std::vector<const v1::File*> files;
    files.reserve(dir_.files_size());
    for (const v1::File& f : dir_.files()) files.push_back(&f);
    std::sort(files.begin(), files.end(), [](const v1::File* a, const v1::File* b) { return a->path() < b->path(); });
    for (const v1::File* f : files) RETURN_IF_ERROR(Add(*f));
    return absl::OkStatus();
  }

 private:
  struct Node {
    uint32_t index;
    bool directory;
  };

  absl::Status Bad(const std::string& path, const char* why) const {
    return absl::InvalidArgumentError(absl::StrCat("dirs: '", absl::CHexEscape(dir_.guest_path()), "': file '",
                                                   absl::CHexEscape(path), "': ", why));
  }

  absl::Status Add(const v1::File& f) {
    const std::string& path = f.path();
    if (!path.empty() && path[0] == '/') return Bad(path, "an absolute path (paths are relative to the directory)");
    if (!wasm::wasi::IsCleanRelativePath(path.data(), path.size())) {
      return Bad(path, "not a clean relative path (an empty, \".\" or \"..\" component, or a NUL)");
    }
    if (nodes_.count(path) != 0) return Bad(path, "listed twice");
    if (f.mtime_ns() < 0) return Bad(path, "a negative mtime_ns");
    if (f.directory() && !f.contents().empty()) return Bad(path, "a directory with contents");
    const size_t slash = path.rfind('/');
    ASSIGN_OR_RETURN(const uint32_t parent, Parent(path, slash == std::string::npos ? 0 : slash));
    const std::string_view leaf = slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1);
    const uint64_t mtime = static_cast<uint64_t>(f.mtime_ns());
    uint32_t index = 0;
    if (f.directory()) {
      RETURN_IF_ERROR(AddStatus(writer_.AddDirectory(parent, leaf.data(), leaf.size(), mtime, &index), limits_));
    } else {
      uint8_t* contents = nullptr;
      RETURN_IF_ERROR(AddStatus(writer_.AddFile(parent, leaf.data(), leaf.size(), f.contents().size(), mtime, &contents),
                                limits_));
      std::copy(f.contents().begin(), f.contents().end(), contents);
      index = writer_.entries() - 1;
    }
    nodes_[path] = {index, f.directory()};
    return absl::OkStatus();
  }

  // The directory [0, end) of `path`, made (with its own parents) when only
  // implied.
  absl::StatusOr<uint32_t> Parent(const std::string& path, size_t end) {
    const std::string dir = path.substr(0, end);
    if (auto it = nodes_.find(dir); it != nodes_.end()) {
      if (!it->second.directory) return Bad(path, absl::StrCat("lies under '", dir, "', a file").c_str());
      return it->second.index;
    }
    const size_t slash = dir.rfind('/');
    ASSIGN_OR_RETURN(const uint32_t parent, Parent(dir, slash == std::string::npos ? 0 : slash));
    const std::string_view leaf = slash == std::string::npos ? std::string_view(dir) : std::string_view(dir).substr(slash + 1);
    uint32_t index = 0;
    RETURN_IF_ERROR(AddStatus(writer_.AddDirectory(parent, leaf.data(), leaf.size(), 0, &index), limits_));
    nodes_[dir] = {index, true};
    return index;
  }

  wasm::wasi::FsImageWriter& writer_;
  const DirLimits& limits_;
  const v1::Directory& dir_;
  std::map<std::string, Node> nodes_;  // by path; "" is the root
};

}  // namespace

bool AnyWritable(const Directories& dirs) {
  return std::any_of(dirs.begin(), dirs.end(), [](const v1::Directory& d) { return d.writable(); });
}

absl::StatusOr<std::vector<uint8_t>> BuildRequestImage(const Directories& dirs, const DirLimits& limits) {
  if (dirs.empty()) return std::vector<uint8_t>();
  wasm::wasi::FsImageWriter writer(limits.max_bytes, limits.max_entries);
  std::set<std::string> seen;
  // Roots first: they are the program's fds 3, 4, ... in request order.
  for (const v1::Directory& d : dirs) {
    const std::string& g = d.guest_path();
    if (g.empty() || g.size() > kMaxGuestPath || g.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("dirs: guest_path '", absl::CHexEscape(g),
                                                     "' must be 1 to 4096 bytes without NUL"));
    }
    if (!seen.insert(g).second) {
      return absl::InvalidArgumentError(absl::StrCat("dirs: guest_path '", absl::CHexEscape(g), "' given twice"));
    }
    RETURN_IF_ERROR(AddStatus(writer.AddRoot(g.data(), g.size(), d.writable(), nullptr), limits));
  }
  for (int i = 0; i < dirs.size(); ++i) RETURN_IF_ERROR(TreeAdder(writer, limits, dirs[i], i).Run());
  wasm::Vec<uint8_t> image;
  if (!writer.Finish(limits.max_tree_bytes, limits.max_tree_entries, &image)) {
    return AddStatus(FsImageAdd::kOutOfMemory, limits);
  }
  return std::vector<uint8_t>(image.begin(), image.end());
}

}  // namespace palisade::server
