#include "wasm/wasi/wasi_functions.h"

#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_fs_change_functions.h"
#include "wasm/wasi/wasi_fs_functions.h"
#include "wasm/wasi/wasi_memory.h"

namespace palisade::wasm::wasi {

namespace {

// args_get / environ_get: fills an array of pointers and the strings.
Trap GetStrings(const Vec<char>& blob, const Vec<uint32_t>& ends, HostCall& call,
                const uint64_t* args, uint64_t* results) {
  Memory m(call);
  uint32_t ptrs = Arg32(args, 0), buf = Arg32(args, 1);
  if (!m.Has(ptrs, 4ull * ends.size()) || !m.Has(buf, blob.size())) return Ok(results, kFault);
  uint32_t start = 0;
  for (uint32_t i = 0; i < ends.size(); ++i) {
    (void)m.PutU32(ptrs + 4 * i, buf + start);
    start = ends[i];
  }
  if (blob.size() > 0) __builtin_memcpy(m.base + buf, blob.data(), blob.size());
  return Ok(results, kSuccess);
}

Trap GetSizes(const Vec<char>& blob, const Vec<uint32_t>& ends, HostCall& call,
              const uint64_t* args, uint64_t* results) {
  Memory m(call);
  if (!m.PutU32(Arg32(args, 0), static_cast<uint32_t>(ends.size())) ||
      !m.PutU32(Arg32(args, 1), static_cast<uint32_t>(blob.size()))) {
    return Ok(results, kFault);
  }
  return Ok(results, kSuccess);
}

Trap ArgsGet(void* c, HostCall& call, const uint64_t* a, uint64_t* r) {
  return GetStrings(Ctx(c)->args(), Ctx(c)->arg_ends(), call, a, r);
}
Trap ArgsSizesGet(void* c, HostCall& call, const uint64_t* a, uint64_t* r) {
  return GetSizes(Ctx(c)->args(), Ctx(c)->arg_ends(), call, a, r);
}
Trap EnvironGet(void* c, HostCall& call, const uint64_t* a, uint64_t* r) {
  return GetStrings(Ctx(c)->env(), Ctx(c)->env_ends(), call, a, r);
}
Trap EnvironSizesGet(void* c, HostCall& call, const uint64_t* a, uint64_t* r) {
  return GetSizes(Ctx(c)->env(), Ctx(c)->env_ends(), call, a, r);
}

// Puts a file's position at `offset` for fd_pread / fd_pwrite (append off),
// and back as it was afterwards: they leave the position alone.
class PositionedAt {
 public:
  PositionedAt(WasiContext::OpenFile* f, uint64_t offset) : f_(f), pos_(f->pos), append_(f->append) {
    f->pos = offset;
    f->append = false;
  }
  ~PositionedAt() {
    f_->pos = pos_;
    f_->append = append_;
  }

