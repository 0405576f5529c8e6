/*
 * The -kernel loader: puts a 64-bit ELF into guest RAM and builds what the
 * boot protocol promises (docs/boot-protocol.md): page tables, GDT, TSS,
 * an empty IDT and the boot-info block; fills the vCPU's entry state.
 */
#ifndef HW_LOADER_H
#define HW_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "accel.h"

/*
 * Loads `image` (the bytes of an ELF file; `name` is for messages) with the
 * -append string `cmdline`. Guest RAM must be mapped. Fails with a clear
 * error for anything that is not a well-formed x86-64 executable fitting in
 * RAM above KERNEL_MIN_GPA, or a command line too long.
 */
int load_kernel(const uint8_t *image, size_t len, const char *name,
                const char *cmdline, BootEntry *entry, GError **errp);

/* The most RAM the boot page tables can map (pc_init refuses more before
 * allocating any). */
uint64_t loader_max_ram_size(void);

#endif
