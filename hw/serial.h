/*
 * A 16550A UART on I/O ports and memory-mapped, connected to a chardev.
 */
#ifndef HW_SERIAL_H
#define HW_SERIAL_H

#include <stdint.h>
#include <glib.h>

#include "qemu-char.h"

typedef struct SerialState SerialState;

/* Creates the UART at `ioport` (8 ports) and at `mmio_base` (8 bytes in a
 * 4 KiB region), wired to chr (which may be NULL: output is dropped). */
SerialState *serial_init(uint16_t ioport, uint64_t mmio_base,
                         CharDriverState *chr, GError **errp);


#endif
