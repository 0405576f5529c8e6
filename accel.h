/*
 * What an accelerator provides: KVM (kvm-all.c) runs real guest code; the
 * software accelerator (soft-all.c) runs the built-in workloads natively.
 * cpus.c and memory.c drive them through this table only.
 */
#ifndef ACCEL_H
#define ACCEL_H

#include <stdbool.h>
#include <glib.h>

#include "memory.h"

typedef struct CPUState CPUState;

/* Why cpu_exec returned. */
typedef enum {
    EXEC_KICKED,        /* a stop or exit was requested: cpus.c decides */
    EXEC_HALTED,        /* the guest waits; nothing will wake it but a kick */
    EXEC_SHUTDOWN,      /* triple fault or guest shutdown */
    EXEC_ERROR,         /* the vCPU cannot go on; a message was printed */
    EXEC_PANICKED,      /* the guest reported a fatal error */
} ExecResult;

/* The state the loader leaves for the first instruction (hw/loader.c). */
typedef struct BootEntry {
    uint64_t rip;
    uint64_t rsp;
    uint64_t rdi;
    uint64_t cr3;
    uint64_t gdt_base;
    uint16_t gdt_limit;
    uint64_t idt_base;
    uint16_t idt_limit;
    uint64_t tss_base;
    char workload[32];   /* from the ELF's workload note, or "" */
} BootEntry;

typedef struct AccelOps {
    const char *name;
    /* True when this accelerator can run here (e.g. /dev/kvm usable);
     * otherwise why not, in *errp. */
    bool (*available)(GError **errp);
    int (*init)(GError **errp);
    int (*map_ram)(const RAMMapping *m, GError **errp);
    int (*dirty_log_start)(GError **errp);
    void (*dirty_log_stop)(void);
    /* Moves the accelerator's log into the RAM blocks' bitmaps. */
    void (*dirty_log_sync)(void);
    /* In the vCPU thread, before the first cpu_exec. */
    int (*cpu_create)(CPUState *cpu, GError **errp);
    /* Sets the vCPU to the boot entry state (start-up and system_reset). */
    int (*cpu_reset)(CPUState *cpu, const BootEntry *entry, GError **errp);
    /* Runs the guest until something cpus.c must handle. */
    ExecResult (*cpu_exec)(CPUState *cpu);
    /* From any thread: makes a running cpu_exec return EXEC_KICKED soon. */
    void (*cpu_kick)(CPUState *cpu);
} AccelOps;

extern const AccelOps kvm_accel_ops;
extern const AccelOps soft_accel_ops;

/* The accelerator chosen at start-up (vl.c). */
const AccelOps *current_accel(void);
void accel_select(const AccelOps *ops);

#endif
