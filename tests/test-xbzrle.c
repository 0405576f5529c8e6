/*
 * Specification of the XBZRLE codec (xbzrle.h): the wire format's test
 * vectors, page sizes, the encoder's budget, every encoder variant against
 * a byte-at-a-time model, and the decoder's refusal of malformed input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbzrle.h"

#define PS 4096

/* ---------------------------------------------------------------------- */
/* Helpers */

/*
 * Check records every passing ck_assert with a write() to its parent, too
 * slow for the inner loops below: they only call it on failure.
 */
#define require(cond, ...) \
    do { \
        if (!(cond)) { \
            ck_abort_msg(__VA_ARGS__); \
        } \
    } while (0)

/* xorshift64*: a fixed seed per test keeps failures reproducible. */
typedef struct Rng {
    uint64_t state;
} Rng;

static uint64_t rng_next(Rng *rng)
{
    rng->state ^= rng->state >> 12;
    rng->state ^= rng->state << 25;
    rng->state ^= rng->state >> 27;
    return rng->state * 0x2545F4914F6CDD1DULL;
}

static int rng_below(Rng *rng, int n)
{
    return (int)(rng_next(rng) % (uint64_t)n);
}

/* A byte that differs from b. */
static uint8_t changed_byte(Rng *rng, uint8_t b)
{
    return b ^ (uint8_t)(1 + rng_below(rng, 255));
}

static void fill_random(Rng *rng, uint8_t *buf, int len)
{
    for (int i = 0; i < len; i++) {
        buf[i] = (uint8_t)rng_next(rng);
    }
}

/*
 * Buffers with GUARD bytes of a known value on both sides, to catch any
 * write outside [p, p + len).
 */
#define GUARD 64
#define GUARD_BYTE 0xa5

static uint8_t *guarded_alloc(size_t len)
{
    uint8_t *base = malloc(len + 2 * GUARD);

    require(base != NULL, "out of memory");
    memset(base, GUARD_BYTE, len + 2 * GUARD);
    return base + GUARD;
}

static void guarded_check(const uint8_t *p, size_t len)
{
    for (size_t i = 1; i <= GUARD; i++) {
        require(p[-(ptrdiff_t)i] == GUARD_BYTE,
                "byte %zu before the buffer was written", i);
        require(p[len + i - 1] == GUARD_BYTE,
                "byte %zu past the buffer was written", i - 1);
    }
}

static void guarded_free(uint8_t *p)
{
    free(p - GUARD);
}

/*
 * The model encoder: the wire format spelled out byte by byte, with no
 * budget. Returns the encoded length; out must hold 2 * len + 16 bytes.
 */
