// Untrusted module bytes -> decoder, validator and compiler. Anything but a
// clean error or a compiled module (a crash, a sanitizer report, a hang) is
// a bug.
#include <cstddef>
#include <cstdint>

#include "wasm/runtime/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  palisade::wasm::CompiledModule* module = nullptr;
  palisade::wasm::Error e = palisade::wasm::CompileModule(data, size, &module);
  if (e.ok()) palisade::wasm::FreeCompiledModule(module);
  return 0;
}
