#include "wasm/compile/compiled_module.h"

namespace palisade::wasm {

uint32_t WasmOffsetOf(const CompiledModule& m, const CompiledFunction& f, uint32_t word) {
  // The last position at or before `word` (positions are sorted by word).
  uint32_t lo = f.positions_begin, hi = f.positions_end;
  if (lo == hi) return 0;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m.positions[mid].code_word <= word) lo = mid; else hi = mid;
  }
  return m.positions[lo].wasm_offset;
}

}  // namespace palisade::wasm
