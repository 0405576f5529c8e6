/*
 * Benchmark of how guest RAM is allocated (memory.c): touched lazily,
 * 2 MiB-aligned, with transparent huge pages asked for (MADV_HUGEPAGE), or
 * all touched at start with -mem-prealloc.
 *
 * 1. First touch: the writer guest writes a byte to every free page of a
 *    1 GiB guest, timed from vm_start to its "done", under KVM and soft,
 *    with THP (the emulator's default) and without (THP off for the child
 *    process: bench_thp_disable), lazily and with -mem-prealloc (its
 *    preallocation is part of the build time); then the same guest again
 *    over the pages it mapped (the floor). What backs the RAM afterwards:
 *    huge pages, KVM's 4 KiB and 2 MiB mappings. Beside it, the hardware's
 *    limit in the same run: a host process writing a byte to each page of
 *    1 GiB of fresh guest-RAM memory (qemu_ram_alloc's), with THP and
 *    without.
 * 2. The dirty log started on RAM the guest touched without it, as a
 *    migration starts on a running guest: the first sync, the guest
 *    writing its pages again with logging on, the sync of that, and KVM's
 *    mappings before and after (does logging split the huge ones?). The
 *    writer touches every 8th page here: the logged writes are slow under
 *    PVM, and 32 K of them tell as much as 256 K.
 * 3. Start-up: building a 16 GiB machine up to where its vCPU could run,
 *    and its RSS then; a 4 GiB one lazily and with -mem-prealloc (16 GiB
 *    preallocated would crowd out the others on a shared host). Under the
 *    accelerator vl.c would pick: the RAM, not the accelerator, is what
 *    differs.
 *
 * Every measurement runs in a child process of its own (bench-machine.h);
 * the repetitions go round all the cases in turn, so that a slow spell of
 * the host falls on all of them alike. The children leave their figures in
 * shared memory for the parent's medians.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "accel.h"
#include "bench/bench-machine.h"
#include "bench/bench-mapping.h"
#include "bench/bench-util.h"
#include "cpus.h"
#include "hw/boot-protocol.h"
#include "memory.h"
#include "sysemu.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define PAGE TARGET_PAGE_SIZE
#define TOUCH_RAM (1 * GiB)
#define TOUCH_PAGES ((TOUCH_RAM - GUEST_FREE_RAM_START) / PAGE)
#define LOG_STRIDE 8            /* pages; the logging case writes every 8th */
#define WRITER_DONE_OFFSET 0    /* guests/writer.c's state block */
#define BIG_RAM (16 * GiB)
#define PREALLOC_RAM (4 * GiB)
#define DEFAULT_REPS 5          /* each repetition costs seconds */
#define MAX_REPS 64
#define MAX_ACCELS 2

/* BENCH_REPS, else 5: fewer than the other benchmarks' 7, as one round of
 * the cases takes tens of seconds. */
static int repetitions(void)
{
    int n = getenv("BENCH_REPS") ? bench_reps() : DEFAULT_REPS;
    return n > MAX_REPS ? MAX_REPS : n;
}

static double ms_since(uint64_t t0)
{
    return (double)(bench_now_ns() - t0) / 1e6;
}

static double kib_to_mib(uint64_t kib)
{
    return (double)kib / 1024;
}

static double median(const double *samples, int n)
{
    return bench_stats(samples, n).median;
}

static void print_ms(const double *samples, int n)
{
    BenchStats st = bench_stats(samples, n);

    printf("%8.1f [%8.1f-%8.1f]", st.median, st.min, st.max);
}

/* How the RAM of a case is allocated. */
typedef struct RamMode {
    const char *name;
    bool thp;
    bool prealloc;
} RamMode;

/* ---------------------------------------------------------------------- */
/* The limit: a host process touching fresh memory */

typedef struct HostTouchCase {
    bool thp;
    double *ms;                 /* [rep], shared */
    int rep;
} HostTouchCase;

