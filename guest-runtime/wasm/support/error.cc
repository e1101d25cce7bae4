#include "wasm/support/error.h"

namespace palisade::wasm {

Error MakeError(ErrorKind kind, uint32_t offset, const char* section, const char* message) {
  Error e;
  e.kind = kind;
  e.offset = offset;
  e.section = section;
  size_t i = 0;
  for (; message[i] != '\0' && i + 1 < sizeof(e.message); ++i) e.message[i] = message[i];
  e.message[i] = '\0';
  return e;
}

}  // namespace palisade::wasm
