/*
 * The vCPU throttle: a thread of its own keeps the rhythm while the throttle
 * is on (run a slice, hold the vCPU out of the guest, again) and ends when
 * it is turned off. The hold itself is cpus.c's (cpus_hold_until): a kick
 * out of the guest, then a wait during which the vCPU counts as stopped.
 */
#include "cpus.h"
#include "cpus-throttle.h"

/* The time slice the vCPU runs between two holds, as QEMU's. */
#define CPU_THROTTLE_SLICE_US 10000

static struct {
    GMutex lock;
    GCond changed;      /* the percentage changed */
    gint percent;       /* 0: off */
    bool ticking;       /* the thread runs */
} throttle;

/* slice * p / (1 - p), p as a fraction: the vCPU runs 1 - p of the time. */
static gint64 hold_us(int percent)
{
    return (gint64)CPU_THROTTLE_SLICE_US * percent / (100 - percent);
}

/*
 * The hold starts when this thread asks for it, not when the vCPU leaves
 * the guest: the few tens of µs a kick takes are run time lost, not a
 * rhythm that drifts. The next hold comes a slice after this one ends.
 * Holds the lock, releases it while waiting.
 */
static void throttle_run(void)
{
    gint64 run_until = g_get_monotonic_time() + CPU_THROTTLE_SLICE_US;

    while (throttle.percent) {
        gint64 now = g_get_monotonic_time();
        if (now < run_until) {
            /* Woken early by a change: look at the percentage again. */
            g_cond_wait_until(&throttle.changed, &throttle.lock, run_until);
            continue;
        }
        gint64 hold_until = now + hold_us(throttle.percent);
        cpus_hold_until(hold_until);
        run_until = hold_until + CPU_THROTTLE_SLICE_US;
    }
}

static gpointer throttle_thread(gpointer opaque)
{
    g_mutex_lock(&throttle.lock);
    throttle_run();
    /* Off: a hold in progress ends now, not when its time is up. */
    cpus_hold_until(0);
    throttle.ticking = false;
    g_mutex_unlock(&throttle.lock);
    return NULL;
}

void cpu_throttle_set(int percent)
{
    if (percent > 0) {
        percent = CLAMP(percent, CPU_THROTTLE_PCT_MIN, CPU_THROTTLE_PCT_MAX);
    } else {
        percent = 0;
    }
    g_mutex_lock(&throttle.lock);
    g_atomic_int_set(&throttle.percent, percent);
    g_cond_broadcast(&throttle.changed);
    if (percent && !throttle.ticking) {
        throttle.ticking = true;
        g_thread_unref(g_thread_new("cpu-throttle", throttle_thread, NULL));
    }
    g_mutex_unlock(&throttle.lock);
}

int cpu_throttle_get(void)
{
    return g_atomic_int_get(&throttle.percent);
}
