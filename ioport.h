/*
 * x86 I/O ports: devices claim port ranges; the accelerator dispatches IN and
 * OUT to them. Ring-0 guest code uses ports; ring-3 code must use MMIO.
 */
#ifndef IOPORT_H
#define IOPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct IOPortOps {
    uint32_t (*read)(void *opaque, uint16_t offset, unsigned size);
    void (*write)(void *opaque, uint16_t offset, uint32_t value, unsigned size);
} IOPortOps;

int ioport_register(const char *name, uint16_t base, uint16_t count,
                    const IOPortOps *ops, void *opaque, GError **errp);

/* Reads of unclaimed ports return all ones; returns false for them. */
bool ioport_dispatch(uint16_t port, uint8_t *data, unsigned size, bool is_write);

#endif
