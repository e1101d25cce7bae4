#include "cli/fs_image_builder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/unique_fd.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::cli {

using wasm::wasi::FsEntry;
using wasm::wasi::FsType;

namespace {

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

uint64_t MtimeNs(const struct stat& st) {
  const int64_t ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return ns > 0 ? static_cast<uint64_t>(ns) : 0;
}

// The names in the directory open as `dirfd`, sorted (the image is the same
// for the same tree).
absl::StatusOr<std::vector<std::string>> ListNames(int dirfd, const std::string& shown) {
  UniqueFd copy(fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) return ErrnoError(errno, absl::StrCat("--dir: cannot list ", shown));
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(copy.get()));
  if (dir == nullptr) return ErrnoError(errno, absl::StrCat("--dir: cannot list ", shown));
  copy.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (struct dirent* d = readdir(dir.get())) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) names.push_back(d->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Builder {
 public:
  Builder(const FsImageLimits& limits, std::vector<std::string>* skipped)
      : limits_(limits), skipped_(skipped) {}

  absl::StatusOr<UniqueFd> AddRoot(const Preopen& p) {
    // HOST itself is the user's own choice of path; below it nothing is
    // followed.
    UniqueFd fd(open(p.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return absl::InvalidArgumentError(absl::StrCat("--dir ", p.host, ": not a directory"));
    auto index = Add(wasm::wasi::kNoParent, p.guest, FsType::kDirectory, 0, 0);
    if (!index.ok()) return index.status();
    entries_[*index].flags = p.writable ? wasm::wasi::kFsWritable : 0;
    return fd;
  }

  // Adds the contents of directory `dir` (open as `dirfd`), depth first (a
  // child always follows its parent).
  absl::Status AddTree(uint32_t dir, int dirfd, const std::string& shown) {
    auto names = ListNames(dirfd, shown);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      const std::string path = absl::StrCat(shown, "/", name);
      struct stat st;
      if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      if (S_ISDIR(st.st_mode)) {
        UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid()) {
          Skip(path);  // replaced by a link (or removed) since the stat
          continue;
        }
        auto index = Add(dir, name, FsType::kDirectory, 0, MtimeNs(st));
        if (!index.ok()) return index.status();
        if (absl::Status s = AddTree(*index, fd.get(), path); !s.ok()) return s;
      } else if (S_ISREG(st.st_mode)) {
        if (absl::Status s = AddFile(dir, dirfd, name, path); !s.ok()) return s;
      } else {
        Skip(path);
      }
    }
    return absl::OkStatus();
  }

  std::vector<uint8_t> Finish(uint32_t roots) const {
    wasm::wasi::FsImageHeader h{};
    h.magic = wasm::wasi::kFsImageMagic;
    h.entry_count = static_cast<uint32_t>(entries_.size());
    h.root_count = roots;
    h.names_offset = sizeof(h) + entries_.size() * sizeof(FsEntry);
    h.names_size = names_.size();
    h.data_offset = h.names_offset + names_.size();
    h.data_size = data_.size();
    h.max_tree_bytes = limits_.max_tree_bytes;
    h.max_tree_entries = limits_.max_tree_entries;
    std::vector<uint8_t> out(sizeof(h) + entries_.size() * sizeof(FsEntry));
    std::memcpy(out.data(), &h, sizeof(h));
    if (!entries_.empty()) std::memcpy(out.data() + sizeof(h), entries_.data(), entries_.size() * sizeof(FsEntry));
    out.insert(out.end(), names_.begin(), names_.end());
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
  }

 private:
  absl::Status AddFile(uint32_t dir, int dirfd, const std::string& name, const std::string& path) {
    UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      Skip(path);  // swapped for a link or something else since the listing
      return absl::OkStatus();
    }
    auto index = Add(dir, name, FsType::kFile, static_cast<uint64_t>(st.st_size), MtimeNs(st));
    if (!index.ok()) return index.status();
    const size_t start = data_.size();
    data_.resize(start + static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < static_cast<size_t>(st.st_size)) {
      ssize_t n = read(fd.get(), data_.data() + start + got, static_cast<size_t>(st.st_size) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, absl::StrCat("--dir: cannot read ", path));
      if (n == 0) break;  // shrank meanwhile: the image keeps what was there
      got += static_cast<size_t>(n);
    }
    data_.resize(start + got);
    entries_[*index].data_offset = start;
    entries_[*index].size = got;
    return absl::OkStatus();
  }

  void Skip(const std::string& path) {
    if (skipped_ != nullptr) skipped_->push_back(path);
  }

  absl::StatusOr<uint32_t> Add(uint32_t parent, const std::string& name, FsType type, uint64_t size,
                               uint64_t mtime) {
    if (entries_.size() >= limits_.max_entries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("--dir: more than ", limits_.max_entries, " files and directories"));
    }
    if (names_.size() + name.size() + data_.size() + size > limits_.max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("--dir: contents exceed ", limits_.max_bytes >> 20, " MiB"));
    }
    FsEntry e{};
    e.parent = parent;
    e.type = type;
    e.name_offset = static_cast<uint32_t>(names_.size());
    e.name_len = static_cast<uint32_t>(name.size());
    e.size = size;
    e.mtime_ns = mtime;
    names_.append(name);
    entries_.push_back(e);
    return static_cast<uint32_t>(entries_.size() - 1);
  }

  FsImageLimits limits_;
  std::vector<std::string>* skipped_;
  std::vector<FsEntry> entries_;
  std::string names_;
  std::string data_;
};

}  // namespace

absl::StatusOr<Preopen> ParsePreopen(const std::string& spec) {
  Preopen p;
  size_t sep = spec.find("::");
  p.host = sep == std::string::npos ? spec : spec.substr(0, sep);
  p.guest = sep == std::string::npos ? spec : spec.substr(sep + 2);
  if (sep != std::string::npos) {
    auto ends_with = [&](const char* suffix) {
      const size_t n = std::strlen(suffix);
      return p.guest.size() > n && p.guest.compare(p.guest.size() - n, n, suffix) == 0;
    };
    if (ends_with(":rw")) {
      p.writable = true;
      p.guest.resize(p.guest.size() - 3);
    } else if (ends_with(":ro")) {
      p.guest.resize(p.guest.size() - 3);
    }
  }
  if (p.host.empty() || p.guest.empty() || p.guest.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad --dir '", spec, "' (use HOST::GUEST or HOST::GUEST:rw)"));
  }
  return p;
}

absl::StatusOr<std::vector<uint8_t>> BuildFsImage(const std::vector<Preopen>& preopens,
                                                  const FsImageLimits& limits,
                                                  std::vector<std::string>* skipped) {
  Builder b(limits, skipped);
  // Roots first (they are fds 3, 4, ... in order), then each tree.
  std::vector<UniqueFd> roots;
  for (const Preopen& p : preopens) {
    auto fd = b.AddRoot(p);
    if (!fd.ok()) return fd.status();
    roots.push_back(std::move(*fd));
  }
  for (uint32_t i = 0; i < preopens.size(); ++i) {
    if (absl::Status s = b.AddTree(i, roots[i].get(), preopens[i].host); !s.ok()) return s;
  }
  return b.Finish(static_cast<uint32_t>(preopens.size()));
}

}  // namespace palisade::cli
