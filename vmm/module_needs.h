// ModuleNeeds from a module's bytes, through the engine's section-header
// walk. Header-only so vmm itself does not link the engine; its users
// (cli/, server/) do.
#pragma once

#include <cstdint>
#include <span>

#include "vmm/guest_memory_plan.h"
#include "wasm/binary/footprint.h"

namespace palisade {

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
