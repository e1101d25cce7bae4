#include "wasm/jit/jit_execute.h"

#include "wasm/compile/compiled_module.h"
#include "wasm/jit/function_jit.h"
#include "wasm/jit/jit_context.h"

namespace palisade::wasm {
namespace {

// Native stack compiled code may use below its outermost entry: its own
// frames take 16 bytes a call (160 KiB at the default 10,000-frame depth);
// the rest is for calls that nest through the runtime, each of which must
// find at least kNestRoom left.
constexpr uintptr_t kNativeStack = 512 << 10;
constexpr uintptr_t kNestRoom = 64 << 10;

}  // namespace

Trap ExecuteCompiled(Store* store, FuncInst* func, uint64_t* args) {
  const CompiledModule* m = func->instance->module;
  const CompiledFunction* f = func->code;
  Trap trap;
  const uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  const bool outermost = store->jit_stack_floor == 0;
  if (!outermost && here < store->jit_stack_floor + kNestRoom) {
    trap.kind = TrapKind::kCallStackExhausted;
    trap.func_index = f->func_index;
    return trap;
  }
  // The interpreter's entry checks, in its order.
  if (store->frame_sp >= store->call_stack + store->call_stack_frames ||
      args + f->frame_slots > store->value_stack + store->value_stack_slots) {
    trap.kind = TrapKind::kCallStackExhausted;
    trap.func_index = f->func_index;
    return trap;
  }
  JitContext ctx;
  ctx.store = store;
  ctx.instance = func->instance;
  ctx.memory = func->instance->memory0;
  ctx.globals = func->instance->globals.data();
  ctx.stack_end = store->value_stack + store->value_stack_slots;
  // Below call_stack_frames by the check above, so never negative.
  ctx.depth_limit = static_cast<uint32_t>(store->call_stack_frames);
  ctx.depth_left = ctx.depth_limit - (static_cast<uint32_t>(store->frame_sp - store->call_stack) + 1);
  const uint32_t defined = static_cast<uint32_t>(f - m->functions.data());
  const auto enter = reinterpret_cast<JitEnter>(reinterpret_cast<uintptr_t>(m->jit_code + m->jit->trampoline));
  if (outermost) store->jit_stack_floor = here > kNativeStack ? here - kNativeStack : 1;
  const uint32_t kind = enter(&ctx, args, m->jit_code + m->jit->entries[defined]);
  if (outermost) store->jit_stack_floor = 0;
  // Budget granted from fuel but not spent goes back, as the interpreter does.
  if (store->fuel_enabled && ctx.budget > 0) store->fuel += static_cast<uint64_t>(ctx.budget);
  if (kind == 0) return trap;
  // A trap a callee raised keeps its own location; one a host function
  // raised is located at the call, with its exit code and detail.
  if (ctx.callee_trap.kind != TrapKind::kNone && ctx.callee_trap_located) return ctx.callee_trap;
  if (ctx.callee_trap.kind != TrapKind::kNone) trap = ctx.callee_trap;
  const CompiledFunction& at = m->functions[ctx.trap_func];
  trap.kind = static_cast<TrapKind>(kind);
  trap.func_index = at.func_index;
  trap.offset = WasmOffsetOf(*m, at, ctx.trap_word);
  return trap;
}

}  // namespace palisade::wasm