 private:
  WasiContext::OpenFile* f_;
  uint64_t pos_;
  bool append_;
};

// fd_write / fd_read: the iovec array and every buffer it names are checked
// before any byte moves; a short transfer ends the call, as POSIX does.
Trap Transfer(bool write, void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), iovs = Arg32(args, 1), count = Arg32(args, 2), out = Arg32(args, 3);
  const bool file = !ctx->IsOpen(fd);
  if (file && ctx->File(fd) == nullptr) return Ok(results, kBadf);
  if (!m.Has(iovs, static_cast<uint64_t>(count) * kIovecSize) || !m.Has(out, 4)) {
    return Ok(results, kFault);
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf = m.U32(iovs + i * kIovecSize), len = m.U32(iovs + i * kIovecSize + 4);
    if (!m.Has(buf, len)) return Ok(results, kFault);
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf = m.U32(iovs + i * kIovecSize), len = m.U32(iovs + i * kIovecSize + 4);
    if (len == 0) continue;
    int64_t n;
    if (file && write) {
      Errno e = WriteFile(ctx, fd, m.base + buf, len);
      n = e == kSuccess ? len : -static_cast<int64_t>(e);
    } else if (file) {
      uint32_t got = 0;
      Errno e = ReadFile(ctx, fd, m.base + buf, len, &got);
      n = e == kSuccess ? got : -static_cast<int64_t>(e);
    } else {
      n = write ? ctx->system()->Write(fd, m.base + buf, len)
                : ctx->system()->Read(fd, m.base + buf, len);
    }
    if (n < 0) {
      if (total > 0) break;
      return Ok(results, static_cast<Errno>(-n));
    }
    total += static_cast<uint64_t>(n);
    if (static_cast<uint64_t>(n) < len) break;
  }
  (void)m.PutU32(out, static_cast<uint32_t>(total));
  return Ok(results, kSuccess);
}
Trap FdWrite(void* c, HostCall& call, const uint64_t* a, uint64_t* r) { return Transfer(true, c, call, a, r); }
Trap FdRead(void* c, HostCall& call, const uint64_t* a, uint64_t* r) { return Transfer(false, c, call, a, r); }

// fd_pwrite / fd_pread (fd, iovs, iovs_len, offset, count_out): a transfer
// at `offset` on a file; streams cannot seek.
Trap PositionedTransfer(bool write, void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  const uint32_t fd = Arg32(args, 0);
  if (ctx->IsOpen(fd)) return Ok(results, kSpipe);
  WasiContext::OpenFile* f = ctx->File(fd);
  if (f == nullptr) return Ok(results, kBadf);
  if (static_cast<int64_t>(args[3]) < 0) return Ok(results, kInval);
  PositionedAt at(f, args[3]);
  const uint64_t shifted[4] = {args[0], args[1], args[2], args[4]};
  return Transfer(write, c, call, shifted, results);
}
Trap FdPwrite(void* c, HostCall& call, const uint64_t* a, uint64_t* r) { return PositionedTransfer(true, c, call, a, r); }
Trap FdPread(void* c, HostCall& call, const uint64_t* a, uint64_t* r) { return PositionedTransfer(false, c, call, a, r); }

Trap ClockTimeGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  Memory m(call);
  uint64_t ns;
  if (!Ctx(c)->system()->ClockTime(Arg32(args, 0), &ns)) return Ok(results, kInval);
  return Ok(results, m.PutU64(Arg32(args, 2), ns) ? kSuccess : kFault);
}
Trap ClockResGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  Memory m(call);
  uint64_t ns;
  if (!Ctx(c)->system()->ClockResolution(Arg32(args, 0), &ns)) return Ok(results, kInval);
  return Ok(results, m.PutU64(Arg32(args, 1), ns) ? kSuccess : kFault);
}
Trap RandomGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  Memory m(call);
  uint32_t buf = Arg32(args, 0), len = Arg32(args, 1);
  if (!m.Has(buf, len)) return Ok(results, kFault);
  return Ok(results, Ctx(c)->system()->Random(m.base + buf, len) ? kSuccess : kIo);
}
Trap ProcExit(void*, HostCall&, const uint64_t* args, uint64_t*) {
  Trap t;
  t.kind = TrapKind::kExit;
  t.exit_code = static_cast<int32_t>(Arg32(args, 0));
  return t;
}
Trap FdFdstatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  Memory m(call);
  uint32_t fd = Arg32(args, 0), out = Arg32(args, 1);
  // A standard stream is a character device only when it is a terminal on
  // the host; a pipe or file behind it is a stream of unknown type (it
  // cannot seek here either way).
  uint8_t type = Ctx(c)->system()->IsTerminal(fd) ? kCharacterDevice : kUnknownType;
  uint16_t flags = 0;
  uint64_t rights = fd == 0 ? kRightFdRead : kRightFdWrite;
  if (!Ctx(c)->IsOpen(fd)) {
    Errno e = FileFdstat(Ctx(c), fd, &type, &flags, &rights);
    if (e != kSuccess) return Ok(results, e);
  }
  if (!m.Has(out, kFdstatSize)) return Ok(results, kFault);
  __builtin_memset(m.base + out, 0, kFdstatSize);
  m.base[out] = type;
  __builtin_memcpy(m.base + out + 2, &flags, 2);
  (void)m.PutU64(out + 8, rights);
  (void)m.PutU64(out + 16, type == kCharacterDevice || type == kUnknownType ? 0 : rights);
  return Ok(results, kSuccess);
}
Trap FdSeek(void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  // fd, offset (i64), whence, newoffset: streams cannot seek, files can.
  uint32_t fd = Arg32(args, 0);
  if (Ctx(c)->IsOpen(fd)) return Ok(results, kSpipe);
  Memory m(call);
  uint32_t out = Arg32(args, 3);
  if (!m.Has(out, 8)) return Ok(results, kFault);
  uint64_t pos;
  Errno e = SeekFile(Ctx(c), fd, static_cast<int64_t>(args[1]), static_cast<uint8_t>(args[2]), &pos);
  if (e == kSuccess) (void)m.PutU64(out, pos);
  return Ok(results, e);
}
Trap FdClose(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  uint32_t fd = Arg32(args, 0);
  if (!Ctx(c)->IsOpen(fd) && Ctx(c)->File(fd) == nullptr) return Ok(results, kBadf);
  Ctx(c)->Close(fd);
  return Ok(results, kSuccess);
}

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;
constexpr ValType kR[] = {I32};
constexpr ValType kI[] = {I32};
constexpr ValType kII[] = {I32, I32};
constexpr ValType kIIII[] = {I32, I32, I32, I32};
constexpr ValType kILI[] = {I32, I64, I32};
constexpr ValType kILII[] = {I32, I64, I32, I32};
constexpr ValType kIII[] = {I32, I32, I32};
constexpr ValType kIIIII[] = {I32, I32, I32, I32, I32};
constexpr ValType kIIILI[] = {I32, I32, I32, I64, I32};
constexpr ValType kPathOpen[] = {I32, I32, I32, I32, I32, I64, I64, I32, I32};
constexpr ValType kIL[] = {I32, I64};
constexpr ValType kILLI[] = {I32, I64, I64, I32};
constexpr ValType kILL[] = {I32, I64, I64};
constexpr ValType kIIIILLI[] = {I32, I32, I32, I32, I64, I64, I32};
constexpr ValType kI6[] = {I32, I32, I32, I32, I32, I32};
constexpr ValType kI7[] = {I32, I32, I32, I32, I32, I32, I32};

