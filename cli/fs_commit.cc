#include "cli/fs_commit.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/unique_fd.h"
#include "wasm/wasi/fs_changes.h"

namespace palisade::cli {

namespace {

using wasm::wasi::FsChange;
using wasm::wasi::FsChangeKind;
using wasm::wasi::FsChanges;

std::atomic<bool> g_component_walk{false};

// Why an entry failed, in the user's words.
std::string Reason(int err) {
  switch (err) {
    case ELOOP:
      return "a symbolic link is in the way (refused, not followed)";
    case EXDEV:
      return "the path leads outside the directory (refused)";
    case ENOTDIR:
      return "a part of the path is not a directory on the host";
    default:
      return std::strerror(err);
  }
}

// Opens directory `rel` ("" for the root itself) beneath `root`, following
// no link. -1 with errno set on failure.
int OpenDirBeneath(int root, std::string_view rel) {
  if (rel.empty()) return fcntl(root, F_DUPFD_CLOEXEC, 0);
  const std::string path(rel);
  if (!g_component_walk.load()) {
    struct open_how how {};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;  // RESOLVE_NO_SYMLINKS covers the last part too
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  }
  // No openat2: one component at a time, none of them a link (the change
  // set's paths have no "." or ".." components, so this stays beneath).
  UniqueFd cur(fcntl(root, F_DUPFD_CLOEXEC, 0));
  size_t start = 0;
  while (cur.valid() && start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(start, end - start);
    const int next = openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      // O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR; say what it is.
      const int err = errno;
      struct stat st;
      const bool link = fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      errno = link ? ELOOP : err;
    }
    cur.reset(next);
    start = end + 1;
  }
  return cur.release();
}

class Committer {
 public:
  explicit Committer(const Preopen& preopen) : preopen_(preopen) {}

