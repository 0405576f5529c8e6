/*
 * Entry of a built-in guest (ring 0, 64-bit, as the loader leaves it) and
 * the exception entry points. Only general registers are used here: ring-0
 * code is emulated instruction by instruction under some KVM flavours.
 */
#include "hw/boot-protocol.h"

    .section .text.entry, "ax"
    .code64
    .globl _start
_start:
    /* RDI holds the boot-info address (the loader's entry state). */
    lea     stub_stack_top(%rip), %rsp
    call    stub_main
1:  hlt
    jmp     1b

/* stub_enter_user(rip, rsp): drop to ring 3 with an iretq frame. */
    .globl stub_enter_user
stub_enter_user:
    pushq   $GDT_USER_DS            /* SS */
    pushq   %rsi                    /* RSP */
    pushq   $0x2                    /* RFLAGS: interrupts off, IOPL 0 */
    pushq   $GDT_USER_CS            /* CS */
    pushq   %rdi                    /* RIP */
    iretq

/*
 * Exceptions 0-31: push a dummy error code where the CPU pushes none, then
 * the vector, then every general register, and hand the frame to C.
 */
    .macro exc_noerr vec
exc_\vec:
    pushq   $0
    pushq   $\vec
    jmp     exc_common
    .endm

    .macro exc_err vec
exc_\vec:
    pushq   $\vec
    jmp     exc_common
    .endm

    exc_noerr 0
    exc_noerr 1
    exc_noerr 2
    exc_noerr 3
    exc_noerr 4
    exc_noerr 5
    exc_noerr 6
    exc_noerr 7
    exc_err   8
    exc_noerr 9
    exc_err   10
    exc_err   11
    exc_err   12
    exc_err   13
    exc_err   14
    exc_noerr 15
    exc_noerr 16
    exc_err   17
    exc_noerr 18
    exc_noerr 19
    exc_noerr 20
    exc_err   21
    exc_noerr 22
    exc_noerr 23
    exc_noerr 24
    exc_noerr 25
    exc_noerr 26
    exc_noerr 27
    exc_noerr 28
    exc_err   29
    exc_err   30
    exc_noerr 31

exc_common:
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, %rdi
    call    stub_exception
2:  hlt
    jmp     2b

    .section .rodata
    .balign 8
    .globl exc_entry_table
exc_entry_table:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exc_\vec
    .endr

/* The ring-0 stack (exceptions from ring 3 land here through TSS.RSP0) and
 * the ring-3 stack of the runtime. */
    .section .bss
    .balign 16
    .skip   8192
    .globl stub_stack_top
stub_stack_top:
    .skip   65536
    .globl user_stack_top
user_stack_top:

    .section .note.GNU-stack, "", @progbits
