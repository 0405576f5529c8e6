/*
 * The ring-3 runtime of a built-in guest: the services of workload.h on top
 * of the memory-mapped devices, and the loop that runs the one workload this
 * ELF was built for (WORKLOAD_SYM, named WORKLOAD_NAME in an ELF note).
 */
#include "guests/workload.h"

#ifndef WORKLOAD_SYM
#error "build with -DWORKLOAD_SYM=workload_NAME -DWORKLOAD_NAME=\"NAME\""
#endif

/* The note the software accelerator reads to find the same workload. */
__asm__(".pushsection .note.workload, \"a\", @note\n"
        ".balign 4\n"
        ".long 2f - 1f\n"           /* namesz */
        ".long 4f - 3f\n"           /* descsz */
        ".long 1\n"                 /* WORKLOAD_NOTE_TYPE */
        "1: .asciz \"QEMUXB\"\n"    /* WORKLOAD_NOTE_OWNER */
        "2: .balign 4\n"
        "3: .asciz \"" WORKLOAD_NAME "\"\n"
        "4: .balign 4\n"
        ".popsection\n");

/* 16550 registers used here, as byte offsets. */
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

struct GuestEnv {
    int unused;
};

void runtime_main(void) __attribute__((noreturn));

static void mmio_write8(uint64_t gpa, uint8_t v)
{
    *(volatile uint8_t *)(uintptr_t)gpa = v;
}

static uint8_t mmio_read8(uint64_t gpa)
{
    return *(volatile uint8_t *)(uintptr_t)gpa;
}

static void mmio_write64(uint64_t gpa, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)gpa = v;
}

const struct boot_info *genv_boot_info(GuestEnv *env)
{
    return (const struct boot_info *)(uintptr_t)BOOT_INFO_GPA;
}

void genv_putc(GuestEnv *env, char c)
{
    while (!(mmio_read8(UART_MMIO_GPA + UART_LSR) & UART_LSR_THRE)) {
        continue;
    }
    mmio_write8(UART_MMIO_GPA + UART_THR, (uint8_t)c);
}

void genv_exit(GuestEnv *env, unsigned code)
{
    mmio_write64(DEBUG_EXIT_MMIO_GPA, code);
}

void genv_halt(GuestEnv *env)
{
    mmio_write64(GUEST_CTL_MMIO_GPA + GUEST_CTL_HALT, 1);
}

/* The compiler may emit calls to these even in freestanding code. */
void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);

void *memset(void *dst, int c, unsigned long n)
{
    unsigned char *d = dst;
    while (n--) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void runtime_main(void)
{
    static GuestEnv env;
    void *state = (void *)(uintptr_t)WORKLOAD_STATE_GPA;

    memset(state, 0, WORKLOAD_STATE_SIZE);
    WORKLOAD_SYM.init(&env, state);
    for (;;) {
        WORKLOAD_SYM.step(&env, state);
    }
}
