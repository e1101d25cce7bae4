# CPU exception entry stubs, one per vector 0..31. Each builds an
# ExceptionFrame (see exceptions.cc) and calls palisade_exception, which reports
# the fault to the host and never returns.
    .text

.macro ISR_NOERR vec
    .global palisade_isr\vec
palisade_isr\vec:
    pushq $0                    # no CPU error code for this vector
    pushq $\vec
    jmp isr_common
.endm

.macro ISR_ERR vec
    .global palisade_isr\vec
palisade_isr\vec:
    pushq $\vec                 # CPU already pushed the error code
    jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR   8
ISR_NOERR 9
ISR_ERR   10
ISR_ERR   11
ISR_ERR   12
ISR_ERR   13
ISR_ERR   14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR   17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR   21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR   29
ISR_ERR   30
ISR_NOERR 31

isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    and $-16, %rsp              # SysV alignment for the C++ handler
    call palisade_exception
1:  hlt
    jmp 1b

    .section .rodata
    .global palisade_isr_table
    .balign 8
palisade_isr_table:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad palisade_isr\vec
    .endr

    .section .note.GNU-stack, "", @progbits
