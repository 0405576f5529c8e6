/*
 * The ELF loader and the boot structures of docs/boot-protocol.md. Every
 * value read from the file is checked before it is used: a broken -kernel
 * gets an error, never a write outside guest RAM.
 */
#include <elf.h>
#include <string.h>

#include "hw/boot-protocol.h"
#include "hw/loader.h"
#include "memory.h"
#include "qemu-error.h"

#define PAGE_PRESENT 0x1ull
#define PAGE_WRITE 0x2ull
#define PAGE_USER 0x4ull
#define PAGE_HUGE 0x80ull
#define GIB (1ull << 30)
#define PML4_GPA BOOT_PAGE_TABLES_GPA
#define PDPT_GPA (BOOT_PAGE_TABLES_GPA + 0x1000)
#define PD_GPA (BOOT_PAGE_TABLES_GPA + 0x2000)
#define MAX_PDS ((BOOT_PAGE_TABLES_END - PD_GPA) / 0x1000)
#define TSS_SIZE 104

/* --- ELF ------------------------------------------------------------------- */

static int check_elf_header(const uint8_t *image, size_t len, const char *name,
                            Elf64_Ehdr *eh, GError **errp)
{
    if (len < sizeof(*eh)) {
        error_setg(errp, "%s: too short to be an ELF file", name);
        return -1;
    }
    memcpy(eh, image, sizeof(*eh));
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        error_setg(errp, "%s: not an ELF file", name);
        return -1;
    }
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64) {
        error_setg(errp, "%s: not a 64-bit x86-64 ELF file", name);
        return -1;
    }
    if (eh->e_type != ET_EXEC) {
        error_setg(errp, "%s: not an executable (ELF type %u)", name, eh->e_type);
        return -1;
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
        eh->e_phoff > len || (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
        error_setg(errp, "%s: bad program header table", name);
        return -1;
    }
    return 0;
}

static void read_phdr(const uint8_t *image, const Elf64_Ehdr *eh, int i,
                      Elf64_Phdr *ph)
{
    memcpy(ph, image + eh->e_phoff + (size_t)i * sizeof(*ph), sizeof(*ph));
}

static int load_segment(const uint8_t *image, size_t len, const char *name,
                        const Elf64_Phdr *ph, GError **errp)
{
    if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
        ph->p_filesz > len - ph->p_offset) {
        error_setg(errp, "%s: segment at 0x%" G_GINT64_MODIFIER "x lies outside the file",
                   name, (uint64_t)ph->p_paddr);
        return -1;
    }
    if (ph->p_paddr < KERNEL_MIN_GPA || ph->p_memsz > UINT64_MAX - ph->p_paddr ||
        !gpa_to_host(ph->p_paddr, ph->p_memsz ? ph->p_memsz : 1)) {
        error_setg(errp, "%s: segment at 0x%" G_GINT64_MODIFIER "x (+0x%"
                   G_GINT64_MODIFIER "x) is not within guest RAM above 0x%llx",
                   name, (uint64_t)ph->p_paddr, (uint64_t)ph->p_memsz,
                   KERNEL_MIN_GPA);
        return -1;
    }
    uint8_t *dst = gpa_to_host(ph->p_paddr, ph->p_memsz);
    memcpy(dst, image + ph->p_offset, ph->p_filesz);
    memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    memory_mark_dirty(ph->p_paddr, ph->p_memsz);
    return 0;
}

/* Looks for our workload note in a PT_NOTE segment. */
static void find_workload_note(const uint8_t *image, size_t len,
                               const Elf64_Phdr *ph, char *out, size_t out_len)
{
    static const char owner[] = WORKLOAD_NOTE_OWNER;
    uint64_t off = ph->p_offset;
    uint64_t end = ph->p_offset + ph->p_filesz;

    if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
        return;
    }
    while (end - off >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, image + off, 4);
        memcpy(&descsz, image + off + 4, 4);
        memcpy(&type, image + off + 8, 4);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + ((namesz + 3ull) & ~3ull);
        uint64_t next = desc_off + ((descsz + 3ull) & ~3ull);
        if (next > end) {
            return;
        }
        if (type == WORKLOAD_NOTE_TYPE && namesz == sizeof(owner) &&
            memcmp(image + name_off, owner, sizeof(owner)) == 0 &&
            descsz > 0 && descsz <= out_len && image[desc_off + descsz - 1] == '\0') {
            memcpy(out, image + desc_off, descsz);
            return;
        }
        off = next;
    }
}

