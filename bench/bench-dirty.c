/*
 * Benchmark of the dirty log (memory.h), as migration uses it:
 *
 * 1. The cost of one sync per GiB of guest RAM: fetching the accelerator's
 *    log (memory_global_dirty_log_sync) and taking every dirty page from the
 *    bitmaps (ram_block_take_dirty), with 0%, 1% and 100% of the pages
 *    dirty, for 1 GiB and 4 GiB guests, under KVM and soft, with
 *    transparent huge pages (the emulator's default) and, for 1 GiB,
 *    without (THP off for the child, bench_thp_disable); and what backs
 *    the RAM afterwards (huge pages, KVM's 4 KiB and 2 MiB mappings).
 *    Beside it, the hardware's limit measured in the same run: reading a
 *    plain bitmap with the same bits set and visiting them, and
 *    memcpy/memcmp of 256 MiB.
 * 2. The page-dirtying rate of the seed and sparse guests with logging on
 *    and a sync every 100 ms, under KVM and soft, and the guests' own passes
 *    per second (read from their state block) with logging off and on.
 *
 * Each configuration runs in a child process of its own (bench-machine.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "bench/bench-machine.h"
#include "bench/bench-mapping.h"
#include "bench/bench-util.h"
#include "cpus.h"
#include "hw/boot-protocol.h"
#include "hw/pc.h"
#include "memory.h"
#include "sysemu.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define PAGE TARGET_PAGE_SIZE
#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define FIRST_FREE_PAGE (GUEST_FREE_RAM_START / PAGE)
#define SYNC_INTERVAL_NS 100000000ull   /* 100 ms, between migration syncs */
#define RATE_INTERVALS 15               /* measured syncs per guest */
#define RATE_WARMUP_INTERVALS 3
#define RATE_RAM (1 * GiB)
#define PROGRESS_TIMEOUT_MS 300000
#define LIMIT_BUFFER (256 * MiB)
/* Offsets in the workloads' state blocks (guests/seed.c, sparse.c, a-b.c,
 * writer.c), which live in guest RAM at WORKLOAD_STATE_GPA. */
#define SEED_PASSES_OFFSET 24
#define SPARSE_PASSES_OFFSET 48
#define AB_NEXT_OFFSET 8
#define AB_PASSES_OFFSET 16
#define WRITER_DONE_OFFSET 0
#define SEED_PAGES 4096                 /* its 16 MiB buffer */
#define SPARSE_PCT 25
#define MAX_REPS 64

static const uint64_t ram_sizes[] = { 1 * GiB, 4 * GiB };

/* ---------------------------------------------------------------------- */
/* Child processes and their machine */

/* BENCH_REPS (default 7, at least 5), at most MAX_REPS. */
static int repetitions(void)
{
    int n = bench_reps();
    return n > MAX_REPS ? MAX_REPS : n;
}

static void build_machine(const AccelOps *accel, uint64_t ram, const char *kernel,
                          const char *append)
{
    MachineConfig cfg = { .ram_size = ram, .kernel = kernel, .append = append };

    bench_build_machine(accel, &cfg);
}

static double timed_sync_ms(uint64_t *pages)
{
    uint64_t t0 = bench_now_ns();

    *pages = bench_sync_and_take_all();
    return (double)(bench_now_ns() - t0) / 1e6;
}

/* ---------------------------------------------------------------------- */
/* The hardware's limit: the same bits in a plain bitmap */

typedef struct PlainBitmap {
    unsigned long *words;
    uint64_t nwords;
} PlainBitmap;

/* Reads every word and visits every set bit, as taking the dirty pages
 * does, with no clearing, no calls and no log to fetch. */
static void walk_plain_bitmap(void *opaque)
{
    const PlainBitmap *bm = opaque;
    uint64_t sum = 0;

    for (uint64_t w = 0; w < bm->nwords; w++) {
        unsigned long word = bm->words[w];
        while (word) {
            sum += w * BITS_PER_LONG + __builtin_ctzl(word);
            word &= word - 1;
        }
    }
    bench_consume(sum);
}

/* Walk time in ms of a bitmap of npages with every stride-th page from
 * `first` on set (stride 0: none set). */
static BenchStats plain_walk_ms(uint64_t npages, uint64_t first, uint64_t stride)
{
    PlainBitmap bm = { .nwords = (npages + BITS_PER_LONG - 1) / BITS_PER_LONG };
    size_t bytes = bm.nwords * sizeof(unsigned long);
    int n = repetitions();
    double ms[MAX_REPS];

    bm.words = bench_alloc(bytes);
    memset(bm.words, 0, bytes);
    for (uint64_t p = first; stride && p < npages; p += stride) {
        bm.words[p / BITS_PER_LONG] |= 1ul << (p % BITS_PER_LONG);
    }
    walk_plain_bitmap(&bm);
    for (int i = 0; i < n; i++) {
        uint64_t t0 = bench_now_ns();
        walk_plain_bitmap(&bm);
        ms[i] = (double)(bench_now_ns() - t0) / 1e6;
    }
    munmap(bm.words, bytes);
    return bench_stats(ms, n);
}

