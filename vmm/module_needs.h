// ModuleNeeds from a module's bytes, through the engine's section-header
// walk. Header-only so vmm itself does not link the engine; its users
// (cli/, server/) do.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vmm/guest_memory_plan.h"
#include "wasm/binary/footprint.h"

namespace palisade {

// What a run request carries for these strings (each NUL-terminated).
inline uint64_t StringBytes(const std::vector<std::string>& strings) {
  uint64_t n = 0;
  for (const std::string& s : strings) n += s.size() + 1;
  return n;
}

inline ModuleNeeds NeedsOf(std::span<const uint8_t> module, bool compiler, uint64_t request_bytes) {
  const wasm::ModuleFootprint f = wasm::MeasureFootprint(module.data(), module.size());
  ModuleNeeds n;
  n.module_bytes = f.module_bytes;
  n.code_bytes = f.code_bytes;
  n.initial_memory_pages = f.initial_memory_pages;
  n.request_bytes = request_bytes;
  n.compiler = compiler;
  return n;
}

}  // namespace palisade
