// What compiled code reads and writes besides its frames: one JitContext per
// run, whose address is in r13 for the whole run (docs/COMPILER.md, "Fixed
// registers"). The generated code addresses its fields by offsetof, so the
// layout is the contract between the compiler and the runtime.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/compile/ops.h"
#include "wasm/runtime/trap.h"

namespace palisade::wasm {

struct Store;
struct MemoryInst;
struct GlobalInst;
struct Instance;

struct JitContext {
  Store* store = nullptr;
  Instance* instance = nullptr;  // the running module's instance
  MemoryInst* memory = nullptr;  // memory 0 of the running instance, or null
  GlobalInst* const* globals = nullptr;  // the instance's, by index
  uint64_t saved_rsp = 0;        // the entry trampoline's, for the trap exit
  // Memory 0's size less the compiled code's bounds-check slack (function_jit.cc).
  int64_t memory_limit = 0;
  int64_t budget = 0;            // loop back-edges left before a refill (fuel, interrupts)
  uint64_t* stack_end = nullptr; // the store's value stack: frames must end below it
  // Wasm frames a call may still add before the store's call_stack_frames
  // (in use: depth_limit - depth_left, this run's entry included). Counted
  // down so a compiled call checks and takes a frame in one instruction.
  uint32_t depth_left = 0;
  uint32_t depth_limit = 0;      // the store's call_stack_frames
  // Written by a trapping instruction before it leaves through the exit.
  uint32_t trap_kind = 0;
  uint32_t trap_func = 0;        // defined-function index in the module
  uint32_t trap_word = 0;        // internal-code word of the trapping instruction
  // A trap from a call a helper made (a host function's exit code or
  // detail, or a callee's own trap, which names the callee's location).
  Trap callee_trap;
  bool callee_trap_located = false;  // callee_trap's function and offset stand
};

// Runtime helpers compiled code calls (System V ABI), jit_runtime.cc.
// The refill returns a TrapKind, kNone to go on.
extern "C" uint32_t PalisadeJitRefill(JitContext* ctx);

// Every helper, with the internal instruction it serves and how it is
// called: the table the host's code check is given (direct calls may land
// only on these), and the translator's list of what a helper does.
enum class JitHelperForm : uint8_t {
  kRefill,    // uint32_t (JitContext*)
  // uint32_t (JitContext*, uint64_t* fp, const uint32_t* ip) -> TrapKind:
  // an instruction acting on the instance (instance_ops.h) or a call.
  kInstance,
  // uint64_t (JitContext*, uint64_t* fp, const uint32_t* ip): call_indirect's
  // target checked and resolved -- a compiled entry of this module (an
  // address, >= kJitFirstAddress), kJitSlowCall (take the kInstance
  // helper), or the TrapKind it raises.
  kResolve,
  kUnary,     // uint64_t (uint64_t src bits) -> dst bits
  kBinary,    // uint64_t (uint64_t a, uint64_t b) -> dst bits
  kTrapping,  // uint32_t (uint64_t src bits, uint64_t* dst) -> TrapKind
};
inline constexpr uint64_t kJitSlowCall = 0x100;
inline constexpr uint64_t kJitFirstAddress = 0x1000;
struct JitHelper {
  Op op;
  const void* address;
  JitHelperForm form;
};
const JitHelper* JitHelpers(size_t* count);
// The helper serving `op` in `form`, or null.
const JitHelper* FindJitHelper(Op op, JitHelperForm form);

}  // namespace palisade::wasm
