/*
 * Benchmark of the XBZRLE codec (xbzrle.h) and of buffer_is_uniform()
 * (bufferzero.h): every encoder variant on typical change patterns, hot (16
 * page pairs in L2) and cold (256 MiB of pairs visited in random order),
 * beside memcmp and memcpy measured in the same run, and general-purpose
 * compressors on the XOR delta. Prints Markdown tables and whether each
 * target of docs/performance.md is met.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/bench-util.h"
#include "bufferzero.h"
#include "config-host.h"
#include "xbzrle.h"

#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif
#ifdef CONFIG_LZ4
#include <lz4.h>
#endif

#define PS 4096
#define HOT_PAIRS 16
#define DEFAULT_COLD_MIB 256
/* a hot measurement repeats its pairs for about this long per repetition */
#define HOT_RUN_NS 10000000
/* room for a compressor's output that does not fit in a page */
#define STREAM_MAX (2 * PS + 64)

/* ---------------------------------------------------------------------- */
/* The change patterns */

typedef void ChangeFn(uint8_t *page, uint64_t *rng);

static void change_byte(uint8_t *page, int at, uint64_t *rng)
{
    page[at] ^= (uint8_t)(1 + bench_rand(rng) % 255);
}

static void change_random_bytes(uint8_t *page, int count, uint64_t *rng)
{
    for (int i = 0; i < count; i++) {
        change_byte(page, bench_rand(rng) % PS, rng);
    }
}

static void change_run(uint8_t *page, int at, int len, uint64_t *rng)
{
    for (int i = at; i < at + len; i++) {
        change_byte(page, i, rng);
    }
}

static void change_none(uint8_t *page, uint64_t *rng)
{
}

static void change_seed(uint8_t *page, uint64_t *rng)
{
    for (int at = 0; at < PS; at += 1024) {
        page[at]++;
    }
}

static void change_1(uint8_t *page, uint64_t *rng)
{
    change_random_bytes(page, 1, rng);
}

static void change_16(uint8_t *page, uint64_t *rng)
{
    change_random_bytes(page, 16, rng);
}

static void change_64(uint8_t *page, uint64_t *rng)
{
    change_random_bytes(page, 64, rng);
}

static void change_256(uint8_t *page, uint64_t *rng)
{
    change_random_bytes(page, 256, rng);
}

static void change_run_64(uint8_t *page, uint64_t *rng)
{
    change_run(page, bench_rand(rng) % (PS - 64), 64, rng);
}

/* 8 runs of 64, one in each eighth of the page so that none touch. */
static void change_8_runs_64(uint8_t *page, uint64_t *rng)
{
    for (int i = 0; i < 8; i++) {
        change_run(page, i * 512 + bench_rand(rng) % (512 - 64 - 1), 64, rng);
    }
}

static void change_8_words(uint8_t *page, uint64_t *rng)
{
    for (int i = 0; i < 8; i++) {
        change_run(page, bench_rand(rng) % (PS / 8) * 8, 8, rng);
    }
}

static void change_half(uint8_t *page, uint64_t *rng)
{
    for (int i = 0; i < PS; i++) {
        if (bench_rand(rng) & 1) {
            change_byte(page, i, rng);
        }
    }
}

static void change_all_random(uint8_t *page, uint64_t *rng)
{
    for (int i = 0; i < PS; i += 8) {
        uint64_t r = bench_rand(rng);
        memcpy(page + i, &r, 8);
    }
}

typedef struct Case {
    const char *name;
    ChangeFn *change;
    double target;      /* hot encode target, a fraction of M; 0: none */
} Case;