static int model_put_leb(uint8_t *out, uint32_t value)
{
    int n = 0;

    do {
        out[n++] = (uint8_t)((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
        value >>= 7;
    } while (value);
    return n;
}

static int model_encode(const uint8_t *old_buf, const uint8_t *new_buf,
                        int len, uint8_t *out)
{
    int n = 0, pos = 0, unchanged_from = 0;

    for (;;) {
        int start, end;

        while (pos < len && old_buf[pos] == new_buf[pos]) {
            pos++;
        }
        if (pos == len) {
            return n;
        }
        start = pos;
        while (pos < len && old_buf[pos] != new_buf[pos]) {
            pos++;
        }
        end = pos;
        n += model_put_leb(out + n, start - unchanged_from);
        n += model_put_leb(out + n, end - start);
        memcpy(out + n, new_buf + start, end - start);
        n += end - start;
        unchanged_from = end;
    }
}

/*
 * Encodes with every available variant into a guarded dst of `budget`
 * bytes and checks each against the model: the same bytes when the model's
 * encoding fits, -1 when it does not; never a write past the budget.
 */
static void check_encoders(const uint8_t *old_buf, const uint8_t *new_buf,
                           int len, int budget, const uint8_t *expect, int n)
{
    uint8_t *dst = guarded_alloc(budget);

    for (XbzrleImpl impl = 0; impl < XBZRLE_IMPL__MAX; impl++) {
        int ret;

        if (!xbzrle_impl_available(impl)) {
            continue;
        }
        memset(dst, GUARD_BYTE, budget);
        ret = xbzrle_encode_page_impl(impl, old_buf, new_buf, len, dst, budget);
        if (n <= budget) {
            require(ret == n, "%s: encoded %d bytes, model %d (len %d)",
                    xbzrle_impl_name(impl), ret, n, len);
            require(n == 0 || memcmp(dst, expect, n) == 0,
                    "%s: output differs from the model (len %d)",
                    xbzrle_impl_name(impl), len);
        } else {
            require(ret == -1, "%s: %d for an encoding of %d bytes with a "
                    "budget of %d", xbzrle_impl_name(impl), ret, n, budget);
        }
        guarded_check(dst, budget);
    }
    guarded_free(dst);
}

/* decode(expect) applied to old_buf must give new_buf, inside the page. */
static void check_decode(const uint8_t *old_buf, const uint8_t *new_buf,
                         int len, const uint8_t *expect, int n)
{
    uint8_t *page = guarded_alloc(len);

    memcpy(page, old_buf, len);
    require(xbzrle_decode_page(expect, n, page, len) == n,
            "decoding failed (len %d)", len);
    require(memcmp(page, new_buf, len) == 0,
            "decoding did not restore the new page (len %d)", len);
    guarded_check(page, len);
    guarded_free(page);
}

/* The full check of one page pair, with a page-sized budget. */
static void check_pair(const uint8_t *old_buf, const uint8_t *new_buf, int len)
{
    uint8_t *expect = malloc(2 * len + 16);
    int n = model_encode(old_buf, new_buf, len, expect);

    check_encoders(old_buf, new_buf, len, len, expect, n);
    check_decode(old_buf, new_buf, len, expect, n);
    free(expect);
}

/* Encodes with the selected variant, which must succeed; returns the length. */
static int encode_ok(const uint8_t *old_buf, const uint8_t *new_buf, int len,
                     uint8_t *dst, int dst_len)
{
    int n = xbzrle_encode_page(old_buf, new_buf, len, dst, dst_len);

    ck_assert_int_ge(n, 0);
    return n;
}

/* A pair of pages, the new one a copy of the old. */
typedef struct PagePair {
    int len;
    uint8_t *old_buf;
    uint8_t *new_buf;
} PagePair;

static PagePair pair_new(int len)
{
    PagePair p = { len, calloc(1, len), calloc(1, len) };

    ck_assert_ptr_nonnull(p.old_buf);
    ck_assert_ptr_nonnull(p.new_buf);
    return p;
}

static void pair_free(PagePair *p)
{
    free(p->old_buf);
    free(p->new_buf);
}

/* ---------------------------------------------------------------------- */
/* The wire format */

START_TEST(test_vector_four_bytes_at_offset_1000)
{
    static const uint8_t expect[] = { 0xe8, 0x07, 0x04, 1, 2, 3, 4 };
    PagePair p = pair_new(PS);
    uint8_t dst[PS];

    memcpy(p.new_buf + 1000, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, PS, dst, PS),
                     sizeof(expect));
    ck_assert_mem_eq(dst, expect, sizeof(expect));
    check_pair(p.old_buf, p.new_buf, PS);
    pair_free(&p);
}
END_TEST

START_TEST(test_vector_last_byte_changed)
{
    static const uint8_t expect[] = { 0xff, 0x1f, 0x01, 0x5a };
    PagePair p = pair_new(PS);
    uint8_t dst[PS];

    p.new_buf[PS - 1] = 0x5a;
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, PS, dst, PS),
                     sizeof(expect));
    ck_assert_mem_eq(dst, expect, sizeof(expect));
    check_pair(p.old_buf, p.new_buf, PS);
    pair_free(&p);
}
END_TEST

START_TEST(test_identical_page_encodes_to_nothing)
{
    Rng rng = { 1 };
    PagePair p = pair_new(PS);

    fill_random(&rng, p.old_buf, PS);
    memcpy(p.new_buf, p.old_buf, PS);
    /* even with no room at all: nothing needs writing */
    check_encoders(p.old_buf, p.new_buf, PS, 0, NULL, 0);
    check_encoders(p.old_buf, p.new_buf, PS, PS, NULL, 0);
    check_decode(p.old_buf, p.new_buf, PS, NULL, 0);
    pair_free(&p);
}
END_TEST

