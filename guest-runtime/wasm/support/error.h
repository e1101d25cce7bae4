// Errors of the Wasm engine. The engine runs freestanding (no exceptions, no
// heap-allocated strings), so an error is a fixed-size value: what went wrong,
// where (section and byte offset in the module), with a message that the
// spec tests' wording can be checked against.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::wasm {

enum class ErrorKind : uint8_t {
  kNone = 0,
  kMalformed,   // the bytes are not a well-formed binary module
  kInvalid,     // well-formed, but fails validation
  kLimit,       // exceeds an engine limit (hostile sizes, nesting, ...)
  kOutOfMemory,
};

struct Error {
  ErrorKind kind = ErrorKind::kNone;
  uint32_t offset = 0;         // byte offset in the module
  const char* section = "";    // "type", "code", ... or "" before any section
  char message[120] = {};

  bool ok() const { return kind == ErrorKind::kNone; }
};

// Builds an Error; `message` is copied (truncated to fit).
Error MakeError(ErrorKind kind, uint32_t offset, const char* section, const char* message);

}  // namespace palisade::wasm
