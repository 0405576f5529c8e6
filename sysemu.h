/*
 * The state of the whole machine as the monitor sees it (running, paused,
 * migrating, ...) and the requests that change it: start, stop, reset,
 * shutdown. Implemented in cpus.c; callable from any thread.
 */
#ifndef SYSEMU_H
#define SYSEMU_H

#include <stdbool.h>
#include <glib.h>

typedef enum RunState {
    RUN_STATE_PRELAUNCH,      /* created with -S, never started */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,         /* stopped by the user (stop) */
    RUN_STATE_INMIGRATE,      /* destination waiting for / loading a stream */
    RUN_STATE_FINISH_MIGRATE, /* source stopped for the last migration stage */
    RUN_STATE_POSTMIGRATE,    /* source after a successful migration */
    RUN_STATE_RESTORE_VM,     /* loading a saved state */
    RUN_STATE_INTERNAL_ERROR, /* the vCPU stopped on an error it cannot handle */
    RUN_STATE_SHUTDOWN,       /* the guest shut itself down (or triple-faulted) */
    RUN_STATE_GUEST_PANICKED, /* the guest reported a fatal error */
    RUN_STATE_DEBUG,
    RUN_STATE__MAX
} RunState;

/*
 * What the machine reports to the layer above (the monitor turns them into
 * QMP events): STOP and RESUME of the vCPU, RESET, SHUTDOWN requests and
 * guest-initiated ends. Called from any thread; one listener.
 */
typedef enum MachineEvent {
    MACHINE_EVENT_STOP,
    MACHINE_EVENT_RESUME,
    MACHINE_EVENT_RESET,
    MACHINE_EVENT_SHUTDOWN,
    MACHINE_EVENT_GUEST_PANICKED,
} MachineEvent;

void machine_events_set_listener(void (*listener)(MachineEvent event));

/* The QMP name of a state ("running", "paused", "inmigrate", ...). */
const char *runstate_name(RunState state);

RunState runstate_get(void);
bool runstate_is_running(void);

/* Sets the state without touching the vCPU (used by migration). */
void runstate_set(RunState state);

/*
 * Starts (or resumes) the vCPU: the "cont" command. Fails with a clear error
 * when the state does not allow it (an incoming migration not finished, an
 * internal error). Emits the RESUME event.
 */
int vm_start(GError **errp);

/*
 * Stops the vCPU and waits until it is stopped, then sets `state` (PAUSED for
 * "stop"). Emits the STOP event when the machine was running. Returns false
 * when it was not running; then only a migration's FINISH_MIGRATE replaces
 * a stopped state (paused, prelaunch, postmigrate), others stay as they are.
 */
bool vm_stop(RunState state);

/* Asks the main loop to end: quit / SIGTERM / guest shutdown. */
void qemu_system_shutdown_request(void);

/* Ends the program with `status` (the debug-exit device). */
void qemu_system_exit_request(int status);

/* Resets the machine: RAM contents are kept, the vCPU restarts at the
 * loader's entry state. Fails when the machine cannot be reset. */
int qemu_system_reset(GError **errp);

/* Adds a step to system_reset (e.g. reloading the kernel image); handlers
 * run in registration order with the vCPU stopped. */
void qemu_register_reset(int (*fn)(void *opaque, GError **errp), void *opaque);

/* The -name of the machine, or NULL. */
const char *qemu_get_vm_name(void);

#endif
