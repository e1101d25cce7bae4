# Guest entry. The VMM enters here already in 64-bit long mode with paging, at
# CPL 3, with %rsp at the top of the boot stack and %rdi = the BootInfo
# address; there is no real mode, no firmware and nothing privileged left to
# do (the VMM installed the IDT), so all that is left is C++ start-up.
    .section .text.entry, "ax"
    .global _start
    .type _start, @function
_start:
    cld
    mov %rdi, %r12             # BootInfo*, preserved across calls
    call palisade_guest_boot   # CPU check, allocator, mailbox, constructors
    mov %r12, %rdi
    call palisade_guest_main   # returns the exit code in %eax
    mov %eax, %edi
    call palisade_guest_exit   # never returns
    ud2                        # not reached: the host never resumes an exit
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
