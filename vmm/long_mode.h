// Puts a vCPU straight into 64-bit long mode at CPL 3, the way a kernel would
// leave a user process but without a kernel: the VMM writes the GDT, the IDT
// and the TSS into the read-only system area and loads CR0/CR3/CR4/EFER and
// every segment register itself. Ring 3 is what PVM (kvm_pvm) runs natively
// and what takes every privileged instruction from the guest on hardware KVM;
// ring 0 is entered only through the IDT, by a CPU exception.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "vmm/guest_layout.h"
#include "vmm/guest_memory.h"
#include "vmm/kvm_backend.h"

namespace palisade {

// Bytes of the TSS, its I/O-permission bitmap included.
uint32_t TssLimit();

// The type to load TR with: a 64-bit TSS loaded straight into TR is busy (11),
// and Intel's VM entry insists on it. AMD's CPUs ignore TR's type, but QEMU's
// emulation of SVM -- where the tests run on machines without /dev/kvm --
// honours the TSS's I/O bitmap only for an available (9) one, so on kvm_amd
// TR is loaded as available. Nothing ever switches tasks, so nothing else
// reads the type.
uint8_t TrType(KvmBackend backend);

// The bytes of the GDT (kernel code/data, Linux's user selectors, the 64-bit
// TSS at `tss`) and of that TSS (RSP0 = `rsp0`; an I/O bitmap that opens only
// the hypercall port's four bytes). The raw floor (raw_floor.h) builds its
// bare guest from them too, so floor and product set up the same CPU state.
std::vector<uint8_t> GdtBytes(uint64_t tss);
std::vector<uint8_t> TssBytes(uint64_t rsp0);

// `base` (a vCPU's reset state) switched to long mode at CPL 3: the user
// selectors, TR at `tss`, GDTR at `gdt`, IDTR at `idt` (limit `idt_limit`;
// 0 for none), paging from `cr3`, SSE and NX on, CR0.WP set.
kvm_sregs Cpl3Sregs(const kvm_sregs& base, uint64_t gdt, uint64_t tss, uint64_t idt,
                    uint16_t idt_limit, uint64_t cr3, KvmBackend backend);

// Writes the GDT (kernel code/data, Linux's user selectors, the 64-bit TSS),
// the IDT (vectors 0-31 to the image's ring-0 stubs at `isr_base`, one every
// abi::kIsrStride bytes; the rest not present) and the TSS (RSP0 = the
// exception stack; an I/O bitmap that opens only the hypercall port's four
// bytes) at the ABI's addresses.
void WriteDescriptorTables(GuestMemory& memory, const GuestLayout& layout, uint64_t isr_base);

// `sregs` is the vCPU's reset state (KVM_GET_SREGS); returns it switched to
// long mode with paging (CR3 = the PML4), SSE and NX enabled, CR0.WP set, CS
// and SS the user selectors: the first instruction runs at CPL 3.
kvm_sregs LongModeSregs(const kvm_sregs& reset, const GuestLayout& layout, KvmBackend backend);

}  // namespace palisade