/* Allocated as guest RAM is (alignment, MADV_HUGEPAGE), without a machine;
 * one write per page, as the writer guest does. */
static void measure_host_touch(const void *arg)
{
    const HostTouchCase *c = arg;
    GError *err = NULL;

    if (!c->thp) {
        bench_thp_disable();
    }
    RAMBlock *block = qemu_ram_alloc("bench.ram", TOUCH_RAM, false, &err);
    if (!block) {
        bench_die("guest RAM", err);
    }
    uint8_t *host = ram_block_host(block, 0);
    uint64_t t0 = bench_now_ns();
    for (uint64_t off = 0; off < TOUCH_RAM; off += PAGE) {
        __atomic_store_n(&host[off], 1, __ATOMIC_RELAXED);
    }
    c->ms[c->rep] = ms_since(t0);
}

static void print_host_limit(int n)
{
    double *ms[2];

    for (int thp = 0; thp < 2; thp++) {
        ms[thp] = bench_shared_alloc(sizeof(double) * MAX_REPS);
    }
    for (int i = 0; i < n; i++) {
        for (int thp = 1; thp >= 0; thp--) {
            HostTouchCase c = { thp, ms[thp], i };
            bench_run_child(measure_host_touch, &c);
        }
    }
    printf("Hardware limit, same run: a host process writing a byte to each page of "
           "1 GiB of fresh guest-RAM\nmemory (qemu_ram_alloc), ms, median [min-max] of %d: "
           "THP ", n);
    print_ms(ms[1], n);
    printf(" (%.3f us per 4 KiB page), THP off ", median(ms[1], n) * 1e3 / (TOUCH_RAM / PAGE));
    print_ms(ms[0], n);
    printf(" (%.3f us per page)\n\n", median(ms[0], n) * 1e3 / (TOUCH_RAM / PAGE));
}

/* ---------------------------------------------------------------------- */
/* The writer guest */

/* Builds the writer's machine, writing every stride-th free page; returns
 * the build time in ms. */
static double build_writer(const AccelOps *accel, const RamMode *mode, uint64_t stride)
{
    g_autofree char *append = g_strdup_printf("start=0x%llx count=%llu stride=%" PRIu64,
                                              GUEST_FREE_RAM_START, TOUCH_PAGES / stride,
                                              stride);
    MachineConfig cfg = { .ram_size = TOUCH_RAM, .mem_prealloc = mode->prealloc,
                          .kernel = "guests/writer.elf", .append = append };

    if (!mode->thp) {
        bench_thp_disable();
    }
    uint64_t t0 = bench_now_ns();
    bench_build_machine(accel, &cfg);
    return ms_since(t0);
}

/* Runs the writer (from its start) to its "done"; returns the ms from
 * vm_start to done. */
static double run_writer(void)
{
    uint64_t t0 = bench_now_ns();

    bench_start_guest();
    bench_wait_state_at_least(WRITER_DONE_OFFSET, 1);
    return ms_since(t0);
}

/* The writer once more, from a reset. */
static double rerun_writer(void)
{
    vm_stop(RUN_STATE_PAUSED);
    *bench_guest_state_word(WRITER_DONE_OFFSET) = 0;
    bench_reset_guest();
    return run_writer();
}

/* ---------------------------------------------------------------------- */
/* First touch */

static const RamMode touch_modes[] = {
    { "lazy, THP", true, false },
    { "lazy, no THP", false, false },
    { "prealloc, THP", true, true },
    { "prealloc, no THP", false, true },
};

/* A case's figures, one per repetition; in shared memory. */
typedef struct TouchSamples {
    double build_ms[MAX_REPS];          /* accelerator, pc_init, cpus_init */
    double touch_ms[MAX_REPS];          /* vm_start to the writer's done */
    double rewrite_ms[MAX_REPS];        /* the same again, pages mapped */
    double rss_mib[MAX_REPS];           /* after the first touch */
    double huge_mib[MAX_REPS];
    double kvm_4k[MAX_REPS];
    double kvm_2m[MAX_REPS];
    bool kvm_known;
} TouchSamples;

