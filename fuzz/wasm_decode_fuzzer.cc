// Untrusted module bytes -> the host's footprint walk (which sizes the
// micro-VM before the guest sees the module), then decoder, validator and
// compiler. Anything but a clean error or a compiled module (a crash, a
// sanitizer report, a hang) is a bug, and so is a module that compiles
// while the footprint walk calls it malformed or misses its code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "wasm/binary/footprint.h"
#include "wasm/runtime/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const palisade::wasm::ModuleFootprint footprint = palisade::wasm::MeasureFootprint(data, size);
  if (footprint.code_bytes > size || footprint.data_bytes > size) std::abort();
  palisade::wasm::CompiledModule* module = nullptr;
  palisade::wasm::Error e = palisade::wasm::CompileModule(data, size, &module);
  if (e.ok()) {
    if (!footprint.well_formed) std::abort();
    palisade::wasm::FreeCompiledModule(module);
  }
  return 0;
}
