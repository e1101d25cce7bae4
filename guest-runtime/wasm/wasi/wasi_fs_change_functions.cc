#include "wasm/wasi/wasi_fs_change_functions.h"

#include "wasm/wasi/wasi_fs_functions.h"
#include "wasm/wasi/wasi_memory.h"

namespace palisade::wasm::wasi {

namespace {

// The directory and last name of the path at args[i], args[i + 1] beneath
// the directory fd args[fd_arg].
struct Leaf {
  uint32_t parent = 0;
  const char* name = nullptr;
  uint32_t len = 0;
  bool trailing_slash = false;
};
Errno LeafArg(WasiContext* ctx, Memory& m, const uint64_t* args, int fd_arg, int i, Leaf* leaf) {
  const char* path;
  uint32_t len;
  uint32_t dir;
  if (Errno e = PathArg(m, args, i, &path, &len); e != kSuccess) return e;
  if (Errno e = DirOf(ctx, Arg32(args, fd_arg), &dir); e != kSuccess) return e;
  return ctx->tree()->ResolveParent(dir, path, len, &leaf->parent, &leaf->name, &leaf->len,
                                    &leaf->trailing_slash);
}

// The node at the path args[i], args[i + 1] beneath the directory fd args[fd_arg].
Errno NodeArg(WasiContext* ctx, Memory& m, const uint64_t* args, int fd_arg, int i, uint32_t* node) {
  const char* path;
  uint32_t len;
  uint32_t dir;
  if (Errno e = PathArg(m, args, i, &path, &len); e != kSuccess) return e;
  if (Errno e = DirOf(ctx, Arg32(args, fd_arg), &dir); e != kSuccess) return e;
  return ctx->tree()->Resolve(dir, path, len, node);
}

Errno SetTimes(WasiContext* ctx, uint32_t node, uint64_t atim, uint64_t mtim, uint32_t fst) {
  if ((fst & ~0xfu) != 0 || ((fst & kFstAtim) != 0 && (fst & kFstAtimNow) != 0) ||
      ((fst & kFstMtim) != 0 && (fst & kFstMtimNow) != 0)) {
    return kInval;
  }
  const uint64_t now = NowNs(ctx);
  const FsNode& n = ctx->tree()->node(node);
  const uint64_t a = (fst & kFstAtimNow) != 0 ? now : (fst & kFstAtim) != 0 ? atim : n.atime_ns;
  const uint64_t t = (fst & kFstMtimNow) != 0 ? now : (fst & kFstMtim) != 0 ? mtim : n.mtime_ns;
  return ctx->tree()->SetTimes(node, a, t);
}

// The open regular file `fd` names, if it was opened for writing: what
// changing a file's size needs.
Errno FileToResize(WasiContext* ctx, uint32_t fd, WasiContext::OpenFile** out) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  if (ctx->tree()->IsDir(f->entry)) return kIsdir;
  if (!f->write) return kBadf;
  *out = f;
  return kSuccess;
}

}  // namespace

Trap FdSync(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // Nothing is durable before the run ends; the host fsyncs what it applies.
  WasiContext* ctx = Ctx(c);
  const uint32_t fd = Arg32(args, 0);
  if (ctx->IsOpen(fd)) return Ok(results, kInval);  // a stream, as fsync on a pipe
  return Ok(results, ctx->File(fd) != nullptr ? kSuccess : kBadf);
}

Trap FdFilestatSetSize(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  WasiContext::OpenFile* f;
  if (Errno e = FileToResize(ctx, Arg32(args, 0), &f); e != kSuccess) return Ok(results, e);
  return Ok(results, ctx->tree()->SetSize(f->entry, args[1], FsTree::kTimePending));
}

Trap FdAllocate(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // fd, offset, len: as posix_fallocate, the file grows (with zeros) to
  // cover [offset, offset + len) and never shrinks.
  WasiContext* ctx = Ctx(c);
  WasiContext::OpenFile* f;
  if (Errno e = FileToResize(ctx, Arg32(args, 0), &f); e != kSuccess) return Ok(results, e);
  const uint64_t offset = args[1], len = args[2];
  if (len == 0 || offset > INT64_MAX || len > INT64_MAX) return Ok(results, kInval);
  if (offset + len > INT64_MAX) return Ok(results, kFbig);
  if (offset + len <= ctx->tree()->node(f->entry).size) return Ok(results, kSuccess);
  return Ok(results, ctx->tree()->SetSize(f->entry, offset + len, FsTree::kTimePending));
}

Trap FdFilestatSetTimes(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // fd, atim, mtim, fst_flags
  WasiContext* ctx = Ctx(c);
  WasiContext::OpenFile* f = ctx->File(Arg32(args, 0));
  if (f == nullptr) return Ok(results, kBadf);
  return Ok(results, SetTimes(ctx, f->entry, args[1], args[2], Arg32(args, 3)));
}

