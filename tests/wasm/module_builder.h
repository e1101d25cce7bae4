// Assembles binary modules byte by byte for tests that need exact (often
// deliberately broken) encodings the text format cannot express.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace palisade::wasm::testing {

using Bytes = std::vector<uint8_t>;

inline void AppendU32(Bytes* b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    b->push_back(byte | (v ? 0x80 : 0));
  } while (v);
}

// Signed LEB128, as i32.const and i64.const take their immediates.
inline void AppendS64(Bytes* b, int64_t v) {
  for (bool more = true; more;) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
    b->push_back(more ? byte | 0x80 : byte);
  }
}

inline Bytes Header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

// Appends section `id` with `payload`, its size encoded as LEB128.
inline void AppendSection(Bytes* module, uint8_t id, const Bytes& payload) {
  module->push_back(id);
  AppendU32(module, payload.size());
  module->insert(module->end(), payload.begin(), payload.end());
}

// A module with one function of type [] -> [] whose body is `code`
// (instructions, without the final `end`) and `locals` declared as runs.
inline Bytes OneFunction(const Bytes& code, const Bytes& local_decls = {0x00}) {
  Bytes m = Header();
  AppendSection(&m, 1, {0x01, 0x60, 0x00, 0x00});  // one type: [] -> []
  AppendSection(&m, 3, {0x01, 0x00});              // one function of type 0
  Bytes body = local_decls;
  body.insert(body.end(), code.begin(), code.end());
  body.push_back(0x0b);
  Bytes code_section;
  AppendU32(&code_section, 1);
  AppendU32(&code_section, body.size());
  code_section.insert(code_section.end(), body.begin(), body.end());
  AppendSection(&m, 10, code_section);
  return m;
}

}  // namespace palisade::wasm::testing
