/*
 * The vCPU throttle, auto-converge's brake (QEMU's cpu_throttle_*): at p
 * percent the vCPU runs a time slice of the guest, then stays out of it
 * for slice * p / (100 - p), so that it runs 100 - p percent of the time.
 * Off (0) it costs nothing: no thread, no check on the vCPU's path.
 */
#ifndef CPUS_THROTTLE_H
#define CPUS_THROTTLE_H

#include <stdbool.h>

#define CPU_THROTTLE_PCT_MIN 1
#define CPU_THROTTLE_PCT_MAX 99

/*
 * Throttles the vCPU to run 100 - percent percent of the time; a percentage
 * out of 1..99 is taken as the nearest bound, and 0 stops throttling (a
 * vCPU held out of the guest at that moment runs again at once). Takes
 * effect from the next slice. From any thread.
 */
void cpu_throttle_set(int percent);

/* The percentage in force, 0 when not throttling. From any thread. */
int cpu_throttle_get(void);

#endif