static int load_elf(const uint8_t *image, size_t len, const char *name,
                    BootEntry *entry, uint64_t *lo, uint64_t *hi, GError **errp)
{
    Elf64_Ehdr eh;
    bool entry_loaded = false;

    if (check_elf_header(image, len, name, &eh, errp) < 0) {
        return -1;
    }
    *lo = UINT64_MAX;
    *hi = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        read_phdr(image, &eh, i, &ph);
        if (ph.p_type == PT_NOTE) {
            find_workload_note(image, len, &ph, entry->workload, sizeof(entry->workload));
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        if (load_segment(image, len, name, &ph, errp) < 0) {
            return -1;
        }
        *lo = MIN(*lo, ph.p_paddr);
        *hi = MAX(*hi, ph.p_paddr + ph.p_memsz);
        entry_loaded |= eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz;
    }
    if (!entry_loaded) {
        error_setg(errp, "%s: entry point 0x%" G_GINT64_MODIFIER "x is not in a loaded segment",
                   name, (uint64_t)eh.e_entry);
        return -1;
    }
    entry->rip = eh.e_entry;
    return 0;
}

/* --- boot structures ------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Top of the guest-physical space the page tables identity-map: all RAM and
 * the MMIO window below 4 GiB. */
static uint64_t mapped_top(void)
{
    uint64_t ram = ram_total_size();
    uint64_t top = 4 * GIB;

    if (ram > LOW_RAM_MAX) {
        top = HIGH_RAM_BASE + (ram - LOW_RAM_MAX);
    }
    return (top + GIB - 1) & ~(GIB - 1);
}

uint64_t loader_max_ram_size(void)
{
    /* Above 3 GiB the top of RAM is its size plus the 1 GiB hole. */
    return MAX_PDS * GIB - (HIGH_RAM_BASE - LOW_RAM_MAX);
}

static int build_page_tables(GError **errp)
{
    uint64_t npd = mapped_top() / GIB;
    uint8_t *pml4 = gpa_to_host(PML4_GPA, 0x1000);
    uint8_t *pdpt = gpa_to_host(PDPT_GPA, 0x1000);
    uint8_t *pd = gpa_to_host(PD_GPA, npd * 0x1000);
    const uint64_t flags = PAGE_PRESENT | PAGE_WRITE | PAGE_USER;

    if (npd > MAX_PDS) {
        error_setg(errp, "guest RAM too large for the boot page tables (at most %llu GiB "
                   "of address space)", (unsigned long long)MAX_PDS);
        return -1;
    }
    memset(pml4, 0, 0x1000);
    memset(pdpt, 0, 0x1000);
    put_le64(pml4, PDPT_GPA | flags);
    for (uint64_t g = 0; g < npd; g++) {
        put_le64(pdpt + 8 * g, (PD_GPA + g * 0x1000) | flags);
        for (uint64_t e = 0; e < 512; e++) {
            uint64_t addr = g * GIB + e * (2ull << 20);
            put_le64(pd + g * 0x1000 + 8 * e, addr | flags | PAGE_HUGE);
        }
    }
    return 0;
}

