#include "wasm/wasi/wasi_functions.h"

#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_context.h"

namespace palisade::wasm::wasi {

namespace {

// The caller's linear memory, every access checked against its size
// (overflow-safe: pointers are 32-bit, lengths at most 64-bit products of
// 32-bit values).
struct Memory {
  uint8_t* base = nullptr;
  uint64_t size = 0;

  explicit Memory(HostCall& call) {
    if (call.memory != nullptr) {
      base = MemoryData(call.memory);
      size = MemorySize(call.memory);
    }
  }
  bool Has(uint64_t ptr, uint64_t len) const { return ptr <= size && len <= size - ptr; }
  bool PutU32(uint32_t ptr, uint32_t v) {
    if (!Has(ptr, 4)) return false;
    __builtin_memcpy(base + ptr, &v, 4);
    return true;
  }
  bool PutU64(uint32_t ptr, uint64_t v) {
    if (!Has(ptr, 8)) return false;
    __builtin_memcpy(base + ptr, &v, 8);
    return true;
  }
  uint32_t U32(uint32_t ptr) const {
    uint32_t v;
    __builtin_memcpy(&v, base + ptr, 4);
    return v;
  }
};

WasiContext* Ctx(void* c) { return static_cast<WasiContext*>(c); }
uint32_t Arg32(const uint64_t* args, int i) { return static_cast<uint32_t>(args[i]); }
Trap Ok(uint64_t* results, Errno e) {
  results[0] = e;
  return Trap();
}

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

// fd_write / fd_read: the iovec array and every buffer it names are checked
// before any byte moves; a short transfer ends the call, as POSIX does.
Trap Transfer(bool write, void* c, HostCall& call, const uint64_t* args, uint64_t* results) {
  WasiContext* ctx = Ctx(c);
  Memory m(call);
  uint32_t fd = Arg32(args, 0), iovs = Arg32(args, 1), count = Arg32(args, 2), out = Arg32(args, 3);
  if (!ctx->IsOpen(fd)) return Ok(results, kBadf);
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
    int64_t n = write ? ctx->system()->Write(fd, m.base + buf, len)
                      : ctx->system()->Read(fd, m.base + buf, len);
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
  if (!Ctx(c)->IsOpen(fd)) return Ok(results, kBadf);
  if (!m.Has(out, kFdstatSize)) return Ok(results, kFault);
  __builtin_memset(m.base + out, 0, kFdstatSize);
  m.base[out] = kCharacterDevice;
  (void)m.PutU64(out + 8, fd == 0 ? kRightFdRead : kRightFdWrite);
  return Ok(results, kSuccess);
}
Trap FdSeek(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  // Only the standard streams exist, and they cannot seek.
  return Ok(results, Ctx(c)->IsOpen(Arg32(args, 0)) ? kSpipe : kBadf);
}
Trap FdClose(void* c, HostCall&, const uint64_t* args, uint64_t* results) {
  uint32_t fd = Arg32(args, 0);
  if (!Ctx(c)->IsOpen(fd)) return Ok(results, kBadf);
  Ctx(c)->Close(fd);
  return Ok(results, kSuccess);
}
Trap NoPreopens(void*, HostCall&, const uint64_t*, uint64_t* results) { return Ok(results, kBadf); }

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;
constexpr ValType kR[] = {I32};
constexpr ValType kI[] = {I32};
constexpr ValType kII[] = {I32, I32};
constexpr ValType kIIII[] = {I32, I32, I32, I32};
constexpr ValType kILI[] = {I32, I64, I32};
constexpr ValType kILII[] = {I32, I64, I32, I32};
constexpr ValType kIII[] = {I32, I32, I32};

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
    WASI_FN("fd_prestat_get", kII, true, NoPreopens),
    WASI_FN("fd_prestat_dir_name", kIII, true, NoPreopens),
};
#undef WASI_FN

}  // namespace

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
