# Guest entry. The VMM enters here already in 64-bit long mode with paging,
# %rsp at the top of the boot stack and %rdi = the BootInfo address; there is
# no real mode and no firmware, so all that is left is C++ start-up.
    .section .text.entry, "ax"
    .global _start
    .type _start, @function
_start:
    cld
    mov %rdi, %r12             # BootInfo*, preserved across calls
    call palisade_guest_boot   # IDT, allocator, mailbox, constructors
    mov %r12, %rdi
    call palisade_guest_main   # returns the exit code in %eax
    mov %eax, %edi
    call palisade_guest_exit   # never returns
1:  hlt
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
