/*
 * Dispatch of I/O-port accesses to the devices that claimed them. The table
 * is filled at start-up and read-only afterwards.
 */
#include <string.h>

#include "ioport.h"
#include "qemu-error.h"

#define MAX_IOPORT_RANGES 16

typedef struct IOPortRange {
    char name[32];
    uint16_t base;
    uint16_t count;
    const IOPortOps *ops;
    void *opaque;
} IOPortRange;

static IOPortRange ranges[MAX_IOPORT_RANGES];
static int nr_ranges;

int ioport_register(const char *name, uint16_t base, uint16_t count,
                    const IOPortOps *ops, void *opaque, GError **errp)
{
    if (nr_ranges == MAX_IOPORT_RANGES) {
        error_setg(errp, "too many I/O port ranges");
        return -1;
    }
    for (int i = 0; i < nr_ranges; i++) {
        if (base < ranges[i].base + ranges[i].count &&
            ranges[i].base < base + count) {
            error_setg(errp, "I/O ports of '%s' overlap '%s'", name, ranges[i].name);
            return -1;
        }
    }
    IOPortRange *r = &ranges[nr_ranges++];
    g_strlcpy(r->name, name, sizeof(r->name));
    r->base = base;
    r->count = count;
    r->ops = ops;
    r->opaque = opaque;
    return 0;
}

bool ioport_dispatch(uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
    for (int i = 0; i < nr_ranges; i++) {
        IOPortRange *r = &ranges[i];
        if (port < r->base || port - r->base >= r->count) {
            continue;
        }
        if (is_write) {
            uint32_t v = 0;
            memcpy(&v, data, size);   /* x86 host: little-endian like the guest */
            r->ops->write(r->opaque, port - r->base, v, size);
        } else {
            uint32_t v = r->ops->read(r->opaque, port - r->base, size);
            memcpy(data, &v, size);
        }
        return true;
    }
    if (!is_write) {
        memset(data, 0xff, size);
    }
    return false;
}
