/*
 * The run state of the machine and the vCPU thread: start, stop, reset and
 * shutdown requests from the monitor, migration and devices, and the loop
 * that runs the accelerator until one of them says otherwise.
 */
#include <string.h>

#include "accel.h"
#include "cpus.h"
#include "main-loop.h"
#include "qemu-error.h"
#include "sysemu.h"

static void (*machine_listener)(MachineEvent event);

void machine_events_set_listener(void (*listener)(MachineEvent event))
{
    machine_listener = listener;
}

static void machine_event(MachineEvent event)
{
    if (machine_listener) {
        machine_listener(event);
    }
}

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
    [RUN_STATE_RESTORE_VM] = "restore-vm",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_DEBUG] = "debug",
};

/* vm_lock serialises run-state changes; cpu_lock guards the handshake with
 * the vCPU thread (the fields of `vcpu`). */
static GMutex vm_lock;
static GMutex cpu_lock;
static GCond cpu_cond;
static gint current_state = RUN_STATE_PRELAUNCH;

static struct {
    CPUState cpu;
    bool created;
    GError *create_error;
    bool run;           /* allowed to run */
    bool halted;        /* the guest waits for a kick */
    bool stopped;       /* not inside cpu_exec */
    bool exit;          /* the thread should end */
    /* Kept out of the guest until then (g_get_monotonic_time), 0: not
     * held; see cpus_hold_until. */
    gint64 hold_until;
    /* The state the vCPU stopped itself in (a fault, a panic), not yet
     * recorded as the run state; RUN_STATE__MAX when none. */
    RunState self_stop;
    GThread *thread;
} vcpu = { .self_stop = RUN_STATE__MAX };

static BootEntry boot_entry;
static __thread CPUState *thread_cpu;

/* --- run state ------------------------------------------------------------------ */

const char *runstate_name(RunState state)
{
    return state < RUN_STATE__MAX ? runstate_names[state] : "unknown";
}

RunState runstate_get(void)
{
    return (RunState)g_atomic_int_get(&current_state);
}

bool runstate_is_running(void)
{
    return runstate_get() == RUN_STATE_RUNNING;
}

void runstate_set(RunState state)
{
    g_atomic_int_set(&current_state, state);
}

static bool runstate_needs_reset(RunState state)
{
    return state == RUN_STATE_INTERNAL_ERROR || state == RUN_STATE_SHUTDOWN ||
           state == RUN_STATE_GUEST_PANICKED;
}

/* --- the handshake with the vCPU thread ------------------------------------------- */

static void pause_vcpu(void)
{
    g_mutex_lock(&cpu_lock);
    vcpu.run = false;
    current_accel()->cpu_kick(&vcpu.cpu);
    g_cond_broadcast(&cpu_cond);
    while (!vcpu.stopped) {
        g_cond_wait(&cpu_cond, &cpu_lock);
    }
    g_mutex_unlock(&cpu_lock);
}

static void resume_vcpu(void)
{
    g_mutex_lock(&cpu_lock);
    vcpu.run = true;
    vcpu.halted = false;
    g_cond_broadcast(&cpu_cond);
    g_mutex_unlock(&cpu_lock);
}

/* Takes the state the vCPU stopped itself in, if any (vm_lock held). */
static RunState take_self_stop(void)
{
    g_mutex_lock(&cpu_lock);
    RunState state = vcpu.self_stop;
    vcpu.self_stop = RUN_STATE__MAX;
    g_mutex_unlock(&cpu_lock);
    return state;
}

static void record_self_stop(RunState state)
{
    runstate_set(state);
    if (state == RUN_STATE_SHUTDOWN) {
        machine_event(MACHINE_EVENT_SHUTDOWN);
    } else if (state == RUN_STATE_GUEST_PANICKED) {
        machine_event(MACHINE_EVENT_GUEST_PANICKED);
    }
    machine_event(MACHINE_EVENT_STOP);
}

int vm_start(GError **errp)
{
    RunState state;

    g_mutex_lock(&vm_lock);
    RunState self = take_self_stop();
    if (self != RUN_STATE__MAX && runstate_is_running()) {
        record_self_stop(self);
    }
    state = runstate_get();
    if (state == RUN_STATE_RUNNING) {
        g_mutex_unlock(&vm_lock);
        return 0;
    }
    if (state == RUN_STATE_INMIGRATE) {
        g_mutex_unlock(&vm_lock);
        error_setg(errp, "cannot continue while an incoming migration is in progress");
        return -1;
    }
    if (state == RUN_STATE_FINISH_MIGRATE) {
        g_mutex_unlock(&vm_lock);
        error_setg(errp, "cannot continue: the migration has stopped the guest for "
                   "its last stage (migrate_cancel resumes it)");
        return -1;
    }
    if (runstate_needs_reset(state)) {
        g_mutex_unlock(&vm_lock);
        error_setg(errp, "the guest is in state '%s': reset it first (system_reset)",
                   runstate_name(state));
        return -1;
    }
    resume_vcpu();
    runstate_set(RUN_STATE_RUNNING);
    g_mutex_unlock(&vm_lock);
    machine_event(MACHINE_EVENT_RESUME);
    return 0;
}

