// C++ start-up between the entry stub and the guest's main: check the boot
// info, install the IDT, point the hypercall client at the mailbox, set up the
// heap, run static constructors.
#include "abi/hypercall_abi.h"
#include "boot/idt.h"
#include "lib/heap.h"
#include "lib/hypercall.h"

extern "C" {
using InitFn = void (*)();
extern const InitFn __init_array_start[];
extern const InitFn __init_array_end[];
}

extern "C" void palisade_guest_boot(const palisade::abi::BootInfo* info) {
  using namespace palisade;
  // Exceptions first, so that even a bad BootInfo is reported, not a triple
  // fault.
  guest::InstallIdt();
  if (info->magic != abi::kBootMagic || info->abi_version != abi::kAbiVersion) {
    asm volatile("ud2");
  }
  guest::HypercallInit(reinterpret_cast<abi::Mailbox*>(info->mailbox));
  if (!guest::GlobalHeap().Init(info->heap_start, info->heap_end)) {
    guest::Abort(abi::AbortReason::kOutOfMemory, "no room for the guest heap");
  }
  for (const InitFn* fn = __init_array_start; fn != __init_array_end; ++fn) {
    (*fn)();
  }
}
