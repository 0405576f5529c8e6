/*
 * The machine: guest RAM laid out as hw/boot-protocol.h says, the UART, the
 * debug-exit and guest-control devices, and the kernel (the built-in seed
 * guest when no -kernel is given).
 */
#ifndef HW_PC_H
#define HW_PC_H

#include <stdint.h>
#include <glib.h>

#include "accel.h"
#include "hw/serial.h"
#include "qemu-char.h"

typedef struct MachineConfig {
    uint64_t ram_size;
    bool mem_prealloc;         /* touch all of it now (else lazily) */
    const char *kernel;        /* path of a 64-bit ELF, or NULL */
    const char *append;        /* -append string, or NULL */
    const char *name;          /* -name, or NULL */
    CharDriverState *serial;   /* -serial backend, or NULL */
} MachineConfig;

/* Builds the machine and loads the kernel; fills the vCPU's entry state. */
int pc_init(const MachineConfig *cfg, BootEntry *entry, GError **errp);


#endif
