/*
 * Timing and statistics for the benchmark programs (see bench-util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench-util.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

BenchStats bench_stats(const double *samples, int n)
{
    BenchStats st = { 0, 0, 0 };

    if (n <= 0) {
        return st;
    }
    double *sorted = malloc(sizeof(double) * n);
    memcpy(sorted, samples, sizeof(double) * n);
    qsort(sorted, n, sizeof(double), compare_double);
    st.min = sorted[0];
    st.max = sorted[n - 1];
    st.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    free(sorted);
    return st;
}

BenchStats bench_throughput(BenchFn fn, void *opaque, uint64_t bytes, int reps)
{
    double *mbps = calloc(reps > 0 ? reps : 1, sizeof(double));

    fn(opaque); /* warm caches and branch predictors */
    for (int i = 0; i < reps; i++) {
        uint64_t t0 = bench_now_ns();
        fn(opaque);
        uint64_t dt = bench_now_ns() - t0;
        mbps[i] = dt ? (double)bytes * 1e3 / (double)dt : 0;
    }
    BenchStats st = bench_stats(mbps, reps);
    free(mbps);
    return st;
}

static volatile uint64_t bench_sink;

void bench_consume(uint64_t value)
{
    bench_sink += value;
}

int bench_reps(void)
{
    const char *s = getenv("BENCH_REPS");
    int n = s ? atoi(s) : 7;
    return n < 5 ? 5 : n;
}

void *bench_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        perror("bench_alloc");
        exit(1);
    }
    return p;
}

uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void bench_print_machine(void)
{
    char line[256], model[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(model, sizeof(model), "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
    printf("machine: %s, %ld CPUs online, %s\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), when);
}
