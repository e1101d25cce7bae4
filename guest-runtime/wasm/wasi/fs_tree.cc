#include "wasm/wasi/fs_tree.h"

#include "wasm/support/alloc.h"

namespace palisade::wasm::wasi {

namespace {

bool Reserve(FsBuf* b, uint64_t n) {
  if (n <= b->cap) return true;
  uint64_t want = b->cap < 64 ? 64 : b->cap;
  while (want < n) want = want > UINT64_MAX / 2 ? n : want * 2;
  // Doubling may ask for more than there is; the exact size may still fit.
  void* p = want <= SIZE_MAX ? EngineRealloc(b->p, b->cap, static_cast<size_t>(want)) : nullptr;
  if (p == nullptr) {
    want = n;
    p = n <= SIZE_MAX ? EngineRealloc(b->p, b->cap, static_cast<size_t>(n)) : nullptr;
  }
  if (p == nullptr) return false;
  b->p = static_cast<uint8_t*>(p);
  b->cap = want;
  return true;
}

void Release(FsBuf* b) {
  EngineFree(b->p);
  *b = FsBuf();
}

bool SetBytes(FsBuf* b, const void* p, uint64_t n) {
  if (!Reserve(b, n)) return false;
  if (n > 0) __builtin_memcpy(b->p, p, n);
  b->size = n;
  return true;
}

bool IsDots(const char* name, uint32_t n) {
  return (n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.');
}

// Names the program creates must be UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF): they end up as host file names, and other
// WASI hosts (and the change set's readers) take them as strings.
bool ValidUtf8(const char* s, uint32_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(s);
  uint32_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    uint32_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    for (uint32_t k = 1; k <= extra; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

Errno CheckName(const char* name, uint32_t n) {
  if (n > FsTree::kMaxName) return kNametoolong;
  for (uint32_t k = 0; k < n; ++k) {
    if (name[k] == '\0' || name[k] == '/') return kInval;
  }
  if (!ValidUtf8(name, n)) return kIlseq;
  return kSuccess;
}

}  // namespace

bool FsTree::Init(const FsImage* image) {
  Clear();
  image_ = image;
  roots_ = image->root_count();
  max_bytes_ = image->max_tree_bytes();
  max_entries_ = image->max_tree_entries();
  if (!nodes_.resize(image->entry_count())) return false;
  for (uint32_t i = 0; i < image->entry_count(); ++i) {
    const FsEntry& e = image->entry(i);
    FsNode& n = nodes_[i];
    n.used = true;
    n.type = e.type;
    n.parent = e.parent;
    n.root = e.parent == kNoParent ? i : nodes_[e.parent].root;
    n.origin = i;
    n.image_data = e.type == FsType::kFile ? image->contents(i) : nullptr;
    n.size = e.type == FsType::kFile ? e.size : 0;
    n.atime_ns = n.mtime_ns = e.mtime_ns;
    ++entries_;
    bytes_ += e.name_len + n.size;
    if (!SetBytes(&n.name, image->name(i), e.name_len)) return false;
    if (e.parent != kNoParent && !AddChild(e.parent, i)) return false;
  }
  return bytes_ <= max_bytes_ && entries_ <= max_entries_;
}

void FsTree::Clear() {
  for (FsNode& n : nodes_) {
    Release(&n.name);
    Release(&n.data);
    Release(&n.children);
  }
  nodes_.clear();
  free_.clear();
  bytes_ = 0;
  entries_ = 0;
}

uint32_t FsTree::Child(uint32_t dir, const char* name, uint32_t len) const {
  uint32_t count;
  const uint32_t* kids = Children(dir, &count);
  for (uint32_t k = 0; k < count; ++k) {
    const FsNode& c = nodes_[kids[k]];
    if (c.name.size == len && (len == 0 || __builtin_memcmp(c.name.p, name, len) == 0)) return kids[k];
  }
  return kNoParent;
}

Errno FsTree::Resolve(uint32_t dir, const char* path, uint32_t len, uint32_t* out) const {
  if (!IsDir(dir)) return kNotdir;
  if (len > kMaxPath) return kNametoolong;
  if (len == 0) return kNoent;
  if (path[0] == '/') return kNotcapable;
  uint32_t cur = dir;
  uint32_t i = 0;
  while (i < len) {
    uint32_t j = i;
    while (j < len && path[j] != '/') ++j;
    const char* name = path + i;
    const uint32_t n = j - i;
    i = j + 1;
    if (n == 0 || (n == 1 && name[0] == '.')) continue;
    if (!IsDir(cur)) return kNotdir;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
      if (cur < roots_) return kNotcapable;
      if (nodes_[cur].parent == kNoParent) return kNoent;  // a removed directory
      cur = nodes_[cur].parent;
      continue;
    }
    if (n > kMaxName) return kNametoolong;
    for (uint32_t k = 0; k < n; ++k) {
      if (name[k] == '\0') return kInval;
    }
    const uint32_t child = Child(cur, name, n);
    if (child == kNoParent) return kNoent;
    cur = child;
  }
  // "dir/" names a directory only.
  if (path[len - 1] == '/' && !IsDir(cur)) return kNotdir;
  *out = cur;
  return kSuccess;
}

Errno FsTree::ResolveParent(uint32_t dir, const char* path, uint32_t len, uint32_t* parent,
                            const char** name, uint32_t* name_len, bool* trailing_slash) const {
  if (len > kMaxPath) return kNametoolong;
  if (len == 0) return kNoent;
  if (path[0] == '/') return kNotcapable;
  uint32_t end = len;
  while (end > 0 && path[end - 1] == '/') --end;
  *trailing_slash = end < len;
  uint32_t start = end;
  while (start > 0 && path[start - 1] != '/') --start;
  if (IsDots(path + start, end - start)) return kInval;
  if (Errno e = CheckName(path + start, end - start); e != kSuccess && e != kIlseq) return e;
  uint32_t p = dir;
  if (start > 0) {
    if (Errno e = Resolve(dir, path, start, &p); e != kSuccess) return e;
  }
  if (!IsDir(p)) return kNotdir;
  *parent = p;
  *name = path + start;
  *name_len = end - start;
  return kSuccess;
}

Errno FsTree::NewNode(uint32_t* out) {
  if (entries_ >= max_entries_) return kNospc;
  if (!free_.empty()) {
    *out = free_.back();
    free_.pop_back();
  } else {
    if (nodes_.size() >= kNoParent - 1 || !nodes_.push_back(FsNode())) return kNospc;
    *out = static_cast<uint32_t>(nodes_.size() - 1);
  }
  nodes_[*out] = FsNode();
  nodes_[*out].used = true;
  ++entries_;
  return kSuccess;
}

void FsTree::FreeNode(uint32_t n) {
  FsNode& node = nodes_[n];
  bytes_ -= node.name.size + node.size;
  Release(&node.name);
  Release(&node.data);
  Release(&node.children);
  node = FsNode();
  --entries_;
  (void)free_.push_back(n);  // on failure the slot is just not reused
}

bool FsTree::AddChild(uint32_t dir, uint32_t child) {
  FsBuf& kids = nodes_[dir].children;
  if (!Reserve(&kids, kids.size + 4)) return false;
  __builtin_memcpy(kids.p + kids.size, &child, 4);
  kids.size += 4;
  return true;
}

void FsTree::RemoveChild(uint32_t dir, uint32_t child) {
  FsBuf& kids = nodes_[dir].children;
  for (uint64_t off = 0; off < kids.size; off += 4) {
    uint32_t c;
    __builtin_memcpy(&c, kids.p + off, 4);
    if (c != child) continue;
    __builtin_memmove(kids.p + off, kids.p + off + 4, kids.size - off - 4);
    kids.size -= 4;
    return;
  }
}

void FsTree::Detach(uint32_t n) {
  RemoveChild(nodes_[n].parent, n);
  nodes_[n].parent = kNoParent;
  if (nodes_[n].opens == 0) FreeNode(n);
}

void FsTree::Close(uint32_t n) {
  if (n >= nodes_.size() || nodes_[n].opens == 0) return;
  if (--nodes_[n].opens == 0 && !Attached(n)) FreeNode(n);
}

Errno FsTree::Create(uint32_t dir, const char* name, uint32_t len, FsType type, uint64_t now,
                     uint32_t* out) {
  if (!IsDir(dir)) return kNotdir;
  if (!Writable(dir)) return kRofs;
  if (!Attached(dir)) return kNoent;
  if (Errno e = CheckName(name, len); e != kSuccess) return e;
  if (IsDots(name, len) || Child(dir, name, len) != kNoParent) return kExist;
  if (bytes_ + len > max_bytes_) return kNospc;
  uint32_t n;
  if (Errno e = NewNode(&n); e != kSuccess) return e;
  FsNode& node = nodes_[n];
  node.type = type;
  node.parent = dir;
  node.root = nodes_[dir].root;
  node.atime_ns = node.mtime_ns = now;
  node.dirty = true;
  if (!SetBytes(&node.name, name, len) || !AddChild(dir, n)) {
    nodes_[n].parent = kNoParent;
    bytes_ += nodes_[n].name.size;  // FreeNode takes it off again
    FreeNode(n);
    return kNospc;
  }
  bytes_ += len;
  nodes_[dir].mtime_ns = now;
  *out = n;
  return kSuccess;
}

Errno FsTree::Remove(uint32_t dir, const char* name, uint32_t len, bool directory) {
  if (!Writable(dir)) return kRofs;
  const uint32_t c = Child(dir, name, len);
  if (c == kNoParent) return kNoent;
  if (directory && !IsDir(c)) return kNotdir;
  if (directory && nodes_[c].children.size > 0) return kNotempty;
  if (!directory && IsDir(c)) return kIsdir;
  Detach(c);
  return kSuccess;
}

Errno FsTree::Rename(uint32_t from_dir, const char* from, uint32_t from_len, uint32_t to_dir, const char* to,
                     uint32_t to_len) {
  if (!Writable(from_dir) || !Writable(to_dir)) return kRofs;
  if (nodes_[from_dir].root != nodes_[to_dir].root) return kXdev;
  const uint32_t src = Child(from_dir, from, from_len);
  if (src == kNoParent) return kNoent;
  if (!Attached(to_dir)) return kNoent;
  if (Errno e = CheckName(to, to_len); e != kSuccess) return e;
  const uint32_t dst = Child(to_dir, to, to_len);
  if (dst == src) return kSuccess;
  if (IsDir(src)) {
    // A directory cannot move into its own subtree.
    for (uint32_t p = to_dir; p != kNoParent; p = nodes_[p].parent) {
      if (p == src) return kInval;
    }
    if (dst != kNoParent && !IsDir(dst)) return kNotdir;
    if (dst != kNoParent && nodes_[dst].children.size > 0) return kNotempty;
  } else if (dst != kNoParent && IsDir(dst)) {
    return kIsdir;
  }
  const uint64_t old_len = nodes_[src].name.size;
  if (to_len > old_len && bytes_ + (to_len - old_len) > max_bytes_) return kNospc;
  // Everything that can fail for lack of memory happens before any change.
  FsBuf name;
  if (!SetBytes(&name, to, to_len) || !Reserve(&nodes_[to_dir].children, nodes_[to_dir].children.size + 4)) {
    Release(&name);
    return kNospc;
  }
  if (dst != kNoParent) Detach(dst);
  RemoveChild(from_dir, src);
  (void)AddChild(to_dir, src);  // reserved above
  nodes_[src].parent = to_dir;
  Release(&nodes_[src].name);
  nodes_[src].name = name;
  bytes_ = bytes_ - old_len + to_len;
  return kSuccess;
}

Errno FsTree::Read(uint32_t n, uint64_t offset, uint8_t* buf, uint32_t len, uint32_t* got) const {
  const FsNode& node = nodes_[n];
  if (node.type == FsType::kDirectory) return kIsdir;
  const uint64_t left = offset < node.size ? node.size - offset : 0;
  const uint32_t count = left < len ? static_cast<uint32_t>(left) : len;
  if (count > 0) __builtin_memcpy(buf, Contents(n) + offset, count);
  *got = count;
  return kSuccess;
}

Errno FsTree::Materialize(uint32_t n, uint64_t capacity) {
  FsNode& node = nodes_[n];
  if (node.image_data == nullptr) return Reserve(&node.data, capacity) ? kSuccess : kNospc;
  const uint64_t keep = node.size < capacity ? node.size : capacity;
  if (!Reserve(&node.data, capacity > keep ? capacity : keep)) return kNospc;
  if (keep > 0) __builtin_memcpy(node.data.p, node.image_data, keep);
  node.image_data = nullptr;  // copied: the image is no longer read
  return kSuccess;
}

Errno FsTree::Write(uint32_t n, uint64_t offset, const uint8_t* buf, uint32_t len, uint64_t now) {
  if (IsDir(n)) return kIsdir;
  if (!Writable(n)) return kBadf;
  if (len == 0) return kSuccess;
  uint64_t end;
  if (__builtin_add_overflow(offset, len, &end) || end > (uint64_t{1} << 62)) return kFbig;
  FsNode& node = nodes_[n];
  const uint64_t grow = end > node.size ? end - node.size : 0;
  if (grow > max_bytes_ - bytes_) return kNospc;
  if (Errno e = Materialize(n, end > node.size ? end : node.size); e != kSuccess) return e;
  if (offset > node.size) __builtin_memset(node.data.p + node.size, 0, offset - node.size);
  __builtin_memcpy(node.data.p + offset, buf, len);
  node.size += grow;
  bytes_ += grow;
  node.mtime_ns = now;
  node.dirty = true;
  return kSuccess;
}

Errno FsTree::SetSize(uint32_t n, uint64_t size, uint64_t now) {
  if (IsDir(n)) return kIsdir;
  if (!Writable(n)) return kBadf;
  if (size > (uint64_t{1} << 62)) return kFbig;
  FsNode& node = nodes_[n];
  if (size > node.size) {
    if (size - node.size > max_bytes_ - bytes_) return kNospc;
    if (Errno e = Materialize(n, size); e != kSuccess) return e;
    __builtin_memset(node.data.p + node.size, 0, size - node.size);
  }
  // Shrinking an unchanged file keeps it in the image: only the size moves.
  bytes_ = bytes_ - node.size + size;
  node.size = size;
  node.mtime_ns = now;
  node.dirty = true;
  return kSuccess;
}

void FsTree::ResolveTimes(uint32_t n, uint64_t now_ns) {
  FsNode& node = nodes_[n];
  if (node.atime_ns == kTimePending) node.atime_ns = now_ns;
  if (node.mtime_ns == kTimePending) node.mtime_ns = now_ns;
}

Errno FsTree::SetTimes(uint32_t n, uint64_t atime_ns, uint64_t mtime_ns) {
  if (!Writable(n)) return kRofs;
  nodes_[n].atime_ns = atime_ns;
  nodes_[n].mtime_ns = mtime_ns;
  nodes_[n].dirty = true;
  return kSuccess;
}

}  // namespace palisade::wasm::wasi
