/*
 * libFuzzer target: arbitrary bytes as an incoming migration stream, loaded
 * by the destination's code (qemu_loadvm_state: the framing, the "ram"
 * section, the UART's and the vCPU's sections) onto a small machine. It
 * must refuse, never crash, leak or write outside guest RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel.h"
#include "arch_init.h"
#include "hw/boot-protocol.h"
#include "hw/serial.h"
#include "memory.h"
#include "migration-postcopy.h"
#include "qemu-error.h"
#include "qemu-file.h"
#include "savevm.h"
#include "target-i386/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2 MiB of RAM in one "pc.ram" block: small, so that every input that gets
 * through the checks is cheap to load. */
#define FUZZ_RAM_SIZE (2u << 20)

static void setup_machine(void)
{
    static bool done;
    GError *err = NULL;

    if (done) {
        return;
    }
    accel_select(&soft_accel_ops);
    if (!qemu_ram_alloc("pc.ram", FUZZ_RAM_SIZE, false, &err) ||
        !serial_init(UART_IO_PORT, UART_MMIO_GPA, NULL, &err)) {
        abort();
    }
    ram_migration_register();
    cpu_register_migration();
    done = true;
}

/* Commands are framed by savevm.c; what they mean is the incoming
 * migration's: the ones whose payload has a parser are parsed as the
 * destination does (post-copy's advice and discard ranges), the others
 * taken or refused. */
static int fuzz_command(uint16_t cmd, const uint8_t *data, uint16_t len,
                        void *opaque, GError **errp)
{
    switch (cmd) {
    case MIG_CMD_PING:
    case MIG_CMD_OPEN_RETURN_PATH:
    case MIG_CMD_X_HANDSHAKE:
        return 0;
    case MIG_CMD_POSTCOPY_ADVISE:
        return postcopy_check_advise(data, len, errp);
    case MIG_CMD_POSTCOPY_RAM_DISCARD:
        return postcopy_apply_discard(data, len, errp);
    default:
        g_set_error(errp, QEMU_ERROR, QEMU_ERROR_GENERIC, "command 0x%04x", cmd);
        return -1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const LoadCommandOps ops = { .handle = fuzz_command };
    GError *err = NULL;

    setup_machine();
    int fd = memfd_create("stream", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
        abort();
    }
    QEMUFile *f = qemu_fopen_fd(fd, "the fuzzed stream", false);
    qemu_loadvm_state(f, &ops, &err);
    g_clear_error(&err);
    qemu_fclose(f, NULL);
    return 0;
}
