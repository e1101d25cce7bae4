#include "wasm/wasi/wasi_fs_functions.h"

#include "wasm/wasi/wasi_memory.h"

namespace palisade::wasm::wasi {

namespace {

void PutFilestat(Memory& m, uint32_t buf, WasiContext* ctx, uint32_t n) {
  FsTree& tree = *ctx->tree();
  const FsNode& f = tree.node(n);
  if (f.atime_ns == FsTree::kTimePending || f.mtime_ns == FsTree::kTimePending) {
    tree.ResolveTimes(n, NowNs(ctx));
  }
  __builtin_memset(m.base + buf, 0, kFilestatSize);
  (void)m.PutU64(buf + 8, n + 1);  // inode
  m.base[buf + 16] = f.type == FsType::kDirectory ? kDirectory : kRegularFile;
  (void)m.PutU64(buf + 24, 1);     // nlink
  (void)m.PutU64(buf + 32, f.size);
  (void)m.PutU64(buf + 40, f.atime_ns);
  (void)m.PutU64(buf + 48, f.mtime_ns);
  (void)m.PutU64(buf + 56, f.mtime_ns);
}

}  // namespace

Errno PathArg(Memory& m, const uint64_t* args, int i, const char** path, uint32_t* len) {
  uint32_t p = Arg32(args, i);
  *len = Arg32(args, i + 1);
  if (!m.Has(p, *len)) return kFault;
  *path = reinterpret_cast<const char*>(m.base + p);
  return kSuccess;
}

Errno DirOf(WasiContext* ctx, uint32_t fd, uint32_t* node) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr || ctx->tree() == nullptr) return kBadf;
  if (!ctx->tree()->IsDir(f->entry)) return kNotdir;
  *node = f->entry;
  return kSuccess;
}

uint64_t NowNs(WasiContext* ctx) {
  uint64_t ns = 0;
  return ctx->system()->ClockTime(kRealtime, &ns) ? ns : 0;
}

Trap PathOpen(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, fd_out
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  const char* path;
  uint32_t len;
  if (Errno e = PathArg(m, args, 2, &path, &len); e != kSuccess) return Ok(results, e);
  uint32_t out = Arg32(args, 8);
  if (!m.Has(out, 4)) return Ok(results, kFault);
  const uint32_t oflags = Arg32(args, 4), fdflags = Arg32(args, 7);
  const bool creat = (oflags & kOflagCreat) != 0, trunc = (oflags & kOflagTrunc) != 0;
  const bool directory = (oflags & kOflagDirectory) != 0;
  const bool write = (args[5] & kRightFdWrite) != 0;
  uint32_t dir;
  if (Errno e = DirOf(ctx, Arg32(args, 0), &dir); e != kSuccess) return Ok(results, e);
  FsTree& tree = *ctx->tree();
  uint32_t node;
  Errno e = tree.Resolve(dir, path, len, &node);
  if (e == kSuccess && creat && (oflags & kOflagExcl) != 0) return Ok(results, kExist);
  if (e == kNoent && creat) {
    uint32_t parent, name_len;
    const char* name;
    bool trailing_slash;
    e = tree.ResolveParent(dir, path, len, &parent, &name, &name_len, &trailing_slash);
    if (e != kSuccess) return Ok(results, e);
    if (!tree.Writable(parent)) return Ok(results, kRofs);
    if (directory || trailing_slash) return Ok(results, kIsdir);  // O_CREAT makes files only
    e = tree.Create(parent, name, name_len, FsType::kFile, FsTree::kTimePending, &node);
  }
  if (e != kSuccess) return Ok(results, e);
  if (!tree.Writable(node) && (trunc || write || (fdflags & (kFdflagAppend | kFdflagsSync)) != 0)) {
    return Ok(results, kRofs);  // append/dsync/rsync/sync or writing: read-only
  }
  if (directory && !tree.IsDir(node)) return Ok(results, kNotdir);
  if (tree.IsDir(node) && (trunc || write)) return Ok(results, kIsdir);
  if (trunc && tree.node(node).size != 0) {
    if (Errno t = tree.SetSize(node, 0, FsTree::kTimePending); t != kSuccess) return Ok(results, t);
  }
  uint32_t fd;
  if (!ctx->OpenEntry(node, &fd, write, (fdflags & kFdflagAppend) != 0)) return Ok(results, kMfile);
  (void)m.PutU32(out, fd);
  return Ok(results, kSuccess);
}

Trap FdPrestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1);
  if (!ctx->IsPreopen(fd) || ctx->File(fd) == nullptr) return Ok(results, kBadf);
  if (!m.Has(buf, kPrestatSize)) return Ok(results, kFault);
  __builtin_memset(m.base + buf, 0, kPrestatSize);
  (void)m.PutU32(buf + 4, static_cast<uint32_t>(ctx->tree()->node(fd - 3).name.size));
  return Ok(results, kSuccess);
}

