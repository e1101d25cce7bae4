#include "cli/fuzz/harness_abi.h"

#include <cstring>
#include <initializer_list>

namespace palisade::cli::fuzz {

namespace {

bool HasSignature(wasm::FuncInst* f, std::initializer_list<wasm::ValType> params,
                  std::initializer_list<wasm::ValType> results) {
  const wasm::ValType* p;
  const wasm::ValType* r;
  uint32_t np, nr;
  wasm::GetFuncSignature(f, &p, &np, &r, &nr);
  if (np != params.size() || nr != results.size()) return false;
  return std::equal(params.begin(), params.end(), p) && std::equal(results.begin(), results.end(), r);
}

absl::StatusOr<wasm::FuncInst*> Function(const wasm::Instance* instance, const char* name,
                                         std::initializer_list<wasm::ValType> params,
                                         std::initializer_list<wasm::ValType> results,
                                         const char* shape, bool required) {
  wasm::Extern e;
  if (!wasm::FindExport(instance, name, std::strlen(name), &e)) {
    if (!required) return nullptr;
    return absl::InvalidArgumentError(std::string("the harness does not export ") + name +
                                      " (link with -Wl,--export=" + name + ")");
  }
  auto* f = static_cast<wasm::FuncInst*>(e.object);
  if (e.kind != wasm::ExternKind::kFunc || !HasSignature(f, params, results)) {
    return absl::InvalidArgumentError(std::string("the harness's ") + name + " must be " + shape);
  }
  return f;
}

}  // namespace

absl::StatusOr<HarnessExports> FindHarnessExports(const wasm::Instance* instance) {
  using wasm::ValType;
  HarnessExports h;
  auto test = Function(instance, "LLVMFuzzerTestOneInput", {ValType::kI32, ValType::kI32},
                       {ValType::kI32}, "int LLVMFuzzerTestOneInput(const uint8_t*, size_t)", true);
  if (!test.ok()) return test.status();
  auto malloc = Function(instance, "malloc", {ValType::kI32}, {ValType::kI32},
                         "void* malloc(size_t)", true);
  if (!malloc.ok()) return malloc.status();
  auto init = Function(instance, "_initialize", {}, {}, "void _initialize(void)", false);
  if (!init.ok()) return init.status();
  wasm::Extern mem;
  if (!wasm::FindExport(instance, "memory", 6, &mem) || mem.kind != wasm::ExternKind::kMemory) {
    return absl::InvalidArgumentError("the harness does not export its memory as \"memory\"");
  }
  wasm::Extern start;
  if (wasm::FindExport(instance, "_start", 6, &start)) {
    return absl::InvalidArgumentError(
        "the harness is a WASI command (it exports _start); build it as a reactor: "
        "clang --target=wasm32-wasi -mexec-model=reactor");
  }
  h.test = *test;
  h.malloc = *malloc;
  h.initialize = *init;
  h.memory = static_cast<wasm::MemoryInst*>(mem.object);
  return h;
}

}  // namespace palisade::cli::fuzz
