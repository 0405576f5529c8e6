/*
 * auto-converge's policy (QEMU's rule, migration/ram.c): when the guest
 * dirties memory faster than the migration sends it, throttle the vCPU
 * (cpus-throttle.h) at cpu-throttle-initial percent, then step it up by
 * cpu-throttle-increment up to max-cpu-throttle; and never leave it on
 * once the migration has ended. Called by the migration thread.
 */
#ifndef MIGRATION_THROTTLE_H
#define MIGRATION_THROTTLE_H

#include <stdint.h>

/*
 * At the end of each pass over RAM, after the dirty-log sync (the RAM
 * section's dirty_pages_rate is then the pass's): `pass_bytes` went out
 * on the stream in the pass, which took `pass_ns`. Does nothing unless
 * the auto-converge capability is on.
 */
void migration_throttle_pass(uint64_t pass_bytes, uint64_t pass_ns);

/* The migration ended, whatever its outcome: the throttle stops and the
 * next migration starts counting afresh. */
void migration_throttle_end(void);

/* The throttle in force, in percent; 0 when the vCPU is not throttled. */
int migration_throttle_percentage(void);

#endif
