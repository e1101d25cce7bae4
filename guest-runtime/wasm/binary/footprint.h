// How much a module will ask of the memory it runs in, read from its section
// headers alone, before anything is decoded or validated: the embedder sizes
// a micro-VM from it (vmm/guest_memory_plan.h). A malformed module gets a
// best-effort answer (what could be read before the damage), never an
// error: validation in the guest reports what is wrong with it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::wasm {

struct ModuleFootprint {
  uint64_t module_bytes = 0;
  uint64_t code_bytes = 0;            // the code section's payload
  uint64_t data_bytes = 0;            // the data section's payload
  uint64_t initial_memory_pages = 0;  // the first memory's minimum, defined or imported
  bool well_formed = false;           // every section header read and in bounds
};

ModuleFootprint MeasureFootprint(const uint8_t* module, size_t size);

}  // namespace palisade::wasm
