// The compiler tier's translation (docs/COMPILER.md): a module's internal
// code (compile/ops.h), already validated, becomes x86-64, function by
// function, one short sequence per internal instruction, over the same
// frame slots the interpreter uses.
//
// First step of issue 17: the integer core -- constants, copies, select,
// globals, integer arithmetic and compares (division's traps included),
// loads and stores with bounds checks, branches (fused compares too),
// direct calls, returns, loop checks for fuel and interrupts. A function
// using anything else is left to the interpreter, and so is every function
// of its module: the two tiers do not call each other yet.
#pragma once

#include <stdint.h>

#include "wasm/compile/compiled_module.h"
#include "wasm/compile/function_compiler.h"
#include "wasm/jit/x64_assembler.h"
#include "wasm/support/vec.h"

namespace palisade::wasm {

struct JitModule {
  // Position-independent but for the helper calls in `relocations`.
  Vec<uint8_t> code;
  Vec<x64::Relocation> relocations;
  // Offsets in `code`: the entry trampoline, and each defined function.
  uint32_t trampoline = 0;
  Vec<uint32_t> entries;
  uint32_t first_function = 0;  // the Wasm index of entries[0] (imports come first)
  // The shared trap exit after the last function, and the code's length:
  // both kept once `code` is released after sealing (perf maps need them).
  uint32_t exit = 0;
  uint32_t size = 0;
  // Why the module stays with the interpreter ("" when compiled).
  const char* not_compiled = "";
  uint32_t not_compiled_function = 0;  // defined-function index, with not_compiled
  uint32_t not_compiled_op = 0;        // the internal instruction (an Op), when that is why
};

// The entry trampoline, once the code is executable:
//   uint32_t enter(JitContext* ctx, uint64_t* fp, const void* function);
// runs `function` with its frame at `fp` and returns a TrapKind (0: none).
using JitEnter = uint32_t (*)(struct JitContext*, uint64_t*, const void*);

// Compiles `module`. False only when out of memory; a module with something
// the tier does not compile yet returns true with `out->not_compiled` set.
// `handlers`: the interpreter's handler table, which names each internal
// instruction in the code.
[[nodiscard]] bool JitCompileModule(const CompiledModule& module, HandlerTable handlers, JitModule* out);

}  // namespace palisade::wasm