Trap FdPrestatDirName(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1), len = Arg32(args, 2);
  if (!ctx->IsPreopen(fd) || ctx->File(fd) == nullptr) return Ok(results, kBadf);
  const FsBuf& name = ctx->tree()->node(fd - 3).name;
  if (len < name.size) return Ok(results, kNametoolong);
  if (!m.Has(buf, name.size)) return Ok(results, kFault);
  __builtin_memcpy(m.base + buf, name.p, name.size);
  return Ok(results, kSuccess);
}

Trap FdReaddir(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, buf, buf_len, cookie, bufused
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1), buf_len = Arg32(args, 2), used = Arg32(args, 4);
  uint64_t cookie = args[3];
  uint32_t dir;
  if (Errno e = DirOf(ctx, fd, &dir); e != kSuccess) return Ok(results, e);
  if (!m.Has(buf, buf_len) || !m.Has(used, 4)) return Ok(results, kFault);
  const FsTree& tree = *ctx->tree();
  // "." and ".." first, as POSIX hosts list them (a root's ".." is
  // itself: nothing above a preopen is visible); then the children in
  // creation order. The cookie counts the entries already returned
  // (children removed meanwhile shift it, as on POSIX, where a directory
  // changed during a listing may show or skip an entry).
  uint32_t count;
  const uint32_t* kids = tree.Children(dir, &count);
  const uint32_t up = tree.node(dir).parent == kNoParent ? dir : tree.node(dir).parent;
  uint32_t written = 0;
  for (uint64_t i = cookie; i < uint64_t{count} + 2 && written < buf_len; ++i) {
    const uint32_t n = i == 0 ? dir : i == 1 ? up : kids[i - 2];
    const char* name = i == 0 ? "." : i == 1 ? ".." : reinterpret_cast<const char*>(tree.node(n).name.p);
    const uint32_t name_len = i < 2 ? static_cast<uint32_t>(i + 1) : static_cast<uint32_t>(tree.node(n).name.size);
    uint8_t dirent[kDirentSize] = {};
    uint64_t next = i + 1, ino = n + 1;
    __builtin_memcpy(dirent, &next, 8);
    __builtin_memcpy(dirent + 8, &ino, 8);
    __builtin_memcpy(dirent + 16, &name_len, 4);
    dirent[20] = tree.node(n).type == FsType::kDirectory ? kDirectory : kRegularFile;
    // Header then name, each cut off where the buffer ends (the caller
    // sees a full buffer and asks again with a bigger one).
    for (uint32_t k = 0; k < kDirentSize && written < buf_len; ++k) m.base[buf + written++] = dirent[k];
    for (uint32_t k = 0; k < name_len && written < buf_len; ++k) m.base[buf + written++] = name[k];
  }
  (void)m.PutU32(used, written);
  return Ok(results, kSuccess);
}

Trap FdAdvise(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // fd, offset, len, advice: a hint about access patterns, which an
  // in-memory tree has no use for; checked and accepted, as POSIX does.
  WasiContext* ctx = Ctx(c);
  const uint32_t fd = Arg32(args, 0);
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, ctx->IsOpen(fd) ? kSpipe : kBadf);
  if (ctx->tree()->IsDir(f->entry)) return Ok(results, kBadf);
  if (Arg32(args, 3) > 5 || args[1] > INT64_MAX || args[2] > INT64_MAX) return Ok(results, kInval);
  return Ok(results, kSuccess);
}

Trap FdFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1);
  if (!m.Has(buf, kFilestatSize)) return Ok(results, kFault);
  if (ctx->IsOpen(fd)) {
    __builtin_memset(m.base + buf, 0, kFilestatSize);
    m.base[buf + 16] = ctx->system()->IsTerminal(fd) ? kCharacterDevice : kUnknownType;  // as fd_fdstat_get
    return Ok(results, kSuccess);
  }
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  PutFilestat(m, buf, ctx, f->entry);
  return Ok(results, kSuccess);
}

Trap PathFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, flags, path, path_len, buf
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  const char* path;
  uint32_t len;
  if (Errno e = PathArg(m, args, 2, &path, &len); e != kSuccess) return Ok(results, e);
  uint32_t buf = Arg32(args, 4);
  if (!m.Has(buf, kFilestatSize)) return Ok(results, kFault);
  uint32_t dir, node;
  if (Errno e = DirOf(ctx, Arg32(args, 0), &dir); e != kSuccess) return Ok(results, e);
  if (Errno e = ctx->tree()->Resolve(dir, path, len, &node); e != kSuccess) return Ok(results, e);
  PutFilestat(m, buf, ctx, node);
  return Ok(results, kSuccess);
}

Trap FdTell(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), out = Arg32(args, 1);
  if (ctx->IsOpen(fd)) return Ok(results, kSpipe);
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  if (ctx->tree()->IsDir(f->entry)) return Ok(results, kIsdir);
  return Ok(results, m.PutU64(out, f->pos) ? kSuccess : kFault);
}