Trap FdFdstatSetFlags(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // Append can be switched; the sync flags change nothing here (see fd_sync).
  WasiContext* ctx = Ctx(c);
  const uint32_t fd = Arg32(args, 0), flags = Arg32(args, 1);
  if ((flags & ~static_cast<uint32_t>(kFdflagAppend | kFdflagsSync | 4)) != 0) return Ok(results, kInval);
  if (ctx->IsOpen(fd)) return Ok(results, (flags & kFdflagAppend) != 0 ? kNotsup : kSuccess);
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  f->append = (flags & kFdflagAppend) != 0;
  return Ok(results, kSuccess);
}

Trap PathCreateDirectory(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, path, path_len
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t existing;
  if (NodeArg(ctx, m, args, 0, 1, &existing) == kSuccess) return Ok(results, kExist);
  Leaf leaf;
  if (Errno e = LeafArg(ctx, m, args, 0, 1, &leaf); e != kSuccess) return Ok(results, e);
  uint32_t node;
  return Ok(results, ctx->tree()->Create(leaf.parent, leaf.name, leaf.len, FsType::kDirectory,
                                         FsTree::kTimePending, &node));
}

Trap PathRemoveDirectory(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  Leaf leaf;
  if (Errno e = LeafArg(ctx, m, args, 0, 1, &leaf); e != kSuccess) return Ok(results, e);
  return Ok(results, ctx->tree()->Remove(leaf.parent, leaf.name, leaf.len, true));
}

Trap PathUnlinkFile(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  Leaf leaf;
  if (Errno e = LeafArg(ctx, m, args, 0, 1, &leaf); e != kSuccess) return Ok(results, e);
  const FsTree& tree = *ctx->tree();
  const uint32_t node = tree.Child(leaf.parent, leaf.name, leaf.len);
  if (leaf.trailing_slash && node != kNoParent) return Ok(results, tree.IsDir(node) ? kIsdir : kNotdir);
  return Ok(results, ctx->tree()->Remove(leaf.parent, leaf.name, leaf.len, false));
}

Trap PathRename(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, old_path, old_path_len, new_fd, new_path, new_path_len
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  Leaf from, to;
  if (Errno e = LeafArg(ctx, m, args, 0, 1, &from); e != kSuccess) return Ok(results, e);
  if (Errno e = LeafArg(ctx, m, args, 3, 4, &to); e != kSuccess) return Ok(results, e);
  const FsTree& tree = *ctx->tree();
  const uint32_t src = tree.Child(from.parent, from.name, from.len);
  if (src != kNoParent && !tree.IsDir(src) && (from.trailing_slash || to.trailing_slash)) {
    return Ok(results, kNotdir);  // "file/" names a directory only
  }
  return Ok(results, ctx->tree()->Rename(from.parent, from.name, from.len, to.parent, to.name, to.len));
}

Trap PathFilestatSetTimes(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, lookup flags, path, path_len, atim, mtim, fst_flags (no links: the
  // lookup flags change nothing)
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t node;
  if (Errno e = NodeArg(ctx, m, args, 0, 2, &node); e != kSuccess) return Ok(results, e);
  return Ok(results, SetTimes(ctx, node, args[4], args[5], Arg32(args, 6)));
}

// The tree has no links and makes none: creating one is kPerm, what POSIX
// says of a file system that does not support them (on a read-only root,
// kRofs as for any change; kExist where the name is taken); reading one
// finds none (kInval, as readlink on a file that is not a link).
static Errno RefuseNewLink(WasiContext* ctx, const Leaf& leaf) {
  if (!ctx->tree()->Writable(leaf.parent)) return kRofs;
  if (ctx->tree()->Child(leaf.parent, leaf.name, leaf.len) != kNoParent) return kExist;
  return kPerm;
}

Trap PathSymlink(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // old_path, old_path_len, fd, new_path, new_path_len
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  const char* target;
  uint32_t target_len;
  if (Errno e = PathArg(m, args, 0, &target, &target_len); e != kSuccess) return Ok(results, e);
  Leaf leaf;
  if (Errno e = LeafArg(ctx, m, args, 2, 3, &leaf); e != kSuccess) return Ok(results, e);
  return Ok(results, RefuseNewLink(ctx, leaf));
}

Trap PathLink(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // old_fd, old_flags, old_path, old_path_len, new_fd, new_path, new_path_len
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t src;
  if (Errno e = NodeArg(ctx, m, args, 0, 2, &src); e != kSuccess) return Ok(results, e);
  Leaf leaf;
  if (Errno e = LeafArg(ctx, m, args, 4, 5, &leaf); e != kSuccess) return Ok(results, e);
  return Ok(results, RefuseNewLink(ctx, leaf));
}

Trap PathReadlink(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, path, path_len, buf, buf_len, bufused
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t node;
  if (Errno e = NodeArg(ctx, m, args, 0, 1, &node); e != kSuccess) return Ok(results, e);
  return Ok(results, kInval);
}

}  // namespace palisade::wasm::wasi