typedef struct TouchCase {
    const AccelOps *accel;
    const RamMode *mode;
    TouchSamples *samples;
    int rep;
} TouchCase;

static void measure_touch(const void *arg)
{
    const TouchCase *c = arg;
    TouchSamples *s = c->samples;
    int i = c->rep;
    BenchBacking b;

    s->build_ms[i] = build_writer(c->accel, c->mode, 1);
    s->touch_ms[i] = run_writer();
    bench_backing(&b);
    s->rss_mib[i] = kib_to_mib(b.rss_kib);
    s->huge_mib[i] = kib_to_mib(b.anon_huge_kib);
    s->kvm_4k[i] = (double)b.kvm_pages_4k;
    s->kvm_2m[i] = (double)b.kvm_pages_2m;
    s->kvm_known = b.kvm_known;
    s->rewrite_ms[i] = rerun_writer();
    cpus_fini();
}

static void print_touch_row(const AccelOps *accel, const RamMode *m,
                            const TouchSamples *s, int n)
{
    printf("  %-4s  %-16s  ", accel->name, m->name);
    print_ms(s->build_ms, n);
    printf("  ");
    print_ms(s->touch_ms, n);
    printf("  %6.3f  ", median(s->touch_ms, n) * 1e3 / (double)TOUCH_PAGES);
    print_ms(s->rewrite_ms, n);
    printf("  %6.3f  %5.0f  %5.0f", median(s->rewrite_ms, n) * 1e3 / (double)TOUCH_PAGES,
           median(s->rss_mib, n), median(s->huge_mib, n));
    if (s->kvm_known) {
        printf("  %7.0f / %4.0f", median(s->kvm_4k, n), median(s->kvm_2m, n));
    }
    printf("\n");
}

static void print_touch_table(const AccelOps *const *accels, int naccels, int n)
{
    enum { NMODES = G_N_ELEMENTS(touch_modes) };
    TouchSamples *s = bench_shared_alloc(sizeof(TouchSamples) * MAX_ACCELS * NMODES);

    for (int i = 0; i < n; i++) {
        for (int a = 0; a < naccels; a++) {
            for (int m = 0; m < NMODES; m++) {
                TouchCase c = { accels[a], &touch_modes[m], &s[a * NMODES + m], i };
                bench_run_child(measure_touch, &c);
            }
        }
    }
    printf("First touch: the writer guest writes a byte to each of the %llu free pages "
           "of a 1 GiB guest;\nms, median [min-max] of %d. build = accelerator, pc_init "
           "(with -mem-prealloc: its preallocation), cpus_init;\nfirst touch = vm_start "
           "to the guest's done; again = the same guest rerun over the pages it mapped;\n"
           "us = per page; RSS, huge (MiB in transparent huge pages) and KVM's mappings "
           "of 4 KiB / 2 MiB after the first touch\n", TOUCH_PAGES, n);
    printf("  accel RAM               build ms                first touch ms          "
           "    us  again ms                    us    RSS   huge  kvm maps 4K / 2M\n");
    for (int a = 0; a < naccels; a++) {
        for (int m = 0; m < NMODES; m++) {
            print_touch_row(accels[a], &touch_modes[m], &s[a * NMODES + m], n);
        }
    }
    printf("\n");
}

/* ---------------------------------------------------------------------- */
/* Dirty logging on touched RAM */

static const RamMode log_modes[] = {
    { "lazy, THP", true, false },
    { "lazy, no THP", false, false },
};

typedef struct LogSamples {
    double kvm_4k[MAX_REPS];            /* before the log starts */
    double kvm_2m[MAX_REPS];
    double first_sync_ms[MAX_REPS];     /* every page initially dirty */
    double logged_ms[MAX_REPS];         /* the writer again, logging on */
    double sync_ms[MAX_REPS];           /* the sync of what it wrote */
    double sync_pages[MAX_REPS];
    double logged_kvm_4k[MAX_REPS];     /* after that sync */
    double logged_kvm_2m[MAX_REPS];
    double logged_huge_mib[MAX_REPS];
    bool kvm_known;
} LogSamples;

