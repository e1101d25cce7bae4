// One WASI program's view of the world: its arguments, environment and
// standard streams, and the system that carries out its I/O.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"
#include "wasm/wasi/fs_image.h"
#include "wasm/wasi/fs_tree.h"
#include "wasm/wasi/wasi_system.h"

namespace palisade::wasm::wasi {

// Which implemented WASI functions a program may call (bit i: the function
// at WasiFunctionAt(i)), and what a denied import does.
struct WasiPolicy {
  uint64_t denied = 0;
  bool refuse_module = false;  // a denied import is a link error, not a failing call
};

class WasiContext {
 public:
  explicit WasiContext(WasiSystem* system) : system_(system) {}

  // Adds one argument / one "KEY=VALUE" environment entry. False when out
  // of memory.
  [[nodiscard]] bool AddArg(const char* s, size_t len) { return Add(&args_, &arg_ends_, s, len); }
  [[nodiscard]] bool AddEnv(const char* s, size_t len) { return Add(&env_, &env_ends_, s, len); }

  WasiSystem* system() const { return system_; }
  void SetPolicy(const WasiPolicy& policy) { policy_ = policy; }
  const WasiPolicy& policy() const { return policy_; }
  // True the first time denied function `index` is called.
  bool FirstDenial(uint32_t index) {
    const uint64_t bit = uint64_t{1} << index;
    const bool first = (denials_seen_ & bit) == 0;
    denials_seen_ |= bit;
    return first;
  }
  // Strings are stored back to back, each NUL-terminated; ends[i] is one
  // past string i's NUL.
  const Vec<char>& args() const { return args_; }
  const Vec<uint32_t>& arg_ends() const { return arg_ends_; }
  const Vec<char>& env() const { return env_; }
  const Vec<uint32_t>& env_ends() const { return env_ends_; }

  // Standard streams 0-2 exist until closed.
  bool IsOpen(uint32_t fd) const { return fd < 3 && !closed_[fd]; }
  void Close(uint32_t fd) {
    if (fd < 3) {
      closed_[fd] = true;
    } else if (OpenFile* f = File(fd)) {
      f->open = false;
      tree_.Close(f->entry);
    }
  }

  // Files from an FsImage (`--dir`), in a tree the program may change where
  // a root is writable: the roots are preopened as fds 3, 4, ...;
  // path_open adds more. `fs` must outlive the context.
  struct OpenFile {
    uint32_t entry = 0;   // node in the tree
    uint64_t pos = 0;     // files: read/write position
    bool open = false;
    bool write = false;   // opened with the fd_write right (writable roots only)
    bool append = false;  // every write goes to the end
  };
  static constexpr uint32_t kMaxFiles = 1024;
  [[nodiscard]] bool SetFs(const FsImage* fs) {
    files_.clear();
    has_fs_ = false;
    if (!tree_.Init(fs)) return false;
    has_fs_ = true;
    for (uint32_t i = 0; i < fs->root_count(); ++i) {
      uint32_t fd;
      if (!OpenEntry(i, &fd)) return false;
    }
    return true;
  }
  // The tree, or nullptr without --dir.
  FsTree* tree() { return has_fs_ ? &tree_ : nullptr; }
  const FsTree* tree() const { return has_fs_ ? &tree_ : nullptr; }
  // The open file or directory behind fd, or nullptr.
  OpenFile* File(uint32_t fd) {
    if (fd < 3 || fd - 3 >= files_.size() || !files_[fd - 3].open) return nullptr;
    return &files_[fd - 3];
  }
  bool IsPreopen(uint32_t fd) const { return has_fs_ && fd >= 3 && fd - 3 < tree_.root_count(); }
  // Opens tree node `entry` on the lowest free fd; false when out of fds.
  [[nodiscard]] bool OpenEntry(uint32_t entry, uint32_t* fd, bool write = false, bool append = false) {
    uint32_t i = 0;
    while (i < files_.size() && files_[i].open) ++i;
    if (i == files_.size()) {
      if (files_.size() >= kMaxFiles || !files_.push_back(OpenFile())) return false;
    }
    files_[i] = OpenFile{entry, 0, true, write, append};
    tree_.Open(entry);
    *fd = i + 3;
    return true;
  }

 private:
  static bool Add(Vec<char>* blob, Vec<uint32_t>* ends, const char* s, size_t len) {
    if (!blob->append(s, len) || !blob->push_back('\0')) return false;
    return ends->push_back(static_cast<uint32_t>(blob->size()));
  }

  WasiSystem* system_;
  WasiPolicy policy_;
  uint64_t denials_seen_ = 0;
  Vec<char> args_;
  Vec<uint32_t> arg_ends_;
  Vec<char> env_;
  Vec<uint32_t> env_ends_;
  bool closed_[3] = {false, false, false};
  bool has_fs_ = false;
  FsTree tree_;
  Vec<OpenFile> files_;
};

}  // namespace palisade::wasm::wasi