START_TEST(test_change_at_offset_zero_starts_with_zero_zrun)
{
    static const uint8_t expect[] = { 0x00, 0x03, 7, 8, 9 };
    PagePair p = pair_new(PS);
    uint8_t dst[PS];

    memcpy(p.new_buf, "\x07\x08\x09", 3);
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, PS, dst, PS),
                     sizeof(expect));
    ck_assert_mem_eq(dst, expect, sizeof(expect));
    check_pair(p.old_buf, p.new_buf, PS);
    pair_free(&p);
}
END_TEST

START_TEST(test_two_runs_are_two_groups)
{
    /* 10 unchanged, 2 changed, 1 unchanged, 1 changed: no merging */
    static const uint8_t expect[] = { 10, 2, 0xaa, 0xbb, 1, 1, 0xcc };
    PagePair p = pair_new(PS);
    uint8_t dst[PS];

    memcpy(p.new_buf + 10, "\xaa\xbb", 2);
    p.new_buf[13] = 0xcc;
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, PS, dst, PS),
                     sizeof(expect));
    ck_assert_mem_eq(dst, expect, sizeof(expect));
    check_pair(p.old_buf, p.new_buf, PS);
    pair_free(&p);
}
END_TEST

START_TEST(test_64k_page_lengths_take_three_bytes)
{
    static const uint8_t last_byte[] = { 0xff, 0xff, 0x03, 0x01, 0x5a };
    static const uint8_t whole_page[] = { 0x00, 0x80, 0x80, 0x04 };
    PagePair p = pair_new(XBZRLE_PAGE_MAX);
    uint8_t *dst = malloc(2 * XBZRLE_PAGE_MAX);

    p.new_buf[XBZRLE_PAGE_MAX - 1] = 0x5a;
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX, dst,
                               XBZRLE_PAGE_MAX), sizeof(last_byte));
    ck_assert_mem_eq(dst, last_byte, sizeof(last_byte));
    check_pair(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX);

    /* every byte changed: one nzrun of 65536 */
    memset(p.new_buf, 0x11, XBZRLE_PAGE_MAX);
    ck_assert_int_eq(encode_ok(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX, dst,
                               2 * XBZRLE_PAGE_MAX),
                     sizeof(whole_page) + XBZRLE_PAGE_MAX);
    ck_assert_mem_eq(dst, whole_page, sizeof(whole_page));
    check_pair(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX);
    free(dst);
    pair_free(&p);
}
END_TEST

START_TEST(test_valid_page_sizes_round_trip)
{
    static const int sizes[] = { 4096, 4104, 4168, 12296, 65528, 65536 };
    Rng rng = { 2 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int len = sizes[i];
        PagePair p = pair_new(len);

        ck_assert(xbzrle_page_len_valid(len));
        fill_random(&rng, p.old_buf, len);
        memcpy(p.new_buf, p.old_buf, len);
        p.new_buf[0] ^= 1;
        p.new_buf[len / 2] ^= 2;
        p.new_buf[len - 9] ^= 3;        /* in the tail past 64-byte blocks */
        p.new_buf[len - 1] ^= 4;
        check_pair(p.old_buf, p.new_buf, len);
        pair_free(&p);
    }
}
END_TEST

START_TEST(test_invalid_page_sizes_are_refused)
{
    static const int sizes[] = {
        0, 8, 4088, 4092, 4095, 4097, 4100, 65537, 65544, 131072, -4096,
    };
    uint8_t *old_buf = calloc(1, 2 * XBZRLE_PAGE_MAX);
    uint8_t *page = calloc(1, 2 * XBZRLE_PAGE_MAX);
    uint8_t dst[64];
    static const uint8_t stream[] = { 0x00, 0x01, 0xaa };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int len = sizes[i];

        ck_assert_msg(!xbzrle_page_len_valid(len), "%d accepted", len);
        ck_assert_int_eq(xbzrle_encode_page(old_buf, page, len, dst,
                                            sizeof(dst)), -1);
        for (XbzrleImpl impl = 0; impl < XBZRLE_IMPL__MAX; impl++) {
            ck_assert_int_eq(xbzrle_encode_page_impl(impl, old_buf, page, len,
                                                     dst, sizeof(dst)), -1);
        }
        ck_assert_int_eq(xbzrle_decode_page(stream, sizeof(stream), page,
                                            len), -1);
        ck_assert_int_eq(page[0], 0);
    }
    free(old_buf);
    free(page);
}
END_TEST

