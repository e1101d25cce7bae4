// Puts a vCPU straight into 64-bit long mode, the way a boot loader would have
// left it but without one: the VMM writes the GDT and TSS into the read-only
// system area and loads CR0/CR3/CR4/EFER and every segment register itself.
#pragma once

#include <linux/kvm.h>

#include "vmm/guest_layout.h"
#include "vmm/guest_memory.h"

namespace palisade {

// Writes the GDT (null, 64-bit code, data, 64-bit TSS) and the TSS (IST1 =
// the exception stack) at the layout's addresses.
void WriteDescriptorTables(GuestMemory& memory, const GuestLayout& layout);

// `sregs` is the vCPU's reset state (KVM_GET_SREGS); returns it switched to
// long mode with paging (CR3 = the PML4), SSE enabled, NX enabled, CR0.WP set.
kvm_sregs LongModeSregs(const kvm_sregs& reset, const GuestLayout& layout);

}  // namespace palisade
