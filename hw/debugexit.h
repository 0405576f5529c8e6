/*
 * The debug-exit device (as QEMU's isa-debug-exit): a guest writes v and the
 * program exits with status (v << 1) | 1. For test guests.
 */
#ifndef HW_DEBUGEXIT_H
#define HW_DEBUGEXIT_H

#include <stdint.h>
#include <glib.h>

int debugexit_init(uint16_t ioport, uint64_t mmio_base, GError **errp);

#endif
