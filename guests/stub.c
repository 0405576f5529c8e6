/*
 * The ring-0 start-up stub of the built-in guests: installs an IDT whose
 * handlers report any exception through the guest-control device, points the
 * TSS at a ring-0 stack, and drops to the ring-3 runtime. Built with
 * -mgeneral-regs-only: under PVM ring-0 code is emulated and most SSE, AVX
 * and x87 instructions are not supported there.
 */
#include <stdint.h>

#include "hw/boot-protocol.h"

/* Register frame built by exc_common in start.S (lowest address first). */
struct exc_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

#define IDT_INTERRUPT_GATE 0x8E   /* present, DPL 0, 64-bit interrupt gate */
#define TSS_RSP0_OFFSET    4

extern const uint64_t exc_entry_table[32];
extern void stub_enter_user(uint64_t rip, uint64_t rsp) __attribute__((noreturn));
extern void runtime_main(void);
extern char stub_stack_top[];
extern char user_stack_top[];

void stub_main(const struct boot_info *bi);
void stub_exception(const struct exc_frame *f) __attribute__((noreturn));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static char panic_message[256];

static void mmio_write64(uint64_t gpa, uint64_t value)
{
    *(volatile uint64_t *)gpa = value;
}

static __attribute__((noreturn)) void stub_panic(const char *msg)
{
    mmio_write64(GUEST_CTL_MMIO_GPA + GUEST_CTL_PANIC, (uint64_t)msg);
    for (;;) {
        __asm__ volatile("hlt");
    }
}

/* --- a tiny formatter: ring 0 has no library ----------------------------- */

static char *append_str(char *p, char *end, const char *s)
{
    while (*s && p < end) {
        *p++ = *s++;
    }
    return p;
}

static char *append_hex(char *p, char *end, uint64_t v)
{
    p = append_str(p, end, "0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xF;
        if (p < end) {
            *p++ = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        }
    }
    return p;
}

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

void stub_exception(const struct exc_frame *f)
{
    char *p = panic_message;
    char *end = panic_message + sizeof(panic_message) - 1;
    uint64_t cr2;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    p = append_str(p, end, "exception ");
    p = append_str(p, end, exception_names[f->vector & 31]);
    p = append_str(p, end, (f->cs & 3) ? " in ring 3" : " in ring 0");
    p = append_str(p, end, " at rip=");
    p = append_hex(p, end, f->rip);
    p = append_str(p, end, " error=");
    p = append_hex(p, end, f->error_code);
    if (f->vector == 14) {
        p = append_str(p, end, " cr2=");
        p = append_hex(p, end, cr2);
    }
    *p = '\0';
    stub_panic(panic_message);
}

/* --- set-up -------------------------------------------------------------- */

static void set_gate(int vec, uint64_t handler)
{
    idt[vec].offset_low = (uint16_t)handler;
    idt[vec].selector = GDT_KERNEL_CS;
    idt[vec].ist = 0;
    idt[vec].type_attr = IDT_INTERRUPT_GATE;
    idt[vec].offset_mid = (uint16_t)(handler >> 16);
    idt[vec].offset_high = (uint32_t)(handler >> 32);
    idt[vec].reserved = 0;
}

static void load_idt(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = { sizeof(idt) - 1, (uint64_t)idt };

    for (int vec = 0; vec < 32; vec++) {
        set_gate(vec, exc_entry_table[vec]);
    }
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* True when the -append string contains `word` as a whole word. */
static int cmdline_has(const struct boot_info *bi, const char *word)
{
    const char *p = bi->cmdline;

    while (*p) {
        const char *w = word;
        const char *q = p;
        while (*w && *q == *w) {
            w++;
            q++;
        }
        if (!*w && (*q == ' ' || *q == '\0') &&
            (p == bi->cmdline || p[-1] == ' ')) {
            return 1;
        }
        p++;
    }
    return 0;
}

/*
 * Test hooks: "ring0-fault=garbage" executes bytes that are not a valid
 * instruction, "ring0-fault=pf" reads an unmapped address, both in ring 0.
 */
static void maybe_fault_in_ring0(const struct boot_info *bi)
{
    static const uint8_t garbage[8] = { 0x0f, 0xff, 0xff, 0xff, 0x0f, 0x0b, 0, 0 };

    if (cmdline_has(bi, "ring0-fault=garbage")) {
        ((void (*)(void))(uintptr_t)garbage)();
    }
    if (cmdline_has(bi, "ring0-fault=pf")) {
        (void)*(volatile uint64_t *)0x8000000000ull;
    }
}

void stub_main(const struct boot_info *bi)
{
    if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION) {
        stub_panic("stub: no boot-info block at the address in RDI");
    }
    load_idt();
    maybe_fault_in_ring0(bi);
    *(volatile uint64_t *)(BOOT_TSS_GPA + TSS_RSP0_OFFSET) = (uint64_t)stub_stack_top;
    stub_enter_user((uint64_t)runtime_main, (uint64_t)user_stack_top);
}
