#include "wasm/spectest/spec_session.h"

#include "wasm/binary/module.h"

namespace palisade::wasm::spectest {
namespace {

bool SameName(const char* a, size_t an, const char* b, size_t bn) {
  if (an != bn) return false;
  for (size_t i = 0; i < an; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

char* CopyName(const char* s, size_t n) {
  char* c = static_cast<char*>(EngineAlloc(n + 1));
  if (c == nullptr) return nullptr;
  for (size_t i = 0; i < n; ++i) c[i] = s[i];
  c[n] = '\0';
  return c;
}

// spectest.print*: the tests call them for their side effect, which is none here.
Trap Print(void*, HostCall&, const uint64_t*, uint64_t*) { return Trap(); }

SpecResult Failed(SpecStatus status) {
  SpecResult r;
  r.status = status;
  return r;
}

}  // namespace

void SpecSession::Clear() {
  FreeStore(store_);
  store_ = nullptr;
  for (size_t i = 0; i < modules_.size(); ++i) {
    FreeCompiledModule(modules_[i].module);
    EngineFree(modules_[i].bytes);
  }
  modules_.clear();
  instances_.clear();
  for (size_t i = 0; i < spectest_.size(); ++i) EngineFree(spectest_[i].name);
  for (size_t i = 0; i < registered_.size(); ++i) EngineFree(registered_[i].name);
  spectest_.clear();
  registered_.clear();
}

bool SpecSession::Reset(MemoryProvider* memory) {
  Clear();
  StoreLimits limits;
  limits.max_call_depth = 20000;
  store_ = NewStore(limits, memory);
  if (store_ != nullptr && coverage_ != nullptr) SetCoverage(store_, coverage_);
  return store_ != nullptr && AddSpectest();
}

bool SpecSession::AddSpectest() {
  bool ok = true;
  auto add = [&](const char* name, ExternKind kind, void* object) {
    Named n;
    n.size = Length(name);
    n.name = CopyName(name, n.size);
    n.kind = kind;
    n.object = object;
    ok = ok && object != nullptr && n.name != nullptr && spectest_.push_back(n);
  };
  auto func = [&](const char* name, const ValType* params, uint32_t count) {
    add(name, ExternKind::kFunc, NewHostFunction(store_, params, count, nullptr, 0, Print, nullptr));
  };
  const ValType i32[] = {ValType::kI32}, i64[] = {ValType::kI64}, f32[] = {ValType::kF32},
                f64[] = {ValType::kF64}, i32_f32[] = {ValType::kI32, ValType::kF32},
                f64_f64[] = {ValType::kF64, ValType::kF64};
  func("print", nullptr, 0);
  func("print_i32", i32, 1);
  func("print_i64", i64, 1);
  func("print_f32", f32, 1);
  func("print_f64", f64, 1);
  func("print_i32_f32", i32_f32, 2);
  func("print_f64_f64", f64_f64, 2);
  auto global = [&](const char* name, Value v) {
    GlobalType t;
    t.type = v.type;
    t.is_mutable = false;
    add(name, ExternKind::kGlobal, NewGlobal(store_, t, v));
  };
  global("global_i32", Value::I32(666));
  global("global_i64", Value::I64(666));
  global("global_f32", Value::F32Bits(0x4426a666));           // 666.6f
  global("global_f64", Value::F64Bits(0x4084d4cccccccccdull));  // 666.6
  TableType tt;
  tt.elem = ValType::kFuncRef;
  tt.limits = Limits{10, 20, true};
  add("table", ExternKind::kTable, NewTable(store_, tt, 0));
  MemoryType mt;
  mt.limits = Limits{1, 2, true};
  add("memory", ExternKind::kMemory, NewMemory(store_, mt));
  return ok;
}

SpecResult SpecSession::Load(const uint8_t* bytes, size_t size, Loaded* out, bool to_run) {
  out->bytes = static_cast<uint8_t*>(EngineAlloc(size == 0 ? 1 : size));
  if (out->bytes == nullptr) return Failed(SpecStatus::kOutOfMemory);
  for (size_t i = 0; i < size; ++i) out->bytes[i] = bytes[i];
  SpecResult r;
  CompileOptions options;
  options.coverage = coverage_ != nullptr;
  if (to_run && sealer_ != nullptr) {
    options.tier = EngineTier::kCompiler;
    options.sealer = sealer_;
  }
  r.error = CompileModule(out->bytes, size, &out->module, options);
  if (r.error.ok() && to_run) {
    ++instantiated_;
    if (CompiledTierStatus(out->module)[0] == '\0') ++compiled_;
  }
  if (!r.error.ok()) {
    EngineFree(out->bytes);
    *out = Loaded();
    r.status = SpecStatus::kCompileError;
  }
  return r;
}

SpecResult SpecSession::Validate(const uint8_t* bytes, size_t size) {
  Loaded l;
  SpecResult r = Load(bytes, size, &l, /*to_run=*/false);
  FreeCompiledModule(l.module);
  EngineFree(l.bytes);
  return r;
}

bool SpecSession::Resolve(const CompiledModule* cm, Vec<Extern>* externs, Error* error) {
  const Module& m = GetModule(cm);
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const Import& imp = m.imports[i];
    const char* mod = reinterpret_cast<const char*>(m.bytes + imp.module.offset);
    const char* name = reinterpret_cast<const char*>(m.bytes + imp.name.offset);
    Extern e;
    bool found = false;
    if (SameName(mod, imp.module.size, "spectest", 8)) {
      for (size_t j = 0; j < spectest_.size() && !found; ++j) {
        if (SameName(name, imp.name.size, spectest_[j].name, spectest_[j].size)) {
          e = Extern{spectest_[j].kind, spectest_[j].object};
          found = true;
        }
      }
    } else {
      // The latest registration of a name wins, as in the reference interpreter.
      for (size_t j = registered_.size(); j-- > 0 && !found;) {
        if (SameName(mod, imp.module.size, registered_[j].name, registered_[j].size)) {
          found = FindExport(static_cast<Instance*>(registered_[j].object), name, imp.name.size, &e);
          break;
        }
      }
    }
    if (!found) {
      // "unknown import MODULE.NAME", truncated to the error's buffer.
      char text[sizeof(Error::message)];
      size_t n = 0;
      auto put = [&](const char* s, size_t len) {
        for (size_t k = 0; k < len && n + 1 < sizeof(text); ++k) text[n++] = s[k];
      };
      put("unknown import ", 15);
      put(mod, imp.module.size);
      put(".", 1);
      put(name, imp.name.size);
      text[n] = '\0';
      *error = MakeError(ErrorKind::kInvalid, imp.desc_offset, "import", text);
      return false;
    }
    if (!externs->push_back(e)) {
      *error = MakeError(ErrorKind::kOutOfMemory, 0, "import", "out of memory");
      return false;
    }
  }
  return true;
}

SpecResult SpecSession::Instantiate(const uint8_t* bytes, size_t size) {
  if (store_ == nullptr) return Failed(SpecStatus::kOutOfMemory);
  Loaded l;
  SpecResult r = Load(bytes, size, &l, /*to_run=*/true);
  if (r.status != SpecStatus::kOk) return r;
  if (!modules_.push_back(l)) {
    FreeCompiledModule(l.module);
    EngineFree(l.bytes);
    return Failed(SpecStatus::kOutOfMemory);
  }
  Vec<Extern> externs;
  if (!Resolve(l.module, &externs, &r.error)) {
    r.status = r.error.kind == ErrorKind::kOutOfMemory ? SpecStatus::kOutOfMemory
                                                       : SpecStatus::kLinkError;
    return r;
  }
  InstantiateResult ir = wasm::Instantiate(store_, l.module, externs.data(), externs.size());
  switch (ir.status) {
    case InstantiateStatus::kOk:
      break;
    case InstantiateStatus::kTrap:
      r.status = SpecStatus::kTrap;
      r.trap = ir.trap.kind;
      return r;
    case InstantiateStatus::kLinkError:
      r.status = SpecStatus::kLinkError;
      r.error = ir.error;
      return r;
    default:
      r.status = SpecStatus::kOutOfMemory;
      r.error = ir.error;
      return r;
  }
  r.instance = static_cast<uint32_t>(instances_.size());
  if (!instances_.push_back(ir.instance)) return Failed(SpecStatus::kOutOfMemory);
  return r;
}

bool SpecSession::Register(const char* name, size_t name_size, uint32_t handle) {
  if (handle >= instances_.size()) return false;
  Named n;
  n.name = CopyName(name, name_size);
  n.size = name_size;
  n.object = instances_[handle];
  if (n.name == nullptr) return false;
  if (!registered_.push_back(n)) {
    EngineFree(n.name);
    return false;
  }
  return true;
}

SpecResult SpecSession::Invoke(uint32_t handle, const char* field, size_t field_size,
                               const Value* args, uint32_t arg_count) {
  if (handle >= instances_.size()) return Failed(SpecStatus::kNoInstance);
  Extern e;
  if (!FindExport(instances_[handle], field, field_size, &e) || e.kind != ExternKind::kFunc) {
    return Failed(SpecStatus::kNoExport);
  }
  auto* f = static_cast<FuncInst*>(e.object);
  const ValType *params, *results;
  uint32_t np, nr;
  GetFuncSignature(f, &params, &np, &results, &nr);
  if (np != arg_count || nr > kMaxSpecResults) return Failed(SpecStatus::kBadArguments);
  for (uint32_t i = 0; i < np; ++i) {
    if (args[i].type != params[i]) return Failed(SpecStatus::kBadArguments);
  }
  SpecResult r;
  Trap trap = wasm::Invoke(store_, f, args, np, r.results, nr);
  if (!trap.ok()) {
    r.status = SpecStatus::kTrap;
    r.trap = trap.kind;
    return r;
  }
  r.result_count = nr;
  return r;
}

SpecResult SpecSession::Get(uint32_t handle, const char* field, size_t field_size) {
  if (handle >= instances_.size()) return Failed(SpecStatus::kNoInstance);
  Extern e;
  if (!FindExport(instances_[handle], field, field_size, &e) || e.kind != ExternKind::kGlobal) {
    return Failed(SpecStatus::kNoExport);
  }
  SpecResult r;
  r.results[0] = GetGlobal(static_cast<GlobalInst*>(e.object));
  r.result_count = 1;
  return r;
}

}  // namespace palisade::wasm::spectest
