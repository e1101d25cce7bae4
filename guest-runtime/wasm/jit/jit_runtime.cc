// The helpers compiled code calls (jit_context.h).
#include "wasm/jit/jit_context.h"
#include "wasm/runtime/interpreter.h"

namespace palisade::wasm {

extern "C" uint32_t PalisadeJitRefill(JitContext* ctx) {
  int64_t budget = 0;
  const TrapKind kind = RefillBudget(ctx->store, &budget);
  ctx->budget = budget;
  return static_cast<uint32_t>(kind);
}

}  // namespace palisade::wasm