typedef struct LogCase {
    const AccelOps *accel;
    const RamMode *mode;
    LogSamples *samples;
    int rep;
} LogCase;

static double timed_sync_ms(uint64_t *pages)
{
    uint64_t t0 = bench_now_ns();

    *pages = bench_sync_and_take_all();
    return ms_since(t0);
}

static void measure_logging(const void *arg)
{
    const LogCase *c = arg;
    LogSamples *s = c->samples;
    int i = c->rep;
    BenchBacking b;
    uint64_t pages;

    build_writer(c->accel, c->mode, LOG_STRIDE);
    run_writer();
    bench_backing(&b);
    s->kvm_4k[i] = (double)b.kvm_pages_4k;
    s->kvm_2m[i] = (double)b.kvm_pages_2m;
    vm_stop(RUN_STATE_PAUSED);
    bench_start_dirty_log();
    s->first_sync_ms[i] = timed_sync_ms(&pages);
    s->logged_ms[i] = rerun_writer();
    vm_stop(RUN_STATE_PAUSED);
    s->sync_ms[i] = timed_sync_ms(&pages);
    s->sync_pages[i] = (double)pages;
    bench_backing(&b);
    s->logged_kvm_4k[i] = (double)b.kvm_pages_4k;
    s->logged_kvm_2m[i] = (double)b.kvm_pages_2m;
    s->logged_huge_mib[i] = kib_to_mib(b.anon_huge_kib);
    s->kvm_known = b.kvm_known;
    cpus_fini();
}

static void print_logging_row(const AccelOps *accel, const RamMode *m,
                              const LogSamples *s, int n)
{
    printf("  %-4s  %-12s  ", accel->name, m->name);
    if (s->kvm_known) {
        printf("%7.0f / %4.0f  ", median(s->kvm_4k, n), median(s->kvm_2m, n));
    } else {
        printf("%16s  ", "-");
    }
    print_ms(s->first_sync_ms, n);
    printf("  ");
    print_ms(s->logged_ms, n);
    printf("  %6.3f  ", median(s->logged_ms, n) * 1e3 / (double)(TOUCH_PAGES / LOG_STRIDE));
    print_ms(s->sync_ms, n);
    printf("  %6.0f", median(s->sync_pages, n));
    if (s->kvm_known) {
        printf("  %7.0f / %4.0f", median(s->logged_kvm_4k, n), median(s->logged_kvm_2m, n));
    }
    printf("  %5.0f\n", median(s->logged_huge_mib, n));
}

static void print_logging_table(const AccelOps *const *accels, int naccels, int n)
{
    enum { NMODES = G_N_ELEMENTS(log_modes) };
    LogSamples *s = bench_shared_alloc(sizeof(LogSamples) * MAX_ACCELS * NMODES);

    for (int i = 0; i < n; i++) {
        for (int a = 0; a < naccels; a++) {
            for (int m = 0; m < NMODES; m++) {
                LogCase c = { accels[a], &log_modes[m], &s[a * NMODES + m], i };
                bench_run_child(measure_logging, &c);
            }
        }
    }
    printf("Dirty log started on touched RAM: the writer guest wrote every %dth free "
           "page of a 1 GiB guest (%llu)\nwithout logging and stopped; then the first "
           "sync (every page initially dirty), the writer again with\nlogging on (us per "
           "page written), the sync of what it wrote; KVM's mappings of 4 KiB / 2 MiB "
           "before\nthe log starts and after that sync; huge = MiB in transparent huge "
           "pages at the end. ms, median [min-max] of %d\n", LOG_STRIDE,
           TOUCH_PAGES / LOG_STRIDE, n);
    printf("  accel RAM           kvm maps before   first sync ms           "
           "written again, log on ms    us  sync ms                   pages  "
           "kvm maps after   huge\n");
    for (int a = 0; a < naccels; a++) {
        for (int m = 0; m < NMODES; m++) {
            print_logging_row(accels[a], &log_modes[m], &s[a * NMODES + m], n);
        }
    }
    printf("\n");
}

