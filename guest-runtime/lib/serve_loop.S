# The guest's wait for its next command, as one loop the host can rewind to
# without touching the vCPU: after a snapshot reset the host leaves the
# registers as the last command left them (every vCPU ioctl costs ~10 us on
# PVM) and only rolls memory back. So nothing may be carried in a register
# across the `out`: the loop reloads its stack pointer from memory written
# once at boot, clears every other register (no value of one call reaches
# the next), resets the SSE/x87 control state, and calls the C++ handler
# afresh. The stack below the loop's frame is scratch for each command.
#include "abi/ring3_abi.h"

#define MAILBOX_ARG0 8
#define HYPERCALL_AWAIT_COMMAND 0

    .text
    .global palisade_serve_loop
    .type palisade_serve_loop, @function
# [[noreturn]] void palisade_serve_loop(abi::Mailbox* mailbox)
palisade_serve_loop:
    mov %rdi, serve_mailbox(%rip)
    and $-16, %rsp
    mov %rsp, serve_rsp(%rip)
    xor %eax, %eax                          # status of "no command yet"
1:  mov serve_mailbox(%rip), %rdi
    movl $PALISADE_ABI_VERSION, (%rdi)     # Mailbox::abi_version
    mov %rax, MAILBOX_ARG0(%rdi)           # args[0] = the last command's status
    mov $HYPERCALL_AWAIT_COMMAND, %eax
    mov $PALISADE_ABI_HYPERCALL_PORT, %edx
    out %eax, %dx
    mov serve_rsp(%rip), %rsp
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    pxor %xmm0, %xmm0
    pxor %xmm1, %xmm1
    pxor %xmm2, %xmm2
    pxor %xmm3, %xmm3
    pxor %xmm4, %xmm4
    pxor %xmm5, %xmm5
    pxor %xmm6, %xmm6
    pxor %xmm7, %xmm7
    pxor %xmm8, %xmm8
    pxor %xmm9, %xmm9
    pxor %xmm10, %xmm10
    pxor %xmm11, %xmm11
    pxor %xmm12, %xmm12
    pxor %xmm13, %xmm13
    pxor %xmm14, %xmm14
    pxor %xmm15, %xmm15
    ldmxcsr default_mxcsr(%rip)
    fninit
    cld
    call palisade_serve_one                # int64_t palisade_serve_one(); never returns on shutdown
    jmp 1b
    .size palisade_serve_loop, . - palisade_serve_loop

    .section .rodata
    .balign 4
default_mxcsr:
    .long 0x1f80                            # all exceptions masked, round to nearest

    .bss
    .balign 8
serve_mailbox:
    .quad 0
serve_rsp:
    .quad 0

    .section .note.GNU-stack, "", @progbits