Trap PollOneoff(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // in, out, nsubscriptions, nevents
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t in = Arg32(args, 0), out = Arg32(args, 1), n = Arg32(args, 2), nevents = Arg32(args, 3);
  if (n == 0) return Ok(results, kInval);
  if (!m.Has(in, static_cast<uint64_t>(n) * kSubscriptionSize) ||
      !m.Has(out, static_cast<uint64_t>(n) * kEventSize) || !m.Has(nevents, 4)) {
    return Ok(results, kFault);
  }
  // Streams are always ready; clocks fire at their time. Wait for the
  // earliest clock only if no stream is ready.
  bool any_ready = false;
  uint64_t earliest = UINT64_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* s = m.base + in + i * kSubscriptionSize;
    if (s[8] != kEventClock) {
      any_ready = true;
      continue;
    }
    uint32_t clock;
    uint64_t timeout;
    uint16_t flags;
    __builtin_memcpy(&clock, s + 16, 4);
    __builtin_memcpy(&timeout, s + 24, 8);
    __builtin_memcpy(&flags, s + 40, 2);
    uint64_t wait = timeout;
    if ((flags & kSubclockAbstime) != 0) {
      uint64_t clock_now;
      if (!ctx->system()->ClockTime(clock, &clock_now)) return Ok(results, kInval);
      wait = timeout > clock_now ? timeout - clock_now : 0;
    }
    if (wait < earliest) earliest = wait;
  }
  if (!any_ready && earliest > 0 && earliest != UINT64_MAX) {
    // In slices, so an interrupt (a deadline) ends a long sleep promptly.
    constexpr uint64_t kSlice = 10'000'000;
    uint64_t left = earliest;
    while (left > 0) {
      if (InterruptPending(call.store)) {
        Trap t;
        t.kind = TrapKind::kInterrupted;
        return t;
      }
      uint64_t step = left < kSlice ? left : kSlice;
      ctx->system()->Sleep(step);
      left -= step;
    }
  }
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* s = m.base + in + i * kSubscriptionSize;
    bool clock = s[8] == kEventClock;
    if (clock && any_ready) continue;  // streams answered first; clocks have not fired
    if (clock) {
      // Only the clocks that are due now: relative ones no later than the
      // one waited for, absolute ones whose time has come.
      uint32_t id;
      uint64_t timeout, clock_now;
      uint16_t flags;
      __builtin_memcpy(&id, s + 16, 4);
      __builtin_memcpy(&timeout, s + 24, 8);
      __builtin_memcpy(&flags, s + 40, 2);
      bool due = (flags & kSubclockAbstime) != 0
                     ? ctx->system()->ClockTime(id, &clock_now) && timeout <= clock_now
                     : timeout <= earliest;
      if (!due) continue;
    }
    uint8_t* ev = m.base + out + count * kEventSize;
    __builtin_memset(ev, 0, kEventSize);
    __builtin_memcpy(ev, s, 8);  // userdata
    ev[10] = s[8];               // event type = subscription tag
    ++count;
  }
  (void)m.PutU32(nevents, count);
  return Ok(results, kSuccess);
}

Trap SchedYield(void*, HostCall&, const uint64_t*, uint64_t* results) { return Ok(results, kSuccess); }

Errno ReadFile(WasiContext* ctx, uint32_t fd, uint8_t* buf, uint32_t len, uint32_t* got) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  if (Errno e = ctx->tree()->Read(f->entry, f->pos, buf, len, got); e != kSuccess) return e;
  f->pos += *got;
  return kSuccess;
}

Errno WriteFile(WasiContext* ctx, uint32_t fd, const uint8_t* buf, uint32_t len) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  if (ctx->tree()->IsDir(f->entry)) return kIsdir;
  if (!f->write) return kBadf;  // not opened for writing (or a read-only root)
  if (f->append) f->pos = ctx->tree()->node(f->entry).size;
  if (Errno e = ctx->tree()->Write(f->entry, f->pos, buf, len, FsTree::kTimePending); e != kSuccess) return e;
  f->pos += len;
  return kSuccess;
}

Errno SeekFile(WasiContext* ctx, uint32_t fd, int64_t offset, uint8_t whence, uint64_t* pos) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  const FsNode& e = ctx->tree()->node(f->entry);
  if (e.type == FsType::kDirectory) return kIsdir;
  int64_t base;
  switch (whence) {
    case kWhenceSet: base = 0; break;
    case kWhenceCur: base = static_cast<int64_t>(f->pos); break;
    case kWhenceEnd: base = static_cast<int64_t>(e.size); break;
    default: return kInval;
  }
  int64_t target;
  if (__builtin_add_overflow(base, offset, &target) || target < 0) return kInval;
  f->pos = static_cast<uint64_t>(target);
  *pos = f->pos;
  return kSuccess;
}

Errno FileFdstat(WasiContext* ctx, uint32_t fd, uint8_t* filetype, uint16_t* flags, uint64_t* rights) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  *filetype = ctx->tree()->IsDir(f->entry) ? kDirectory : kRegularFile;
  *flags = f->append ? kFdflagAppend : 0;
  *rights = ctx->tree()->Writable(f->entry) ? kRightsReadWrite : kRightsReadOnly;
  return kSuccess;
}

}  // namespace palisade::wasm::wasi
