/* The part of the guest <-> host ABI that assembly needs too (plain #defines,
   so boot/isr.S can include it; hypercall_abi.h checks each against the C++
   structs). Bump PALISADE_ABI_VERSION on any incompatible change.

   The guest runs at CPL 3 on every KVM backend: on PVM (kvm_pvm) only CPL 3
   code runs natively, and on hardware KVM it takes every privileged
   instruction away from the runtime and the Wasm engine. The VMM builds the
   GDT, IDT and TSS below in the read-only system slot, mapped
   supervisor-only, and starts the vCPU in ring 3. */
#ifndef PALISADE_GUEST_RUNTIME_ABI_RING3_ABI_H_
#define PALISADE_GUEST_RUNTIME_ABI_RING3_ABI_H_

#define PALISADE_ABI_VERSION 5

#define PALISADE_ABI_HYPERCALL_PORT 0x500
#define PALISADE_ABI_HYPERCALL_FAULT 3

/* Fixed guest-physical pages of the system area. */
#define PALISADE_ABI_SYSTEM_BASE 0x1000
#define PALISADE_ABI_GDT_PAGE 0x1000
#define PALISADE_ABI_IDT_PAGE 0x2000
#define PALISADE_ABI_TSS_PAGE 0x3000    /* with its I/O-permission bitmap */
#define PALISADE_ABI_BOOT_INFO 0x4000   /* the only system page ring 3 may read */
#define PALISADE_ABI_SYSTEM_END 0x5000

/* GDT selectors; the user ones are Linux's, which PVM requires. */
#define PALISADE_ABI_KERNEL_CS 0x10
#define PALISADE_ABI_KERNEL_DS 0x18
#define PALISADE_ABI_USER_DS 0x2b
#define PALISADE_ABI_USER_CS 0x33
#define PALISADE_ABI_TSS_SELECTOR 0x40

/* The image's ring-0 segment: the one PT_LOAD whose p_flags carry this
   OS-specific bit (guest.ld). It is mapped supervisor-only and starts with
   PALISADE_ABI_ISR_COUNT exception entry stubs, one every
   PALISADE_ABI_ISR_STRIDE bytes: the VMM points IDT vector v at
   segment start + v * stride. */
#define PALISADE_ABI_PF_RING0 0x00100000
#define PALISADE_ABI_ISR_COUNT 32
#define PALISADE_ABI_ISR_STRIDE 16

/* Offsets the ring-0 fault path writes through. */
#define PALISADE_ABI_BOOT_INFO_MAILBOX 64
#define PALISADE_ABI_MAILBOX_PAYLOAD 88
#define PALISADE_ABI_FAULT_CR2 56
#define PALISADE_ABI_FAULT_R15 184

#endif /* PALISADE_GUEST_RUNTIME_ABI_RING3_ABI_H_ */
