// The section decoder (spec chapter 5): bytes -> Module. It checks the binary
// format only (malformed modules); index and type rules are the validator's
// (validate/module_validator.h). Hostile inputs are bounded by DecodeLimits:
// every declared count is checked against the limit and against the bytes
// left before anything is reserved, so memory stays proportional to the
// module's size and decoding is linear in it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/binary/module.h"
#include "wasm/support/error.h"

namespace palisade::wasm {

// Defaults follow the limits the major engines share (V8, SpiderMonkey,
// JavaScriptCore: the "JS API" limits of the WebAssembly spec).
struct DecodeLimits {
  uint32_t max_module_size = 1024u * 1024 * 1024;
  uint32_t max_types = 1000000;
  uint32_t max_functions = 1000000;
  uint32_t max_imports = 100000;
  uint32_t max_exports = 100000;
  uint32_t max_globals = 1000000;
  uint32_t max_data_segments = 100000;
  uint32_t max_elem_segments = 10000000;
  uint32_t max_table_init = 10000000;  // items across all element segments
  uint32_t max_params = 1000;
  uint32_t max_results = 1000;
  uint32_t max_function_size = 7654321;  // bytes of one body
  uint32_t max_function_locals = 50000;  // declared locals of one function
  uint32_t max_tables = 100000;
  uint32_t max_memories = 1;             // WebAssembly 2.0 has one memory
};

// Decodes `bytes` into *out. `bytes` must outlive *out.
Error DecodeModule(const uint8_t* bytes, size_t size, Module* out,
                   const DecodeLimits& limits = DecodeLimits());

}  // namespace palisade::wasm