#define WASI_FN(name, params, has_result, fn) \
  {name, params, sizeof(params) / sizeof(params[0]), kR, has_result ? 1u : 0u, fn}
constexpr WasiFunction kFunctions[] = {
    WASI_FN("args_get", kII, true, ArgsGet),
    WASI_FN("args_sizes_get", kII, true, ArgsSizesGet),
    WASI_FN("environ_get", kII, true, EnvironGet),
    WASI_FN("environ_sizes_get", kII, true, EnvironSizesGet),
    WASI_FN("fd_write", kIIII, true, FdWrite),
    WASI_FN("fd_read", kIIII, true, FdRead),
    WASI_FN("clock_time_get", kILI, true, ClockTimeGet),
    WASI_FN("clock_res_get", kII, true, ClockResGet),
    WASI_FN("random_get", kII, true, RandomGet),
    WASI_FN("proc_exit", kI, false, ProcExit),
    WASI_FN("fd_fdstat_get", kII, true, FdFdstatGet),
    WASI_FN("fd_seek", kILII, true, FdSeek),
    WASI_FN("fd_close", kI, true, FdClose),
    WASI_FN("fd_prestat_get", kII, true, FdPrestatGet),
    WASI_FN("fd_prestat_dir_name", kIII, true, FdPrestatDirName),
    WASI_FN("path_open", kPathOpen, true, PathOpen),
    WASI_FN("fd_readdir", kIIILI, true, FdReaddir),
    WASI_FN("fd_filestat_get", kII, true, FdFilestatGet),
    WASI_FN("path_filestat_get", kIIIII, true, PathFilestatGet),
    WASI_FN("fd_tell", kII, true, FdTell),
    WASI_FN("poll_oneoff", kIIII, true, PollOneoff),
    {"sched_yield", nullptr, 0, kR, 1, SchedYield},
    // Added with writable directories; appended, since policies name
    // functions by index.
    WASI_FN("fd_pwrite", kIIILI, true, FdPwrite),
    WASI_FN("fd_pread", kIIILI, true, FdPread),
    WASI_FN("fd_sync", kI, true, FdSync),
    WASI_FN("fd_datasync", kI, true, FdSync),
    WASI_FN("fd_filestat_set_size", kIL, true, FdFilestatSetSize),
    WASI_FN("fd_filestat_set_times", kILLI, true, FdFilestatSetTimes),
    WASI_FN("fd_fdstat_set_flags", kII, true, FdFdstatSetFlags),
    WASI_FN("path_create_directory", kIII, true, PathCreateDirectory),
    WASI_FN("path_remove_directory", kIII, true, PathRemoveDirectory),
    WASI_FN("path_unlink_file", kIII, true, PathUnlinkFile),
    WASI_FN("path_rename", kI6, true, PathRename),
    WASI_FN("path_filestat_set_times", kIIIILLI, true, PathFilestatSetTimes),
    WASI_FN("path_symlink", kIIIII, true, PathSymlink),
    WASI_FN("path_link", kI7, true, PathLink),
    WASI_FN("path_readlink", kI6, true, PathReadlink),
    WASI_FN("fd_advise", kILLI, true, FdAdvise),
    WASI_FN("fd_allocate", kILL, true, FdAllocate),
};
#undef WASI_FN