/* ---------------------------------------------------------------------- */
/* Start-up */

typedef struct StartMode {
    const char *name;
    uint64_t ram;
    bool thp;
    bool prealloc;
} StartMode;

static const StartMode start_modes[] = {
    { "16 GiB, lazy", BIG_RAM, true, false },
    { "4 GiB, lazy", PREALLOC_RAM, true, false },
    { "4 GiB, prealloc, THP", PREALLOC_RAM, true, true },
    { "4 GiB, prealloc, no THP", PREALLOC_RAM, false, true },
};

typedef struct StartSamples {
    double build_ms[MAX_REPS];
    double rss_mib[MAX_REPS];
    double huge_mib[MAX_REPS];
} StartSamples;

typedef struct StartCase {
    const AccelOps *accel;
    const StartMode *mode;
    StartSamples *samples;
    int rep;
} StartCase;

/* The idle guest's machine, built up to where its vCPU could run. */
static void measure_start(const void *arg)
{
    const StartCase *c = arg;
    MachineConfig cfg = { .ram_size = c->mode->ram, .mem_prealloc = c->mode->prealloc,
                          .kernel = "guests/idle.elf" };
    BenchBacking b;

    if (!c->mode->thp) {
        bench_thp_disable();
    }
    uint64_t t0 = bench_now_ns();
    bench_build_machine(c->accel, &cfg);
    c->samples->build_ms[c->rep] = ms_since(t0);
    bench_backing(&b);
    c->samples->rss_mib[c->rep] = kib_to_mib(b.rss_kib);
    c->samples->huge_mib[c->rep] = kib_to_mib(b.anon_huge_kib);
    cpus_fini();
}

/* Whether this host can hold the machine: lazily, its memory must be at
 * least the guest's (or pc_init refuses it); preallocated, with as much
 * again to spare for everyone else. */
static bool host_fits(const StartMode *m)
{
    uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);

    return m->prealloc ? phys >= 2 * m->ram : phys >= m->ram;
}

static void print_start_table(const AccelOps *accel, int n)
{
    enum { NMODES = G_N_ELEMENTS(start_modes) };
    StartSamples *s = bench_shared_alloc(sizeof(StartSamples) * NMODES);

    for (int i = 0; i < n; i++) {
        for (int m = 0; m < NMODES; m++) {
            StartCase c = { accel, &start_modes[m], &s[m], i };
            if (host_fits(c.mode)) {
                bench_run_child(measure_start, &c);
            }
        }
    }
    printf("Start-up under %s: the idle guest's machine built (accelerator, pc_init, "
           "cpus_init: its vCPU could run),\nms, median [min-max] of %d; then the "
           "process's RSS and MiB in huge pages\n", accel->name, n);
    printf("  guest RAM                 build ms                   RSS   huge\n");
    for (int m = 0; m < NMODES; m++) {
        printf("  %-24s  ", start_modes[m].name);
        if (!host_fits(&start_modes[m])) {
            printf("skipped: too large for this host's memory\n");
            continue;
        }
        print_ms(s[m].build_ms, n);
        printf("  %5.0f  %5.0f\n", median(s[m].rss_mib, n), median(s[m].huge_mib, n));
    }
}

int main(void)
{
    static const char *const guests[] = { "writer", "idle" };
    const AccelOps *accels[MAX_ACCELS];
    int naccels = 0, n = repetitions();

    bench_check_guests_built(guests, G_N_ELEMENTS(guests));
    bench_print_machine();
    if (bench_kvm_usable()) {
        accels[naccels++] = &kvm_accel_ops;
    }
    accels[naccels++] = &soft_accel_ops;
    print_host_limit(n);
    print_touch_table(accels, naccels, n);
    print_logging_table(accels, naccels, n);
    print_start_table(accels[0], n);
    return 0;
}
