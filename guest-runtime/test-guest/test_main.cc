// The test guest: the production command loop plus commands that misbehave on
// purpose, so that host tests can check every fault and bad-hypercall path.
#include <stdint.h>

#include <initializer_list>

#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"
#include "lib/heap.h"
#include "lib/hypercall.h"
#include "lib/string.h"
#include "test-guest/test_commands.h"

extern "C" int palisade_guest_main(const palisade::abi::BootInfo* info);

namespace palisade::test_guest {
namespace {

using guest::Hypercall;
using guest::mailbox;

const abi::BootInfo* g_info;
alignas(4096) uint8_t g_data_page[4096];

// Deliberately unbounded: it must end in the stack guard page.
#pragma GCC diagnostic ignored "-Winfinite-recursion"
[[gnu::noinline]] uint64_t Recurse(uint64_t depth) {
  volatile uint8_t pad[512];
  pad[0] = static_cast<uint8_t>(depth);
  return Recurse(depth + 1) + pad[0];
}

void RawOut32(uint16_t port, uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

int64_t SealVariantCode(uint64_t variant) {
  static uint8_t code[16];
  abi::SealRelocation reloc{};
  uint64_t size = 0, relocs = 0;
  const auto set = [&](std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) code[size++] = b;
  };
  switch (variant) {
    case kSealReturn42: set({0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}); break;
    case kSealCpuid: set({0x0f, 0xa2, 0xc3}); break;
    case kSealJumpOutside: set({0xe9, 0x00, 0x00, 0x10, 0x00, 0xc3}); break;
    case kSealMidInstruction: set({0xeb, 0x01, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}); break;
    case kSealRelocNotHelper:
      set({0xe8, 0, 0, 0, 0, 0xc3});
      reloc = {1, 0, reinterpret_cast<uint64_t>(&palisade_guest_main)};
      relocs = 1;
      break;
    case kSealRelocOutside:
      set({0xc3});
      reloc = {4, 0, reinterpret_cast<uint64_t>(&palisade_guest_main)};
      relocs = 1;
      break;
    case kSealTooLarge:
      set({0xc3});
      size = g_info->code_region_bytes + 4096;
      break;
    case kSealUndecodable: set({0x0f, 0xff}); break;
    default: return guest::kStatusBadArgument;
  }
  return Hypercall(abi::Hypercall::kSealCode, reinterpret_cast<uint64_t>(code), size,
                   reinterpret_cast<uint64_t>(&reloc), relocs);
}

int64_t DoBadHypercall(uint64_t variant, uint64_t address) {
  const uint64_t text = reinterpret_cast<uint64_t>(&palisade_guest_main);
  static uint8_t buffer[64];
  const auto buf = reinterpret_cast<uint64_t>(buffer);
  constexpr auto kEcho = abi::Hypercall::kEcho;
  switch (variant) {
    case kUnknownNumber:
      mailbox().abi_version = abi::kAbiVersion;
      RawOut32(abi::kHypercallPort, 999);
      break;
    case kWrongPort:
      // A byte to 0x501: open in the TSS bitmap (a 4-byte `out` to 0x500
      // covers 0x500-0x503), so the host sees it, and must refuse it.
      mailbox().abi_version = abi::kAbiVersion;
      asm volatile("outb %0, %1" : : "a"(uint8_t{1}), "Nd"(uint16_t{abi::kHypercallPort + 1}) : "memory");
      break;
    case kByteSizedOut:
      asm volatile("outb %0, %1" : : "a"(uint8_t{1}), "Nd"(abi::kHypercallPort) : "memory");
      break;
    case kWordSizedOut:
      asm volatile("outw %0, %1" : : "a"(uint16_t{1}), "Nd"(abi::kHypercallPort) : "memory");
      break;
    case kInInsteadOfOut: {
      uint32_t v;
      asm volatile("inl %1, %0" : "=a"(v) : "Nd"(abi::kHypercallPort) : "memory");
      break;
    }
    case kStringIo: {
      const void* src = buffer;
      uint64_t count = 4;
      asm volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(abi::kHypercallPort) : "memory");
      break;
    }
    case kWrongAbiVersion:
      mailbox().abi_version = 77;
      RawOut32(abi::kHypercallPort, static_cast<uint32_t>(kEcho));
      break;
    case kEchoSourceOutside:
      Hypercall(kEcho, address, 16, buf, sizeof(buffer));
      break;
    case kEchoLengthOverflow:
      Hypercall(kEcho, buf, ~uint64_t{0} - 8, buf, sizeof(buffer));
      break;
    case kEchoDestReadOnly:
      Hypercall(kEcho, buf, 16, text, 16);
      break;
    case kEchoDestCodeRegion:
      Hypercall(kEcho, buf, 16, g_info->code_region, 16);
      break;
    case kEchoDestOverflow:
      Hypercall(kEcho, buf, 16, ~uint64_t{0} - 4, 16);
      break;
    case kConsoleBadStream:
      Hypercall(abi::Hypercall::kConsoleWrite, 7, buf, 4);
      break;
    case kConsoleHugeLength:
      Hypercall(abi::Hypercall::kConsoleWrite, 1, buf, uint64_t{1} << 40);
      break;
    case kAbortBadReason:
      Hypercall(abi::Hypercall::kAbort, 12345, buf, 4);
      break;
    case kEchoSourceInGap:
      Hypercall(kEcho, abi::kImageBase - 0x10000, 16, buf, sizeof(buffer));
      break;
    default:
      return guest::kStatusBadArgument;
  }
  // A correct host never lets us get here.
  return guest::kStatusMismatch;
}

int64_t HeapSelfTest() {
  auto& heap = guest::GlobalHeap();
  const size_t before = heap.free_bytes();
  void* blocks[64];
  for (int i = 0; i < 64; ++i) {
    blocks[i] = heap.Allocate(static_cast<size_t>(i) * 37 + 1);
    if (blocks[i] == nullptr) return 1;
    if ((reinterpret_cast<uintptr_t>(blocks[i]) & 15) != 0) return 2;
    memset(blocks[i], i, static_cast<size_t>(i) * 37 + 1);
  }
  for (int i = 0; i < 64; i += 2) heap.Free(blocks[i]);
  for (int i = 1; i < 64; i += 2) {
    auto* p = static_cast<uint8_t*>(blocks[i]);
    for (size_t j = 0; j < static_cast<size_t>(i) * 37 + 1; ++j) {
      if (p[j] != i) return 3;
    }
    heap.Free(blocks[i]);
  }
  if (heap.free_bytes() != before) return 4;
  // Everything coalesced back: one block as large as the whole heap fits.
  void* all = heap.Allocate(before - 16);
  if (all == nullptr) return 5;
  heap.Free(all);
  return heap.free_bytes() == before ? 0 : 6;
}

int64_t Handle(int64_t command, const uint64_t args[3]) {
  switch (command) {
    case kSpin:
      for (;;) asm volatile("pause");
    case kUd2:
      asm volatile("ud2");
      break;
    case kReadAddress:
      return static_cast<int64_t>(*reinterpret_cast<volatile uint64_t*>(args[0]));
    case kWriteCode:
      *reinterpret_cast<volatile uint8_t*>(&palisade_guest_main) = 0xcc;
      break;
    case kExecData: {
      g_data_page[0] = 0xc3;  // ret
      reinterpret_cast<void (*)()>(reinterpret_cast<uintptr_t>(g_data_page))();
      break;
    }
    case kStackOverflow:
      return static_cast<int64_t>(Recurse(0));
    case kAllocUntilOom: {
      if (args[0] == 0) return guest::kStatusBadArgument;
      for (;;) {
        auto* p = new uint8_t[args[0]];
        // Let the pointer escape, or the compiler may drop the allocation.
        asm volatile("" : : "r"(p) : "memory");
        p[0] = 1;
      }
    }
    case kBadHypercall:
      return DoBadHypercall(args[0], args[1]);
    case kSseSum: {
      volatile double sum = 0;
      for (uint64_t i = 0; i < args[0]; ++i) sum = sum + 0.5 * static_cast<double>(i);
      return static_cast<int64_t>(sum);
    }
    case kCpuidVendorEbx: {
      uint32_t a = 0, b, c, d;
      asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
      return b;
    }
    case kPrint:
      guest::Print("hello from the guest\n");
      return guest::kStatusOk;
    case kHeapSelfTest:
      return HeapSelfTest();
    case kHalt:
      asm volatile("hlt");
      break;
    case kLoadEmptyIdt: {
      struct [[gnu::packed]] {
        uint16_t limit;
        uint64_t base;
      } empty{0, 0};
      asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
      break;
    }
    case kWriteSystemArea:
      *reinterpret_cast<volatile uint64_t*>(abi::kGdtAddress + 0x100) = 0x1234;
      break;
    case kJumpToRing0:
      reinterpret_cast<void (*)()>(args[0])();
      break;
    case kOutToPort:
      asm volatile("outb %0, %w1" : : "a"(uint8_t{1}), "Nd"(static_cast<uint16_t>(args[0])) : "memory");
      break;
    case kDirtyRegisters: {
      const uint32_t toward_zero = 0x7f80;
      asm volatile("movq %0, %%xmm15\n\tmov %0, %%r15\n\tldmxcsr %1"
                   :
                   : "r"(args[0]), "m"(toward_zero)
                   : "xmm15", "r15");
      return guest::kStatusOk;
    }
    case kReadRegisters: {
      uint64_t xmm, r15;
      uint32_t mxcsr;
      asm volatile("movq %%xmm15, %0\n\tmov %%r15, %1\n\tstmxcsr %2"
                   : "=r"(xmm), "=r"(r15), "=m"(mxcsr));
      return static_cast<int64_t>(xmm | r15 | (mxcsr != 0x1f80 ? 1 : 0));
    }
    case kSealCode:
      return SealVariantCode(args[0]);
    case kCallAddress:
      return static_cast<int64_t>(reinterpret_cast<uint64_t (*)()>(args[0])());
    case kWriteAddress:
      *reinterpret_cast<volatile uint8_t*>(args[0]) = 0xc3;
      return 0;
    case kReleaseCode:
      return Hypercall(abi::Hypercall::kReleaseCode, args[0]);
    case kBootInfoCheck: {
      uint64_t rsp;
      asm volatile("mov %%rsp, %0" : "=r"(rsp));
      if (rsp > g_info->stack_top || rsp < g_info->stack_bottom) return 1;
      if (g_info->heap_start >= g_info->heap_end) return 2;
      if (g_info->heap_end > g_info->mem_size) return 3;
      if (reinterpret_cast<uint64_t>(&mailbox()) != g_info->mailbox) return 4;
      return 0;
    }
    default:
      return guest::kStatusUnknownCommand;
  }
  return guest::kStatusMismatch;
}

}  // namespace
}  // namespace palisade::test_guest

extern "C" int palisade_guest_main(const palisade::abi::BootInfo* info) {
  palisade::test_guest::g_info = info;
  palisade::guest::ServeCommands(&palisade::test_guest::Handle);
}
