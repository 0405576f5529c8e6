/*
 * The vCPU: its thread, the run/stop handshake with the rest of the program,
 * and the requests devices make of the vCPU they are called from (halt,
 * panic). One vCPU for now (-smp 1).
 */
#ifndef CPUS_H
#define CPUS_H

#include <pthread.h>
#include <stdbool.h>
#include <glib.h>

#include "accel.h"

struct CPUState {
    int index;
    pthread_t thread;
    void *accel_state;          /* owned by the accelerator */
    /* Set by devices from inside cpu_exec (the vCPU thread); the
     * accelerator returns to cpus.c when one is set. */
    bool halt_request;
    bool panic_request;
    /* Set from any thread; the accelerator's exec loop polls it. */
    gint kick_pending;
};

/* Creates the vCPU thread; the vCPU starts stopped at the boot entry. */
int cpus_init(const BootEntry *entry, GError **errp);

/* Stops and joins the vCPU thread (program exit). */
void cpus_fini(void);

/*
 * Keeps the vCPU out of the guest until `until_us` (on the clock of
 * g_get_monotonic_time): one inside the guest is kicked out at once and
 * waits as a stopped one does, then runs on by itself. Meanwhile it counts
 * as stopped, so vm_stop returns at once; a stop and a start in between
 * do not end the hold (the guest would escape its throttle), a call with
 * 0 does. From any thread. The throttle's mechanism (cpus-throttle.c).
 */
void cpus_hold_until(gint64 until_us);

/* The single vCPU (for state save/load). */
CPUState *first_cpu(void);

/* The vCPU whose thread is calling, or NULL (devices use it). */
CPUState *current_cpu(void);

/* Device requests, from the vCPU thread. */
void cpu_request_halt(void);
void cpu_request_panic(const char *message);

/* The boot entry state (kept for system_reset). */
const BootEntry *cpus_boot_entry(void);

#endif