/*
 * What a stop may make of a machine that is not running: a migration takes
 * over a stopped one for its last stage; anything else keeps its state (a
 * user's stop does not turn "finish-migrate" into "paused").
 */
static bool stopped_state_may_become(RunState from, RunState to)
{
    return to == RUN_STATE_FINISH_MIGRATE &&
           (from == RUN_STATE_PAUSED || from == RUN_STATE_PRELAUNCH ||
            from == RUN_STATE_POSTMIGRATE);
}

bool vm_stop(RunState state)
{
    g_mutex_lock(&vm_lock);
    bool was_running = runstate_is_running();
    if (!was_running) {
        if (stopped_state_may_become(runstate_get(), state)) {
            runstate_set(state);
        }
        g_mutex_unlock(&vm_lock);
        return false;
    }
    if (was_running) {
        pause_vcpu();
        /* If the vCPU had stopped itself meanwhile, that is the state. */
        RunState self = take_self_stop();
        if (self != RUN_STATE__MAX) {
            record_self_stop(self);
            g_mutex_unlock(&vm_lock);
            return false;
        }
    }
    runstate_set(state);
    g_mutex_unlock(&vm_lock);
    if (was_running) {
        machine_event(MACHINE_EVENT_STOP);
    }
    return was_running;
}

/* --- the vCPU thread ---------------------------------------------------------------- */

/*
 * The vCPU stopped by itself: whoever takes vm_lock first records it —
 * this callback in the main thread, or a stop, start or reset that came in
 * between (which then sees the real reason the vCPU is not running).
 */
static gboolean vcpu_stopped_itself(gpointer opaque)
{
    g_mutex_lock(&vm_lock);
    RunState state = take_self_stop();
    if (state != RUN_STATE__MAX && runstate_is_running()) {
        record_self_stop(state);
    }
    g_mutex_unlock(&vm_lock);
    return G_SOURCE_REMOVE;
}

/* Called with cpu_lock held, in the vCPU thread. */
static void report_self_stop(RunState state)
{
    vcpu.run = false;
    vcpu.self_stop = state;
    main_loop_invoke(vcpu_stopped_itself, NULL);
}

/* Called with cpu_lock held. */
static void handle_exec_result(ExecResult r)
{
    switch (r) {
    case EXEC_KICKED:
        break;
    case EXEC_HALTED:
        vcpu.halted = true;
        break;
    case EXEC_SHUTDOWN:
        report_self_stop(RUN_STATE_SHUTDOWN);
        break;
    case EXEC_ERROR:
        report_self_stop(RUN_STATE_INTERNAL_ERROR);
        break;
    case EXEC_PANICKED:
        vcpu.cpu.panic_request = false;
        report_self_stop(RUN_STATE_GUEST_PANICKED);
        break;
    }
}

/* Called with cpu_lock held. */
static bool vcpu_held(void)
{
    return vcpu.hold_until && g_get_monotonic_time() < vcpu.hold_until;
}

/*
 * Waits for the next change of the handshake (cpu_lock held); when only a
 * hold keeps the vCPU out, no longer than the hold lasts.
 */
static void vcpu_wait(void)
{
    if (vcpu.run && !vcpu.halted && vcpu.hold_until) {
        g_cond_wait_until(&cpu_cond, &cpu_lock, vcpu.hold_until);
        return;
    }
    g_cond_wait(&cpu_cond, &cpu_lock);
}

static void vcpu_loop(CPUState *cpu)
{
    const AccelOps *accel = current_accel();

    g_mutex_lock(&cpu_lock);
    for (;;) {
        while (!vcpu.run || vcpu.halted || vcpu_held()) {
            if (vcpu.exit) {
                vcpu.stopped = true;
                g_cond_broadcast(&cpu_cond);
                g_mutex_unlock(&cpu_lock);
                return;
            }
            vcpu.stopped = true;
            g_cond_broadcast(&cpu_cond);
            vcpu_wait();
        }
        vcpu.stopped = false;
        g_mutex_unlock(&cpu_lock);
        ExecResult r = accel->cpu_exec(cpu);
        g_mutex_lock(&cpu_lock);
        handle_exec_result(r);
    }
}

static gpointer vcpu_thread_fn(gpointer opaque)
{
    CPUState *cpu = opaque;
    const AccelOps *accel = current_accel();
    GError *err = NULL;

    thread_cpu = cpu;
    cpu->thread = pthread_self();
    int r = accel->cpu_create(cpu, &err);
    if (r == 0) {
        r = accel->cpu_reset(cpu, &boot_entry, &err);
    }
    g_mutex_lock(&cpu_lock);
    vcpu.created = true;
    vcpu.create_error = err;
    vcpu.stopped = true;
    g_cond_broadcast(&cpu_cond);
    g_mutex_unlock(&cpu_lock);
    if (r == 0) {
        vcpu_loop(cpu);
    }
    return NULL;
}

