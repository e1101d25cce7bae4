// Where everything lives in guest-physical memory (identity-mapped, so these
// are also the guest's virtual addresses):
//
//   0x0000      unmapped: null pointers fault
//   0x1000      system area, read-only memory slot: GDT, IDT, TSS (all
//               supervisor-only), BootInfo (readable from ring 3)
//   0x5000      page tables, their own slot, not mapped in the guest's tables
//   ...         unmapped gap up to the image
//   0x100000    image, read-only memory slot: ring-0 stubs (R+X,
//               supervisor-only), then text (R+X) and rodata (R)
//   ram_begin   RAM memory slot (R+W, never executable):
//                 image data + bss
//                 guard page | exception stack (RSP0, supervisor-only) |
//                 guard page
//               stack, mailbox page, outbox, engine scratch, request area:
//               their own slot,
//               never dirty-logged. The host rewrites the mailbox and outbox
//               itself; the stack below the serve loop's frame and the
//               engine's stacks hold nothing between calls. Written by every
//               call, they would otherwise fault after every reset.
//                 code region (2 MiB-aligned, read-only slot, R+X for ring 3):
//               compiled Wasm the host sealed there (vmm/code_region.h). It
//               sits this low so rel32 calls reach the image's helpers.
//                 heap, up to memory size
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "vmm/elf_image.h"

namespace palisade {

struct GuestLayout {
  uint64_t mem_size = 0;
  uint64_t gdt = 0;
  uint64_t idt = 0;
  uint64_t tss = 0;
  uint64_t boot_info = 0;
  uint64_t system_end = 0;    // end of the read-only system area
  uint64_t page_tables = 0;   // first page-table page (PML4)
  uint64_t page_tables_end = 0;  // set once the tables are built
  uint64_t image_begin = 0;
  uint64_t ram_begin = 0;     // end of the read-only image part
  uint64_t image_end = 0;
  uint64_t exception_stack_bottom = 0;
  uint64_t exception_stack_top = 0;
  uint64_t stack_bottom = 0;
  uint64_t stack_top = 0;
  uint64_t mailbox = 0;
  uint64_t outbox = 0;        // abi::kOutboxBytes
  uint64_t scratch = 0;       // the engine's stacks
  uint64_t scratch_bytes = 0;
  uint64_t request_area = 0;  // warm requests; ends where the heap begins
  uint64_t request_area_bytes = 0;
  uint64_t code_region = 0;   // compiled code; 0 bytes: no compiler tier
  uint64_t code_region_bytes = 0;
  uint64_t heap_begin = 0;
  uint64_t heap_end = 0;
};

inline constexpr uint64_t kMinStackBytes = 16 * 1024;
inline constexpr uint64_t kExceptionStackBytes = 16 * 1024;
inline constexpr uint64_t kMinHeapBytes = 64 * 1024;
inline constexpr uint64_t kMaxGuestMemory = 64ull << 30;
// The engine's default value stack (8 MiB) and call stack (20,001 frames of
// 32 bytes, the spec runner's depth) fit; guests of at least
// kScratchMinMemory get it, smaller ones keep the stacks on their heap.
inline constexpr uint64_t kEngineScratchBytes = (8ull << 20) + (1ull << 20) + (256ull << 10);
inline constexpr uint64_t kScratchMinMemory = 32ull << 20;
// Room for a warm request (palisade fuzz's: the input and its coverage
// arrays), for guests of at least kScratchMinMemory.
inline constexpr uint64_t kRequestAreaBytes = 1ull << 20;
// The code region: an eighth of guests of at least kScratchMinMemory, in
// whole 2 MiB pages, at most kMaxCodeRegionBytes; smaller guests interpret.
inline constexpr uint64_t kCodeRegionAlign = 2ull << 20;
inline constexpr uint64_t kMaxCodeRegionBytes = 64ull << 20;
uint64_t DefaultCodeRegionBytes(uint64_t mem_size);

// Plans the layout for an image, a memory size, a stack size and a code
// region (a multiple of kCodeRegionAlign, or 0); says how much memory would
// be needed when `mem_size` is too small.
absl::StatusOr<GuestLayout> PlanLayout(uint64_t mem_size, uint64_t stack_bytes,
                                       uint64_t code_bytes, const ElfImage& image);

}  // namespace palisade
