#include "wasm/host/host_memory.h"

#include <sys/mman.h>

namespace palisade::wasm {
namespace {

// Beyond the maximum, one more unmapped 64 KiB stretch catches an access
// that a bounds check missed instead of letting it land in a neighbour.
constexpr uint64_t kGuardBytes = 64 * 1024;

class MmapMemoryProvider final : public MemoryProvider {
 public:
  uint8_t* Allocate(uint64_t initial_bytes, uint64_t max_bytes) override {
    void* p = mmap(nullptr, max_bytes + kGuardBytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (initial_bytes > 0 && mprotect(p, initial_bytes, PROT_READ | PROT_WRITE) != 0) {
      munmap(p, max_bytes + kGuardBytes);
      return nullptr;
    }
    return static_cast<uint8_t*>(p);
  }
  uint8_t* Grow(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes,
                uint64_t max_bytes) override {
    if (new_bytes > max_bytes) return nullptr;
    if (new_bytes > old_bytes &&
        mprotect(base + old_bytes, new_bytes - old_bytes, PROT_READ | PROT_WRITE) != 0) {
      return nullptr;
    }
    return base;
  }
  void Release(uint8_t* base, uint64_t, uint64_t max_bytes) override {
    if (base != nullptr) munmap(base, max_bytes + kGuardBytes);
  }
};

}  // namespace

MemoryProvider* HostMemoryProvider() {
  static MmapMemoryProvider provider;
  return &provider;
}

}  // namespace palisade::wasm