constexpr bool SameName(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

template <uint32_t I>
Trap Denied(void* context, HostCall&, const uint64_t*, uint64_t* results) {
  auto* c = static_cast<WasiContext*>(context);
  const char* name = kFunctions[I].name;
  if (c->FirstDenial(I)) c->system()->Denied(name, __builtin_strlen(name));
  const bool prestat = SameName(name, "fd_prestat_get");
  if (kFunctions[I].result_count == 1) results[0] = prestat ? kBadf : kNotcapable;
  return Trap();
}

#define D(i) (i < sizeof(kFunctions) / sizeof(kFunctions[0]) ? Denied<(i) % (sizeof(kFunctions) / sizeof(kFunctions[0]))> : nullptr)
constexpr HostFunction kDenied[] = {D(0),  D(1),  D(2),  D(3),  D(4),  D(5),  D(6),  D(7),
                                    D(8),  D(9),  D(10), D(11), D(12), D(13), D(14), D(15),
                                    D(16), D(17), D(18), D(19), D(20), D(21), D(22), D(23),
                                    D(24), D(25), D(26), D(27), D(28), D(29), D(30), D(31),
                                    D(32), D(33), D(34), D(35), D(36), D(37), D(38), D(39),
                                    D(40), D(41), D(42), D(43), D(44), D(45), D(46), D(47),
                                    D(48), D(49), D(50), D(51), D(52), D(53), D(54), D(55),
                                    D(56), D(57), D(58), D(59), D(60), D(61), D(62), D(63)};
#undef D
static_assert(sizeof(kFunctions) / sizeof(kFunctions[0]) <= sizeof(kDenied) / sizeof(kDenied[0]),
              "add entries to kDenied");

}  // namespace

uint32_t WasiFunctionCount() { return sizeof(kFunctions) / sizeof(kFunctions[0]); }

const WasiFunction& WasiFunctionAt(uint32_t index) { return kFunctions[index]; }

int WasiFunctionIndex(const char* name, size_t len) {
  for (uint32_t i = 0; i < WasiFunctionCount(); ++i) {
    const size_t n = __builtin_strlen(kFunctions[i].name);
    if (n == len && __builtin_memcmp(kFunctions[i].name, name, len) == 0) return static_cast<int>(i);
  }
  return -1;
}

HostFunction DeniedWasiFunction(uint32_t index) {
  return index < WasiFunctionCount() ? kDenied[index] : nullptr;
}

const WasiFunction* FindWasiFunction(const char* name, size_t len) {
  for (const WasiFunction& f : kFunctions) {
    size_t n = __builtin_strlen(f.name);
    if (n == len && __builtin_memcmp(f.name, name, len) == 0) return &f;
  }
  return nullptr;
}

Trap WasiNotImplemented(void*, HostCall&, const uint64_t*, uint64_t* results) {
  // Only called for imports whose signature returns one i32 (see the linker).
  results[0] = kNosys;
  return Trap();
}

}  // namespace palisade::wasm::wasi
