// The compiler tier against random modules: decode → compile → translate →
// the host's code check → run, next to the interpreter. Two properties:
//   1. the check accepts everything the tier emits (a module the tier
//      translates whole but whose code the check refuses is a bug in one of
//      them), and
//   2. compiled code computes what the interpreter computes: every export,
//      called with zero arguments under the same fuel, returns the same
//      values (NaNs agree as NaNs: their payloads are Wasm's nondeterminism)
//      or traps with the same kind.
// Each run gets a fresh store per tier, WASI with a null system, 4 MiB of
// memory at most.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "cli/compiled_code_sealer.h"
#include "fuzz/run_exports.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/jit/function_jit.h"
#include "wasm/runtime/engine.h"

namespace {

using namespace palisade::wasm;

struct Outcome {
  TrapKind kind = TrapKind::kNone;
  uint32_t count = 0;
  Value values[16];
};

bool IsNan(const Value& v) {
  if (v.type == ValType::kF32) return (v.bits[0] & 0x7f800000u) == 0x7f800000u && (v.bits[0] & 0x7fffffu) != 0;
  if (v.type == ValType::kF64) {
    return (v.bits[0] & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (v.bits[0] & 0xfffffffffffffull) != 0;
  }
  return false;
}

bool Agree(const Outcome& a, const Outcome& b) {
  if (a.kind != b.kind || a.count != b.count) return false;
  for (uint32_t i = 0; i < a.count; ++i) {
    const Value& x = a.values[i];
    const Value& y = b.values[i];
    if (IsNan(x) && IsNan(y)) continue;
    // v128 lanes may hold NaNs whose payloads differ; only whole-value
    // equality is asked of the other types.
    if (x.type == ValType::kV128) continue;
    // A reference names an object of its own instance, and the two runs
    // have one each: only whether it is null can be compared.
    if (x.type == ValType::kFuncRef || x.type == ValType::kExternRef) {
      if ((x.bits[0] == 0) != (y.bits[0] == 0)) return false;
      continue;
    }
    if (x.bits[0] != y.bits[0]) return false;
  }
  return true;
}

// Every export of `module` in one instance, each under fresh fuel; at most
// `max` outcomes.
void RunAll(CompiledModule* module, Outcome* outcomes, size_t max, size_t* count) {
  *count = 0;
  palisade::fuzz::RunExports(module, [&](const Trap& t, const Value* values, uint32_t n) {
    Outcome& o = outcomes[(*count)++];
    o.kind = t.kind;
    o.count = t.ok() ? n : 0;
    for (uint32_t i = 0; i < n; ++i) o.values[i] = values[i];
    return *count < max;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static palisade::cli::InProcessCodeSealer sealer;
  CompiledModule* raw = nullptr;
  if (!CompileModule(data, size, &raw).ok()) return 0;
  std::unique_ptr<CompiledModule, void (*)(CompiledModule*)> interpreted(raw, FreeCompiledModule);
  CompileOptions options;
  options.tier = EngineTier::kCompiler;
  options.sealer = &sealer;
  if (!CompileModule(data, size, &raw, options).ok()) std::abort();  // it compiled a moment ago
  std::unique_ptr<CompiledModule, void (*)(CompiledModule*)> compiled(raw, FreeCompiledModule);
  // Property 1: translated whole, so it must have been sealed.
  if (compiled->jit != nullptr && compiled->jit->not_compiled[0] == '\0' && compiled->jit_code == nullptr) {
    __builtin_trap();  // the code check refused what the tier emitted: CompiledTierStatus says why
  }
  if (compiled->jit_code == nullptr) return 0;
  // Property 2.
  static Outcome a[32], b[32];
  size_t na = 0, nb = 0;
  RunAll(interpreted.get(), a, 32, &na);
  RunAll(compiled.get(), b, 32, &nb);
  if (na != nb) __builtin_trap();
  for (size_t i = 0; i < na; ++i) {
    if (!Agree(a[i], b[i])) __builtin_trap();
  }
  return 0;
}
