#include "vmm/long_mode.h"

#include <cstring>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

// Access bytes. "Accessed" is preset so the CPU never writes the read-only GDT.
constexpr uint64_t kCodeDescriptor = 0x00af9b000000ffffull;  // P, DPL0, S, exec/read, L, G
constexpr uint64_t kDataDescriptor = 0x00cf93000000ffffull;  // P, DPL0, S, read/write, D/B, G
constexpr uint8_t kTssBusy64 = 0xb;  // loaded straight into TR, so already busy

struct [[gnu::packed]] Tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss64) == 104);

kvm_segment Segment(uint16_t selector, uint8_t type, bool code) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = type;
  s.present = 1;
  s.dpl = 0;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

}  // namespace

void WriteDescriptorTables(GuestMemory& memory, const GuestLayout& layout) {
  uint64_t gdt[5] = {};
  gdt[abi::kCodeSelector / 8] = kCodeDescriptor;
  gdt[abi::kDataSelector / 8] = kDataDescriptor;
  const uint64_t base = layout.tss;
  const uint64_t limit = sizeof(Tss64) - 1;
  gdt[abi::kTssSelector / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                               (uint64_t{kTssBusy64} << 40) | (1ull << 47) |
                               (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  gdt[abi::kTssSelector / 8 + 1] = base >> 32;
  std::memcpy(memory.HostAddress(layout.gdt, sizeof(gdt)), gdt, sizeof(gdt));

  Tss64 tss{};
  tss.ist[0] = layout.exception_stack_top;
  tss.iomap_base = sizeof(Tss64);  // no I/O bitmap
  std::memcpy(memory.HostAddress(layout.tss, sizeof(tss)), &tss, sizeof(tss));
}

kvm_sregs LongModeSregs(const kvm_sregs& reset, const GuestLayout& layout) {
  kvm_sregs s = reset;
  s.cs = Segment(abi::kCodeSelector, 0xb, /*code=*/true);
  s.ds = s.es = s.fs = s.gs = s.ss = Segment(abi::kDataSelector, 0x3, /*code=*/false);

  s.tr = kvm_segment{};
  s.tr.base = layout.tss;
  s.tr.limit = sizeof(Tss64) - 1;
  s.tr.selector = abi::kTssSelector;
  s.tr.type = kTssBusy64;
  s.tr.present = 1;

  s.gdt.base = layout.gdt;
  s.gdt.limit = 5 * 8 - 1;
  s.idt.base = 0;  // the guest installs its own IDT first thing
  s.idt.limit = 0;

  s.cr0 = x86::kCr0Pe | x86::kCr0Mp | x86::kCr0Et | x86::kCr0Ne | x86::kCr0Wp | x86::kCr0Pg;
  s.cr3 = layout.page_tables;
  s.cr4 = x86::kCr4Pae | x86::kCr4Osfxsr | x86::kCr4Osxmmexcpt;
  s.efer = x86::kEferLme | x86::kEferLma | x86::kEferNxe;
  return s;
}

}  // namespace palisade
