// Why execution stopped early. A trap is an ordinary value, never a host
// signal or unwinding: the interpreter returns it.
#pragma once

#include <stdint.h>

namespace palisade::wasm {

enum class TrapKind : uint8_t {
  kNone = 0,
  kUnreachable,
  kIntegerDivideByZero,
  kIntegerOverflow,
  kInvalidConversion,
  kMemoryOutOfBounds,
  kTableOutOfBounds,
  kUndefinedElement,      // call_indirect index past the table's end
  kUninitializedElement,  // call_indirect on a null entry
  kIndirectCallTypeMismatch,
  kCallStackExhausted,
  kFuelExhausted,
  kInterrupted,           // the embedder asked it to stop (deadline, cancel)
  kHostError,             // a host function failed
  kExit,                  // WASI proc_exit: not an error, `exit_code` holds the status
  kOutOfMemory,           // the engine could not allocate (e.g. a frame stack)
};

// The spec test suite's wording for each kind ("integer divide by zero", ...).
const char* TrapMessage(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::kNone;
  uint32_t func_index = 0;    // the Wasm function that trapped (module index space)
  uint32_t offset = 0;        // byte offset of the instruction in the module
  int32_t exit_code = 0;      // kExit
  const char* detail = "";    // kHostError: static text from the host function

  bool ok() const { return kind == TrapKind::kNone; }
};

}  // namespace palisade::wasm
