/*
 * Benchmark of the page cache (page_cache.h): operations per second for
 * lookups and evicting inserts beside the memcpy of one page, and the hit
 * rates of the LRU and direct-mapped policies on one synthetic access trace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bench/bench-util.h"
#include "page_cache.h"
#include "qemu-error.h"

#define PS 4096
#define MiB ((uint64_t)1 << 20)
#define OPS_PER_RUN (1u << 20)
#define INSERTS_PER_RUN (1u << 18)
#define SOURCE_PAGES 16

/* ---------------------------------------------------------------------- */
/* Operations per second */

/*
 * Page index -> address, scattered over 1 TiB: an odd multiplier is a
 * bijection modulo 2^28, so distinct indices give distinct pages, and
 * neighbouring indices land far apart as real dirty pages would.
 */
static uint64_t page_addr(uint64_t index)
{
    return ((index * 2654435761u) & ((1u << 28) - 1)) * PS;
}

typedef struct OpsBench {
    PageCache *cache;
    uint64_t *addrs;        /* what one lookup run visits */
    uint64_t next_fresh;    /* index of the next page never inserted */
    uint8_t *src;           /* SOURCE_PAGES pages to insert from */
    uint8_t *dst;           /* memcpy baseline: destination buffer */
    uint64_t dst_pages;
} OpsBench;

static void run_lookups(void *opaque)
{
    OpsBench *b = opaque;
    uintptr_t sum = 0;

    for (uint32_t i = 0; i < OPS_PER_RUN; i++) {
        sum += (uintptr_t)cache_lookup(b->cache, b->addrs[i]);
    }
    bench_consume(sum);
}

static void run_inserts(void *opaque)
{
    OpsBench *b = opaque;

    for (uint32_t i = 0; i < INSERTS_PER_RUN; i++) {
        const uint8_t *src = b->src + (i % SOURCE_PAGES) * PS;
        cache_insert(b->cache, page_addr(b->next_fresh++), src);
    }
}

/* The copy an insert makes, into destinations visited in order. */
static void run_memcpy(void *opaque)
{
    OpsBench *b = opaque;

    for (uint32_t i = 0; i < INSERTS_PER_RUN; i++) {
        memcpy(b->dst + (i % b->dst_pages) * PS,
               b->src + (i % SOURCE_PAGES) * PS, PS);
    }
    bench_consume(b->dst[0]);
}

#ifdef __SSE2__
/* The DRAM write limit: stores that bypass the caches and skip the RFO. */
static void stream_page(uint8_t *dst, const uint8_t *src)
{
    for (size_t i = 0; i < PS; i += 16) {
        _mm_stream_si128((__m128i *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(src + i)));
    }
}

static void run_stream(void *opaque)
{
    OpsBench *b = opaque;

    for (uint32_t i = 0; i < INSERTS_PER_RUN; i++) {
        stream_page(b->dst + (i % b->dst_pages) * PS,
                    b->src + (i % SOURCE_PAGES) * PS);
    }
    _mm_sfence();
}

/* As cache_insert copies: a fence after each page (see page_cache.c). */
static void run_stream_fenced(void *opaque)
{
    OpsBench *b = opaque;

    for (uint32_t i = 0; i < INSERTS_PER_RUN; i++) {
        stream_page(b->dst + (i % b->dst_pages) * PS,
                    b->src + (i % SOURCE_PAGES) * PS);
        _mm_sfence();
    }
}
#endif

/* bench_throughput() counts its "bytes" per microsecond: ops give Mops/s. */
static BenchStats mops(BenchFn fn, OpsBench *b, uint64_t ops)
{
    return bench_throughput(fn, b, ops, bench_reps());
}

/*
 * Lookups of random pages among those the fill left cached (direct-mapped,
 * colliding pages of the fill evicted each other), so all of them hit.
 */
static void choose_hits(OpsBench *b, uint64_t filled)
{
    uint64_t rng = 0x243f6a8885a308d3ULL;

    for (uint32_t i = 0; i < OPS_PER_RUN;) {
        uint64_t addr = page_addr(bench_rand(&rng) % filled);
        if (cache_is_cached(b->cache, addr)) {
            b->addrs[i++] = addr;
        }
    }
}

/* Lookups of random pages never inserted: indices far above the fill's. */
static void choose_misses(OpsBench *b)
{
    uint64_t rng = 0x13198a2e03707344ULL;

    for (uint32_t i = 0; i < OPS_PER_RUN; i++) {
        b->addrs[i] = page_addr((1ULL << 27) + bench_rand(&rng) % (1ULL << 27));
    }
}