  // "" or the reason the entry was not applied.
  std::string Apply(const FsChangeRef& c) {
    const std::string_view path = c.path;
    const size_t slash = path.rfind('/');
    const std::string_view parent = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
    const std::string leaf(slash == std::string_view::npos ? path : path.substr(slash + 1));
    if (!root_.valid()) {
      root_.reset(open(preopen_.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!root_.valid()) return absl::StrCat("cannot open the directory: ", std::strerror(errno));
    }
    UniqueFd dir(OpenDirBeneath(root_.get(), parent));
    if (!dir.valid()) return Reason(errno);
    switch (c.kind) {
      case FsChangeKind::kDelete:
        return Delete(dir.get(), leaf);
      case FsChangeKind::kMakeDirectory:
        return MakeDirectory(dir.get(), leaf);
      case FsChangeKind::kWriteFile:
        return WriteFile(dir.get(), leaf, reinterpret_cast<const uint8_t*>(c.contents.data()), c.contents.size(),
                         c.mtime_ns);
    }
    return "unknown change";
  }

 private:
  static std::string Delete(int dir, const std::string& leaf) {
    struct stat st;
    if (fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno == ENOENT ? "" : Reason(errno);  // already gone: nothing to do
    }
    if (S_ISLNK(st.st_mode)) return Reason(ELOOP);
    if (unlinkat(dir, leaf.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) return Reason(errno);
    return "";
  }

  static std::string MakeDirectory(int dir, const std::string& leaf) {
    if (mkdirat(dir, leaf.c_str(), 0777) == 0) return "";
    const int err = errno;
    struct stat st;
    if (err == EEXIST && fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) return "";
      return S_ISLNK(st.st_mode) ? Reason(ELOOP) : "exists on the host and is not a directory";
    }
    return Reason(err);
  }

  std::string WriteFile(int dir, const std::string& leaf, const uint8_t* data, uint64_t size, uint64_t mtime_ns) {
    struct stat target;
    int mode = -1;  // a new file: 0666 less the umask, as open(2) gives
    if (fstatat(dir, leaf.c_str(), &target, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(target.st_mode)) return Reason(ELOOP);
      if (!S_ISREG(target.st_mode)) return "exists on the host and is not a regular file";
      mode = static_cast<int>(target.st_mode & 07777);  // a replaced file keeps its permissions
    }
    const std::string tmp = absl::StrCat(".palisade-", getpid(), "-", ++temp_count_, ".tmp");
    UniqueFd fd(openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (!fd.valid()) return absl::StrCat("cannot create a temporary file: ", std::strerror(errno));
    std::string error = Fill(fd.get(), data, size, mtime_ns, mode);
    // renameat replaces whatever is at `leaf` now, a link included, and
    // never follows it.
    if (error.empty() && renameat(dir, tmp.c_str(), dir, leaf.c_str()) != 0) error = Reason(errno);
    if (!error.empty()) {
      unlinkat(dir, tmp.c_str(), 0);
      return error;
    }
    fsync(dir);
    return "";
  }

  static std::string Fill(int fd, const uint8_t* data, uint64_t size, uint64_t mtime_ns, int mode) {
    uint64_t done = 0;
    while (done < size) {
      const ssize_t n = write(fd, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::StrCat("cannot write: ", std::strerror(errno));
      done += static_cast<uint64_t>(n);
    }
    const struct timespec times[2] = {
        {static_cast<time_t>(mtime_ns / 1'000'000'000), static_cast<long>(mtime_ns % 1'000'000'000)},
        {static_cast<time_t>(mtime_ns / 1'000'000'000), static_cast<long>(mtime_ns % 1'000'000'000)}};
    // 0: the engine had no clock (a deterministic policy denies it); the
    // file keeps the time it is written at rather than claiming 1970.
    if ((mode >= 0 && fchmod(fd, static_cast<mode_t>(mode)) != 0) || (mtime_ns != 0 && futimens(fd, times) != 0) ||
        fsync(fd) != 0) {
      return absl::StrCat("cannot finish the file: ", std::strerror(errno));
    }
    return "";
  }

  const Preopen& preopen_;
  UniqueFd root_;
  uint64_t temp_count_ = 0;
};

}  // namespace

void ForceComponentWalkForTesting(bool on) { g_component_walk.store(on); }

absl::Status ApplyFsChanges(const std::vector<uint8_t>& changes, const std::vector<Preopen>& preopens) {
  if (changes.empty()) return absl::OkStatus();
  FsChanges set;
  if (!set.Init(changes.data(), changes.size())) {
    return absl::InvalidArgumentError("--dir: the run's change set is malformed; nothing was applied");
  }
  std::vector<FsChangeRef> list;
  list.reserve(set.count());
  for (uint32_t i = 0; i < set.count(); ++i) {
    const FsChange& c = set.change(i);
    list.push_back({c.root, c.kind, std::string_view(set.path(i), c.path_size),
                    std::string_view(reinterpret_cast<const char*>(set.contents(i)), c.size), c.mtime_ns});
  }
  return ApplyFsChangeList(list, preopens);
}

absl::Status ApplyFsChangeList(const std::vector<FsChangeRef>& changes, const std::vector<Preopen>& preopens) {
  FsChangeKind last = FsChangeKind::kDelete;
  for (const FsChangeRef& c : changes) {
    if (c.root >= preopens.size() || !preopens[c.root].writable) {
      return absl::InvalidArgumentError(
          "--dir: the run's change set names a directory that is not writable; nothing was applied");
    }
    // Checked here too: a list from a server has not been through FsChanges::Init.
    if (c.kind < last || c.kind > FsChangeKind::kWriteFile ||
        !wasm::wasi::IsCleanRelativePath(c.path.data(), c.path.size()) ||
        (c.kind != FsChangeKind::kWriteFile && !c.contents.empty())) {
      return absl::InvalidArgumentError("--dir: the run's change set is malformed; nothing was applied");
    }
    last = c.kind;
  }
  std::vector<Committer> committers;
  committers.reserve(preopens.size());
  for (const Preopen& p : preopens) committers.emplace_back(p);
  std::vector<std::string> failures;
  for (const FsChangeRef& c : changes) {
    std::string why = committers[c.root].Apply(c);
    if (!why.empty()) failures.push_back(absl::StrCat(preopens[c.root].host, "/", absl::string_view(c.path.data(), c.path.size()), ": ", why));
  }
  if (failures.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("--dir: ", failures.size(), " of ", changes.size(),
                                                    " changes not applied:\n  ", absl::StrJoin(failures, "\n  ")));
}

}  // namespace palisade::cli
