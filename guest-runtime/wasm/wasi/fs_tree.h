// The files a WASI program sees while it runs: a mutable tree seeded from an
// FsImage. Read-only roots stay as the image has them; writable roots
// (`--dir HOST::GUEST:rw`) take creates, writes, renames and deletions in
// memory only. A file's contents stay in the image until its first change
// (copy on write). The tree is bounded (FsImageHeader::max_tree_bytes and
// max_tree_entries); past a bound a change fails kNospc. At the end of a
// successful run fs_changes_export.cc turns the writable roots into a
// change set for the host.
//
// Nodes are slots in one array; a node's index is its inode number. A file
// unlinked while open lives on, detached, until its last close.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"
#include "wasm/wasi/fs_image.h"
#include "wasm/wasi/wasi_abi.h"

namespace palisade::wasm::wasi {

// A byte buffer owned by the tree (nodes are copied with memcpy, so they
// hold no owning objects; the tree frees these explicitly).
struct FsBuf {
  uint8_t* p = nullptr;
  uint64_t size = 0;
  uint64_t cap = 0;
};

struct FsNode {
  bool used = false;    // the slot holds a node
  bool dirty = false;   // contents or times changed since seeded
  FsType type = FsType::kFile;
  uint32_t parent = kNoParent;  // kNoParent: a root, or a detached node
  uint32_t root = 0;            // the root it was created under
  uint32_t origin = kNoParent;  // the image entry it was seeded from
  uint32_t opens = 0;           // fds on it
  FsBuf name;
  const uint8_t* image_data = nullptr;  // contents still in the image
  FsBuf data;                           // contents once changed
  uint64_t size = 0;
  uint64_t atime_ns = 0;
  uint64_t mtime_ns = 0;
  FsBuf children;  // directories: uint32_t node indices
};

class FsTree {
 public:
  // Path and name bounds, as Linux has them.
  static constexpr uint32_t kMaxPath = 4096;
  static constexpr uint32_t kMaxName = 255;

  // A time nobody has looked at yet. Changes stamp it instead of reading the
  // clock, which in a micro-VM is a hypercall and so an exit per write; a
  // stat resolves it (ResolveTimes), and a change set carries it as 0, which
  // the host applies as the time of the commit.
  static constexpr uint64_t kTimePending = ~uint64_t{0};
  // Sets node n's pending times to `now_ns`.
  void ResolveTimes(uint32_t n, uint64_t now_ns);

  FsTree() = default;
  ~FsTree() { Clear(); }
  FsTree(const FsTree&) = delete;
  FsTree& operator=(const FsTree&) = delete;

  // Seeds from a validated image (which must outlive the tree). False when
  // out of memory or when the image alone exceeds its own bounds.
  [[nodiscard]] bool Init(const FsImage* image);
  void Clear();

  const FsImage* image() const { return image_; }
  uint32_t root_count() const { return roots_; }
  uint32_t slot_count() const { return static_cast<uint32_t>(nodes_.size()); }
  const FsNode& node(uint32_t i) const { return nodes_[i]; }
  bool IsDir(uint32_t i) const { return nodes_[i].type == FsType::kDirectory; }
  bool Writable(uint32_t i) const { return image_->writable(nodes_[i].root); }
  bool AnyWritable() const {
    for (uint32_t r = 0; r < roots_; ++r) {
      if (image_->writable(r)) return true;
    }
    return false;
  }
  bool Attached(uint32_t i) const { return nodes_[i].parent != kNoParent || i < roots_; }
  // Children of directory i (node indices), in creation order.
  const uint32_t* Children(uint32_t i, uint32_t* count) const {
    *count = static_cast<uint32_t>(nodes_[i].children.size / 4);
    return reinterpret_cast<const uint32_t*>(nodes_[i].children.p);
  }
  uint32_t Child(uint32_t dir, const char* name, uint32_t len) const;

  // Resolves [path, path + len) beneath directory `dir`. Absolute paths and
  // ".." above a root are kNotcapable (wasi-libc resolves such paths itself
  // against the preopens before it calls the host); a NUL is kInval; a
  // component past kMaxName or a path past kMaxPath is kNametoolong.
  Errno Resolve(uint32_t dir, const char* path, uint32_t len, uint32_t* out) const;
  // Resolves all but the last component: its directory and the last name
  // (trailing slashes dropped; *trailing_slash says whether there were any).
  // A last name of "." or ".." is kInval: there is no entry to create,
  // remove or rename there.
  Errno ResolveParent(uint32_t dir, const char* path, uint32_t len, uint32_t* parent,
                      const char** name, uint32_t* name_len, bool* trailing_slash) const;

  // Changes. Each checks writability (kRofs), names (kIlseq for invalid
  // UTF-8, kNametoolong) and the bounds (kNospc) first.
  Errno Create(uint32_t dir, const char* name, uint32_t len, FsType type, uint64_t now, uint32_t* out);
  Errno Remove(uint32_t dir, const char* name, uint32_t len, bool directory);
  Errno Rename(uint32_t from_dir, const char* from, uint32_t from_len, uint32_t to_dir, const char* to,
               uint32_t to_len);
  Errno Read(uint32_t n, uint64_t offset, uint8_t* buf, uint32_t len, uint32_t* got) const;
  Errno Write(uint32_t n, uint64_t offset, const uint8_t* buf, uint32_t len, uint64_t now);
  Errno SetSize(uint32_t n, uint64_t size, uint64_t now);
  Errno SetTimes(uint32_t n, uint64_t atime_ns, uint64_t mtime_ns);
  const uint8_t* Contents(uint32_t n) const {
    return nodes_[n].data.p != nullptr ? nodes_[n].data.p : nodes_[n].image_data;
  }

  // An fd refers to node n; the last Close of a detached node frees it.
  void Open(uint32_t n) { ++nodes_[n].opens; }
  void Close(uint32_t n);

  uint64_t bytes_used() const { return bytes_; }
  uint32_t entries_used() const { return entries_; }

 private:
  Errno NewNode(uint32_t* out);
  void FreeNode(uint32_t n);
  bool AddChild(uint32_t dir, uint32_t child);
  void RemoveChild(uint32_t dir, uint32_t child);
  // Takes node n out of its directory; frees it unless an fd still has it.
  void Detach(uint32_t n);
  Errno Materialize(uint32_t n, uint64_t capacity);

  const FsImage* image_ = nullptr;
  uint32_t roots_ = 0;
  Vec<FsNode> nodes_;
  Vec<uint32_t> free_;
  uint64_t bytes_ = 0;    // file sizes plus names
  uint32_t entries_ = 0;  // used slots
  uint64_t max_bytes_ = 0;
  uint32_t max_entries_ = 0;
};

}  // namespace palisade::wasm::wasi
