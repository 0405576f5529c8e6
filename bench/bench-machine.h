/*
 * Benchmarks that build a machine: each measurement runs in a child process
 * of its own (a process holds one accelerator and one machine), which
 * builds the machine as vl.c does (accelerator, pc_init, cpus_init) with a
 * built-in guest, runs it and reads the guest's state block. The parent
 * creates nothing before it forks.
 */
#ifndef BENCH_MACHINE_H
#define BENCH_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "accel.h"
#include "hw/pc.h"

/* Prints "PROGRAM: what: why" and exits with status 1. */
G_GNUC_NORETURN void bench_die(const char *what, GError *err);

/* Runs fn(arg) in a child process and waits for it; exits if it failed. */
void bench_run_child(void (*fn)(const void *arg), const void *arg);

/* Zeroed memory the children write and the parent reads afterwards. */
void *bench_shared_alloc(size_t size);

/* Exits, naming the missing file, unless guests/NAME.elf exists for each
 * name (they are built by make's default target, not by make bench). */
void bench_check_guests_built(const char *const *names, size_t count);

/* Whether KVM can run here; prints why not when it cannot. */
bool bench_kvm_usable(void);

/* Transparent huge pages off for this process and the processes it starts,
 * whatever madvise() asks for (prctl PR_SET_THP_DISABLE): how a benchmark
 * compares the emulator's default with a host that offers none. */
void bench_thp_disable(void);

/* Builds the machine in this (child) process; the guest does not run yet. */
void bench_build_machine(const AccelOps *accel, const MachineConfig *cfg);

void bench_start_guest(void);
void bench_reset_guest(void);
void bench_start_dirty_log(void);

/* A word of the workload's state block (at WORKLOAD_STATE_GPA in guest
 * RAM), as the guest last wrote it. */
volatile uint64_t *bench_guest_state_word(unsigned offset);

/* Waits until that word is at least `value`; exits after five minutes
 * without (a first pass over 4 GiB of untouched RAM under KVM with the
 * dirty log on takes tens of seconds on a busy host). */
void bench_wait_state_at_least(unsigned offset, uint64_t value);

/* One dirty-log sync as a migration iteration does it: fetch the
 * accelerator's log, then take every dirty page of every block. Returns the
 * pages taken. */
uint64_t bench_sync_and_take_all(void);

#endif
