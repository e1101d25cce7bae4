#include "cli/fs_image_builder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "wasm/wasi/fs_image_writer.h"

namespace palisade::cli {

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

// Words the shared writer's refusals for `--dir`.
absl::Status AddStatus(wasm::wasi::FsImageAdd r, const FsImageLimits& limits) {
  switch (r) {
    case wasm::wasi::FsImageAdd::kOk:
      return absl::OkStatus();
    case wasm::wasi::FsImageAdd::kTooManyEntries:
      return absl::ResourceExhaustedError(
          absl::StrCat("--dir: more than ", limits.max_entries, " files and directories"));
    case wasm::wasi::FsImageAdd::kTooManyBytes:
      return absl::ResourceExhaustedError(absl::StrCat("--dir: contents exceed ", limits.max_bytes >> 20, " MiB"));
    case wasm::wasi::FsImageAdd::kOutOfMemory:
      break;
  }
  return absl::ResourceExhaustedError("--dir: out of memory building the image");
}

class Builder {
 public:
  Builder(const FsImageLimits& limits, std::vector<std::string>* skipped)
      : limits_(limits), skipped_(skipped), writer_(limits.max_bytes, limits.max_entries) {}

  absl::StatusOr<UniqueFd> AddRoot(const Preopen& p) {
    // HOST itself is the user's own choice of path; below it nothing is
    // followed.
    UniqueFd fd(open(p.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return absl::InvalidArgumentError(absl::StrCat("--dir ", p.host, ": not a directory"));
    RETURN_IF_ERROR(AddStatus(writer_.AddRoot(p.guest.data(), p.guest.size(), p.writable, nullptr), limits_));
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
        uint32_t index = 0;
        RETURN_IF_ERROR(AddStatus(writer_.AddDirectory(dir, name.data(), name.size(), MtimeNs(st), &index), limits_));
        RETURN_IF_ERROR(AddTree(index, fd.get(), path));
      } else if (S_ISREG(st.st_mode)) {
        RETURN_IF_ERROR(AddFile(dir, dirfd, name, path));
      } else {
        Skip(path);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<uint8_t>> Finish() const {
    wasm::Vec<uint8_t> image;
    if (!writer_.Finish(limits_.max_tree_bytes, limits_.max_tree_entries, &image)) {
      return AddStatus(wasm::wasi::FsImageAdd::kOutOfMemory, limits_);
    }
    return std::vector<uint8_t>(image.begin(), image.end());
  }

 private:
  absl::Status AddFile(uint32_t dir, int dirfd, const std::string& name, const std::string& path) {
    UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      Skip(path);  // swapped for a link or something else since the listing
      return absl::OkStatus();
    }
    const size_t size = static_cast<size_t>(st.st_size);
    uint8_t* contents = nullptr;
    RETURN_IF_ERROR(AddStatus(writer_.AddFile(dir, name.data(), name.size(), size, MtimeNs(st), &contents), limits_));
    size_t got = 0;
    while (got < size) {
      ssize_t n = read(fd.get(), contents + got, size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, absl::StrCat("--dir: cannot read ", path));
      if (n == 0) break;  // shrank meanwhile: the image keeps what was there
      got += static_cast<size_t>(n);
    }
    writer_.ShrinkLastFile(got);
    return absl::OkStatus();
  }

  void Skip(const std::string& path) {
    if (skipped_ != nullptr) skipped_->push_back(path);
  }

  FsImageLimits limits_;
  std::vector<std::string>* skipped_;
  wasm::wasi::FsImageWriter writer_;
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
  return b.Finish();
}

absl::StatusOr<std::vector<Preopen>> ParsePreopens(const std::vector<std::string>& dirs) {
  std::vector<Preopen> preopens;
  for (const std::string& d : dirs) {
    auto p = ParsePreopen(d);
    if (!p.ok()) return p.status();
    preopens.push_back(*p);
  }
  return preopens;
}

absl::StatusOr<std::vector<uint8_t>> BuildPreopens(const std::vector<Preopen>& preopens,
                                                   const FsImageLimits& limits) {
  if (preopens.empty()) return std::vector<uint8_t>();
  std::vector<std::string> skipped;
  auto image = BuildFsImage(preopens, limits, &skipped);
  for (const std::string& path : skipped) {
    std::cerr << "palisade run: --dir: left out " << path << " (not a regular file or directory)\n";
  }
  return image;
}

bool AnyWritable(const std::vector<Preopen>& preopens) {
  for (const Preopen& p : preopens) {
    if (p.writable) return true;
  }
  return false;
}

}  // namespace palisade::cli
