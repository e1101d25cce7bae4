#include "cli/spec/spectest_host.h"

#include <vector>

namespace palisade::spec {

using wasm::ValType;

namespace {

wasm::Trap Print(void*, wasm::HostCall&, const uint64_t*, uint64_t*) { return wasm::Trap(); }

}  // namespace

std::map<std::string, wasm::Extern> MakeSpectest(wasm::Store* store) {
  std::map<std::string, wasm::Extern> out;
  auto func = [&](const char* name, std::initializer_list<ValType> params) {
    std::vector<ValType> p(params);
    wasm::FuncInst* f =
        wasm::NewHostFunction(store, p.data(), static_cast<uint32_t>(p.size()), nullptr, 0, Print, nullptr);
    out[name] = wasm::Extern{wasm::ExternKind::kFunc, f};
  };
  func("print", {});
  func("print_i32", {ValType::kI32});
  func("print_i64", {ValType::kI64});
  func("print_f32", {ValType::kF32});
  func("print_f64", {ValType::kF64});
  func("print_i32_f32", {ValType::kI32, ValType::kF32});
  func("print_f64_f64", {ValType::kF64, ValType::kF64});
  auto global = [&](const char* name, wasm::Value v) {
    wasm::GlobalType t;
    t.type = v.type;
    t.is_mutable = false;
    out[name] = wasm::Extern{wasm::ExternKind::kGlobal, wasm::NewGlobal(store, t, v)};
  };
  global("global_i32", wasm::Value::I32(666));
  global("global_i64", wasm::Value::I64(666));
  global("global_f32", wasm::Value::F32Bits(0x4426a666));           // 666.6f
  global("global_f64", wasm::Value::F64Bits(0x4084d4cccccccccdull));  // 666.6
  wasm::TableType tt;
  tt.elem = ValType::kFuncRef;
  tt.limits = wasm::Limits{10, 20, true};
  out["table"] = wasm::Extern{wasm::ExternKind::kTable, wasm::NewTable(store, tt, 0)};
  wasm::MemoryType mt;
  mt.limits = wasm::Limits{1, 2, true};
  out["memory"] = wasm::Extern{wasm::ExternKind::kMemory, wasm::NewMemory(store, mt)};
  return out;
}

}  // namespace palisade::spec