int cpus_init(const BootEntry *entry, GError **errp)
{
    boot_entry = *entry;
    vcpu.cpu.index = 0;
    vcpu.thread = g_thread_new("vcpu0", vcpu_thread_fn, &vcpu.cpu);

    g_mutex_lock(&cpu_lock);
    while (!vcpu.created) {
        g_cond_wait(&cpu_cond, &cpu_lock);
    }
    GError *err = vcpu.create_error;
    vcpu.create_error = NULL;
    g_mutex_unlock(&cpu_lock);
    if (err) {
        g_propagate_prefixed_error(errp, err, "cannot create the vCPU: ");
        g_thread_join(vcpu.thread);
        vcpu.thread = NULL;
        return -1;
    }
    return 0;
}

void cpus_fini(void)
{
    if (!vcpu.thread) {
        return;
    }
    g_mutex_lock(&cpu_lock);
    vcpu.exit = true;
    vcpu.run = false;
    current_accel()->cpu_kick(&vcpu.cpu);
    g_cond_broadcast(&cpu_cond);
    g_mutex_unlock(&cpu_lock);
    g_thread_join(vcpu.thread);
    vcpu.thread = NULL;
}

void cpus_hold_until(gint64 until_us)
{
    g_mutex_lock(&cpu_lock);
    if (!vcpu.thread || vcpu.exit) {
        g_mutex_unlock(&cpu_lock);
        return;
    }
    vcpu.hold_until = until_us;
    /* One in the guest must leave it now; one outside sees the hold
     * before it enters again (it checks under cpu_lock). */
    if (until_us && !vcpu.stopped) {
        current_accel()->cpu_kick(&vcpu.cpu);
    }
    g_cond_broadcast(&cpu_cond);
    g_mutex_unlock(&cpu_lock);
}

CPUState *first_cpu(void)
{
    return &vcpu.cpu;
}

CPUState *current_cpu(void)
{
    return thread_cpu;
}

const BootEntry *cpus_boot_entry(void)
{
    return &boot_entry;
}

void cpu_request_halt(void)
{
    if (thread_cpu) {
        thread_cpu->halt_request = true;
    }
}

void cpu_request_panic(const char *message)
{
    error_report("guest panic: %s; the vCPU is stopped", message);
    if (thread_cpu) {
        thread_cpu->panic_request = true;
    }
}

/* --- machine-wide requests ---------------------------------------------------------- */

typedef struct ResetHandler {
    int (*fn)(void *opaque, GError **errp);
    void *opaque;
} ResetHandler;

static GArray *reset_handlers;

void qemu_register_reset(int (*fn)(void *opaque, GError **errp), void *opaque)
{
    ResetHandler h = { fn, opaque };

    if (!reset_handlers) {
        reset_handlers = g_array_new(FALSE, FALSE, sizeof(ResetHandler));
    }
    g_array_append_val(reset_handlers, h);
}

static int run_reset_handlers(GError **errp)
{
    for (guint i = 0; reset_handlers && i < reset_handlers->len; i++) {
        ResetHandler *h = &g_array_index(reset_handlers, ResetHandler, i);
        if (h->fn(h->opaque, errp) < 0) {
            return -1;
        }
    }
    return 0;
}

int qemu_system_reset(GError **errp)
{
    int ret = -1;

    g_mutex_lock(&vm_lock);
    RunState state = runstate_get();
    if (state == RUN_STATE_INMIGRATE || state == RUN_STATE_FINISH_MIGRATE) {
        error_setg(errp, "cannot reset the machine during a migration");
        goto out;
    }
    bool was_running = state == RUN_STATE_RUNNING;
    if (was_running) {
        pause_vcpu();
    }
    /* A fault the vCPU stopped on before the reset is gone with it. */
    if (take_self_stop() != RUN_STATE__MAX) {
        was_running = false;
        state = RUN_STATE_INTERNAL_ERROR;
    }
    if (run_reset_handlers(errp) < 0 ||
        current_accel()->cpu_reset(&vcpu.cpu, &boot_entry, errp) < 0) {
        runstate_set(RUN_STATE_INTERNAL_ERROR);
        goto out;
    }
    if (was_running) {
        resume_vcpu();
    } else if (runstate_needs_reset(state)) {
        runstate_set(RUN_STATE_PAUSED);
    }
    ret = 0;
out:
    g_mutex_unlock(&vm_lock);
    if (ret == 0) {
        machine_event(MACHINE_EVENT_RESET);
    }
    return ret;
}

void qemu_system_shutdown_request(void)
{
    machine_event(MACHINE_EVENT_SHUTDOWN);
    main_loop_quit(0);
}

void qemu_system_exit_request(int status)
{
    CPUState *cpu = current_cpu();

    /* From a device in the vCPU thread: stop running guest code now. */
    if (cpu) {
        g_mutex_lock(&cpu_lock);
        vcpu.run = false;
        g_mutex_unlock(&cpu_lock);
        current_accel()->cpu_kick(cpu);
    }
    main_loop_quit(status);
}
