/*
 * auto-converge's policy, as QEMU decides it: the figures of the passes are
 * added up into periods of at least a second; a period is "high" when the
 * bytes the guest dirtied in it exceed TRIGGER_THRESHOLD_PCT percent of the
 * bytes sent. Every second high period (QEMU counts them, it does not ask
 * for two in a row) starts the throttle, or steps it up.
 */
#include <string.h>

#include "arch_init.h"
#include "cpus-throttle.h"
#include "cutils.h"
#include "memory.h"
#include "migration-params.h"
#include "migration-throttle.h"

/* QEMU looks at the dirty rate only once at least this long has passed
 * since it last did: passes here can be 50 ms apart. */
#define PERIOD_NS 1000000000ull
/* QEMU's throttle-trigger-threshold, at its default. */
#define TRIGGER_THRESHOLD_PCT 50
/* High periods that make one step of the throttle. */
#define HIGH_PERIODS_PER_STEP 2

/* Migration thread only. */
static struct {
    uint64_t ns;
    uint64_t bytes_sent;
    uint64_t bytes_dirtied;
    unsigned high;          /* high periods since the last step */
} period;

/* The pages the guest dirtied during the pass, from the pass's rate. */
static uint64_t pass_bytes_dirtied(uint64_t pass_ns)
{
    uint64_t pages_per_second = stat_get(&ram_save_stats()->dirty_pages_rate);

    return (uint64_t)((double)pages_per_second * (double)pass_ns / 1e9) *
           TARGET_PAGE_SIZE;
}

/* Adds the pass to the period; true when that closed a period. */
static bool period_add(uint64_t pass_bytes, uint64_t pass_ns, bool *high)
{
    period.ns += pass_ns;
    period.bytes_sent += pass_bytes;
    period.bytes_dirtied += pass_bytes_dirtied(pass_ns);
    if (period.ns < PERIOD_NS) {
        return false;
    }
    *high = period.bytes_dirtied > period.bytes_sent * TRIGGER_THRESHOLD_PCT / 100;
    period.ns = period.bytes_sent = period.bytes_dirtied = 0;
    return true;
}

/* The first step is cpu-throttle-initial, each next one adds
 * cpu-throttle-increment, never beyond max-cpu-throttle. */
static void throttle_step_up(void)
{
    MigrationParams p;
    int now = cpu_throttle_get();

    migrate_params_get(&p);
    if (!now) {
        cpu_throttle_set((int)p.cpu_throttle_initial);
        return;
    }
    cpu_throttle_set((int)MIN((uint64_t)now + p.cpu_throttle_increment,
                              p.max_cpu_throttle));
}

void migration_throttle_pass(uint64_t pass_bytes, uint64_t pass_ns)
{
    bool high;

    if (!migrate_cap_enabled(MIGRATION_CAP_AUTO_CONVERGE) ||
        !period_add(pass_bytes, pass_ns, &high) || !high) {
        return;
    }
    if (++period.high < HIGH_PERIODS_PER_STEP) {
        return;
    }
    period.high = 0;
    throttle_step_up();
}

void migration_throttle_end(void)
{
    cpu_throttle_set(0);
    memset(&period, 0, sizeof(period));
}

int migration_throttle_percentage(void)
{
    return cpu_throttle_get();
}
