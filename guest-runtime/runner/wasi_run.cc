#include "runner/wasi_run.h"

#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"
#include "lib/hypercall.h"
#include "lib/string.h"
#include "runner/heap_memory_provider.h"
#include "runner/hypercall_wasi_system.h"
#include "runner/text_builder.h"
#include "wasm/runtime/engine.h"
#include "wasm/support/alloc.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::guest {
namespace {

void Report(abi::WasmOutcome kind, uint64_t code, uint32_t func, uint32_t offset,
            const char* text, size_t len) {
  Hypercall(abi::Hypercall::kWasmOutcome, static_cast<uint64_t>(kind), code, func, offset,
            reinterpret_cast<uint64_t>(text), len);
}

void ReportText(abi::WasmOutcome kind, const TextBuilder& t) {
  Report(kind, 0, 0, 0, t.data(), t.size());
}

// True if [offset, offset + size) lies inside a request of `total` bytes.
bool InRange(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
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

// Owns what one run allocates, so every exit path frees it. A prepared
// module is borrowed, not owned.
struct RunState {
  wasm::CompiledModule* module = nullptr;
  bool owns_module = true;
  wasm::Store* store = nullptr;
  ~RunState() {
    wasm::FreeStore(store);
    if (owns_module) wasm::FreeCompiledModule(module);
  }
};

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

void ReportCompileError(const wasm::Error& e) {
  TextBuilder t;
  t.Add(e.kind == wasm::ErrorKind::kMalformed ? "malformed module: "
        : e.kind == wasm::ErrorKind::kInvalid ? "invalid module: "
        : e.kind == wasm::ErrorKind::kLimit   ? "module exceeds a limit: "
                                              : "out of memory: ");
  t.Add(e.message).Add(" (").Add(e.section[0] != '\0' ? e.section : "module");
  t.Add(" section, offset ").AddHex(e.offset).Add(")");
  ReportText(abi::WasmOutcome::kLoadFailed, t);
}

}  // namespace

int64_t RunWasi(uint64_t request_addr, uint64_t request_size) {
  if (request_size < sizeof(abi::WasiRunRequest) || request_addr % 8 != 0) return kStatusBadArgument;
  const auto* req = reinterpret_cast<const abi::WasiRunRequest*>(request_addr);
  const char* base = reinterpret_cast<const char*>(request_addr);
  if (req->magic != abi::kWasiRunMagic ||
      !InRange(req->module_offset, req->module_size, request_size) ||
      !InRange(req->args_offset, req->args_size, request_size) ||
      !InRange(req->env_offset, req->env_size, request_size) ||
      !InRange(req->fs_offset, req->fs_size, request_size) ||
      !InRange(req->export_offset, req->export_size, request_size) ||
      (req->mode != abi::WasiRunMode::kStart && req->mode != abi::WasiRunMode::kDescribe &&
       req->mode != abi::WasiRunMode::kInvoke && req->mode != abi::WasiRunMode::kPrepare)) {
    return kStatusBadArgument;
  }
  static HypercallWasiSystem system;
  static HeapMemoryProvider memory;
  wasm::wasi::WasiContext wasi(&system);
  if (!AddStrings(base + req->args_offset, req->args_size, req->argc,
                  [&](const char* s, size_t n) { return wasi.AddArg(s, n); }) ||
      !AddStrings(base + req->env_offset, req->env_size, req->envc,
                  [&](const char* s, size_t n) { return wasi.AddEnv(s, n); })) {
    TextBuilder t;
    ReportText(abi::WasmOutcome::kLoadFailed, t.Add("bad arguments or environment in the run request"));
    return kStatusOk;
  }

  wasm::wasi::FsImage fs;
  if (req->fs_size != 0) {
    if (!fs.Init(reinterpret_cast<const uint8_t*>(base + req->fs_offset), req->fs_size) ||
        !wasi.SetFs(&fs)) {
      TextBuilder t;
      ReportText(abi::WasmOutcome::kLoadFailed, t.Add("unusable directory image in the run request"));
      return kStatusOk;
    }
  }

  const auto* bytes = reinterpret_cast<const uint8_t*>(base + req->module_offset);
  if (req->mode == abi::WasiRunMode::kPrepare) {
    g_prepared.Clear();
    if (req->module_size > 0) g_prepared.bytes = static_cast<uint8_t*>(wasm::EngineAlloc(req->module_size));
    if (req->module_size > 0 && g_prepared.bytes == nullptr) {
      TextBuilder t;
      ReportText(abi::WasmOutcome::kLoadFailed, t.Add("out of memory keeping the module"));
      return kStatusOk;
    }
    if (req->module_size > 0) memcpy(g_prepared.bytes, bytes, req->module_size);
    wasm::Error e = wasm::CompileModule(g_prepared.bytes, req->module_size, &g_prepared.module);
    if (!e.ok()) {
      g_prepared.Clear();
      ReportCompileError(e);
      return kStatusOk;
    }
    Report(abi::WasmOutcome::kExited, 0, 0, 0, nullptr, 0);
    return kStatusOk;
  }
  RunState run;
  if (req->module_size == 0 && g_prepared.module != nullptr) {
    run.module = g_prepared.module;
    run.owns_module = false;
  } else if (wasm::Error e = wasm::CompileModule(bytes, req->module_size, &run.module); !e.ok()) {
    ReportCompileError(e);
    return kStatusOk;
  }
  wasm::StoreLimits limits;
  limits.max_memory_pages = req->max_memory_pages;
  run.store = wasm::NewStore(limits, &memory);
  if (run.store == nullptr) {
    TextBuilder t;
    ReportText(abi::WasmOutcome::kLinkFailed, t.Add("out of memory creating the store"));
    return kStatusOk;
  }
  wasm::Vec<wasm::Extern> externs;
  wasm::Error e = wasm::wasi::ResolveWasiImports(run.store, run.module, &wasi, &externs);
  if (!e.ok()) {
    TextBuilder t;
    ReportText(abi::WasmOutcome::kLinkFailed, t.Add(e.message));
    return kStatusOk;
  }
  wasm::InstantiateResult r = wasm::Instantiate(run.store, run.module, externs.data(), externs.size());
  wasm::Trap trap;
  if (r.status == wasm::InstantiateStatus::kTrap) {
    trap = r.trap;
  } else if (r.status != wasm::InstantiateStatus::kOk) {
    TextBuilder t;
    t.Add(r.status == wasm::InstantiateStatus::kLinkError ? "link error: " : "").Add(r.error.message);
    ReportText(abi::WasmOutcome::kLinkFailed, t);
    return kStatusOk;
  } else if (req->mode == abi::WasiRunMode::kStart) {
    wasm::Extern start;
    if (!wasm::FindExport(r.instance, "_start", 6, &start) || start.kind != wasm::ExternKind::kFunc) {
      TextBuilder t;
      ReportText(abi::WasmOutcome::kLinkFailed, t.Add("exports no _start function (not a WASI command)"));
      return kStatusOk;
    }
    if (req->fuel != 0) wasm::SetFuel(run.store, true, req->fuel);
    trap = wasm::Invoke(run.store, static_cast<wasm::FuncInst*>(start.object), nullptr, 0, nullptr, 0);
  } else {
    wasm::Extern e;
    if (!wasm::FindExport(r.instance, base + req->export_offset, req->export_size, &e) ||
        e.kind != wasm::ExternKind::kFunc) {
      TextBuilder t;
      t.Add("exports no function '").Add(base + req->export_offset, req->export_size).Add("'");
      ReportText(abi::WasmOutcome::kLinkFailed, t);
      return kStatusOk;
    }
    auto* f = static_cast<wasm::FuncInst*>(e.object);
    const wasm::ValType *params, *results;
    uint32_t np, nr;
    wasm::GetFuncSignature(f, &params, &np, &results, &nr);
    if (req->mode == abi::WasiRunMode::kDescribe) {
      uint8_t types[2 * abi::kMaxWasmValues];
      if (np > abi::kMaxWasmValues || nr > abi::kMaxWasmValues) {
        TextBuilder t;
        ReportText(abi::WasmOutcome::kLinkFailed, t.Add("signature too long"));
        return kStatusOk;
      }
      for (uint32_t i = 0; i < np; ++i) types[i] = static_cast<uint8_t>(params[i]);
      for (uint32_t i = 0; i < nr; ++i) types[np + i] = static_cast<uint8_t>(results[i]);
      Hypercall(abi::Hypercall::kWasmSignature, reinterpret_cast<uint64_t>(types), np, nr);
      Report(abi::WasmOutcome::kExited, 0, 0, 0, nullptr, 0);
      return kStatusOk;
    }
    // kInvoke: the arguments must match the signature exactly.
    if (req->value_count != np || req->values_offset % 8 != 0 ||
        !InRange(req->values_offset, static_cast<uint64_t>(np) * sizeof(abi::WasmValue), request_size) ||
        nr > abi::kMaxWasmValues) {
      TextBuilder t;
      ReportText(abi::WasmOutcome::kLoadFailed, t.Add("arguments do not match the function's signature"));
      return kStatusOk;
    }
    const auto* in = reinterpret_cast<const abi::WasmValue*>(base + req->values_offset);
    wasm::Value args[abi::kMaxWasmValues > 64 ? 64 : abi::kMaxWasmValues];
    wasm::Value outs[64];
    if (np > 64 || nr > 64) {
      TextBuilder t;
      ReportText(abi::WasmOutcome::kLoadFailed, t.Add("more than 64 parameters or results"));
      return kStatusOk;
    }
    for (uint32_t i = 0; i < np; ++i) {
      if (in[i].type != static_cast<uint64_t>(params[i])) {
        TextBuilder t;
        ReportText(abi::WasmOutcome::kLoadFailed, t.Add("argument types do not match the signature"));
        return kStatusOk;
      }
      args[i].type = params[i];
      args[i].bits[0] = in[i].lo;
      args[i].bits[1] = in[i].hi;
    }
    if (req->fuel != 0) wasm::SetFuel(run.store, true, req->fuel);
    trap = wasm::Invoke(run.store, f, args, np, outs, nr);
    if (trap.ok()) {
      abi::WasmValue vals[64];
      for (uint32_t i = 0; i < nr; ++i) {
        vals[i] = abi::WasmValue{static_cast<uint64_t>(outs[i].type), outs[i].bits[0], outs[i].bits[1]};
      }
      Hypercall(abi::Hypercall::kWasmResults, reinterpret_cast<uint64_t>(vals), nr);
    }
  }
  if (trap.ok() || trap.kind == wasm::TrapKind::kExit) {
    Report(abi::WasmOutcome::kExited, trap.ok() ? 0 : static_cast<uint32_t>(trap.exit_code), 0, 0,
           nullptr, 0);
    return kStatusOk;
  }
  size_t name_len = 0;
  const char* name = wasm::FunctionNameOf(run.module, trap.func_index, &name_len);
  Report(abi::WasmOutcome::kTrapped, static_cast<uint64_t>(trap.kind), trap.func_index, trap.offset,
         name, name != nullptr ? name_len : 0);
  return kStatusOk;
}

}  // namespace palisade::guest
