/*
 * Shared helpers for the benchmark programs: a clock, repetitions reduced to
 * median/min/max, and the hardware limits (memcmp, memcpy of a page) that
 * every figure is printed next to.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* Median, minimum and maximum of a set of repeated measurements. */
typedef struct BenchStats {
    double median;
    double min;
    double max;
} BenchStats;

BenchStats bench_stats(const double *samples, int n);

/*
 * Calls fn(opaque) `reps` times; each call processes `bytes` of input and
 * returns normally. Returns the throughput in MB/s (10^6 bytes per second)
 * over the repetitions.
 */
typedef void (*BenchFn)(void *opaque);
BenchStats bench_throughput(BenchFn fn, void *opaque, uint64_t bytes, int reps);

/* Keeps the compiler from discarding a computed value. */
void bench_consume(uint64_t value);

/* Number of repetitions, from BENCH_REPS (default 7, at least 5). */
int bench_reps(void);

/* Allocates `size` bytes, page-aligned, pre-faulted. */
void *bench_alloc(size_t size);

/* A fast, seedable pseudo-random generator (xorshift64*). */
uint64_t bench_rand(uint64_t *state);

/* Prints the CPU model and a timestamp, for the table header. */
void bench_print_machine(void);

#endif