static PageCache *new_cache(uint64_t bytes, CachePolicy policy)
{
    GError *err = NULL;
    PageCache *cache = cache_init(bytes, PS, policy, &err);

    if (!cache) {
        error_report_err(err);
        exit(1);
    }
    return cache;
}

/* Refuses to print figures of a run that did not do what it claims. */
static void expect(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench-page-cache: %s\n", what);
        exit(1);
    }
}

static void print_ops(BenchStats st)
{
    printf(" %7.1f [%5.1f-%5.1f]", st.median, st.min, st.max);
}

/* A baseline row: mib 0 for one that does not depend on the cache size. */
static void print_copy(unsigned mib, const char *what, BenchStats st)
{
    if (mib) {
        printf("%4u MiB  %s", mib, what);
    } else {
        printf("          %s", what);
    }
    print_ops(st);
    printf("\n");
}

typedef struct OpsRow {
    BenchStats hit, miss, insert;
} OpsRow;

/* Fills the cache with as many new pages as it has slots. */
static void fill(OpsBench *b)
{
    uint64_t capacity = cache_capacity_pages(b->cache);

    for (uint64_t i = 0; i < capacity; i++) {
        cache_insert(b->cache, page_addr(i), b->src);
    }
    b->next_fresh = capacity;
}

static OpsRow measure_policy(uint64_t bytes, CachePolicy policy, OpsBench *b)
{
    OpsRow row;

    b->cache = new_cache(bytes, policy);
    fill(b);
    uint64_t cached = cache_nr_pages(b->cache);

    choose_hits(b, b->next_fresh);
    CacheStats before = cache_get_stats(b->cache);
    row.hit = mops(run_lookups, b, OPS_PER_RUN);
    CacheStats after = cache_get_stats(b->cache);
    expect(after.misses == before.misses, "a lookup of a cached page missed");

    choose_misses(b);
    row.miss = mops(run_lookups, b, OPS_PER_RUN);
    expect(cache_get_stats(b->cache).hits == after.hits,
           "a lookup of a page never inserted hit");

    row.insert = mops(run_inserts, b, INSERTS_PER_RUN);
    expect(cache_get_stats(b->cache).evictions >= INSERTS_PER_RUN,
           "inserts into a full cache did not evict");
    expect(cache_nr_pages(b->cache) >= cached, "the cache lost pages");
    cache_fini(b->cache);
    return row;
}

static void bench_ops(uint64_t bytes, OpsBench *b)
{
    OpsRow lru = measure_policy(bytes, CACHE_POLICY_LRU, b);
    OpsRow direct = measure_policy(bytes, CACHE_POLICY_DIRECT_MAPPED, b);
    unsigned mib = (unsigned)(bytes / MiB);

    printf("%4u MiB  lookup, hit          ", mib);
    print_ops(lru.hit);
    print_ops(direct.hit);
    printf("\n%4u MiB  lookup, miss         ", mib);
    print_ops(lru.miss);
    print_ops(direct.miss);
    printf("\n%4u MiB  insert, evicting     ", mib);
    print_ops(lru.insert);
    print_ops(direct.insert);
    printf("\n");

    b->dst = bench_alloc(bytes);
    b->dst_pages = bytes / PS;
    print_copy(mib, "memcpy page, in order", mops(run_memcpy, b,
                                                   INSERTS_PER_RUN));
#ifdef __SSE2__
    print_copy(mib, "stream page + sfence ", mops(run_stream_fenced, b,
                                                   INSERTS_PER_RUN));
    print_copy(mib, "stream page, no fence", mops(run_stream, b,
                                                   INSERTS_PER_RUN));
#endif
    b->dst_pages = SOURCE_PAGES;    /* hot: the same 64 KiB over and over */
    print_copy(0, "memcpy page, hot     ", mops(run_memcpy, b,
                                                INSERTS_PER_RUN));
    munmap(b->dst, bytes);
}

static void bench_all_ops(void)
{
    static const uint64_t sizes[] = { 64 * MiB, 256 * MiB };
    OpsBench b = {
        .addrs = g_new(uint64_t, OPS_PER_RUN),
        .src = bench_alloc(SOURCE_PAGES * PS),
    };

    memset(b.src, 0x5a, SOURCE_PAGES * PS);
    printf("page cache operations, 4 KiB pages, Mops/s (10^6 per second), "
           "median [min-max] of %d runs\n", bench_reps());
    printf("cache     operation                LRU                  "
           "direct-mapped\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        bench_ops(sizes[i], &b);
    }
    g_free(b.addrs);
}

/* ---------------------------------------------------------------------- */
/* Hit rates on a synthetic trace */

