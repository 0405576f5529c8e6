/*
 * RAM migration (arch_init.c): the "ram" live section and the figures the
 * migration thread needs to decide when to stop the guest.
 */
#ifndef ARCH_INIT_H
#define ARCH_INIT_H

#include <stdint.h>
#include <glib.h>

#include "qemu-file.h"

/* Registers the "ram" section with savevm.c (once, at start-up). */
void ram_migration_register(void);

/* The section's handlers (QEMU 1.0's names and stages; see savevm.h). */
int ram_save_live(QEMUFile *f, int stage, void *opaque);
int ram_load(QEMUFile *f, void *opaque, int version_id, GError **errp);

/* Ends a pass over RAM: fetches the dirty log and updates the per-pass
 * rates. Returns the number of dirty pages to send next. */
uint64_t ram_save_sync(void);

/* Bytes on the wire it would take to send what is dirty now (or was at the
 * previous sync, if more), at the cost per page seen in the last pass
 * (duplicates, deltas and raw pages alike). */
uint64_t ram_save_expected_bytes(void);

#endif