/* ---------------------------------------------------------------------- */
/* Sync time per GiB */

typedef struct SyncCase {
    const AccelOps *accel;
    uint64_t ram;
    bool thp;
} SyncCase;

/* What backs guest RAM now: MiB in huge pages, and under KVM its mappings
 * of 4 KiB and of 2 MiB. */
static const char *backing_column(char *buf, size_t size)
{
    BenchBacking b;

    bench_backing(&b);
    if (b.kvm_known) {
        snprintf(buf, size, "%6" PRIu64 "  %7" PRIu64 " / %4" PRIu64, b.anon_huge_kib >> 10,
                 b.kvm_pages_4k, b.kvm_pages_2m);
    } else {
        snprintf(buf, size, "%6" PRIu64, b.anon_huge_kib >> 10);
    }
    return buf;
}

static void print_sync_row(const SyncCase *c, uint64_t pages, const double *ms, int n,
                           BenchStats limit)
{
    BenchStats st = bench_stats(ms, n);
    double gib = (double)c->ram / GiB;
    char backing[64];

    printf("  %-4s  %3.0f GiB  %-3s  %6.2f%%  %8" PRIu64 "  %8.3f [%8.3f-%8.3f]  %8.3f  "
           "%8.3f  %s\n", c->accel->name, gib, c->thp ? "on" : "off",
           100.0 * pages / (c->ram / PAGE), pages, st.median, st.min, st.max,
           st.median / gib, limit.median / gib, backing_column(backing, sizeof(backing)));
}

/* The machine of a sync case, without huge pages when it says so. */
static void build_sync_machine(const SyncCase *c, const char *kernel, const char *append)
{
    if (!c->thp) {
        bench_thp_disable();
    }
    build_machine(c->accel, c->ram, kernel, append);
}

/* Low RAM the writer can address in one run: it refuses a range that
 * crosses the hole at 3 GiB. */
static uint64_t low_free_pages(uint64_t ram)
{
    return (MIN(ram, LOW_RAM_MAX) - GUEST_FREE_RAM_START) / PAGE;
}

/* 0%: syncs of a guest that never ran, each after a drain. */
static void time_clean_syncs(double *ms, int n, uint64_t *pages)
{
    for (int i = 0; i < n; i++) {
        bench_sync_and_take_all();
        ms[i] = timed_sync_ms(pages);
    }
}

/* Syncs after the writer guest, reset and run again each time after a
 * drain, wrote its pages and halted. */
static void time_writer_syncs(double *ms, int n, uint64_t *pages)
{
    for (int i = 0; i < n; i++) {
        bench_sync_and_take_all();
        *bench_guest_state_word(WRITER_DONE_OFFSET) = 0;
        bench_reset_guest();
        bench_start_guest();
        bench_wait_state_at_least(WRITER_DONE_OFFSET, 1);
        vm_stop(RUN_STATE_PAUSED);
        ms[i] = timed_sync_ms(pages);
    }
}

/* 0%, then 1%: the writer guest writes every stride-th page of low RAM. */
static void measure_sync_writer(const void *arg)
{
    const SyncCase *c = arg;
    uint64_t total = c->ram / PAGE, count = total / 100;
    uint64_t stride = low_free_pages(c->ram) / count;
    g_autofree char *append = g_strdup_printf("start=0x%llx count=%" PRIu64 " stride=%"
                                              PRIu64, GUEST_FREE_RAM_START, count, stride);
    int n = repetitions();
    double ms[MAX_REPS];
    uint64_t pages = 0;

    build_sync_machine(c, "guests/writer.elf", append);
    bench_start_dirty_log();
    time_clean_syncs(ms, n, &pages);
    print_sync_row(c, pages, ms, n, plain_walk_ms(total, 0, 0));
    time_writer_syncs(ms, n, &pages);
    print_sync_row(c, pages, ms, n, plain_walk_ms(total, FIRST_FREE_PAGE, stride));
    cpus_fini();
}

/* Waits until the a-b guest has written every page since it was at
 * (passes, next): it is at the next pass, one page beyond. The two words
 * are read apart, but a pass that ends in between only makes it wait more. */
static void wait_a_b_full_pass(uint64_t passes, uint64_t next)
{
    volatile uint64_t *p = bench_guest_state_word(AB_PASSES_OFFSET);
    volatile uint64_t *n = bench_guest_state_word(AB_NEXT_OFFSET);

    bench_wait_state_at_least(AB_PASSES_OFFSET, passes + 1);
    for (int ms = 0; *p == passes + 1 && *n <= next; ms++) {
        if (ms == PROGRESS_TIMEOUT_MS) {
            fprintf(stderr, "bench-dirty: the guest made no progress\n");
            exit(1);
        }
        usleep(1000);
    }
}

