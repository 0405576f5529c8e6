/*
 * The guest-control device: PANIC takes the guest-physical address of a
 * message, prints it and stops the vCPU; HALT parks the vCPU until it is
 * kicked. Both act on the vCPU whose thread performs the access.
 */
#include <string.h>

#include "cpus.h"
#include "hw/boot-protocol.h"
#include "hw/guest-ctl.h"
#include "memory.h"

#define PANIC_MESSAGE_MAX 256

/* Copies the guest's message, stopping at the NUL, the limit, or the end of
 * RAM: the address comes from the guest and may be anything. */
static void read_guest_string(uint64_t gpa, char *out, size_t max)
{
    size_t n = 0;

    while (n < max - 1) {
        char c;
        if (cpu_physical_memory_read(gpa + n, &c, 1, NULL) < 0 || c == '\0') {
            break;
        }
        out[n++] = g_ascii_isprint(c) ? c : '?';
    }
    out[n] = '\0';
}

static uint64_t guest_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void guest_ctl_write(void *opaque, uint64_t offset, uint64_t value,
                            unsigned size)
{
    char message[PANIC_MESSAGE_MAX];

    switch (offset) {
    case GUEST_CTL_PANIC:
        read_guest_string(value, message, sizeof(message));
        cpu_request_panic(message[0] ? message : "(no message)");
        break;
    case GUEST_CTL_HALT:
        cpu_request_halt();
        break;
    default:
        break;
    }
}

static const MemoryRegionOps guest_ctl_ops = {
    .read = guest_ctl_read,
    .write = guest_ctl_write,
};

int guest_ctl_init(uint64_t mmio_base, GError **errp)
{
    return memory_register_mmio("guest-ctl", mmio_base, 0x1000, &guest_ctl_ops,
                                NULL, errp);
}
