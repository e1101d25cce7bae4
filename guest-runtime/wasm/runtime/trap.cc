#include "wasm/runtime/trap.h"

namespace palisade::wasm {

const char* TrapMessage(TrapKind kind) {
  switch (kind) {
    case TrapKind::kNone: return "no trap";
    case TrapKind::kUnreachable: return "unreachable";
    case TrapKind::kIntegerDivideByZero: return "integer divide by zero";
    case TrapKind::kIntegerOverflow: return "integer overflow";
    case TrapKind::kInvalidConversion: return "invalid conversion to integer";
    case TrapKind::kMemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::kTableOutOfBounds: return "out of bounds table access";
    case TrapKind::kUndefinedElement: return "undefined element";
    case TrapKind::kUninitializedElement: return "uninitialized element";
    case TrapKind::kIndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::kCallStackExhausted: return "call stack exhausted";
    case TrapKind::kFuelExhausted: return "fuel exhausted";
    case TrapKind::kInterrupted: return "interrupted";
    case TrapKind::kHostError: return "host function failed";
    case TrapKind::kExit: return "exit";
    case TrapKind::kOutOfMemory: return "out of memory";
  }
  return "unknown trap";
}

}  // namespace palisade::wasm
