/*
 * The default guest, built into the emulator so that it runs without
 * -kernel from any directory: guests/seed.elf, byte for byte.
 */
    .section .rodata
    .balign 16
    .globl builtin_seed_elf
builtin_seed_elf:
    .incbin "guests/seed.elf"
    .globl builtin_seed_elf_end
builtin_seed_elf_end:

    .section .note.GNU-stack, "", @progbits
