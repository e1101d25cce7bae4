// What compiled code reads and writes besides its frames: one JitContext per
// run, whose address is in r13 for the whole run (docs/COMPILER.md, "Fixed
// registers"). The generated code addresses its fields by offsetof, so the
// layout is the contract between the compiler and the runtime.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::wasm {

struct Store;
struct MemoryInst;
struct GlobalInst;

struct JitContext {
  Store* store = nullptr;
  MemoryInst* memory = nullptr;  // memory 0 of the running instance, or null
  GlobalInst* const* globals = nullptr;  // the instance's, by index
  uint64_t saved_rsp = 0;        // the entry trampoline's, for the trap exit
  int64_t budget = 0;            // loop back-edges left before a refill (fuel, interrupts)
  uint64_t* stack_end = nullptr; // the store's value stack: frames must end below it
  uint32_t depth = 0;            // Wasm frames in use, this run's entry included
  uint32_t depth_limit = 0;      // the store's call_stack_frames
  // Written by a trapping instruction before it leaves through the exit.
  uint32_t trap_kind = 0;
  uint32_t trap_func = 0;        // defined-function index in the module
  uint32_t trap_word = 0;        // internal-code word of the trapping instruction
};

// Runtime helpers compiled code calls (System V ABI, the context first).
// Returns a TrapKind, kNone to go on.
extern "C" uint32_t PalisadeJitRefill(JitContext* ctx);

}  // namespace palisade::wasm
