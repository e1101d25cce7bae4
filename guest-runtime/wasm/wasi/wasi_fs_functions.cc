#include "wasm/wasi/wasi_fs_functions.h"

#include "wasm/wasi/wasi_memory.h"

namespace palisade::wasm::wasi {

namespace {

constexpr uint32_t kMaxPathBytes = 4096;

bool IsDir(const FsImage& fs, uint32_t e) { return fs.entry(e).type == FsType::kDirectory; }

// Resolves [path, path + len) beneath directory fd `dirfd`. Absolute paths
// and ".." above a preopened root are refused (kNotcapable): a program sees
// only what it was given.
Errno Resolve(WasiContext* ctx, uint32_t dirfd, const char* path, uint32_t len, uint32_t* out) {
  WasiContext::OpenFile* dir = ctx->File(dirfd);
  const FsImage* fs = ctx->fs();
  if (dir == nullptr || fs == nullptr) return kBadf;
  if (!IsDir(*fs, dir->entry)) return kNotdir;
  if (len > kMaxPathBytes) return kNametoolong;
  if (len == 0) return kNoent;
  if (path[0] == '/') return kNotcapable;
  uint32_t cur = dir->entry;
  uint32_t i = 0;
  while (i < len) {
    uint32_t j = i;
    while (j < len && path[j] != '/') ++j;
    const char* name = path + i;
    uint32_t n = j - i;
    i = j + 1;
    if (n == 0 || (n == 1 && name[0] == '.')) continue;
    if (!IsDir(*fs, cur)) return kNotdir;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
      if (fs->entry(cur).parent == kNoParent) return kNotcapable;
      cur = fs->entry(cur).parent;
      continue;
    }
    for (uint32_t k = 0; k < n; ++k) {
      if (name[k] == '\0') return kInval;
    }
    uint32_t child = fs->Child(cur, name, n);
    if (child == kNoParent) return kNoent;
    cur = child;
  }
  // "dir/" names a directory only.
  if (path[len - 1] == '/' && !IsDir(*fs, cur)) return kNotdir;
  *out = cur;
  return kSuccess;
}

void PutFilestat(Memory& m, uint32_t buf, const FsImage& fs, uint32_t e) {
  const FsEntry& f = fs.entry(e);
  __builtin_memset(m.base + buf, 0, kFilestatSize);
  (void)m.PutU64(buf + 8, e + 1);  // inode
  m.base[buf + 16] = f.type == FsType::kDirectory ? kDirectory : kRegularFile;
  (void)m.PutU64(buf + 24, 1);     // nlink
  (void)m.PutU64(buf + 32, f.type == FsType::kFile ? f.size : 0);
  (void)m.PutU64(buf + 40, f.mtime_ns);
  (void)m.PutU64(buf + 48, f.mtime_ns);
  (void)m.PutU64(buf + 56, f.mtime_ns);
}

// Checks and returns the path argument at args[i], args[i + 1].
Errno PathArg(Memory& m, const uint64_t* args, int i, const char** path, uint32_t* len) {
  uint32_t p = Arg32(args, i);
  *len = Arg32(args, i + 1);
  if (!m.Has(p, *len)) return kFault;
  *path = reinterpret_cast<const char*>(m.base + p);
  return kSuccess;
}

}  // namespace

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
  const uint64_t rights = args[5];
  uint32_t entry;
  Errno e = Resolve(ctx, Arg32(args, 0), path, len, &entry);
  if (e == kNoent && (oflags & kOflagCreat) != 0) return Ok(results, kRofs);
  if (e != kSuccess) return Ok(results, e);
  if ((oflags & kOflagExcl) != 0 && (oflags & kOflagCreat) != 0) return Ok(results, kExist);
  if ((oflags & kOflagTrunc) != 0 || (rights & kRightFdWrite) != 0 || (fdflags & 0x1b) != 0) {
    return Ok(results, kRofs);  // append/dsync/rsync/sync or writing: read-only
  }
  if ((oflags & kOflagDirectory) != 0 && !IsDir(*ctx->fs(), entry)) return Ok(results, kNotdir);
  uint32_t fd;
  if (!ctx->OpenEntry(entry, &fd)) return Ok(results, kMfile);
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
  (void)m.PutU32(buf + 4, ctx->fs()->entry(fd - 3).name_len);
  return Ok(results, kSuccess);
}

