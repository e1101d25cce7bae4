// C++ start-up between the entry stub and the guest's main, at CPL 3: check
// the boot info and the CPU, point the hypercall client at the mailbox, set
// up the heap, run static constructors. Exceptions already reach the host:
// the VMM installed the IDT before the first instruction ran.
#include "abi/hypercall_abi.h"
#include "lib/heap.h"
#include "lib/hypercall.h"
#include "lib/outbox.h"

extern "C" {
using InitFn = void (*)();
extern const InitFn __init_array_start[];
extern const InitFn __init_array_end[];
}

namespace {

// The engine is compiled for SSE4.1. CPUID at CPL 3 is what the code will
// really get: hardware KVM answers from the CPUID the VMM set, and PVM does
// not intercept it at all (its KVM_GET_SUPPORTED_CPUID under-reports, so the
// host cannot tell in advance).
bool HasSse41() {
  uint32_t a = 1, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return (c & (1u << 19)) != 0;
}

}  // namespace

extern "C" void palisade_guest_boot(const palisade::abi::BootInfo* info) {
  using namespace palisade;
  if (info->magic != abi::kBootMagic || info->abi_version != abi::kAbiVersion) {
    asm volatile("ud2");  // reported as a fault: the mailbox is not known yet
  }
  guest::HypercallInit(reinterpret_cast<abi::Mailbox*>(info->mailbox));
  guest::OutboxInit(reinterpret_cast<abi::OutboxHeader*>(info->outbox));
  if (!HasSse41()) {
    guest::Abort(abi::AbortReason::kCpuUnsupported,
                 "this CPU lacks SSE4.1, which Palisade's Wasm engine needs");
  }
  if (!guest::GlobalHeap().Init(info->heap_start, info->heap_end)) {
    guest::Abort(abi::AbortReason::kOutOfMemory, "no room for the guest heap");
  }
  for (const InitFn* fn = __init_array_start; fn != __init_array_end; ++fn) {
    (*fn)();
  }
}
