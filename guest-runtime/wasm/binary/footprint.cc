#include "wasm/binary/footprint.h"

#include "wasm/binary/reader.h"

namespace palisade::wasm {
namespace {

constexpr uint8_t kImportSection = 2;
constexpr uint8_t kMemorySection = 5;
constexpr uint8_t kCodeSection = 10;
constexpr uint8_t kDataSection = 11;

// Limits (spec 5.3.8): a flags byte, the minimum, and the maximum when
// flag bit 0 is set. Returns the minimum.
uint64_t LimitsMin(Reader& r) {
  const uint8_t flags = r.U8();
  const uint64_t min = (flags & 4) != 0 ? r.U64() : r.U32();  // bit 2: memory64
  if ((flags & 1) != 0) (void)((flags & 4) != 0 ? r.U64() : r.U32());
  return min;
}

// The minimum of the first imported memory, if the import section has one.
bool ImportedMemoryMin(Reader r, uint64_t* pages) {
  const uint32_t count = r.U32();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    uint32_t len;
    r.Name(&len);
    r.Name(&len);
    switch (r.U8()) {
      case 0: r.U32(); break;                   // function: type index
      case 1: r.U8(); LimitsMin(r); break;      // table: reference type, limits
      case 2: *pages = LimitsMin(r); return r.ok();
      case 3: r.U8(); r.U8(); break;            // global: value type, mutability
      case 4: r.U8(); r.U32(); break;           // tag (exception handling)
      default: return false;
    }
  }
  return false;
}

}  // namespace

ModuleFootprint MeasureFootprint(const uint8_t* module, size_t size) {
  ModuleFootprint f;
  f.module_bytes = size;
  Reader r(module, size);
  const uint8_t* header = r.Bytes(8);
  if (header == nullptr || header[0] != 0 || header[1] != 'a' || header[2] != 's' || header[3] != 'm') {
    return f;
  }
  bool have_memory = false;
  while (r.ok() && !r.at_end()) {
    const uint8_t id = r.U8();
    const uint32_t len = r.U32();
    Reader body = r.Sub(len);
    if (!r.ok()) return f;
    switch (id) {
      case kImportSection:
        have_memory = ImportedMemoryMin(body, &f.initial_memory_pages);
        break;
      case kMemorySection:
        if (!have_memory && body.U32() > 0) {
          f.initial_memory_pages = LimitsMin(body);
          have_memory = body.ok();
        }
        break;
      case kCodeSection: f.code_bytes = len; break;
      case kDataSection: f.data_bytes = len; break;
      default: break;
    }
  }
  f.well_formed = r.ok();
  return f;
}

}  // namespace palisade::wasm