static void build_gdt_and_tss(void)
{
    uint8_t *gdt = gpa_to_host(BOOT_GDT_GPA, GDT_ENTRIES * 8);
    uint8_t *tss = gpa_to_host(BOOT_TSS_GPA, TSS_SIZE);
    const uint64_t tss_base = BOOT_TSS_GPA;

    put_le64(gdt + 0x00, 0);
    put_le64(gdt + 0x08, 0x00AF9A000000FFFFull);   /* kernel code, 64-bit */
    put_le64(gdt + 0x10, 0x00CF92000000FFFFull);   /* kernel data */
    put_le64(gdt + 0x18, 0x00CFF2000000FFFFull);   /* user data, DPL 3 */
    put_le64(gdt + 0x20, 0x00AFFA000000FFFFull);   /* user code, 64-bit, DPL 3 */
    /* 64-bit TSS descriptor (busy, as TR is loaded with it), two slots. */
    put_le64(gdt + 0x28, (TSS_SIZE - 1) | ((tss_base & 0xFFFFFF) << 16) |
                         (0x8Bull << 40) | (((tss_base >> 24) & 0xFF) << 56));
    put_le64(gdt + 0x30, tss_base >> 32);

    memset(tss, 0, TSS_SIZE);
    put_le64(tss + 4, BOOT_STACK_TOP);              /* RSP0 */
    tss[0x66] = TSS_SIZE;                           /* no I/O bitmap */
}

static void fill_boot_info(struct boot_info *bi, const char *cmdline,
                           uint64_t kernel_start, uint64_t kernel_end)
{
    uint64_t ram = ram_total_size();

    memset(bi, 0, sizeof(*bi));
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->ram_size = ram;
    bi->nr_ram_ranges = 1;
    bi->ram[0].gpa = 0;
    bi->ram[0].size = MIN(ram, LOW_RAM_MAX);
    if (ram > LOW_RAM_MAX) {
        bi->nr_ram_ranges = 2;
        bi->ram[1].gpa = HIGH_RAM_BASE;
        bi->ram[1].size = ram - LOW_RAM_MAX;
    }
    bi->kernel_start = kernel_start;
    bi->kernel_end = kernel_end;
    bi->uart_mmio = UART_MMIO_GPA;
    bi->debug_exit_mmio = DEBUG_EXIT_MMIO_GPA;
    bi->guest_ctl_mmio = GUEST_CTL_MMIO_GPA;
    bi->uart_port = UART_IO_PORT;
    bi->debug_exit_port = DEBUG_EXIT_IO_PORT;
    bi->cmdline_len = (uint32_t)strlen(cmdline);
    memcpy(bi->cmdline, cmdline, bi->cmdline_len + 1);
}

int load_kernel(const uint8_t *image, size_t len, const char *name,
                const char *cmdline, BootEntry *entry, GError **errp)
{
    uint64_t lo, hi;
    struct boot_info bi;

    if (strlen(cmdline) >= BOOT_CMDLINE_MAX) {
        error_setg(errp, "-append: the command line is longer than %d bytes",
                   BOOT_CMDLINE_MAX - 1);
        return -1;
    }
    if (!gpa_to_host(0, GUEST_FREE_RAM_START)) {
        error_setg(errp, "guest RAM must be at least 1 MiB to boot");
        return -1;
    }
    memset(entry, 0, sizeof(*entry));
    if (load_elf(image, len, name, entry, &lo, &hi, errp) < 0 ||
        build_page_tables(errp) < 0) {
        return -1;
    }
    build_gdt_and_tss();
    memset(gpa_to_host(BOOT_IDT_GPA, 0x1000), 0, 0x1000);
    fill_boot_info(&bi, cmdline, lo, hi);
    memcpy(gpa_to_host(BOOT_INFO_GPA, sizeof(bi)), &bi, sizeof(bi));
    /* A reset during a migration rewrites these: no accelerator sees it. */
    memory_mark_dirty(BOOT_INFO_GPA, BOOT_PAGE_TABLES_END - BOOT_INFO_GPA);

    entry->rsp = BOOT_STACK_TOP;
    entry->rdi = BOOT_INFO_GPA;
    entry->cr3 = PML4_GPA;
    entry->gdt_base = BOOT_GDT_GPA;
    entry->gdt_limit = GDT_ENTRIES * 8 - 1;
    entry->idt_base = BOOT_IDT_GPA;
    entry->idt_limit = 0xFFF;
    entry->tss_base = BOOT_TSS_GPA;
    return 0;
}
