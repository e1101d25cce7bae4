#include "vmm/long_mode.h"

#include <cstring>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

// Descriptors. "Accessed" is preset so the CPU never writes the read-only GDT.
constexpr uint64_t kKernelCode = 0x00af9b000000ffffull;  // P, DPL0, S, exec/read, L, G
constexpr uint64_t kKernelData = 0x00cf93000000ffffull;  // P, DPL0, S, read/write, D/B, G
constexpr uint64_t kUserData = 0x00cff3000000ffffull;    // P, DPL3, S, read/write, D/B, G
constexpr uint64_t kUserCode = 0x00affb000000ffffull;    // P, DPL3, S, exec/read, L, G
constexpr uint8_t kTssBusy64 = 0xb;  // loaded straight into TR, so already busy
constexpr int kGdtEntries = abi::kTssSelector / 8 + 2;

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

// The I/O bitmap covers ports up to the hypercall port's last byte; ports
// beyond the TSS limit count as closed. The CPU reads one byte past the
// bitmap, which must be all ones.
constexpr uint32_t kHypercallPortBytes = 4;  // `out %eax, %dx`
constexpr uint32_t kIoBitmapBytes = (abi::kHypercallPort + kHypercallPortBytes + 7) / 8 + 1;

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
constexpr uint8_t kInterruptGate = 0x8e;  // present, DPL 0: `int n` from ring 3 is #GP

kvm_segment Segment(uint16_t selector, uint8_t type, bool code) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = type;
  s.present = 1;
  s.dpl = selector & 3;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

}  // namespace

uint32_t TssLimit() { return sizeof(Tss64) + kIoBitmapBytes - 1; }

uint8_t TrType(KvmBackend backend) {
  constexpr uint8_t kTssAvailable64 = 0x9;
  return backend == KvmBackend::kAmd ? kTssAvailable64 : kTssBusy64;
}

std::vector<uint8_t> GdtBytes(uint64_t tss) {
  uint64_t gdt[kGdtEntries] = {};
  gdt[abi::kKernelCodeSelector / 8] = kKernelCode;
  gdt[abi::kKernelDataSelector / 8] = kKernelData;
  gdt[abi::kUserDataSelector / 8] = kUserData;
  gdt[abi::kUserCodeSelector / 8] = kUserCode;
  const uint64_t limit = TssLimit();
  gdt[abi::kTssSelector / 8] = (limit & 0xffff) | ((tss & 0xffffff) << 16) |
                               (uint64_t{kTssBusy64} << 40) | (1ull << 47) |
                               (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
  gdt[abi::kTssSelector / 8 + 1] = tss >> 32;
  const auto* bytes = reinterpret_cast<const uint8_t*>(gdt);
  return {bytes, bytes + sizeof(gdt)};
}

std::vector<uint8_t> TssBytes(uint64_t rsp0) {
  Tss64 tss{};
  tss.rsp[0] = rsp0;
  tss.iomap_base = sizeof(Tss64);
  std::vector<uint8_t> bytes(sizeof(Tss64) + kIoBitmapBytes, 0xff);
  std::memcpy(bytes.data(), &tss, sizeof(tss));
  uint8_t* bitmap = bytes.data() + sizeof(Tss64);
  for (uint32_t port = abi::kHypercallPort; port < abi::kHypercallPort + kHypercallPortBytes;
       ++port) {
    bitmap[port / 8] &= static_cast<uint8_t>(~(1u << (port % 8)));
  }
  return bytes;
}

kvm_sregs Cpl3Sregs(const kvm_sregs& base, uint64_t gdt, uint64_t tss, uint64_t idt,
                    uint16_t idt_limit, uint64_t cr3, KvmBackend backend) {
  kvm_sregs s = base;
  s.cs = Segment(abi::kUserCodeSelector, 0xb, /*code=*/true);
  s.ss = Segment(abi::kUserDataSelector, 0x3, /*code=*/false);
  // Null data selectors, as a 64-bit user process has them (PVM expects it).
  s.ds = s.es = s.fs = s.gs = s.ss;
  s.ds.selector = s.es.selector = s.fs.selector = s.gs.selector = 0;
  s.ldt = kvm_segment{};
  s.ldt.type = 0x2;
  s.ldt.limit = 0xffff;
  s.ldt.unusable = 1;

  s.tr = kvm_segment{};
  s.tr.base = tss;
  s.tr.limit = TssLimit();
  s.tr.selector = abi::kTssSelector;
  s.tr.type = TrType(backend);
  s.tr.present = 1;

  s.gdt.base = gdt;
  s.gdt.limit = kGdtEntries * 8 - 1;
  s.idt.base = idt;
  s.idt.limit = idt_limit;

  s.cr0 = x86::kCr0Pe | x86::kCr0Mp | x86::kCr0Et | x86::kCr0Ne | x86::kCr0Wp | x86::kCr0Pg;
  s.cr3 = cr3;
  s.cr4 = x86::kCr4Pae | x86::kCr4Osfxsr | x86::kCr4Osxmmexcpt;
  s.efer = x86::kEferLme | x86::kEferLma | x86::kEferNxe;
  return s;
}

void WriteDescriptorTables(GuestMemory& memory, const GuestLayout& layout, uint64_t isr_base) {
  const std::vector<uint8_t> gdt = GdtBytes(layout.tss);
  std::memcpy(memory.HostAddress(layout.gdt, gdt.size()), gdt.data(), gdt.size());

  Gate idt[256] = {};
  for (uint64_t v = 0; v < PALISADE_ABI_ISR_COUNT; ++v) {
    const uint64_t handler = isr_base + v * PALISADE_ABI_ISR_STRIDE;
    idt[v] = Gate{static_cast<uint16_t>(handler),
                  abi::kKernelCodeSelector,
                  0,  // no IST: leaving ring 3 already switches to RSP0
                  kInterruptGate,
                  static_cast<uint16_t>(handler >> 16),
                  static_cast<uint32_t>(handler >> 32),
                  0};
  }
  // Vectors 32-255 stay not present: the guest never enables interrupts.
  std::memcpy(memory.HostAddress(layout.idt, sizeof(idt)), idt, sizeof(idt));

  const std::vector<uint8_t> tss = TssBytes(layout.exception_stack_top);
  std::memcpy(memory.HostAddress(layout.tss, tss.size()), tss.data(), tss.size());
}

kvm_sregs LongModeSregs(const kvm_sregs& reset, const GuestLayout& layout, KvmBackend backend) {
  return Cpl3Sregs(reset, layout.gdt, layout.tss, layout.idt, 256 * sizeof(Gate) - 1,
                   layout.page_tables, backend);
}

}  // namespace palisade
