# The guest's only ring-0 code: CPU exception entry stubs. The runtime and the
# engine run at CPL 3; an exception there switches to the TSS's RSP0 stack
# and lands here. The VMM points IDT vector v at the ring-0 segment's start +
# v * PALISADE_ABI_ISR_STRIDE (ring3_abi.h), maps the segment supervisor-only,
# and its image audit allows only plain integer instructions here: on PVM,
# ring 0 runs in KVM's instruction emulator, which has no SSE.
#
# The stubs copy the CPU's frame, CR2/CR3 and every general register into a
# FaultReport in the mailbox and make the kFault hypercall, which never
# returns. A fault inside this path nests on the same stack until the stack's
# guard page turns it into a double and then a triple fault, which the host
# also reports: the path cannot loop.
#include "abi/ring3_abi.h"

#define FAULT(field) (PALISADE_ABI_MAILBOX_PAYLOAD + (field) * 8)(%rdi)

    .section .text.ring0, "ax"

.macro ISR vec, has_error_code
    .balign PALISADE_ABI_ISR_STRIDE
palisade_isr\vec:
    .if \has_error_code == 0
    pushq $0                    # no CPU error code for this vector
    .endif
    pushq $\vec
    jmp isr_common
.endm

    .global palisade_ring0_begin
palisade_ring0_begin:
ISR 0, 0
ISR 1, 0
ISR 2, 0
ISR 3, 0
ISR 4, 0
ISR 5, 0
ISR 6, 0
ISR 7, 0
ISR 8, 1
ISR 9, 0
ISR 10, 1
ISR 11, 1
ISR 12, 1
ISR 13, 1
ISR 14, 1
ISR 15, 0
ISR 16, 0
ISR 17, 1
ISR 18, 0
ISR 19, 0
ISR 20, 0
ISR 21, 1
ISR 22, 0
ISR 23, 0
ISR 24, 0
ISR 25, 0
ISR 26, 0
ISR 27, 0
ISR 28, 0
ISR 29, 1
ISR 30, 1
ISR 31, 0

    .balign PALISADE_ABI_ISR_STRIDE
    .type isr_common, @function
isr_common:
    # Stack: vector, error code, then the CPU's rip, cs, rflags, rsp, ss.
    push %rdi
    push %rax
    # Now: rax at 0, rdi at 8, vector at 16 ... ss at 64.
    mov PALISADE_ABI_BOOT_INFO + PALISADE_ABI_BOOT_INFO_MAILBOX, %rdi
    mov 16(%rsp), %rax
    mov %rax, FAULT(0)          # vector
    mov 24(%rsp), %rax
    mov %rax, FAULT(1)          # error code
    mov 32(%rsp), %rax
    mov %rax, FAULT(2)          # rip
    mov 40(%rsp), %rax
    mov %rax, FAULT(3)          # cs
    mov 48(%rsp), %rax
    mov %rax, FAULT(4)          # rflags
    mov 56(%rsp), %rax
    mov %rax, FAULT(5)          # rsp
    mov 64(%rsp), %rax
    mov %rax, FAULT(6)          # ss
    mov %cr2, %rax
    mov %rax, FAULT(7)
    mov %cr3, %rax
    mov %rax, FAULT(8)
    mov 0(%rsp), %rax
    mov %rax, FAULT(9)          # rax
    mov %rbx, FAULT(10)
    mov %rcx, FAULT(11)
    mov %rdx, FAULT(12)
    mov %rsi, FAULT(13)
    mov 8(%rsp), %rax
    mov %rax, FAULT(14)         # rdi
    mov %rbp, FAULT(15)
    mov %r8, FAULT(16)
    mov %r9, FAULT(17)
    mov %r10, FAULT(18)
    mov %r11, FAULT(19)
    mov %r12, FAULT(20)
    mov %r13, FAULT(21)
    mov %r14, FAULT(22)
    mov %r15, FAULT(23)
    movl $PALISADE_ABI_VERSION, (%rdi)      # Mailbox::abi_version
    mov $PALISADE_ABI_HYPERCALL_FAULT, %eax
    mov $PALISADE_ABI_HYPERCALL_PORT, %edx
    out %eax, %dx
1:  hlt                         # the host never resumes a fault
    jmp 1b
    .size isr_common, . - isr_common

    .global palisade_ring0_end
palisade_ring0_end:

    .section .note.GNU-stack, "", @progbits