static const Case cases[] = {
    { "identical", change_none, 0.9 },
    { "seed (4 bytes)", change_seed, 0.7 },
    { "1 random byte", change_1, 0 },
    { "16 random bytes", change_16, 0.5 },
    { "64 random bytes", change_64, 0.2 },
    { "256 random bytes", change_256, 0.08 },
    { "1 run of 64", change_run_64, 0 },
    { "8 runs of 64", change_8_runs_64, 0 },
    { "8 random words", change_8_words, 0 },
    { "50% of bytes", change_half, 0 },
    { "random page", change_all_random, 0.4 },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

/* Cases with at most this many runs count as sparse (cold and decode targets). */
#define SPARSE_RUNS 16
#define SPARSE_COLD_TARGET 0.85
#define DECODE_TARGET_MBPS 10000.0

/* ---------------------------------------------------------------------- */
/* Page sets and the operations timed on them */

typedef struct PageSet {
    int count;
    uint8_t *old_pages;
    uint8_t *new_pages;
    uint8_t *same_pages;    /* copies of the old pages, for memcmp */
    uint8_t *recv_pages;    /* the receiver's copies, decoded onto */
    uint8_t *streams;       /* PS bytes per pair: the encodings, decode input */
    int *stream_len;        /* -1: did not fit in a page */
    uint32_t *order;        /* the order pairs are visited in */
} PageSet;

static uint8_t *page_at(uint8_t *pages, uint32_t i)
{
    return pages + (size_t)i * PS;
}

typedef struct Timed {
    PageSet *set;
    int loops;              /* passes over the pairs per timed call */
    XbzrleImpl impl;
    BufferUniformImpl uniform_impl;
    uint8_t *scratch;       /* STREAM_MAX bytes */
    void *state;            /* a compressor's context */
} Timed;

/* Runs the statement after it for each pair index `page` of a Timed's set. */
#define FOR_EACH_PAIR(t, page) \
    for (int loop_ = 0; loop_ < (t)->loops; loop_++) \
        for (int k_ = 0; k_ < (t)->set->count; k_++) \
            for (uint32_t page = (t)->set->order[k_], once_ = 1; once_; \
                 once_ = 0)

static void run_encode(void *opaque)
{
    Timed *t = opaque;
    uint64_t sum = 0;

    FOR_EACH_PAIR(t, i) {
        sum += xbzrle_encode_page_impl(t->impl, page_at(t->set->old_pages, i),
                                       page_at(t->set->new_pages, i), PS,
                                       t->scratch, PS);
    }
    bench_consume(sum);
}

static void run_decode(void *opaque)
{
    Timed *t = opaque;
    uint64_t sum = 0;

    FOR_EACH_PAIR(t, i) {
        sum += xbzrle_decode_page(t->set->streams + (size_t)i * PS,
                                  t->set->stream_len[i],
                                  page_at(t->set->recv_pages, i), PS);
    }
    bench_consume(sum);
}

/* memcmp of two identical pages: the scan limit M. */
static void run_memcmp(void *opaque)
{
    Timed *t = opaque;
    uint64_t sum = 0;

    FOR_EACH_PAIR(t, i) {
        sum += memcmp(page_at(t->set->old_pages, i),
                      page_at(t->set->same_pages, i), PS) == 0;
    }
    bench_consume(sum);
}

static void run_memcpy(void *opaque)
{
    Timed *t = opaque;

    FOR_EACH_PAIR(t, i) {
        memcpy(page_at(t->set->recv_pages, i), page_at(t->set->new_pages, i),
               PS);
    }
    bench_consume(t->set->recv_pages[0]);
}

static void run_uniform(void *opaque)
{
    Timed *t = opaque;
    uint64_t sum = 0;
    uint8_t fill;

    FOR_EACH_PAIR(t, i) {
        sum += buffer_is_uniform_impl(t->uniform_impl,
                                      page_at(t->set->recv_pages, i), PS,
                                      &fill);
    }
    bench_consume(sum);
}

/* The classic uniformity test: each byte equals the next one. */
static void run_memcmp_shifted(void *opaque)
{
    Timed *t = opaque;
    uint64_t sum = 0;

    FOR_EACH_PAIR(t, i) {
        const uint8_t *p = page_at(t->set->recv_pages, i);
        sum += memcmp(p, p + 1, PS - 1) == 0;
    }
    bench_consume(sum);
}

static bool set_is_hot(const PageSet *set)
{
    return set->count == HOT_PAIRS;
}

/* Passes over the pairs per timed call: about HOT_RUN_NS, or 1 when cold. */
static void calibrate(BenchFn fn, Timed *t)
{
    uint64_t t0, dt;

    t->loops = 1;
    if (set_is_hot(t->set)) {
        t0 = bench_now_ns();
        fn(t);
        dt = bench_now_ns() - t0;
        t->loops = dt ? (int)(HOT_RUN_NS / dt) + 1 : 1000;
    }
}

/* One timed call, in MB/s of input pages. */
static double time_once(BenchFn fn, Timed *t)
{
    uint64_t t0 = bench_now_ns(), dt;

    fn(t);
    dt = bench_now_ns() - t0;
    return dt ? (double)t->loops * t->set->count * PS * 1e3 / dt : 0;
}

/* A throughput, and its ratio to M (memcmp of identical pages) on one set. */
typedef struct Measured {
    BenchStats mbps;
    BenchStats vs_m;
} Measured;

#define MAX_REPS 101

/*
 * Times fn and the memcmp limit in alternation, so that both see the same
 * load on this shared machine, and takes the ratio repetition by
 * repetition.
 */
static Measured measure(BenchFn fn, Timed *t)
{
    Timed limit = { .set = t->set };
    double mbps[MAX_REPS], ratio[MAX_REPS];
    int reps = bench_reps() < MAX_REPS ? bench_reps() : MAX_REPS;

    calibrate(fn, t);
    calibrate(run_memcmp, &limit);
    fn(t);                      /* warm the caches and branch predictors */
    for (int i = 0; i < reps; i++) {
        double m = time_once(run_memcmp, &limit);

        mbps[i] = time_once(fn, t);
        ratio[i] = m > 0 ? mbps[i] / m : 0;
    }
    return (Measured) { bench_stats(mbps, reps), bench_stats(ratio, reps) };
}

/* ---------------------------------------------------------------------- */
/* Preparing the page sets */

static void shuffle(uint32_t *order, int n, uint64_t *rng)
{
    for (int i = 0; i < n; i++) {
        order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = bench_rand(rng) % (i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

static PageSet *page_set_new(int count, uint64_t *rng)
{
    PageSet *set = calloc(1, sizeof(*set));

    set->count = count;
    set->old_pages = bench_alloc((size_t)count * PS);
    set->new_pages = bench_alloc((size_t)count * PS);
    set->same_pages = bench_alloc((size_t)count * PS);
    set->recv_pages = bench_alloc((size_t)count * PS);
    set->streams = bench_alloc((size_t)count * PS);
    set->stream_len = calloc(count, sizeof(int));
    set->order = calloc(count, sizeof(uint32_t));
    for (size_t i = 0; i < (size_t)count * PS; i += 8) {
        uint64_t r = bench_rand(rng);
        memcpy(set->old_pages + i, &r, 8);
    }
    memcpy(set->same_pages, set->old_pages, (size_t)count * PS);
    if (set_is_hot(set)) {
        for (int i = 0; i < count; i++) {
            set->order[i] = i;
        }
    } else {
        shuffle(set->order, count, rng);
    }
    return set;
}

/* New pages for a case, the receiver's copies, and the encoded streams. */
static void page_set_prepare(PageSet *set, const Case *c, uint64_t *rng)
{
    memcpy(set->new_pages, set->old_pages, (size_t)set->count * PS);
    memcpy(set->recv_pages, set->old_pages, (size_t)set->count * PS);
    for (int i = 0; i < set->count; i++) {
        c->change(page_at(set->new_pages, i), rng);
        set->stream_len[i] = xbzrle_encode_page(
            page_at(set->old_pages, i), page_at(set->new_pages, i), PS,
            page_at(set->streams, i), PS);
    }
}

/* Pages where the encoding fits in a page, and their mean encoded size. */
static int count_fitting(const PageSet *set, double *mean_size)
{
    long total = 0;
    int fit = 0;

    for (int i = 0; i < set->count; i++) {
        if (set->stream_len[i] >= 0) {
            total += set->stream_len[i];
            fit++;
        }
    }
    *mean_size = fit ? (double)total / fit : 0;
    return fit;
}

/* Mean number of changed runs per page (the groups of the encoding). */
static double mean_runs(const PageSet *set)
{
    long runs = 0;

    for (int i = 0; i < set->count; i++) {
        const uint8_t *a = page_at(set->old_pages, i);
        const uint8_t *b = page_at(set->new_pages, i);
        for (int j = 0; j < PS; j++) {
            runs += a[j] != b[j] && (j == 0 || a[j - 1] == b[j - 1]);
        }
    }
    return (double)runs / set->count;
}

/* ---------------------------------------------------------------------- */
/* Compressors on the XOR delta (hot set only) */

typedef struct Compressor {
    const char *name;
    void *(*init)(void);
    /* compresses PS bytes of src into dst (cap bytes); returns the size */
    int (*compress)(void *state, const uint8_t *src, uint8_t *dst, int cap);
    /* decompresses into PS bytes of dst; returns the size or -1 */
    int (*decompress)(void *state, const uint8_t *src, int len, uint8_t *dst);
} Compressor;

typedef struct ZlibState {
    z_stream deflate;
    z_stream inflate;
} ZlibState;

static void *zlib_init(void)
{
    ZlibState *z = calloc(1, sizeof(*z));

    if (deflateInit(&z->deflate, 1) != Z_OK ||
        inflateInit(&z->inflate) != Z_OK) {
        fprintf(stderr, "bench-xbzrle: zlib initialisation failed\n");
        exit(1);
    }
    return z;
}

static int zlib_compress(void *state, const uint8_t *src, uint8_t *dst,
                         int cap)
{
    z_stream *s = &((ZlibState *)state)->deflate;

    deflateReset(s);
    s->next_in = (Bytef *)src;
    s->avail_in = PS;
    s->next_out = dst;
    s->avail_out = cap;
    return deflate(s, Z_FINISH) == Z_STREAM_END ? (int)s->total_out : -1;
}

static int zlib_decompress(void *state, const uint8_t *src, int len,
                           uint8_t *dst)
{
    z_stream *s = &((ZlibState *)state)->inflate;

    inflateReset(s);
    s->next_in = (Bytef *)src;
    s->avail_in = len;
    s->next_out = dst;
    s->avail_out = PS;
    return inflate(s, Z_FINISH) == Z_STREAM_END ? (int)s->total_out : -1;
}

#ifdef CONFIG_ZSTD
typedef struct ZstdState {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
} ZstdState;

static void *zstd_init(void)
{
    ZstdState *z = calloc(1, sizeof(*z));

    z->cctx = ZSTD_createCCtx();
    z->dctx = ZSTD_createDCtx();
    return z;
}

static int zstd_compress(void *state, const uint8_t *src, uint8_t *dst,
                         int cap)
{
    size_t n = ZSTD_compressCCtx(((ZstdState *)state)->cctx, dst, cap, src,
                                 PS, 1);
    return ZSTD_isError(n) ? -1 : (int)n;
}

static int zstd_decompress(void *state, const uint8_t *src, int len,
                           uint8_t *dst)
{
    size_t n = ZSTD_decompressDCtx(((ZstdState *)state)->dctx, dst, PS, src,
                                   len);
    return ZSTD_isError(n) ? -1 : (int)n;
}
#endif

#ifdef CONFIG_LZ4
static void *lz4_init(void)
{
    return NULL;
}

static int lz4_compress(void *state, const uint8_t *src, uint8_t *dst,
                        int cap)
{
    int n = LZ4_compress_default((const char *)src, (char *)dst, PS, cap);
    return n > 0 ? n : -1;
}

static int lz4_decompress(void *state, const uint8_t *src, int len,
                          uint8_t *dst)
{
    return LZ4_decompress_safe((const char *)src, (char *)dst, len, PS);
}
#endif

static const Compressor compressors[] = {
    { "zlib-1", zlib_init, zlib_compress, zlib_decompress },
#ifdef CONFIG_ZSTD
    { "zstd-1", zstd_init, zstd_compress, zstd_decompress },
#endif
#ifdef CONFIG_LZ4
    { "lz4", lz4_init, lz4_compress, lz4_decompress },
#endif
};
#define NCOMPRESSORS (int)(sizeof(compressors) / sizeof(compressors[0]))

static void xor_pages(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < PS; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        memcpy(dst + i, &x, 8);
    }
}

/* Per pair: the XOR delta, compressed; the sizes land in stream_len. */
typedef struct CompressRun {
    Timed t;
    const Compressor *comp;
    int *sizes;
    uint8_t *compressed;    /* STREAM_MAX bytes per pair */
} CompressRun;

static void run_compress(void *opaque)
{
    CompressRun *r = opaque;

    FOR_EACH_PAIR(&r->t, i) {
        xor_pages(r->t.scratch, page_at(r->t.set->old_pages, i),
                  page_at(r->t.set->new_pages, i));
        r->sizes[i] = r->comp->compress(r->t.state, r->t.scratch,
                                        r->compressed + (size_t)i * STREAM_MAX,
                                        STREAM_MAX);
    }
}

/* Decompresses the delta and applies it to the receiver's page. */
static void run_decompress(void *opaque)
{
    CompressRun *r = opaque;

    FOR_EACH_PAIR(&r->t, i) {
        r->comp->decompress(r->t.state, r->compressed + (size_t)i * STREAM_MAX,
                            r->sizes[i], r->t.scratch);
        xor_pages(page_at(r->t.set->recv_pages, i), r->t.scratch,
                  page_at(r->t.set->old_pages, i));
    }
}

/* ---------------------------------------------------------------------- */
/* Running the cases */

typedef struct Sets {
    PageSet *hot;
    PageSet *cold;
    uint8_t *scratch;       /* STREAM_MAX bytes */
    uint8_t *compressed;    /* STREAM_MAX bytes per hot pair */
    void *comp_state[NCOMPRESSORS];
} Sets;

typedef struct CaseResult {
    double runs;            /* mean changed runs per page */
    int fitting;            /* hot pages whose encoding fits in a page */
    double size;            /* their mean encoded size */
    Measured encode_hot[XBZRLE_IMPL__MAX];
    Measured encode_cold[XBZRLE_IMPL__MAX];
    Measured decode_hot, decode_cold;
    double comp_size[NCOMPRESSORS];
    Measured comp[NCOMPRESSORS], decomp[NCOMPRESSORS];
} CaseResult;

typedef struct Results {
    Measured m_hot, m_cold, memcpy_hot, memcpy_cold;
    CaseResult cases[NCASES];
} Results;

static void bench_limits(Sets *s, Results *res)
{
    Timed hot = { .set = s->hot }, cold = { .set = s->cold };

    res->m_hot = measure(run_memcmp, &hot);
    res->m_cold = measure(run_memcmp, &cold);
    res->memcpy_hot = measure(run_memcpy, &hot);
    res->memcpy_cold = measure(run_memcpy, &cold);
}

static void bench_case_encode(Sets *s, CaseResult *r)
{
    for (XbzrleImpl impl = 0; impl < XBZRLE_IMPL__MAX; impl++) {
        Timed hot = { .set = s->hot, .impl = impl, .scratch = s->scratch };
        Timed cold = { .set = s->cold, .impl = impl, .scratch = s->scratch };

        if (xbzrle_impl_available(impl)) {
            r->encode_hot[impl] = measure(run_encode, &hot);
            r->encode_cold[impl] = measure(run_encode, &cold);
        }
    }
}

/* Decoding only where every page's encoding fits, as sent. */
static void bench_case_decode(Sets *s, CaseResult *r)
{
    Timed hot = { .set = s->hot }, cold = { .set = s->cold };
    double cold_size;

    if (r->fitting == HOT_PAIRS &&
        count_fitting(s->cold, &cold_size) == s->cold->count) {
        r->decode_hot = measure(run_decode, &hot);
        r->decode_cold = measure(run_decode, &cold);
    }
}

static void bench_case_compressors(Sets *s, CaseResult *r)
{
    int sizes[HOT_PAIRS];

    for (int k = 0; k < NCOMPRESSORS; k++) {
        CompressRun run = {
            .t = { .set = s->hot, .scratch = s->scratch,
                   .state = s->comp_state[k] },
            .comp = &compressors[k], .sizes = sizes,
            .compressed = s->compressed,
        };
        double total = 0;

        r->comp[k] = measure(run_compress, &run.t);
        r->decomp[k] = measure(run_decompress, &run.t);
        for (int i = 0; i < HOT_PAIRS; i++) {
            total += sizes[i];
        }
        r->comp_size[k] = total / HOT_PAIRS;
    }
}

static void bench_case(Sets *s, int c, CaseResult *r, uint64_t *rng)
{
    fprintf(stderr, "bench-xbzrle: %s...\n", cases[c].name);
    page_set_prepare(s->hot, &cases[c], rng);
    page_set_prepare(s->cold, &cases[c], rng);
    r->runs = mean_runs(s->hot);
    r->fitting = count_fitting(s->hot, &r->size);
    bench_case_encode(s, r);
    bench_case_decode(s, r);
    bench_case_compressors(s, r);
}

/* ---------------------------------------------------------------------- */
/* Printing */

static void print_stats(BenchStats st)
{
    printf(" %.0f (%.0f–%.0f) |", st.median, st.min, st.max);
}

static void print_measured(Measured m)
{
    print_stats(m.mbps);
    printf(" %.2f |", m.vs_m.median);
}

/* buffer_is_uniform() on zero pages, and on a random page (early exit). */
static void bench_uniform(Sets *s)
{
    Timed hot = { .set = s->hot }, cold = { .set = s->cold };

    printf("\n## Duplicate-page scan: buffer_is_uniform (MB/s of pages; ×M: "
           "fraction of memcmp of two identical pages; ns per call for an "
           "ordinary page)\n\n");
    printf("| implementation | zero page, hot | ×M | zero page, cold | "
           "×M cold | ordinary page, ns |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (BufferUniformImpl impl = 0; impl <= BUFFER_UNIFORM__MAX; impl++) {
        bool baseline = impl == BUFFER_UNIFORM__MAX;
        BenchFn fn = baseline ? run_memcmp_shifted : run_uniform;
        Measured m;

        if (!baseline && !buffer_uniform_impl_available(impl)) {
            continue;
        }
        hot.uniform_impl = cold.uniform_impl = impl;
        memset(s->hot->recv_pages, 0, (size_t)HOT_PAIRS * PS);
        memset(s->cold->recv_pages, 0, (size_t)s->cold->count * PS);
        printf("| %s%s |", baseline ? "memcmp(p, p + 1, 4095)"
                                    : buffer_uniform_impl_name(impl),
               !baseline && impl == buffer_uniform_impl_selected()
                   ? " (chosen)" : "");
        print_measured(measure(fn, &hot));
        print_measured(measure(fn, &cold));
        memcpy(s->hot->recv_pages, s->hot->old_pages, (size_t)HOT_PAIRS * PS);
        m = measure(fn, &hot);
        printf(" %.1f |\n", PS * 1e3 / m.mbps.median);
    }
}

static void print_limits(const Results *res)
{
    printf("\n## Limits measured in this run (MB/s of input pages)\n\n");
    printf("| measure | hot | cold |\n|---|---:|---:|\n");
    printf("| memcmp of two identical pages (M) |");
    print_stats(res->m_hot.mbps);
    print_stats(res->m_cold.mbps);
    printf("\n| memcpy of a page |");
    print_stats(res->memcpy_hot.mbps);
    print_stats(res->memcpy_cold.mbps);
    printf("\n");
}

static void print_size(const CaseResult *r)
{
    if (r->fitting == 0) {
        printf(" -1 (sent raw) |");
    } else if (r->fitting < HOT_PAIRS) {
        printf(" %.0f (%d/%d fit) |", r->size, r->fitting, HOT_PAIRS);
    } else {
        printf(" %.0f |", r->size);
    }
}

static void print_encode(const Results *res, XbzrleImpl impl)
{
    printf("\n## Encode, %s%s (MB/s of input pages; ×M: fraction of memcmp "
           "of identical pages, timed in alternation)\n\n",
           xbzrle_impl_name(impl),
           impl == xbzrle_impl_selected() ? ", the variant chosen on this CPU"
                                          : "");
    printf("| case | runs | encoded bytes | hot | ×M | cold | ×M cold |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (int c = 0; c < NCASES; c++) {
        const CaseResult *r = &res->cases[c];

        printf("| %s | %.1f |", cases[c].name, r->runs);
        print_size(r);
        print_measured(r->encode_hot[impl]);
        print_measured(r->encode_cold[impl]);
        printf("\n");
    }
}

static void print_decode(const Results *res)
{
    printf("\n## Decode (MB/s of pages patched; the cases sent as XBZRLE)\n\n");
    printf("| case | runs | hot | cold |\n|---|---:|---:|---:|\n");
    for (int c = 0; c < NCASES; c++) {
        const CaseResult *r = &res->cases[c];

        if (r->decode_hot.mbps.median > 0) {
            printf("| %s | %.1f |", cases[c].name, r->runs);
            print_stats(r->decode_hot.mbps);
            print_stats(r->decode_cold.mbps);
            printf("\n");
        }
    }
}

static void print_compressors(const Results *res)
{
    printf("\n## General-purpose compressors on the XOR delta, hot (bytes "
           "per page; MB/s of pages, the XOR included)\n\n| case | xbzrle |");
    for (int k = 0; k < NCOMPRESSORS; k++) {
        printf(" %s | compress | decompress |", compressors[k].name);
    }
    printf("\n|---|---:|");
    for (int k = 0; k < NCOMPRESSORS; k++) {
        printf("---:|---:|---:|");
    }
    printf("\n");
    for (int c = 0; c < NCASES; c++) {
        const CaseResult *r = &res->cases[c];

        printf("| %s |", cases[c].name);
        print_size(r);
        for (int k = 0; k < NCOMPRESSORS; k++) {
            printf(" %.0f | %.0f | %.0f |", r->comp_size[k],
                   r->comp[k].mbps.median, r->decomp[k].mbps.median);
        }
        printf("\n");
    }
}

/* Sparse: at most 16 runs, sent as XBZRLE in at most a quarter page. */
static bool case_is_sparse(const CaseResult *r)
{
    return r->runs <= SPARSE_RUNS && r->fitting == HOT_PAIRS &&
           r->size <= PS / 4;
}

static void print_target(const char *what, double measured, double target)
{
    printf("| %s | %.3f | %.2f | %s |\n", what, measured, target,
           measured >= target ? "met" : "**missed**");
}

static void print_targets(const Results *res)
{
    XbzrleImpl impl = xbzrle_impl_selected();
    char what[160];

    printf("\n## Targets (variant chosen on this CPU: %s)\n\n",
           xbzrle_impl_name(impl));
    printf("| target | measured | wanted | |\n|---|---:|---:|---|\n");
    for (int c = 0; c < NCASES; c++) {
        if (cases[c].target > 0) {
            snprintf(what, sizeof(what), "encode %s, hot, ×M", cases[c].name);
            print_target(what, res->cases[c].encode_hot[impl].vs_m.median,
                         cases[c].target);
        }
    }
    for (int c = 0; c < NCASES; c++) {
        if (case_is_sparse(&res->cases[c])) {
            snprintf(what, sizeof(what), "encode %s, cold, ×M cold",
                     cases[c].name);
            print_target(what, res->cases[c].encode_cold[impl].vs_m.median,
                         SPARSE_COLD_TARGET);
        }
    }
    for (int c = 0; c < NCASES; c++) {
        const CaseResult *r = &res->cases[c];

        if (r->runs <= SPARSE_RUNS && r->decode_hot.mbps.median > 0) {
            snprintf(what, sizeof(what), "decode %s, hot, GB/s",
                     cases[c].name);
            print_target(what, r->decode_hot.mbps.median / 1e3,
                         DECODE_TARGET_MBPS / 1e3);
        }
    }
}

static int cold_mib(void)
{
    const char *s = getenv("BENCH_COLD_MIB");
    int mib = s ? atoi(s) : DEFAULT_COLD_MIB;

    return mib < 16 ? 16 : mib;
}

int main(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    Results *res = calloc(1, sizeof(*res));
    int cold_pairs = cold_mib() * (1 << 20) / (2 * PS);
    Sets s = {
        .hot = page_set_new(HOT_PAIRS, &rng),
        .cold = page_set_new(cold_pairs, &rng),
        .scratch = bench_alloc(STREAM_MAX),
        .compressed = bench_alloc((size_t)HOT_PAIRS * STREAM_MAX),
    };

    for (int k = 0; k < NCOMPRESSORS; k++) {
        s.comp_state[k] = compressors[k].init();
    }
    bench_limits(&s, res);
    for (int c = 0; c < NCASES; c++) {
        bench_case(&s, c, &res->cases[c], &rng);
    }
    bench_print_machine();
    printf("XBZRLE codec, %d-byte pages; hot: %d page pairs; cold: %d pairs "
           "(%d MiB) in random order; median (min–max) of %d repetitions\n",
           PS, HOT_PAIRS, cold_pairs, cold_mib(), bench_reps());
    print_limits(res);
    print_encode(res, xbzrle_impl_selected());
    for (XbzrleImpl impl = XBZRLE_IMPL__MAX; impl-- > 0;) {
        if (xbzrle_impl_available(impl) && impl != xbzrle_impl_selected()) {
            print_encode(res, impl);
        }
    }
    print_decode(res);
    print_compressors(res);
    bench_uniform(&s);
    print_targets(res);
    return 0;
}
