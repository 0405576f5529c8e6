/*
 * The debug-exit device: one write-only register, on an I/O port (4 bytes)
 * and memory-mapped. Reads return 0.
 */
#include "hw/debugexit.h"
#include "ioport.h"
#include "memory.h"
#include "sysemu.h"

/* An exit status has 8 bits: what the shift pushes out is lost, as it
 * would be with any program's exit. */
static void debugexit_write(uint64_t value)
{
    qemu_system_exit_request((int)(((value << 1) | 1) & 0xff));
}

static uint32_t debugexit_ioport_read(void *opaque, uint16_t offset, unsigned size)
{
    return 0;
}

static void debugexit_ioport_write(void *opaque, uint16_t offset, uint32_t value,
                                   unsigned size)
{
    debugexit_write(value);
}

static uint64_t debugexit_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void debugexit_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                                 unsigned size)
{
    if (offset == 0) {
        debugexit_write(value);
    }
}

static const IOPortOps debugexit_ioport_ops = {
    .read = debugexit_ioport_read,
    .write = debugexit_ioport_write,
};

static const MemoryRegionOps debugexit_mmio_ops = {
    .read = debugexit_mmio_read,
    .write = debugexit_mmio_write,
};

int debugexit_init(uint16_t ioport, uint64_t mmio_base, GError **errp)
{
    if (ioport_register("debug-exit", ioport, 4, &debugexit_ioport_ops, NULL,
                        errp) < 0) {
        return -1;
    }
    return memory_register_mmio("debug-exit", mmio_base, 0x1000,
                                &debugexit_mmio_ops, NULL, errp);
}