Trap FdPrestatDirName(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1), len = Arg32(args, 2);
  if (!ctx->IsPreopen(fd) || ctx->File(fd) == nullptr) return Ok(results, kBadf);
  uint32_t n = ctx->fs()->entry(fd - 3).name_len;
  if (len < n) return Ok(results, kNametoolong);
  if (!m.Has(buf, n)) return Ok(results, kFault);
  __builtin_memcpy(m.base + buf, ctx->fs()->name(fd - 3), n);
  return Ok(results, kSuccess);
}

Trap FdReaddir(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, buf, buf_len, cookie, bufused
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), buf = Arg32(args, 1), buf_len = Arg32(args, 2), used = Arg32(args, 4);
  uint64_t cookie = args[3];
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  const FsImage& fs = *ctx->fs();
  if (!IsDir(fs, f->entry)) return Ok(results, kNotdir);
  if (!m.Has(buf, buf_len) || !m.Has(used, 4)) return Ok(results, kFault);
  // Entries in image order; the cookie counts the ones already returned.
  uint32_t written = 0;
  uint64_t index = 0;
  for (uint32_t i = f->entry + 1; i < fs.entry_count() && written < buf_len; ++i) {
    const FsEntry& e = fs.entry(i);
    if (e.parent != f->entry) continue;
    if (index++ < cookie) continue;
    uint8_t dirent[kDirentSize] = {};
    uint64_t next = index, ino = i + 1;
    __builtin_memcpy(dirent, &next, 8);
    __builtin_memcpy(dirent + 8, &ino, 8);
    __builtin_memcpy(dirent + 16, &e.name_len, 4);
    dirent[20] = e.type == FsType::kDirectory ? kDirectory : kRegularFile;
    // Header then name, each cut off where the buffer ends (the caller
    // sees a full buffer and asks again with a bigger one).
    for (uint32_t k = 0; k < kDirentSize && written < buf_len; ++k) m.base[buf + written++] = dirent[k];
    const char* name = fs.name(i);
    for (uint32_t k = 0; k < e.name_len && written < buf_len; ++k) m.base[buf + written++] = name[k];
  }
  (void)m.PutU32(used, written);
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
  PutFilestat(m, buf, *ctx->fs(), f->entry);
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
  uint32_t entry;
  Errno e = Resolve(ctx, Arg32(args, 0), path, len, &entry);
  if (e != kSuccess) return Ok(results, e);
  PutFilestat(m, buf, *ctx->fs(), entry);
  return Ok(results, kSuccess);
}

Trap FdTell(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), out = Arg32(args, 1);
  if (ctx->IsOpen(fd)) return Ok(results, kSpipe);
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  if (IsDir(*ctx->fs(), f->entry)) return Ok(results, kIsdir);
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
  const FsEntry& e = ctx->fs()->entry(f->entry);
  if (e.type == FsType::kDirectory) return kIsdir;
  uint64_t left = f->pos < e.size ? e.size - f->pos : 0;
  uint32_t n = left < len ? static_cast<uint32_t>(left) : len;
  if (n > 0) __builtin_memcpy(buf, ctx->fs()->contents(f->entry) + f->pos, n);
  f->pos += n;
  *got = n;
  return kSuccess;
}

Errno SeekFile(WasiContext* ctx, uint32_t fd, int64_t offset, uint8_t whence, uint64_t* pos) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  const FsEntry& e = ctx->fs()->entry(f->entry);
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

Errno FileFdstat(WasiContext* ctx, uint32_t fd, uint8_t* filetype, uint64_t* rights) {
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return kBadf;
  *filetype = IsDir(*ctx->fs(), f->entry) ? kDirectory : kRegularFile;
  *rights = kRightsReadOnly;
  return kSuccess;
}

}  // namespace palisade::wasm::wasi