/* 100%: the a-b guest wrote every page from 1 MiB up since the drain. */
static void measure_sync_a_b(const void *arg)
{
    const SyncCase *c = arg;
    int n = repetitions();
    double ms[MAX_REPS];
    uint64_t pages = 0;

    build_sync_machine(c, "guests/a-b.elf", NULL);
    bench_start_dirty_log();
    bench_start_guest();
    bench_wait_state_at_least(AB_PASSES_OFFSET, 1);
    for (int i = 0; i < n; i++) {
        vm_stop(RUN_STATE_PAUSED);
        bench_sync_and_take_all();
        uint64_t passes = *bench_guest_state_word(AB_PASSES_OFFSET);
        uint64_t next = *bench_guest_state_word(AB_NEXT_OFFSET);
        bench_start_guest();
        wait_a_b_full_pass(passes, next);
        vm_stop(RUN_STATE_PAUSED);
        ms[i] = timed_sync_ms(&pages);
        bench_start_guest();
    }
    vm_stop(RUN_STATE_PAUSED);
    print_sync_row(c, pages, ms, n, plain_walk_ms(c->ram / PAGE, FIRST_FREE_PAGE, 1));
    cpus_fini();
}

/* ---------------------------------------------------------------------- */
/* Dirtying rate */

typedef struct RateCase {
    const AccelOps *accel;
    const char *guest;          /* NAME of guests/NAME.elf */
    unsigned passes_offset;
    uint64_t pages_per_pass;    /* pages the guest writes in one pass */
} RateCase;

static void sleep_until_ns(uint64_t deadline)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline / 1000000000ull),
        .tv_nsec = (long)(deadline % 1000000000ull),
    };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        continue;
    }
}

/* The guest's passes per second over `ns` from now. */
static double passes_per_second(unsigned offset, uint64_t ns)
{
    uint64_t p0 = *bench_guest_state_word(offset), t0 = bench_now_ns();

    sleep_until_ns(t0 + ns);
    uint64_t p1 = *bench_guest_state_word(offset), t1 = bench_now_ns();
    return (double)(p1 - p0) * 1e9 / (double)(t1 - t0);
}

typedef struct RateSamples {
    double per_sync[RATE_INTERVALS];    /* pages each sync took */
    double per_second[RATE_INTERVALS];  /* the same over its interval's length */
    double passes_per_second;           /* the guest's, over those intervals */
} RateSamples;

/* With logging on, syncs every 100 ms (the first few are a warm-up). */
static void sample_dirty_rate(unsigned passes_offset, RateSamples *r)
{
    uint64_t t = bench_now_ns(), p0 = 0, t0 = 0;

    bench_sync_and_take_all();
    for (int i = -RATE_WARMUP_INTERVALS; i < RATE_INTERVALS; i++) {
        sleep_until_ns(t + SYNC_INTERVAL_NS);
        uint64_t pages = bench_sync_and_take_all(), now = bench_now_ns();
        if (i >= 0) {
            r->per_sync[i] = (double)pages;
            r->per_second[i] = (double)pages * 1e9 / (double)(now - t);
        } else if (i == -1) {
            p0 = *bench_guest_state_word(passes_offset);
            t0 = now;
        }
        t = now;
    }
    r->passes_per_second = (double)(*bench_guest_state_word(passes_offset) - p0) * 1e9 /
                           (double)(t - t0);
}

static void measure_rate(const void *arg)
{
    const RateCase *c = arg;
    g_autofree char *kernel = g_strdup_printf("guests/%s.elf", c->guest);
    RateSamples r;

    build_machine(c->accel, RATE_RAM, kernel, NULL);
    bench_start_guest();
    bench_wait_state_at_least(c->passes_offset, 1);
    double off = passes_per_second(c->passes_offset, 5 * SYNC_INTERVAL_NS);
    bench_start_dirty_log();
    sample_dirty_rate(c->passes_offset, &r);
    vm_stop(RUN_STATE_PAUSED);
    memory_global_dirty_log_stop();

    BenchStats sync = bench_stats(r.per_sync, RATE_INTERVALS);
    BenchStats rate = bench_stats(r.per_second, RATE_INTERVALS);
    double on = r.passes_per_second;
    printf("  %-4s  %-6s  %6.0f [%6.0f-%6.0f]  %7.0f [%7.0f-%7.0f]  %8.1f  %8.1f  %10.0f\n",
           c->accel->name, c->guest, sync.median, sync.min, sync.max,
           rate.median, rate.min, rate.max, off, on, on * (double)c->pages_per_pass);
    cpus_fini();
}

