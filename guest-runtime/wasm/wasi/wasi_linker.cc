#include "wasm/wasi/wasi_linker.h"

#include "wasm/wasi/wasi_functions.h"

namespace palisade::wasm::wasi {

namespace {

bool Same(const ValType* a, uint32_t na, const ValType* b, uint32_t nb) {
  if (na != nb) return false;
  for (uint32_t i = 0; i < na; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Appends "module.name" to a message buffer, truncating with "...".
void AppendName(char* msg, size_t cap, size_t* len, const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n && *len + 4 < cap; ++i) msg[(*len)++] = static_cast<char>(p[i]);
  msg[*len] = '\0';
}

}  // namespace

Error ResolveWasiImports(Store* store, const CompiledModule* cm, WasiContext* context,
                         Vec<Extern>* externs) {
  static const char kWasi[] = "wasi_snapshot_preview1";
  const Module& m = GetModule(cm);
  char missing[sizeof(Error::message)] = "unknown import:";
  size_t len = __builtin_strlen(missing);
  size_t unresolved = 0;
  for (const Import& imp : m.imports) {
    const uint8_t* mod = m.bytes + imp.module.offset;
    const uint8_t* name = m.bytes + imp.name.offset;
    bool is_wasi = imp.module.size == sizeof(kWasi) - 1 &&
                   __builtin_memcmp(mod, kWasi, sizeof(kWasi) - 1) == 0;
    FuncInst* f = nullptr;
    if (is_wasi && imp.kind == ExternKind::kFunc) {
      const FuncType& ft = m.types[imp.func_type];
      const ValType* params = m.Params(ft);
      const ValType* results = m.Results(ft);
      const int index = WasiFunctionIndex(reinterpret_cast<const char*>(name), imp.name.size);
      const WasiFunction* w = index >= 0 ? &WasiFunctionAt(static_cast<uint32_t>(index)) : nullptr;
      const bool denied = w != nullptr && (context->policy().denied >> index & 1) != 0;
      if (denied && context->policy().refuse_module) {
        char msg[sizeof(Error::message)] = "denied import (the policy forbids it): wasi_snapshot_preview1.";
        size_t n = __builtin_strlen(msg);
        AppendName(msg, sizeof(msg), &n, name, imp.name.size);
        return MakeError(ErrorKind::kInvalid, imp.name.offset, "import", msg);
      }
      if (w != nullptr) {
        if (!Same(w->params, w->param_count, params, ft.param_count) ||
            !Same(w->results, w->result_count, results, ft.result_count)) {
          return MakeError(ErrorKind::kInvalid, imp.name.offset, "import",
                           "incompatible import type for a wasi_snapshot_preview1 function");
        }
        f = NewHostFunction(store, params, ft.param_count, results, ft.result_count,
                            denied ? DeniedWasiFunction(static_cast<uint32_t>(index)) : w->function, context);
      } else if (ft.result_count == 1 && results[0] == ValType::kI32) {
        // Every preview1 function returns an errno: unknown ones say ENOSYS.
        f = NewHostFunction(store, params, ft.param_count, results, 1, WasiNotImplemented, context);
      }
    }
    if (f == nullptr) {
      ++unresolved;
      if (len + 4 < sizeof(missing)) missing[len++] = ' ';
      AppendName(missing, sizeof(missing), &len, mod, imp.module.size);
      if (len + 4 < sizeof(missing)) missing[len++] = '.';
      AppendName(missing, sizeof(missing), &len, name, imp.name.size);
      if (len + 4 >= sizeof(missing)) {
        missing[len - 3] = missing[len - 2] = missing[len - 1] = '.';
      }
      continue;
    }
    if (!externs->push_back(Extern{ExternKind::kFunc, f})) {
      return MakeError(ErrorKind::kOutOfMemory, 0, "import", "out of memory");
    }
  }
  if (unresolved > 0) return MakeError(ErrorKind::kInvalid, 0, "import", missing);
  return Error();
}

}  // namespace palisade::wasm::wasi
