#include "vmm/guest_layout.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "guest-runtime/abi/hypercall_abi.h"

namespace palisade {
namespace {
constexpr uint64_t kPage = 4096;
uint64_t PageUp(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }
}  // namespace

uint64_t DefaultCodeRegionBytes(uint64_t mem_size) {
  if (mem_size < kScratchMinMemory) return 0;
  const uint64_t eighth = mem_size / 8 / kCodeRegionAlign * kCodeRegionAlign;
  return std::clamp(eighth, kCodeRegionAlign, kMaxCodeRegionBytes);
}

absl::StatusOr<GuestLayout> PlanLayout(uint64_t mem_size, uint64_t stack_bytes,
                                       uint64_t code_bytes, const ElfImage& image) {
  if (mem_size % kPage != 0 || mem_size > kMaxGuestMemory) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "guest memory of %d bytes: must be a multiple of 4 KiB and at most %d GiB", mem_size,
        kMaxGuestMemory >> 30));
  }
  if (stack_bytes < kMinStackBytes || stack_bytes % kPage != 0 || stack_bytes > (1ull << 30)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "guest stack of %d bytes: must be a multiple of 4 KiB between 16 KiB and 1 GiB",
        stack_bytes));
  }
  GuestLayout l;
  l.mem_size = mem_size;
  l.gdt = abi::kGdtAddress;
  l.idt = abi::kIdtAddress;
  l.tss = abi::kTssAddress;
  l.boot_info = abi::kBootInfoAddress;
  l.system_end = abi::kSystemEnd;
  l.page_tables = l.system_end;
  l.image_begin = image.begin();
  l.ram_begin = l.image_begin;
  for (const ElfSegment& s : image.segments()) {
    if (s.writable) break;
    l.ram_begin = PageUp(s.vaddr + s.memsz);
  }
  if (l.ram_begin == l.image_begin) {
    return absl::InvalidArgumentError("guest image has no read-only segment to execute");
  }
  l.image_end = image.end();
  l.exception_stack_bottom = l.image_end + kPage;  // guard page below
  l.exception_stack_top = l.exception_stack_bottom + kExceptionStackBytes;
  l.stack_bottom = l.exception_stack_top + kPage;  // guard page below
  l.stack_top = l.stack_bottom + stack_bytes;
  l.mailbox = l.stack_top;
  l.outbox = l.mailbox + kPage;
  l.scratch = l.outbox + abi::kOutboxBytes;
  l.scratch_bytes = mem_size >= kScratchMinMemory ? kEngineScratchBytes : 0;
  l.request_area = l.scratch + l.scratch_bytes;
  l.request_area_bytes = mem_size >= kScratchMinMemory ? kRequestAreaBytes : 0;
  if (code_bytes % kCodeRegionAlign != 0 || code_bytes > kMaxCodeRegionBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "code region of %d bytes: must be a multiple of 2 MiB and at most %d MiB", code_bytes,
        kMaxCodeRegionBytes >> 20));
  }
  l.heap_begin = l.request_area + l.request_area_bytes;
  if (code_bytes != 0) {
    l.code_region = (l.heap_begin + kCodeRegionAlign - 1) & ~(kCodeRegionAlign - 1);
    l.code_region_bytes = code_bytes;
    l.heap_begin = l.code_region + code_bytes;
  }
  uint64_t needed = l.heap_begin + kMinHeapBytes;
  if (mem_size < needed) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "guest memory of %d KiB is too small for this image and a %d KiB stack: need at least "
        "%d KiB",
        mem_size / 1024, stack_bytes / 1024, PageUp(needed) / 1024));
  }
  l.heap_end = mem_size;
  return l;
}

}  // namespace palisade