/* ---------------------------------------------------------------------- */
/* Hardware limits of copying and comparing RAM */

typedef struct CopyBench {
    uint8_t *a;
    uint8_t *b;
} CopyBench;

static void run_memcpy(void *opaque)
{
    CopyBench *c = opaque;

    memcpy(c->b, c->a, LIMIT_BUFFER);
    bench_consume(c->b[LIMIT_BUFFER / 2]);
}

static void run_memcmp(void *opaque)
{
    CopyBench *c = opaque;

    bench_consume((uint64_t)memcmp(c->a, c->b, LIMIT_BUFFER));
}

static void print_copy_limits(void)
{
    CopyBench c = { bench_alloc(LIMIT_BUFFER), bench_alloc(LIMIT_BUFFER) };

    memset(c.a, 0x5a, LIMIT_BUFFER);
    memset(c.b, 0x5a, LIMIT_BUFFER);
    BenchStats cpy = bench_throughput(run_memcpy, &c, LIMIT_BUFFER, repetitions());
    BenchStats cmp = bench_throughput(run_memcmp, &c, LIMIT_BUFFER, repetitions());
    printf("Hardware limits, same run: memcpy of 256 MiB %.0f MB/s [%.0f-%.0f] "
           "(%.0f ms per GiB), memcmp %.0f MB/s [%.0f-%.0f] (%.0f ms per GiB)\n\n",
           cpy.median, cpy.min, cpy.max, GiB / cpy.median / 1e3,
           cmp.median, cmp.min, cmp.max, GiB / cmp.median / 1e3);
    munmap(c.a, LIMIT_BUFFER);
    munmap(c.b, LIMIT_BUFFER);
}

/* ---------------------------------------------------------------------- */

static void print_sync_table(const AccelOps *const *accels, int naccels)
{
    printf("Dirty-log sync: fetch the log and take every dirty page, ms, median "
           "[min-max] of %d;\nlimit = a plain bitmap with the same bits, read and "
           "walked (ms per GiB)\n", repetitions());
    printf("THP = transparent huge pages (off: PR_SET_THP_DISABLE for the child); after "
           "the row's syncs: huge = MiB of\nthe process in huge pages, kvm maps = KVM's "
           "mappings of 4 KiB / 2 MiB\n");
    printf("  accel     RAM  THP    dirty     pages  sync + take, ms               "
           "  per GiB     limit    huge  kvm maps 4K / 2M\n");
    for (int a = 0; a < naccels; a++) {
        for (size_t r = 0; r < G_N_ELEMENTS(ram_sizes); r++) {
            for (int thp = 1; thp >= 0; thp--) {
                SyncCase c = { accels[a], ram_sizes[r], thp };
                /* Without huge pages, 1 GiB tells the cost per GiB: under
                 * PVM each logged write faults (tens of us), and the 4 GiB
                 * rows take minutes. */
                if (!thp && ram_sizes[r] > 1 * GiB) {
                    continue;
                }
                bench_run_child(measure_sync_writer, &c);
                bench_run_child(measure_sync_a_b, &c);
            }
        }
    }
    printf("\n");
}

static void print_rate_table(const AccelOps *const *accels, int naccels)
{
    const uint64_t sparse_pages = RATE_RAM / 2 / PAGE * SPARSE_PCT / 100;

    printf("Page-dirtying rate, 1 GiB guest, a sync every 100 ms, median [min-max] of "
           "%d syncs;\npasses/s from the guest's state block (log off: 0.5 s before "
           "logging starts);\npages written/s = passes/s (log on) x pages one pass "
           "writes\n", RATE_INTERVALS);
    printf("  accel guest   dirty pages per sync    dirty pages/s              "
           "passes/s  passes/s  pages written/s\n");
    printf("                                                                   "
           " log off    log on\n");
    for (int a = 0; a < naccels; a++) {
        RateCase seed = { accels[a], "seed", SEED_PASSES_OFFSET, SEED_PAGES };
        RateCase sparse = { accels[a], "sparse", SPARSE_PASSES_OFFSET, sparse_pages };
        bench_run_child(measure_rate, &seed);
        bench_run_child(measure_rate, &sparse);
    }
}

int main(void)
{
    const AccelOps *accels[2];
    int naccels = 0;

    static const char *const guests[] = { "writer", "a-b", "seed", "sparse" };

    bench_check_guests_built(guests, G_N_ELEMENTS(guests));
    bench_print_machine();
    if (bench_kvm_usable()) {
        accels[naccels++] = &kvm_accel_ops;
    }
    accels[naccels++] = &soft_accel_ops;
    print_copy_limits();
    print_sync_table(accels, naccels);
    print_rate_table(accels, naccels);
    return 0;
}
