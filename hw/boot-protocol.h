/*
 * The boot protocol between the loader (hw/loader.c) and a -kernel guest:
 * the guest-physical memory map, the boot-info block, the entry state, and
 * the device addresses. Shared verbatim with the built-in guests (guests/),
 * so it holds only constants and a plain struct. docs/boot-protocol.md
 * explains it.
 */
#ifndef HW_BOOT_PROTOCOL_H
#define HW_BOOT_PROTOCOL_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* --- guest-physical memory map ------------------------------------------ */

/* RAM fills [0, LOW_RAM_MAX); the rest of it starts at HIGH_RAM_BASE. */
#define LOW_RAM_MAX           0xC0000000ull
#define HIGH_RAM_BASE         0x100000000ull

/* Areas the loader writes below 1 MiB (all within RAM). */
#define BOOT_INFO_GPA         0x1000ull   /* struct boot_info, 4 KiB */
#define BOOT_GDT_GPA          0x2000ull   /* the GDT below */
#define BOOT_IDT_GPA          0x3000ull   /* 256 empty gates; the guest fills its own */
#define BOOT_TSS_GPA          0x4000ull   /* a 64-bit TSS (104 bytes) */
#define WORKLOAD_STATE_GPA    0x8000ull   /* 4 KiB for a built-in workload's state */
#define WORKLOAD_STATE_SIZE   0x1000ull
#define BOOT_PAGE_TABLES_GPA  0x10000ull  /* PML4, PDPT, page directories */
#define BOOT_PAGE_TABLES_END  0x30000ull
#define KERNEL_MIN_GPA        0x30000ull  /* lowest address an ELF may load at */
#define BOOT_STACK_TOP        0x8000ull   /* initial RSP; the stack may use 0x5000-0x8000 */

/* The first address a built-in workload may use freely (the a-b guest
 * touches every page from here to the end of RAM). */
#define GUEST_FREE_RAM_START  0x100000ull

/* Memory-mapped devices: a window no RAM slot covers, so every access
 * exits to the VMM. Ring-3 code can reach devices only here. */
#define MMIO_WINDOW_BASE      0xFE000000ull
#define MMIO_WINDOW_SIZE      0x00010000ull
#define UART_MMIO_GPA         0xFE000000ull  /* 16550A registers at byte offsets 0..7 */
#define DEBUG_EXIT_MMIO_GPA   0xFE001000ull  /* write v: exit with status (v << 1) | 1 */
#define GUEST_CTL_MMIO_GPA    0xFE002000ull  /* see GUEST_CTL_* below */

/* The same devices on I/O ports, for ring-0 code. */
#define UART_IO_PORT          0x3F8
#define DEBUG_EXIT_IO_PORT    0xF4

/* Guest-control registers (64-bit writes at these offsets). */
#define GUEST_CTL_PANIC       0x00  /* value: gpa of a NUL-terminated message */
#define GUEST_CTL_HALT        0x08  /* any value: stop until the vCPU is kicked */

/* --- GDT selectors the loader provides ---------------------------------- */

#define GDT_KERNEL_CS         0x08  /* 64-bit code, DPL 0 */
#define GDT_KERNEL_DS         0x10  /* data, DPL 0 */
#define GDT_USER_DS           0x1B  /* data, DPL 3 (index 3 | RPL 3) */
#define GDT_USER_CS           0x23  /* 64-bit code, DPL 3 (index 4 | RPL 3) */
#define GDT_TSS               0x28  /* 64-bit TSS (two slots) */
#define GDT_ENTRIES           7

/* --- the boot-info block at BOOT_INFO_GPA -------------------------------- */

#define BOOT_INFO_MAGIC       0x49425851u  /* "QXBI" little-endian */
#define BOOT_INFO_VERSION     1
#define BOOT_CMDLINE_MAX      2048         /* including the NUL */
#define BOOT_RAM_RANGES_MAX   2

#ifndef __ASSEMBLER__
struct boot_ram_range {
    uint64_t gpa;
    uint64_t size;
};

struct boot_info {
    uint32_t magic;             /* BOOT_INFO_MAGIC */
    uint32_t version;           /* BOOT_INFO_VERSION */
    uint64_t ram_size;          /* total bytes of RAM */
    uint32_t nr_ram_ranges;
    uint32_t cmdline_len;       /* bytes before the NUL */
    struct boot_ram_range ram[BOOT_RAM_RANGES_MAX];
    uint64_t kernel_start;      /* lowest and highest+1 address the ELF loaded */
    uint64_t kernel_end;
    uint64_t uart_mmio;
    uint64_t debug_exit_mmio;
    uint64_t guest_ctl_mmio;
    uint16_t uart_port;
    uint16_t debug_exit_port;
    uint32_t reserved;
    char cmdline[BOOT_CMDLINE_MAX];  /* the -append string */
};
#endif

/*
 * Built-in guests carry an ELF note naming their workload, so that the
 * software accelerator can run the same workload natively.
 */
#define WORKLOAD_NOTE_OWNER   "QEMUXB"
#define WORKLOAD_NOTE_TYPE    1

#endif
