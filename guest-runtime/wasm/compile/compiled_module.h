// What compilation produces: the decoded module plus, per defined function,
// internal code (compile/ops.h) and the facts the interpreter needs to set
// up its frame. Shared read-only by every instance of the module.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/binary/module.h"
#include "wasm/support/vec.h"

namespace palisade::wasm {

// Maps an internal instruction back to the Wasm instruction it came from,
// so a trap can name its module offset.
struct SourcePosition {
  uint32_t code_word = 0;    // first word of the internal instruction
  uint32_t wasm_offset = 0;  // byte offset in the module
};

struct CompiledFunction {
  uint32_t func_index = 0;   // in the module's function index space
  uint32_t type_index = 0;
  uint32_t param_slots = 0;  // params occupy slots [0, param_slots)
  uint32_t local_slots = 0;  // declared locals: [param_slots, +local_slots), zeroed on entry
  uint32_t frame_slots = 0;  // params + locals + the deepest operand stack
  uint32_t result_count = 0;
  uint32_t code_begin = 0;   // words in CompiledModule::code
  uint32_t code_end = 0;
  uint32_t positions_begin = 0;  // in CompiledModule::positions, sorted by code_word
  uint32_t positions_end = 0;
};

struct JitModule;
class CodeSealer;

struct CompiledModule {
  Module module;
  // The compiler tier's code (wasm/jit/function_jit.h), when the module runs
  // compiled: `jit_code` is where the sealer put it.
  JitModule* jit = nullptr;
  const uint8_t* jit_code = nullptr;
  CodeSealer* sealer = nullptr;
  const char* jit_status = "interpreter chosen";
  Vec<CompiledFunction> functions;  // index = func index - module.imported_funcs
  Vec<uint32_t> code;               // every function's internal code, back to back
  Vec<SourcePosition> positions;
  uint32_t coverage_probes = 0;     // probes emitted (CompileOptions::coverage)
};

// Where the wasm instruction that produced code word `word` starts.
uint32_t WasmOffsetOf(const CompiledModule& m, const CompiledFunction& f, uint32_t word);

}  // namespace palisade::wasm