#define HOT_PAGES 12000
#define HOT_BASE (256 * MiB / PS)       /* where the hot set starts */
#define COLD_RANGE_PAGES (1024 * MiB / PS)
#define COLD_PERCENT 30
#define PASSES 25
#define WARMUP_PASSES 5
#define COLD_FLAG (1u << 31)

typedef struct Trace {
    GArray *pages;      /* uint32_t page numbers, COLD_FLAG on cold ones */
    size_t warmup;      /* accesses before this one are not counted */
} Trace;

/*
 * PASSES passes over a hot set of HOT_PAGES contiguous pages, in order or
 * in random order, interleaved with COLD_PERCENT% accesses to uniformly
 * random pages of a 1 GiB range (which may fall in the hot set).
 */
static Trace make_trace(bool hot_in_order, uint64_t seed)
{
    Trace t = { g_array_new(FALSE, FALSE, sizeof(uint32_t)), 0 };
    uint64_t rng = seed;

    for (uint32_t hot = 0; hot < PASSES * HOT_PAGES;) {
        uint32_t page;
        if (bench_rand(&rng) % 100 < COLD_PERCENT) {
            page = (uint32_t)(bench_rand(&rng) % COLD_RANGE_PAGES) | COLD_FLAG;
        } else {
            uint32_t i = hot_in_order ? hot % HOT_PAGES
                                      : (uint32_t)(bench_rand(&rng) % HOT_PAGES);
            page = (uint32_t)HOT_BASE + i;
            if (++hot == WARMUP_PASSES * HOT_PAGES) {
                t.warmup = t.pages->len + 1;
            }
        }
        g_array_append_val(t.pages, page);
    }
    return t;
}

typedef struct HitRates {
    double all, hot, cold;
} HitRates;

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* What the migration sender does per dirty page: look up, insert on miss. */
static HitRates replay(const Trace *t, uint64_t cache_pages,
                       CachePolicy policy, const uint8_t *page)
{
    PageCache *cache = new_cache(cache_pages * PS, policy);
    uint64_t seen[2] = { 0, 0 }, hits[2] = { 0, 0 };   /* [cold?] */

    for (size_t i = 0; i < t->pages->len; i++) {
        uint32_t entry = g_array_index(t->pages, uint32_t, i);
        uint64_t addr = (uint64_t)(entry & ~COLD_FLAG) * PS;
        bool cold = entry & COLD_FLAG;
        bool hit = cache_lookup(cache, addr) != NULL;
        if (!hit) {
            cache_insert(cache, addr, page);
        }
        if (i >= t->warmup) {
            seen[cold]++;
            hits[cold] += hit;
        }
    }
    cache_fini(cache);
    return (HitRates) {
        percent(hits[0] + hits[1], seen[0] + seen[1]),
        percent(hits[0], seen[0]),
        percent(hits[1], seen[1]),
    };
}

static void print_rates(HitRates r)
{
    printf("   %5.1f%% (%5.1f%% / %4.1f%%)", r.all, r.hot, r.cold);
}

static void bench_trace(const char *name, const Trace *t, const uint8_t *page)
{
    static const uint64_t cache_pages[] = { 8192, 16384, 32768, 65536 };

    for (unsigned i = 0; i < G_N_ELEMENTS(cache_pages); i++) {
        uint64_t n = cache_pages[i];
        printf("%-8s %6" PRIu64 " pages %4" PRIu64 " MiB", name, n,
               n * PS / MiB);
        print_rates(replay(t, n, CACHE_POLICY_LRU, page));
        print_rates(replay(t, n, CACHE_POLICY_DIRECT_MAPPED, page));
        printf("\n");
    }
}

static void bench_hit_rates(void)
{
    uint8_t *page = bench_alloc(PS);
    Trace cyclic = make_trace(true, 0x9e3779b97f4a7c15ULL);
    Trace shuffled = make_trace(false, 0x9e3779b97f4a7c15ULL);

    printf("\nhit rates: hot set of %d contiguous pages (%.0f MiB) plus %d%% "
           "of accesses uniform over 1 GiB;\nlookup, insert on miss; "
           "%d passes over the hot set (%u accesses), the first %d not "
           "counted\n", HOT_PAGES, HOT_PAGES * (double)PS / MiB, COLD_PERCENT,
           PASSES, cyclic.pages->len, WARMUP_PASSES);
    printf("hot set  cache                 LRU: all (hot / cold)    "
           "direct-mapped: all (hot / cold)\n");
    bench_trace("cyclic", &cyclic, page);
    bench_trace("random", &shuffled, page);
    g_array_free(cyclic.pages, TRUE);
    g_array_free(shuffled.pages, TRUE);
}

int main(void)
{
    bench_print_machine();
    bench_all_ops();
    bench_hit_rates();
    return 0;
}
