// The threaded interpreter: runs compiled code (compile/ops.h) with
// computed-goto dispatch. Not recursive: Wasm calls push CallFrames on the
// store's call stack, so deep Wasm recursion ends in a "call stack
// exhausted" trap, never a host stack overflow.
#pragma once

#include <stdint.h>

#include "wasm/compile/function_compiler.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {

// The handler address of every internal op, for the compiler.
HandlerTable InterpreterHandlers();

// Runs Wasm function `func` (not a host function). Its arguments are in
// args[0..params); results are written to args[0..results). `args` must lie
// in the store's value stack at or above store->value_sp.
Trap Execute(Store* store, FuncInst* func, uint64_t* args);

// Refills a run's budget of loop back-edges from the store: its fuel if
// enabled, else a fresh slice. A trap kind when the run must stop (fuel
// gone, an interrupt asked for). Shared by both tiers, so fuel runs out at
// the same instruction in each.
TrapKind RefillBudget(Store* store, int64_t* budget);

// memory.grow / table.grow, shared with the embedder API.
int32_t GrowMemory(MemoryInst* memory, uint32_t delta_pages);
int32_t GrowTable(TableInst* table, uint32_t delta, uint64_t init);

}  // namespace palisade::wasm
