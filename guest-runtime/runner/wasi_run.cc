#include "runner/wasi_run.h"

#include <new>

#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"
#include "lib/hypercall.h"
#include "lib/outbox.h"
#include "lib/string.h"
#include "runner/heap_memory_provider.h"
#include "runner/hypercall_code_sealer.h"
#include "runner/hypercall_wasi_system.h"
#include "runner/text_builder.h"
#include "wasm/runtime/engine.h"
#include "wasm/support/alloc.h"
#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_image.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::guest {
namespace {

using abi::WasiRunMode;
using abi::WasmOutcome;

void Report(WasmOutcome kind, uint64_t code, uint32_t func, uint32_t offset, const char* text,
            size_t len) {
  // Queued: the host handles it with the kAwaitCommand that ends the command.
  Defer(abi::Hypercall::kWasmOutcome, {static_cast<uint64_t>(kind), code, func, offset, 0, len},
        text, len, 4);
}

void ReportText(WasmOutcome kind, const char* text) { Report(kind, 0, 0, 0, text, strlen(text)); }
void ReportText(WasmOutcome kind, const TextBuilder& t) { Report(kind, 0, 0, 0, t.data(), t.size()); }

// True if [offset, offset + size) lies inside a request of `total` bytes.
bool InRange(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

bool ValidRequest(const abi::WasiRunRequest* req, uint64_t size) {
  return req->magic == abi::kWasiRunMagic && InRange(req->module_offset, req->module_size, size) &&
         InRange(req->args_offset, req->args_size, size) &&
         InRange(req->env_offset, req->env_size, size) &&
         InRange(req->fs_offset, req->fs_size, size) &&
         InRange(req->export_offset, req->export_size, size) &&
         static_cast<uint32_t>(req->mode) <= static_cast<uint32_t>(WasiRunMode::kFuzzOne);
}

bool PowerOfTwo(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

// kFuzzOne's input and coverage arrays lie inside the request, the compare
// records aligned.
bool ValidFuzzRequest(const abi::WasiRunRequest* req, uint64_t size) {
  uint64_t cmp_bytes = static_cast<uint64_t>(req->coverage_cmp_slots) * sizeof(wasm::CmpRecord);
  return InRange(req->input_offset, req->input_size, size) && PowerOfTwo(req->coverage_counters) &&
         PowerOfTwo(req->coverage_cmp_slots) && req->coverage_offset % 8 == 0 &&
         req->coverage_counters % 8 == 0 &&
         InRange(req->coverage_offset, req->coverage_counters + cmp_bytes, size);
}

// Adds `count` NUL-terminated strings stored back to back in [p, p + size).
template <typename AddFn>
bool AddStrings(const char* p, uint64_t size, uint32_t count, AddFn add) {
  uint64_t at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t end = at;
    while (end < size && p[end] != '\0') ++end;
    if (end == size) return false;  // unterminated
    if (!add(p + at, end - at)) return false;
    at = end + 1;
  }
  return true;
}

void ReportCompileError(const wasm::Error& e) {
  TextBuilder t;
  t.Add(e.kind == wasm::ErrorKind::kMalformed ? "malformed module: "
        : e.kind == wasm::ErrorKind::kInvalid ? "invalid module: "
        : e.kind == wasm::ErrorKind::kLimit   ? "module exceeds a limit: "
                                              : "out of memory: ");
  t.Add(e.message).Add(" (").Add(e.section[0] != '\0' ? e.section : "module");
  t.Add(" section, offset ").AddHex(e.offset).Add(")");
  ReportText(WasmOutcome::kLoadFailed, t);
}

HypercallWasiSystem g_system;
HeapMemoryProvider g_memory;

// The module kept by kPrepare, with its own copy of the bytes (a compiled
// module refers to them; the request buffer is freed after each command).
struct Prepared {
  uint8_t* bytes = nullptr;
  wasm::CompiledModule* module = nullptr;
  void Clear() {
    wasm::FreeCompiledModule(module);
    wasm::EngineFree(bytes);
    *this = Prepared();
  }
};
Prepared g_prepared;

wasm::CompileOptions CompileOptionsFor(const abi::WasiRunRequest* req) {
  wasm::CompileOptions o = EngineOptions(req->policy_flags);
  o.coverage = (req->policy_flags & abi::kFuzzCoverage) != 0;
  return o;
}

// One instance and everything it refers to: the WASI context (args, env,
// open files), the directory image, the module and the store. A one-shot run
// lives on the stack; kInstantiate keeps one in g_live. Never moved: the
// context points at `fs` and host functions at the context.
class Session {
 public:
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { Clear(); }

  void Clear() {
    wasm::FreeStore(store_);
    store_ = nullptr;
    instance_ = nullptr;
    if (owns_module_) wasm::FreeCompiledModule(module_);
    module_ = nullptr;
    if (wasi_ != nullptr) {
      wasi_->~WasiContext();
      wasm::EngineFree(wasi_);
      wasi_ = nullptr;
    }
    fs_ = wasm::wasi::FsImage();
    wasm::EngineFree(owned_request_);
    owned_request_ = nullptr;
  }
  bool live() const { return instance_ != nullptr; }
  wasm::Store* store() const { return store_; }
  wasm::Instance* instance() const { return instance_; }
  const wasm::CompiledModule* module() const { return module_; }
  const wasm::wasi::WasiContext* wasi() const { return wasi_; }

  // Keeps a private copy of the request, for a session that outlives the
  // command (the module bytes and directory image must stay put).
  const char* Own(const char* base, uint64_t size) {
    owned_request_ = static_cast<uint8_t*>(wasm::EngineAlloc(size));
    if (owned_request_ == nullptr) return nullptr;
    memcpy(owned_request_, base, size);
    return reinterpret_cast<const char*>(owned_request_);
  }

  // Sets up WASI, compiles (or borrows the prepared module) and instantiates.
  // On failure the outcome has been reported and the trap is empty; on a
  // trap in the start function it is returned, with *ok false.
  wasm::Trap Open(const abi::WasiRunRequest* req, const char* base, bool* ok) {
    *ok = false;
    void* storage = wasm::EngineAlloc(sizeof(wasm::wasi::WasiContext));
    if (storage == nullptr) {
      ReportText(WasmOutcome::kLinkFailed, "out of memory for the WASI context");
      return wasm::Trap();
    }
    wasi_ = new (storage) wasm::wasi::WasiContext(&g_system);
    wasi_->SetPolicy({req->wasi_denied, (req->policy_flags & abi::kPolicyRefuseModule) != 0});
    g_system.set_terminals(((req->policy_flags & abi::kStdinTerminal) != 0 ? 1u : 0u) |
                           ((req->policy_flags & abi::kStdoutTerminal) != 0 ? 2u : 0u) |
                           ((req->policy_flags & abi::kStderrTerminal) != 0 ? 4u : 0u));
    if (!AddStrings(base + req->args_offset, req->args_size, req->argc,
                    [&](const char* s, size_t n) { return wasi_->AddArg(s, n); }) ||
        !AddStrings(base + req->env_offset, req->env_size, req->envc,
                    [&](const char* s, size_t n) { return wasi_->AddEnv(s, n); })) {
      ReportText(WasmOutcome::kLoadFailed, "bad arguments or environment in the run request");
      return wasm::Trap();
    }
    if (req->fs_size != 0 &&
        (!fs_.Init(reinterpret_cast<const uint8_t*>(base + req->fs_offset), req->fs_size) ||
         !wasi_->SetFs(&fs_))) {
      ReportText(WasmOutcome::kLoadFailed, "unusable directory image in the run request");
      return wasm::Trap();
    }
    const auto* bytes = reinterpret_cast<const uint8_t*>(base + req->module_offset);
    if (req->module_size == 0 && g_prepared.module != nullptr) {
      module_ = g_prepared.module;
      owns_module_ = false;
    } else if (wasm::Error e = wasm::CompileModule(bytes, req->module_size, &module_, CompileOptionsFor(req));
               !e.ok()) {
      module_ = nullptr;
      ReportCompileError(e);
      return wasm::Trap();
    }
    wasm::StoreLimits limits;
    limits.max_memory_pages = req->max_memory_pages;
    store_ = wasm::NewStore(limits, &g_memory);
    if (store_ == nullptr) {
      ReportText(WasmOutcome::kLinkFailed, "out of memory creating the store");
      return wasm::Trap();
    }
    wasm::Vec<wasm::Extern> externs;
    if (wasm::Error e = wasm::wasi::ResolveWasiImports(store_, module_, wasi_, &externs); !e.ok()) {
      ReportText(WasmOutcome::kLinkFailed, e.message);
      return wasm::Trap();
    }
    wasm::InstantiateResult r = wasm::Instantiate(store_, module_, externs.data(), externs.size());
    if (r.status == wasm::InstantiateStatus::kTrap) return r.trap;
    if (r.status != wasm::InstantiateStatus::kOk) {
      TextBuilder t;
      t.Add(r.status == wasm::InstantiateStatus::kLinkError ? "link error: " : "").Add(r.error.message);
      ReportText(WasmOutcome::kLinkFailed, t);
      return wasm::Trap();
    }
    instance_ = r.instance;
    *ok = true;
    return wasm::Trap();
  }

 private:
  uint8_t* owned_request_ = nullptr;
  wasm::wasi::WasiContext* wasi_ = nullptr;
  wasm::wasi::FsImage fs_;
  wasm::CompiledModule* module_ = nullptr;
  bool owns_module_ = true;
  wasm::Store* store_ = nullptr;
  wasm::Instance* instance_ = nullptr;
};
Session g_live;

// How a run ended: exit/success, or a trap with its place in the module.
void ReportEnd(const wasm::Trap& trap, const wasm::CompiledModule* module) {
  if (trap.ok() || trap.kind == wasm::TrapKind::kExit) {
    Report(WasmOutcome::kExited, trap.ok() ? 0 : static_cast<uint32_t>(trap.exit_code), 0, 0,
           nullptr, 0);
    return;
  }
  size_t name_len = 0;
  const char* name = wasm::FunctionNameOf(module, trap.func_index, &name_len);
  Report(WasmOutcome::kTrapped, static_cast<uint64_t>(trap.kind), trap.func_index, trap.offset,
         name, name != nullptr ? name_len : 0);
}

// Finds the exported function named [name, name + len); reports if missing.
wasm::FuncInst* ExportedFunction(const Session& s, const char* name, size_t len) {
  wasm::Extern e;
  if (!wasm::FindExport(s.instance(), name, len, &e) || e.kind != wasm::ExternKind::kFunc) {
    TextBuilder t;
    t.Add("exports no function '").Add(name, len).Add("'");
    ReportText(WasmOutcome::kLinkFailed, t);
    return nullptr;
  }
  return static_cast<wasm::FuncInst*>(e.object);
}

// A run that succeeded (or any run that ended in the guest, with
// kPartialResults) hands its writable directories' changes to the host in
// one hypercall, before its outcome; the host decides from that outcome
// whether to use them.
void HandBackChanges(const Session& s) {
  const wasm::wasi::FsTree* tree = s.wasi() != nullptr ? s.wasi()->tree() : nullptr;
  if (tree == nullptr || !tree->AnyWritable()) return;
  wasm::Vec<uint8_t> changes;
  if (!wasm::wasi::ExportFsChanges(*tree, &changes)) {
    Abort(abi::AbortReason::kOutOfMemory, "out of memory collecting the changes of --dir ...:rw");
  }
  Hypercall(abi::Hypercall::kFsChanges, reinterpret_cast<uintptr_t>(changes.data()), changes.size());
}

// kStart: call _start.
void Start(Session& s, const abi::WasiRunRequest* req) {
  wasm::Extern start;
  if (!wasm::FindExport(s.instance(), "_start", 6, &start) || start.kind != wasm::ExternKind::kFunc) {
    ReportText(WasmOutcome::kLinkFailed, "exports no _start function (not a WASI command)");
    return;
  }
  if (req->fuel != 0) wasm::SetFuel(s.store(), true, req->fuel);
  const wasm::Trap trap = wasm::Invoke(s.store(), static_cast<wasm::FuncInst*>(start.object), nullptr, 0, nullptr, 0);
  const bool succeeded = trap.ok() || (trap.kind == wasm::TrapKind::kExit && trap.exit_code == 0);
  if (succeeded || (req->policy_flags & abi::kPartialResults) != 0) HandBackChanges(s);
  ReportEnd(trap, s.module());
}

// kDescribe / kInvoke on the export the request names.
void CallExport(Session& s, const abi::WasiRunRequest* req, const char* base, uint64_t size) {
  wasm::FuncInst* f = ExportedFunction(s, base + req->export_offset, req->export_size);
  if (f == nullptr) return;
  const wasm::ValType *params, *results;
  uint32_t np, nr;
  wasm::GetFuncSignature(f, &params, &np, &results, &nr);
  constexpr uint32_t kMax = abi::kMaxWasmValues < 64 ? abi::kMaxWasmValues : 64;
  if (np > kMax || nr > kMax) {
    ReportText(WasmOutcome::kLinkFailed, "the function has too many parameters or results");
    return;
  }
  if (req->mode == WasiRunMode::kDescribe) {
    uint8_t types[2 * kMax];
    for (uint32_t i = 0; i < np; ++i) types[i] = static_cast<uint8_t>(params[i]);
    for (uint32_t i = 0; i < nr; ++i) types[np + i] = static_cast<uint8_t>(results[i]);
    Defer(abi::Hypercall::kWasmSignature, {0, np, nr, 0, 0, 0}, types, np + nr, 0);
    Report(WasmOutcome::kExited, 0, 0, 0, nullptr, 0);
    return;
  }
  // kInvoke: the arguments must match the signature exactly.
  if (req->value_count != np || req->values_offset % 8 != 0 ||
      !InRange(req->values_offset, static_cast<uint64_t>(np) * sizeof(abi::WasmValue), size)) {
    ReportText(WasmOutcome::kLoadFailed, "arguments do not match the function's signature");
    return;
  }
  const auto* in = reinterpret_cast<const abi::WasmValue*>(base + req->values_offset);
  wasm::Value args[kMax];
  wasm::Value outs[kMax];
  for (uint32_t i = 0; i < np; ++i) {
    if (in[i].type != static_cast<uint64_t>(params[i])) {
      ReportText(WasmOutcome::kLoadFailed, "argument types do not match the signature");
      return;
    }
    args[i].type = params[i];
    args[i].bits[0] = in[i].lo;
    args[i].bits[1] = in[i].hi;
  }
  if (req->fuel != 0) wasm::SetFuel(s.store(), true, req->fuel);
  wasm::Trap trap = wasm::Invoke(s.store(), f, args, np, outs, nr);
  if (trap.ok()) {
    abi::WasmValue vals[kMax];
    for (uint32_t i = 0; i < nr; ++i) {
      vals[i] = abi::WasmValue{static_cast<uint64_t>(outs[i].type), outs[i].bits[0], outs[i].bits[1]};
    }
    Defer(abi::Hypercall::kWasmResults, {0, nr, 0, 0, 0, 0}, vals, nr * sizeof(abi::WasmValue), 0);
  }
  ReportEnd(trap, s.module());
}

void Prepare(const abi::WasiRunRequest* req, const char* base) {
  g_live.Clear();
  g_prepared.Clear();
  if (req->module_size > 0) {
    g_prepared.bytes = static_cast<uint8_t*>(wasm::EngineAlloc(req->module_size));
    if (g_prepared.bytes == nullptr) {
      ReportText(WasmOutcome::kLoadFailed, "out of memory keeping the module");
      return;
    }
    memcpy(g_prepared.bytes, base + req->module_offset, req->module_size);
  }
  if (wasm::Error e = wasm::CompileModule(g_prepared.bytes, req->module_size, &g_prepared.module,
                                          CompileOptionsFor(req));
      !e.ok()) {
    g_prepared.Clear();
    ReportCompileError(e);
    return;
  }
  Report(WasmOutcome::kExited, 0, 0, 0, nullptr, 0);
}

void InstantiateLive(const abi::WasiRunRequest* req, const char* base, uint64_t size) {
  g_live.Clear();
  g_prepared.Clear();
  const char* own = g_live.Own(base, size);
  if (own == nullptr) {
    ReportText(WasmOutcome::kLoadFailed, "out of memory keeping the module");
    return;
  }
  const auto* own_req = reinterpret_cast<const abi::WasiRunRequest*>(own);
  bool ok;
  wasm::Trap trap = g_live.Open(own_req, own, &ok);
  if (ok && !wasm::ReserveStacks(g_live.store())) {
    ReportText(WasmOutcome::kLoadFailed, "out of memory for the engine's stacks");
    g_live.Clear();
    return;
  }
  if (ok) {
    // The engine's stacks exist from now on (above), so calls from the
    // snapshot allocate nothing. A WASI reactor initialises itself
    // (constructors, libc) here, once, so the snapshot holds the initialised
    // state.
    wasm::Extern init;
    if (wasm::FindExport(g_live.instance(), "_initialize", 11, &init) &&
        init.kind == wasm::ExternKind::kFunc) {
      if (req->fuel != 0) wasm::SetFuel(g_live.store(), true, req->fuel);
      trap = wasm::Invoke(g_live.store(), static_cast<wasm::FuncInst*>(init.object), nullptr, 0,
                          nullptr, 0);
    }
  } else if (trap.ok()) {
    g_live.Clear();
    return;  // already reported
  }
  ReportEnd(trap, g_live.module());
  if (!trap.ok()) g_live.Clear();
}

// kFuzzOne: one input through the kept harness (see the ABI). The host
// resets the sandbox afterwards, so nothing here needs undoing.
int64_t FuzzOne(const abi::WasiRunRequest* req, const char* base) {
  wasm::Extern mem;
  wasm::FuncInst* malloc_fn = ExportedFunction(g_live, "malloc", 6);
  wasm::FuncInst* test = malloc_fn ? ExportedFunction(g_live, "LLVMFuzzerTestOneInput", 22) : nullptr;
  if (test == nullptr) return kStatusOk;  // reported
  if (!wasm::FindExport(g_live.instance(), "memory", 6, &mem) || mem.kind != wasm::ExternKind::kMemory) {
    ReportText(WasmOutcome::kLinkFailed, "exports no memory named 'memory'");
    return kStatusOk;
  }
  auto* memory = static_cast<wasm::MemoryInst*>(mem.object);
  wasm::Store* store = g_live.store();
  char* cov = const_cast<char*>(base) + req->coverage_offset;
  wasm::CoverageMap map;
  map.counters = reinterpret_cast<uint8_t*>(cov);
  map.counters_size = wasm::SuggestedCoverageMapSize(g_live.module(), req->coverage_counters);
  map.cmps = reinterpret_cast<wasm::CmpRecord*>(cov + req->coverage_counters);
  map.cmp_slots = req->coverage_cmp_slots;
  wasm::SetCoverage(store, &map);
  if (req->fuel != 0) wasm::SetFuel(store, true, req->fuel);
  const uint64_t refused = wasm::RefusedMemoryGrows(store);

  wasm::Value size = wasm::Value::I32(req->input_size);
  wasm::Value ptr;
  wasm::Trap trap = wasm::Invoke(store, malloc_fn, &size, 1, &ptr, 1);
  wasm::Value result;
  if (trap.ok()) {
    uint64_t at = ptr.i32();
    if (at == 0 && req->input_size != 0) {
      wasm::SetCoverage(store, nullptr);
      Report(WasmOutcome::kMemoryLimit, 1, 0, 0, nullptr, 0);
      return kStatusOk;
    }
    if (at + req->input_size > wasm::MemorySize(memory)) {
      wasm::SetCoverage(store, nullptr);
      ReportText(WasmOutcome::kLoadFailed, "the harness's malloc returned memory outside its memory");
      return kStatusOk;
    }
    memcpy(wasm::MemoryData(memory) + at, base + req->input_offset, req->input_size);
    wasm::Value args[2] = {wasm::Value::I32(static_cast<uint32_t>(at)), wasm::Value::I32(req->input_size)};
    trap = wasm::Invoke(store, test, args, 2, &result, 1);
  }
  wasm::SetCoverage(store, nullptr);
  if (!trap.ok()) {
    ReportEnd(trap, g_live.module());
    return kStatusOk;
  }
  if (wasm::RefusedMemoryGrows(store) != refused) {
    Report(WasmOutcome::kMemoryLimit, 0, 0, 0, nullptr, 0);
    return kStatusOk;
  }
  return static_cast<int32_t>(result.i32()) == -1 ? abi::kFuzzRejected : abi::kFuzzReturned;
}

}  // namespace

int64_t RunWasi(uint64_t request_addr, uint64_t request_size) {
  if (request_size < sizeof(abi::WasiRunRequest) || request_addr % 8 != 0) return kStatusBadArgument;
  const auto* req = reinterpret_cast<const abi::WasiRunRequest*>(request_addr);
  const char* base = reinterpret_cast<const char*>(request_addr);
  if (!ValidRequest(req, request_size)) return kStatusBadArgument;

  switch (req->mode) {
    case WasiRunMode::kPrepare:
      Prepare(req, base);
      return kStatusOk;
    case WasiRunMode::kInstantiate:
      InstantiateLive(req, base, request_size);
      return kStatusOk;
    case WasiRunMode::kDescribe:
    case WasiRunMode::kInvoke:
      if (req->module_size == 0 && g_live.live()) {
        CallExport(g_live, req, base, request_size);
        return kStatusOk;
      }
      break;
    case WasiRunMode::kFuzzOne:
      if (!ValidFuzzRequest(req, request_size)) return kStatusBadArgument;
      if (!g_live.live()) {
        ReportText(WasmOutcome::kLoadFailed, "no harness instantiated");
        return kStatusOk;
      }
      return FuzzOne(req, base);
    case WasiRunMode::kStart:
      break;
  }
  Session s;
  bool ok;
  wasm::Trap trap = s.Open(req, base, &ok);
  if (!ok) {
    if (!trap.ok()) ReportEnd(trap, s.module());
    return kStatusOk;
  }
  if (req->mode == WasiRunMode::kStart) {
    Start(s, req);
  } else {
    CallExport(s, req, base, request_size);
  }
  return kStatusOk;
}

}  // namespace palisade::guest
