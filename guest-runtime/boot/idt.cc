#include "boot/idt.h"

#include <stdint.h>

#include "abi/hypercall_abi.h"

extern "C" const uint64_t palisade_isr_table[32];

namespace palisade::guest {
namespace {

struct [[gnu::packed]] Gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint64_t base;
};

constexpr uint8_t kInterruptGate = 0x8e;  // present, DPL 0, 64-bit interrupt gate
constexpr uint8_t kExceptionIst = 1;      // TSS.IST1, set up by the VMM

alignas(16) Gate g_idt[256];

}  // namespace

void InstallIdt() {
  for (int v = 0; v < 32; ++v) {
    uint64_t handler = palisade_isr_table[v];
    g_idt[v] = Gate{static_cast<uint16_t>(handler),
                    abi::kCodeSelector,
                    kExceptionIst,
                    kInterruptGate,
                    static_cast<uint16_t>(handler >> 16),
                    static_cast<uint32_t>(handler >> 32),
                    0};
  }
  // Vectors 32-255 stay not-present: the guest never enables interrupts, and a
  // stray `int n` becomes #GP, which is reported like any other fault.
  IdtPointer ptr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(ptr) : "memory");
}

}  // namespace palisade::guest