START_TEST(test_negative_budget_is_refused)
{
    PagePair p = pair_new(PS);
    uint8_t dst[8];

    ck_assert_int_eq(xbzrle_encode_page(p.old_buf, p.new_buf, PS, dst, -1),
                     -1);
    pair_free(&p);
}
END_TEST

START_TEST(test_selected_impl_is_available)
{
    XbzrleImpl selected = xbzrle_impl_selected();

    ck_assert(xbzrle_impl_available(selected));
    ck_assert(xbzrle_impl_available(XBZRLE_IMPL_REF));
    ck_assert(!xbzrle_impl_available(XBZRLE_IMPL__MAX));
    for (XbzrleImpl impl = selected + 1; impl < XBZRLE_IMPL__MAX; impl++) {
        ck_assert_msg(!xbzrle_impl_available(impl),
                      "%s is available but %s was chosen",
                      xbzrle_impl_name(impl), xbzrle_impl_name(selected));
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Random page pairs: every variant against the model, and round trips */

typedef enum ChangePattern {
    CHANGE_SPARSE_BYTES,    /* a few bytes anywhere */
    CHANGE_WORDS,           /* 8-byte words, aligned or not */
    CHANGE_RUNS,            /* runs of up to 300 bytes, maybe touching */
    CHANGE_DENSE,           /* each byte with a probability of 1/8 to 7/8 */
    CHANGE_RANDOM_PAGE,     /* a new page of random bytes */
    CHANGE_EDGES,           /* at the page's ends and at block boundaries */
} ChangePattern;

/* Mostly 4 KiB, sometimes another multiple of 8, rarely 64 KiB. */
static int random_page_len(Rng *rng)
{
    int r = rng_below(rng, 100);

    if (r < 85) {
        return PS;
    }
    if (r < 99) {
        return PS + 8 * rng_below(rng, (16384 - PS) / 8 + 1);
    }
    return XBZRLE_PAGE_MAX;
}

/* Old pages are random, zero, or of low entropy like real memory. */
static void random_old_page(Rng *rng, uint8_t *buf, int len)
{
    switch (rng_below(rng, 3)) {
    case 0:
        fill_random(rng, buf, len);
        break;
    case 1:
        memset(buf, 0, len);
        break;
    default:
        for (int i = 0; i < len; i++) {
            buf[i] = (uint8_t)(rng_below(rng, 4) == 0 ? rng_next(rng) : 0);
        }
        break;
    }
}

static void change_run(Rng *rng, uint8_t *buf, int len, int at, int run)
{
    for (int i = at; i < at + run && i < len; i++) {
        buf[i] = changed_byte(rng, buf[i]);
    }
}

static void change_edges(Rng *rng, uint8_t *buf, int len)
{
    const int spots[] = { 0, 1, 7, 8, 63, 64, 127, 255, 256, 257, 4095 };

    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        if (rng_below(rng, 2) && spots[i] < len) {
            change_run(rng, buf, len, spots[i], 1 + rng_below(rng, 3));
        }
    }
    if (rng_below(rng, 2)) {
        int run = 1 + rng_below(rng, 130);
        change_run(rng, buf, len, len - run, run);
    }
}

static void apply_changes(Rng *rng, ChangePattern pattern, uint8_t *buf,
                          int len)
{
    int count = 1 + rng_below(rng, 64);

    switch (pattern) {
    case CHANGE_SPARSE_BYTES:
        for (int i = 0; i < count; i++) {
            change_run(rng, buf, len, rng_below(rng, len), 1);
        }
        break;
    case CHANGE_WORDS:
        for (int i = 0; i < count / 2 + 1; i++) {
            int at = rng_below(rng, len / 8) * 8 + rng_below(rng, 2) * 3;
            change_run(rng, buf, len, at, 8);
        }
        break;
    case CHANGE_RUNS:
        for (int i = 0; i < count / 4 + 1; i++) {
            change_run(rng, buf, len, rng_below(rng, len),
                       1 + rng_below(rng, 300));
        }
        break;
    case CHANGE_DENSE: {
        int eighths = 1 + rng_below(rng, 7);
        for (int i = 0; i < len; i++) {
            if (rng_below(rng, 8) < eighths) {
                buf[i] = changed_byte(rng, buf[i]);
            }
        }
        break;
    }
    case CHANGE_RANDOM_PAGE:
        fill_random(rng, buf, len);
        break;
    case CHANGE_EDGES:
        change_edges(rng, buf, len);
        break;
    }
}

static void check_random_pairs(ChangePattern pattern, uint64_t seed, int pairs)
{
    Rng rng = { seed };
    uint8_t *old_buf = malloc(XBZRLE_PAGE_MAX);
    uint8_t *new_buf = malloc(XBZRLE_PAGE_MAX);

    for (int i = 0; i < pairs; i++) {
        int len = random_page_len(&rng);

        random_old_page(&rng, old_buf, len);
        memcpy(new_buf, old_buf, len);
        apply_changes(&rng, pattern, new_buf, len);
        check_pair(old_buf, new_buf, len);
    }
    free(old_buf);
    free(new_buf);
}

/* 6 patterns x 17,000 pairs: more than 100,000 pairs in all. */
#define PAIRS_PER_PATTERN 17000

START_TEST(test_random_sparse_bytes_match_model)
{
    check_random_pairs(CHANGE_SPARSE_BYTES, 11, PAIRS_PER_PATTERN);
}
END_TEST

START_TEST(test_random_words_match_model)
{
    check_random_pairs(CHANGE_WORDS, 12, PAIRS_PER_PATTERN);
}
END_TEST

START_TEST(test_random_runs_match_model)
{
    check_random_pairs(CHANGE_RUNS, 13, PAIRS_PER_PATTERN);
}
END_TEST

START_TEST(test_random_dense_changes_match_model)
{
    check_random_pairs(CHANGE_DENSE, 14, PAIRS_PER_PATTERN);
}
END_TEST

START_TEST(test_random_new_pages_match_model)
{
    check_random_pairs(CHANGE_RANDOM_PAGE, 15, PAIRS_PER_PATTERN);
}
END_TEST

START_TEST(test_changes_at_page_edges_match_model)
{
    check_random_pairs(CHANGE_EDGES, 16, PAIRS_PER_PATTERN);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The budget */

/* An encoding of n bytes fits in n bytes, not in n - 1, for every variant. */
static void check_budget_boundary(const uint8_t *old_buf,
                                  const uint8_t *new_buf, int len)
{
    uint8_t *expect = malloc(2 * len + 16);
    int n = model_encode(old_buf, new_buf, len, expect);

    ck_assert_int_gt(n, 0);
    check_encoders(old_buf, new_buf, len, n, expect, n);
    check_encoders(old_buf, new_buf, len, n - 1, expect, n);
    free(expect);
}

START_TEST(test_encoding_fits_exactly_in_its_length)
{
    Rng rng = { 21 };
    uint8_t *old_buf = malloc(XBZRLE_PAGE_MAX);
    uint8_t *new_buf = malloc(XBZRLE_PAGE_MAX);

    for (int i = 0; i < 3000; i++) {
        int len = random_page_len(&rng);

        random_old_page(&rng, old_buf, len);
        memcpy(new_buf, old_buf, len);
        apply_changes(&rng, i % (CHANGE_EDGES + 1), new_buf, len);
        if (memcmp(old_buf, new_buf, len) != 0) {
            check_budget_boundary(old_buf, new_buf, len);
        }
    }
    free(old_buf);
    free(new_buf);
}
END_TEST

START_TEST(test_any_budget_is_respected)
{
    Rng rng = { 22 };
    uint8_t *old_buf = malloc(XBZRLE_PAGE_MAX);
    uint8_t *new_buf = malloc(XBZRLE_PAGE_MAX);
    uint8_t *expect = malloc(2 * XBZRLE_PAGE_MAX + 16);

    for (int i = 0; i < 5000; i++) {
        int len = random_page_len(&rng), n, budget;

        random_old_page(&rng, old_buf, len);
        memcpy(new_buf, old_buf, len);
        apply_changes(&rng, i % (CHANGE_EDGES + 1), new_buf, len);
        n = model_encode(old_buf, new_buf, len, expect);
        budget = rng_below(&rng, 2) ? rng_below(&rng, n + 100)
                                    : n + rng_below(&rng, 80) - 40;
        budget = budget < 0 ? 0 : budget;
        check_encoders(old_buf, new_buf, len, budget, expect, n);
    }
    free(old_buf);
    free(new_buf);
    free(expect);
}
END_TEST

START_TEST(test_every_budget_around_long_lengths_is_respected)
{
    /* lengths of 2 and 3 LEB128 bytes, runs of every size modulo 32 */
    static const int zruns[] = { 0, 100, 200, 20000, 40000 };
    static const int nzruns[] = { 1, 31, 33, 129, 161, 16385, 16415 };
    PagePair p = pair_new(XBZRLE_PAGE_MAX);
    uint8_t *expect = malloc(2 * XBZRLE_PAGE_MAX + 16);

    for (size_t z = 0; z < sizeof(zruns) / sizeof(zruns[0]); z++) {
        for (size_t r = 0; r < sizeof(nzruns) / sizeof(nzruns[0]); r++) {
            int n;

            memset(p.new_buf, 0, XBZRLE_PAGE_MAX);
            memset(p.new_buf + zruns[z], 0x77, nzruns[r]);
            p.new_buf[XBZRLE_PAGE_MAX - 1] = 0x78;      /* a second group */
            n = model_encode(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX, expect);
            for (int budget = 0; budget <= n + 80; budget++) {
                if (budget == 16 && n > 200) {
                    budget = n - 80;    /* small budgets, then around n */
                }
                check_encoders(p.old_buf, p.new_buf, XBZRLE_PAGE_MAX, budget,
                               expect, n);
            }
        }
    }
    free(expect);
    pair_free(&p);
}
END_TEST

START_TEST(test_every_budget_for_a_change_in_the_tail_is_respected)
{
    /* the only change past the last 64-byte block: the encoder starts there */
    static const int sizes[] = { 4104, 4152, 8200 };
    uint8_t *expect = malloc(2 * 8200 + 16);

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int len = sizes[s], n;
        PagePair p = pair_new(len);

        memset(p.new_buf + len - 5, 0x42, 4);
        n = model_encode(p.old_buf, p.new_buf, len, expect);
        for (int budget = 0; budget <= n + 40; budget++) {
            check_encoders(p.old_buf, p.new_buf, len, budget, expect, n);
        }
        pair_free(&p);
    }
    free(expect);
}
END_TEST

START_TEST(test_random_page_is_given_up)
{
    Rng rng = { 23 };
    PagePair p = pair_new(PS);
    uint8_t *expect = malloc(2 * PS + 16);

    int n;

    fill_random(&rng, p.old_buf, PS);
    fill_random(&rng, p.new_buf, PS);
    n = model_encode(p.old_buf, p.new_buf, PS, expect);
    ck_assert_int_gt(n, PS);
    check_encoders(p.old_buf, p.new_buf, PS, PS, expect, n);
    free(expect);
    pair_free(&p);
}
END_TEST

START_TEST(test_change_needing_more_than_budget_is_given_up)
{
    /* the smallest group is 3 bytes: 2 bytes of budget are not enough */
    PagePair p = pair_new(PS);
    static const uint8_t expect[] = { 0x00, 0x01, 0x01 };

    p.new_buf[0] = 1;
    check_encoders(p.old_buf, p.new_buf, PS, 2, expect, sizeof(expect));
    check_encoders(p.old_buf, p.new_buf, PS, 0, expect, sizeof(expect));
    check_encoders(p.old_buf, p.new_buf, PS, 3, expect, sizeof(expect));
    pair_free(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The decoder's input */

/* Decodes src onto a zero page; returns the result, checks the guards. */
static int decode_onto_zero_page(const uint8_t *src, int src_len, int len)
{
    uint8_t *page = guarded_alloc(len);
    int ret;

    memset(page, 0, len);
    ret = xbzrle_decode_page(src, src_len, page, len);
    guarded_check(page, len);
    guarded_free(page);
    return ret;
}

#define DECODE(bytes) \
    decode_onto_zero_page((const uint8_t *)(bytes), sizeof(bytes) - 1, PS)

START_TEST(test_decode_empty_stream_leaves_page_unchanged)
{
    PagePair p = pair_new(PS);

    memset(p.old_buf, 0x33, PS);
    memcpy(p.new_buf, p.old_buf, PS);
    ck_assert_int_eq(xbzrle_decode_page(NULL, 0, p.new_buf, PS), 0);
    ck_assert_mem_eq(p.new_buf, p.old_buf, PS);
    pair_free(&p);
}
END_TEST

START_TEST(test_decode_returns_bytes_consumed)
{
    ck_assert_int_eq(DECODE("\xe8\x07\x04\x01\x02\x03\x04"), 7);
    ck_assert_int_eq(DECODE("\x00\x01\xaa\x01\x02\xbb\xcc"), 7);
}
END_TEST

START_TEST(test_decode_accepts_padded_length_within_three_bytes)
{
    /* 0x81 0x00 is 1 written in two bytes: accepted, as QEMU does */
    ck_assert_int_eq(DECODE("\x81\x00\x01\xaa"), 4);
    ck_assert_int_eq(DECODE("\x80\x80\x00\x01\xaa"), 5);
}
END_TEST

START_TEST(test_decode_rejects_truncated_zrun)
{
    ck_assert_int_eq(DECODE("\xe8"), -1);
    ck_assert_int_eq(DECODE("\x00\x01\xaa\xe8"), -1);
}
END_TEST

START_TEST(test_decode_rejects_missing_nzrun)
{
    ck_assert_int_eq(DECODE("\x05"), -1);
}
END_TEST

START_TEST(test_decode_rejects_truncated_nzrun)
{
    ck_assert_int_eq(DECODE("\x05\x81"), -1);
}
END_TEST

START_TEST(test_decode_rejects_overlong_zrun)
{
    ck_assert_int_eq(DECODE("\x80\x80\x80\x00\x01\xaa"), -1);
    ck_assert_int_eq(DECODE("\xff\xff\xff\x7f\x01\xaa"), -1);
}
END_TEST

START_TEST(test_decode_rejects_overlong_nzrun)
{
    ck_assert_int_eq(DECODE("\x05\x81\x80\x80\x00\xaa"), -1);
}
END_TEST

START_TEST(test_decode_rejects_length_beyond_any_page)
{
    /* 3 bytes, 2^21 - 1: well formed but larger than 64 KiB */
    ck_assert_int_eq(DECODE("\xff\xff\x7f\x01\xaa"), -1);
    ck_assert_int_eq(DECODE("\x00\xff\xff\x7f\xaa"), -1);
}
END_TEST

START_TEST(test_decode_rejects_zero_length_nzrun)
{
    ck_assert_int_eq(DECODE("\x00\x00"), -1);
    ck_assert_int_eq(DECODE("\x05\x00"), -1);
    ck_assert_int_eq(DECODE("\x00\x01\xaa\x05\x00"), -1);
}
END_TEST

START_TEST(test_decode_rejects_zero_zrun_after_first_group)
{
    ck_assert_int_eq(DECODE("\x00\x01\xaa\x00\x01\xbb"), -1);
    ck_assert_int_eq(DECODE("\x05\x01\xaa\x00\x01\xbb"), -1);
}
END_TEST

START_TEST(test_decode_rejects_zrun_past_page_end)
{
    ck_assert_int_eq(DECODE("\x81\x20\x01\xaa"), -1);       /* 4097 */
    ck_assert_int_eq(DECODE("\x05\x01\xaa\xfb\x1f\x01\xbb"), -1);
}
END_TEST

START_TEST(test_decode_rejects_group_starting_at_page_end)
{
    ck_assert_int_eq(DECODE("\x80\x20\x01\xaa"), -1);       /* zrun 4096 */
}
END_TEST

START_TEST(test_decode_rejects_nzrun_past_page_end)
{
    ck_assert_int_eq(DECODE("\xff\x1f\x02\xaa\xbb"), -1);
    ck_assert_int_eq(DECODE("\x00\x81\x20"), -1);           /* 4097 bytes */
}
END_TEST

START_TEST(test_decode_rejects_missing_nzrun_bytes)
{
    ck_assert_int_eq(DECODE("\x00\x04\xaa\xbb"), -1);
    ck_assert_int_eq(DECODE("\x00\x01"), -1);
}
END_TEST

START_TEST(test_decode_rejects_bytes_left_over)
{
    ck_assert_int_eq(DECODE("\xff\x1f\x01\x5a"), 4);
    ck_assert_int_eq(DECODE("\xff\x1f\x01\x5a\x01"), -1);
    ck_assert_int_eq(DECODE("\xff\x1f\x01\x5a\x00"), -1);
}
END_TEST

START_TEST(test_decode_never_writes_outside_page)
{
    Rng rng = { 31 };
    uint8_t stream[64];

    /* valid streams touching the first and the last byte */
    ck_assert_int_eq(DECODE("\x00\x02\xaa\xbb\xfc\x1f\x02\xcc\xdd"), 9);
    ck_assert_int_eq(DECODE("\xfe\x1f\x02\xcc\xdd"), 5);
    /* and garbage, mostly small lengths so that some of it applies */
    for (int i = 0; i < 200000; i++) {
        int len = 1 + rng_below(&rng, sizeof(stream));

        for (int j = 0; j < len; j++) {
            uint8_t b = (uint8_t)rng_next(&rng);
            stream[j] = rng_below(&rng, 2) ? b : (b & 0x8f);
        }
        decode_onto_zero_page(stream, len, PS);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *xbzrle_suite(void)
{
    Suite *s = suite_create("xbzrle");
    TCase *format = tcase_create("format");
    TCase *models = tcase_create("model");
    TCase *budget = tcase_create("budget");
    TCase *decode = tcase_create("decode");

    tcase_add_test(format, test_vector_four_bytes_at_offset_1000);
    tcase_add_test(format, test_vector_last_byte_changed);
    tcase_add_test(format, test_identical_page_encodes_to_nothing);
    tcase_add_test(format, test_change_at_offset_zero_starts_with_zero_zrun);
    tcase_add_test(format, test_two_runs_are_two_groups);
    tcase_add_test(format, test_64k_page_lengths_take_three_bytes);
    tcase_add_test(format, test_valid_page_sizes_round_trip);
    tcase_add_test(format, test_invalid_page_sizes_are_refused);
    tcase_add_test(format, test_negative_budget_is_refused);
    tcase_add_test(format, test_selected_impl_is_available);
    suite_add_tcase(s, format);

    tcase_add_test(models, test_random_sparse_bytes_match_model);
    tcase_add_test(models, test_random_words_match_model);
    tcase_add_test(models, test_random_runs_match_model);
    tcase_add_test(models, test_random_dense_changes_match_model);
    tcase_add_test(models, test_random_new_pages_match_model);
    tcase_add_test(models, test_changes_at_page_edges_match_model);
    tcase_set_timeout(models, 120);
    suite_add_tcase(s, models);

    tcase_add_test(budget, test_encoding_fits_exactly_in_its_length);
    tcase_add_test(budget, test_any_budget_is_respected);
    tcase_add_test(budget, test_every_budget_around_long_lengths_is_respected);
    tcase_add_test(budget, test_every_budget_for_a_change_in_the_tail_is_respected);
    tcase_add_test(budget, test_random_page_is_given_up);
    tcase_add_test(budget, test_change_needing_more_than_budget_is_given_up);
    tcase_set_timeout(budget, 120);
    suite_add_tcase(s, budget);

    tcase_add_test(decode, test_decode_empty_stream_leaves_page_unchanged);
    tcase_add_test(decode, test_decode_returns_bytes_consumed);
    tcase_add_test(decode, test_decode_accepts_padded_length_within_three_bytes);
    tcase_add_test(decode, test_decode_rejects_truncated_zrun);
    tcase_add_test(decode, test_decode_rejects_missing_nzrun);
    tcase_add_test(decode, test_decode_rejects_truncated_nzrun);
    tcase_add_test(decode, test_decode_rejects_overlong_zrun);
    tcase_add_test(decode, test_decode_rejects_overlong_nzrun);
    tcase_add_test(decode, test_decode_rejects_length_beyond_any_page);
    tcase_add_test(decode, test_decode_rejects_zero_length_nzrun);
    tcase_add_test(decode, test_decode_rejects_zero_zrun_after_first_group);
    tcase_add_test(decode, test_decode_rejects_zrun_past_page_end);
    tcase_add_test(decode, test_decode_rejects_group_starting_at_page_end);
    tcase_add_test(decode, test_decode_rejects_nzrun_past_page_end);
    tcase_add_test(decode, test_decode_rejects_missing_nzrun_bytes);
    tcase_add_test(decode, test_decode_rejects_bytes_left_over);
    tcase_add_test(decode, test_decode_never_writes_outside_page);
    tcase_set_timeout(decode, 60);
    suite_add_tcase(s, decode);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(xbzrle_suite());
    int failed;

    printf("xbzrle encoders tested:");
    for (XbzrleImpl impl = 0; impl < XBZRLE_IMPL__MAX; impl++) {
        if (xbzrle_impl_available(impl)) {
            printf(" %s%s", xbzrle_impl_name(impl),
                   impl == xbzrle_impl_selected() ? " (selected)" : "");
        }
    }
    printf("\n");
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
