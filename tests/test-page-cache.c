/*
 * Specification of the page cache (page_cache.h): LRU order and eviction,
 * replacement, invalidation, resizing, counters, refusals, page sizes, the
 * direct-mapped policy, and a long random run against a simple model.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "page_cache.h"
#include "qemu-error.h"

#define PS 4096

/* ---------------------------------------------------------------------- */
/* Helpers: page N lives at N * page size; its content says N and a version */

static void fill_page(uint8_t *buf, size_t page_size, uint64_t addr,
                      uint32_t version)
{
    memset(buf, (int)((addr / page_size) * 31 + version * 7 + 1), page_size);
    memcpy(buf, &addr, sizeof(addr));
    memcpy(buf + page_size - sizeof(version), &version, sizeof(version));
}

static bool page_holds(const uint8_t *copy, size_t page_size, uint64_t addr,
                       uint32_t version)
{
    g_autofree uint8_t *expect = g_malloc(page_size);

    fill_page(expect, page_size, addr, version);
    return memcmp(copy, expect, page_size) == 0;
}

static PageCache *new_cache(uint64_t pages, size_t page_size,
                            CachePolicy policy)
{
    GError *err = NULL;
    PageCache *c = cache_init(pages * page_size, page_size, policy, &err);

    ck_assert_msg(c != NULL, "cache_init: %s", err ? err->message : "?");
    return c;
}

static PageCache *new_lru(uint64_t pages)
{
    return new_cache(pages, PS, CACHE_POLICY_LRU);
}

static PageCache *new_direct(uint64_t pages)
{
    return new_cache(pages, PS, CACHE_POLICY_DIRECT_MAPPED);
}

static uint8_t *put(PageCache *c, uint64_t page, uint32_t version)
{
    size_t ps = cache_page_size(c);
    g_autofree uint8_t *buf = g_malloc(ps);

    fill_page(buf, ps, page * ps, version);
    return cache_insert(c, page * ps, buf);
}

static void put_pages(PageCache *c, uint64_t first, uint64_t last)
{
    for (uint64_t p = first; p <= last; p++) {
        put(c, p, 0);
    }
}

static uint8_t *get(PageCache *c, uint64_t page)
{
    return cache_lookup(c, page * cache_page_size(c));
}

static bool cached(PageCache *c, uint64_t page)
{
    return cache_is_cached(c, page * cache_page_size(c));
}

/* Checks that exactly `pages` (n of them, in no order) are cached. */
static void assert_cached_set(PageCache *c, const uint64_t *pages, int n)
{
    ck_assert_uint_eq(cache_nr_pages(c), n);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(cached(c, pages[i]), "page %" PRIu64 " not cached",
                      pages[i]);
    }
}

/*
 * Checks the recency order, least recent first, by inserting fresh pages
 * (from `fresh` on) into the full cache and watching which one goes each
 * time. Consumes the cache's content.
 */
static void assert_eviction_order(PageCache *c, const uint64_t *lru_first,
                                  int n, uint64_t fresh)
{
    for (int i = 0; i < n; i++) {
        put(c, fresh + i, 0);
        ck_assert_msg(!cached(c, lru_first[i]), "page %" PRIu64
                      " should have been evicted %dth", lru_first[i], i + 1);
        for (int j = i + 1; j < n; j++) {
            ck_assert_msg(cached(c, lru_first[j]), "page %" PRIu64
                          " evicted too early", lru_first[j]);
        }
    }
}

static void assert_error(GError *err, const char *message)
{
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err->message, message);
}

static void assert_same_stats(const CacheStats *a, const CacheStats *b)
{
    ck_assert_uint_eq(a->lookups, b->lookups);
    ck_assert_uint_eq(a->hits, b->hits);
    ck_assert_uint_eq(a->misses, b->misses);
    ck_assert_uint_eq(a->inserts, b->inserts);
    ck_assert_uint_eq(a->evictions, b->evictions);
}

/* ---------------------------------------------------------------------- */
/* Inserting, looking up, evicting */

START_TEST(test_lookup_returns_a_copy_of_the_inserted_page)
{
    PageCache *c = new_lru(4);
    uint8_t buf[PS];

    fill_page(buf, PS, 3 * PS, 1);
    uint8_t *copy = cache_insert(c, 3 * PS, buf);
    memset(buf, 0xee, PS);

    ck_assert_ptr_eq(get(c, 3), copy);
    ck_assert(page_holds(copy, PS, 3 * PS, 1));
    ck_assert_ptr_null(get(c, 4));
    cache_fini(c);
}
END_TEST

START_TEST(test_full_cache_evicts_least_recently_used)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 4);

    const uint64_t left[] = { 1, 2, 3, 4 };
    assert_cached_set(c, left, 4);
    ck_assert(!cached(c, 0));
    cache_fini(c);
}
END_TEST

START_TEST(test_lookup_refreshes_recency)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    ck_assert_ptr_nonnull(get(c, 0));
    put(c, 4, 0);

    const uint64_t left[] = { 0, 2, 3, 4 };
    assert_cached_set(c, left, 4);
    ck_assert(!cached(c, 1));
    cache_fini(c);
}
END_TEST

START_TEST(test_evictions_follow_recency_order)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    get(c, 2);
    get(c, 0);
    get(c, 3);
    get(c, 1);

    const uint64_t order[] = { 2, 0, 3, 1 };
    assert_eviction_order(c, order, 4, 100);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 4);
    cache_fini(c);
}
END_TEST

START_TEST(test_is_cached_changes_neither_recency_nor_counters)
{
    PageCache *c = new_lru(2);

    put_pages(c, 0, 1);
    ck_assert(cached(c, 0));
    ck_assert(!cached(c, 7));
    put(c, 2, 0);

    ck_assert(!cached(c, 0));
    ck_assert_uint_eq(cache_get_stats(c).lookups, 0);
    cache_fini(c);
}
END_TEST

START_TEST(test_insert_of_cached_address_replaces_its_copy)
{
    PageCache *c = new_lru(4);

    uint8_t *first = put(c, 5, 1);
    uint8_t *second = put(c, 5, 2);

    ck_assert_ptr_eq(first, second);
    ck_assert(page_holds(get(c, 5), PS, 5 * PS, 2));
    ck_assert_uint_eq(cache_nr_pages(c), 1);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 0);
    cache_fini(c);
}
END_TEST

START_TEST(test_replaced_page_becomes_most_recent)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    put(c, 0, 1);

    const uint64_t order[] = { 1, 2, 3, 0 };
    assert_eviction_order(c, order, 4, 100);
    cache_fini(c);
}
END_TEST

START_TEST(test_returned_copy_can_be_updated_in_place)
{
    PageCache *c = new_lru(4);

    uint8_t *copy = put(c, 2, 1);
    fill_page(copy, PS, 2 * PS, 9);
    ck_assert(page_holds(get(c, 2), PS, 2 * PS, 9));

    /* Re-inserting the copy itself, as a refresh from it, keeps it intact. */
    ck_assert_ptr_eq(cache_insert(c, 2 * PS, copy), copy);
    ck_assert(page_holds(get(c, 2), PS, 2 * PS, 9));
    cache_fini(c);
}
END_TEST

START_TEST(test_evicted_copy_is_reused_for_the_new_page)
{
    PageCache *c = new_lru(2);

    put_pages(c, 0, 1);
    put(c, 2, 3);

    ck_assert(page_holds(get(c, 1), PS, 1 * PS, 0));
    ck_assert(page_holds(get(c, 2), PS, 2 * PS, 3));
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Invalidation */

START_TEST(test_invalidate_drops_the_page)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    cache_invalidate(c, 1 * PS);

    const uint64_t left[] = { 0, 2, 3 };
    assert_cached_set(c, left, 3);
    ck_assert_ptr_null(get(c, 1));
    cache_fini(c);
}
END_TEST

START_TEST(test_invalidated_slot_is_reused_without_eviction)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    cache_invalidate(c, 2 * PS);
    put(c, 9, 0);

    const uint64_t left[] = { 0, 1, 3, 9 };
    assert_cached_set(c, left, 4);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 0);
    cache_fini(c);
}
END_TEST

START_TEST(test_invalidate_of_absent_page_changes_nothing)
{
    PageCache *c = new_lru(2);

    put_pages(c, 0, 1);
    cache_invalidate(c, 5 * PS);

    const uint64_t order[] = { 0, 1 };
    assert_eviction_order(c, order, 2, 100);
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Resizing */

START_TEST(test_resize_down_keeps_most_recent_in_order)
{
    PageCache *c = new_lru(8);

    put_pages(c, 0, 7);
    get(c, 3);
    get(c, 6);
    get(c, 1);          /* most recent first: 1 6 3 7 5 4 2 0 */
    ck_assert_int_eq(cache_resize(c, 3 * PS, NULL), 0);

    ck_assert_uint_eq(cache_capacity_pages(c), 3);
    const uint64_t kept[] = { 1, 6, 3 };
    assert_cached_set(c, kept, 3);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 5);
    ck_assert(page_holds(get(c, 3), PS, 3 * PS, 0));    /* now 3 1 6 */
    const uint64_t order[] = { 6, 1, 3 };
    assert_eviction_order(c, order, 3, 100);
    cache_fini(c);
}
END_TEST

START_TEST(test_resize_up_keeps_all_and_then_holds_more)
{
    PageCache *c = new_lru(4);

    put_pages(c, 0, 3);
    get(c, 0);          /* least recent first: 1 2 3 0 */
    ck_assert_int_eq(cache_resize(c, 8 * PS, NULL), 0);

    ck_assert_uint_eq(cache_capacity_pages(c), 8);
    for (uint64_t p = 0; p <= 3; p++) {
        ck_assert(page_holds(get(c, p), PS, p * PS, 0));
    }
    put_pages(c, 4, 7);
    ck_assert_uint_eq(cache_nr_pages(c), 8);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 0);
    const uint64_t order[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    assert_eviction_order(c, order, 8, 100);
    cache_fini(c);
}
END_TEST

START_TEST(test_resize_to_same_capacity_keeps_everything)
{
    PageCache *c = new_lru(3);

    put_pages(c, 0, 2);
    ck_assert_int_eq(cache_resize(c, 3 * PS + 100, NULL), 0);

    const uint64_t order[] = { 0, 1, 2 };
    assert_eviction_order(c, order, 3, 100);
    cache_fini(c);
}
END_TEST

/* Current address-space size, to set a limit just above it. */
static uint64_t address_space_bytes(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%lu", &pages), 1);
    fclose(f);
    return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Resizes under an address-space limit that leaves no room for the slab. */
static int resize_without_memory(PageCache *c, uint64_t size, GError **errp)
{
    struct rlimit old, tight;

    ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
    tight = old;
    tight.rlim_cur = address_space_bytes() + (32 << 20);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &tight), 0);
    int ret = cache_resize(c, size, errp);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
    return ret;
}

START_TEST(test_resize_failing_to_allocate_leaves_cache_as_it_was)
{
    PageCache *c = new_lru(4);
    GError *err = NULL;

    put_pages(c, 0, 3);
    get(c, 1);          /* least recent first: 0 2 3 1 */
    CacheStats before = cache_get_stats(c);

    ck_assert_int_eq(resize_without_memory(c, 1ULL << 30, &err), -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->message, "cannot allocate") != NULL,
                  "unexpected message: %s", err->message);
    g_error_free(err);

    ck_assert_uint_eq(cache_capacity_pages(c), 4);
    CacheStats after = cache_get_stats(c);
    assert_same_stats(&after, &before);
    /* Looking pages up least recent first leaves their order as it was. */
    const uint64_t order[] = { 0, 2, 3, 1 };
    for (int i = 0; i < 4; i++) {
        ck_assert(page_holds(get(c, order[i]), PS, order[i] * PS, 0));
    }
    assert_eviction_order(c, order, 4, 100);
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Counters and accessors */

START_TEST(test_counters_follow_a_scripted_sequence)
{
    PageCache *c = new_lru(2);

    get(c, 0);                  /* miss */
    put(c, 0, 0);
    put(c, 1, 0);
    get(c, 0);                  /* hit; 1 is now least recent */
    put(c, 2, 0);               /* evicts 1 */
    get(c, 1);                  /* miss */
    put(c, 0, 1);               /* replaces 0 */
    cache_invalidate(c, 2 * PS);
    get(c, 2);                  /* miss */
    put(c, 3, 0);               /* takes the free slot */
    put(c, 4, 0);               /* evicts 0 */

    CacheStats s = cache_get_stats(c);
    ck_assert_uint_eq(s.lookups, 4);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_uint_eq(s.misses, 3);
    ck_assert_uint_eq(s.inserts, 6);
    ck_assert_uint_eq(s.evictions, 2);
    ck_assert_uint_eq(cache_nr_pages(c), 2);
    cache_fini(c);
}
END_TEST

START_TEST(test_size_is_rounded_down_to_whole_pages)
{
    GError *err = NULL;
    PageCache *c = cache_init(3 * PS + 100, PS, CACHE_POLICY_LRU, &err);

    ck_assert_ptr_null(err);
    ck_assert_uint_eq(cache_capacity_pages(c), 3);
    ck_assert_uint_eq(cache_size_bytes(c), 3 * PS);
    ck_assert_uint_eq(cache_nr_pages(c), 0);
    ck_assert_int_eq(cache_resize(c, 5 * PS + PS - 1, NULL), 0);
    ck_assert_uint_eq(cache_capacity_pages(c), 5);
    cache_fini(c);
}
END_TEST

START_TEST(test_default_size_holds_16384_pages_of_4k)
{
    PageCache *c = cache_init(CACHE_DEFAULT_SIZE, PS, CACHE_POLICY_LRU, NULL);

    ck_assert_uint_eq(cache_capacity_pages(c), 16384);
    ck_assert_uint_eq(cache_size_bytes(c), 64 << 20);
    cache_fini(c);
}
END_TEST

START_TEST(test_single_page_cache_works)
{
    PageCache *c = new_lru(1);

    put(c, 0, 0);
    put(c, 1, 0);

    ck_assert(!cached(c, 0));
    ck_assert(page_holds(get(c, 1), PS, PS, 0));
    ck_assert_uint_eq(cache_get_stats(c).evictions, 1);
    cache_fini(c);
}
END_TEST

/* Capacities chosen around powers of two, where the bucket count jumps. */
static const uint64_t metadata_capacities[] = {
    1, 2, 3, 1000, 1024, 1025, 16383, 16384, 16385,
};

START_TEST(test_metadata_is_at_most_32_bytes_per_page)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(metadata_capacities); i++) {
        uint64_t pages = metadata_capacities[i];
        PageCache *c = new_cache(pages, PS, _i);
        size_t meta = cache_metadata_bytes(c);

        ck_assert_msg(meta <= 32 * pages + 256, "%zu bytes of metadata for "
                      "%" PRIu64 " pages", meta, pages);
        ck_assert_msg(meta >= 24 * pages, "metadata under-reported");
        cache_fini(c);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Refusals */

START_TEST(test_init_refuses_zero_size)
{
    GError *err = NULL;

    ck_assert_ptr_null(cache_init(0, PS, CACHE_POLICY_LRU, &err));
    assert_error(err, "cache size 0 bytes is smaller than one page "
                 "(4096 bytes)");
    g_error_free(err);
}
END_TEST

START_TEST(test_init_refuses_size_below_one_page)
{
    GError *err = NULL;

    ck_assert_ptr_null(cache_init(100, PS, CACHE_POLICY_DIRECT_MAPPED, &err));
    assert_error(err, "cache size 100 bytes is smaller than one page "
                 "(4096 bytes)");
    g_error_free(err);

    err = NULL;
    ck_assert_ptr_null(cache_init(65535, 65536, CACHE_POLICY_LRU, &err));
    assert_error(err, "cache size 65535 bytes is smaller than one page "
                 "(65536 bytes)");
    g_error_free(err);
}
END_TEST

START_TEST(test_init_refuses_page_size_outside_4k_to_64k_powers_of_two)
{
    static const size_t bad[] = { 0, 2048, 3 * 4096, 5000, 128 * 1024 };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        g_autofree char *msg = g_strdup_printf(
            "cache page size %zu is not a power of two from 4096 to 65536 "
            "bytes", bad[i]);
        ck_assert_ptr_null(cache_init(1 << 20, bad[i], CACHE_POLICY_LRU,
                                      &err));
        assert_error(err, msg);
        g_error_free(err);
    }
}
END_TEST

START_TEST(test_init_refuses_more_pages_than_slot_indices_allow)
{
    GError *err = NULL;
    uint64_t too_big = (CACHE_MAX_PAGES + 1) * PS;

    ck_assert_ptr_null(cache_init(too_big, PS, CACHE_POLICY_LRU, &err));
    assert_error(err, "cache size 8796093026304 bytes is more than the "
                 "maximum of 2147483648 pages of 4096 bytes");
    g_error_free(err);
}
END_TEST

START_TEST(test_init_refuses_unknown_policy)
{
    GError *err = NULL;

    ck_assert_ptr_null(cache_init(1 << 20, PS, (CachePolicy)7, &err));
    assert_error(err, "unknown page cache policy 7");
    g_error_free(err);
}
END_TEST

START_TEST(test_resize_refuses_zero_and_too_small_sizes_keeping_the_cache)
{
    PageCache *c = new_lru(2);
    GError *err = NULL;

    put_pages(c, 0, 1);
    ck_assert_int_eq(cache_resize(c, 0, &err), -1);
    assert_error(err, "cache size 0 bytes is smaller than one page "
                 "(4096 bytes)");
    g_clear_error(&err);
    ck_assert_int_eq(cache_resize(c, PS - 1, &err), -1);
    assert_error(err, "cache size 4095 bytes is smaller than one page "
                 "(4096 bytes)");
    g_clear_error(&err);

    ck_assert_uint_eq(cache_capacity_pages(c), 2);
    ck_assert(page_holds(get(c, 0), PS, 0, 0));
    ck_assert(page_holds(get(c, 1), PS, PS, 0));
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Page sizes: loop index i runs over 4 KiB << i, up to 64 KiB */

START_TEST(test_every_page_size_copies_whole_pages_and_evicts_lru)
{
    size_t ps = (size_t)4096 << _i;
    PageCache *c = new_cache(3, ps, CACHE_POLICY_LRU);

    ck_assert_uint_eq(cache_size_bytes(c), 3 * ps);
    put_pages(c, 0, 2);
    get(c, 0);
    put(c, 3, 1);

    ck_assert(!cached(c, 1));
    ck_assert(page_holds(get(c, 0), ps, 0, 0));
    ck_assert(page_holds(get(c, 2), ps, 2 * ps, 0));
    ck_assert(page_holds(get(c, 3), ps, 3 * ps, 1));
    cache_fini(c);
}
END_TEST

START_TEST(test_every_page_size_works_direct_mapped)
{
    size_t ps = (size_t)4096 << _i;
    PageCache *c = new_cache(4, ps, CACHE_POLICY_DIRECT_MAPPED);

    put_pages(c, 0, 3);         /* one slot each, at any page size */
    const uint64_t all[] = { 0, 1, 2, 3 };
    assert_cached_set(c, all, 4);
    put(c, 5, 1);               /* slot 1 */

    const uint64_t left[] = { 0, 2, 3, 5 };
    assert_cached_set(c, left, 4);
    ck_assert(page_holds(get(c, 0), ps, 0, 0));
    ck_assert(page_holds(get(c, 5), ps, 5 * ps, 1));
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Direct-mapped policy */

START_TEST(test_direct_mapped_collision_replaces_occupant)
{
    PageCache *c = new_direct(4);

    put(c, 1, 0);
    put(c, 5, 0);       /* 5 mod 4 = 1 */

    ck_assert(!cached(c, 1));
    ck_assert(page_holds(get(c, 5), PS, 5 * PS, 0));
    ck_assert_uint_eq(cache_nr_pages(c), 1);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 1);
    cache_fini(c);
}
END_TEST

START_TEST(test_direct_mapped_distinct_slots_coexist)
{
    PageCache *c = new_direct(4);

    put_pages(c, 0, 3);
    put(c, 6, 0);       /* evicts 2, not the least recent 0 */

    const uint64_t left[] = { 0, 1, 3, 6 };
    assert_cached_set(c, left, 4);
    for (uint64_t p = 0; p <= 1; p++) {
        ck_assert(page_holds(get(c, p), PS, p * PS, 0));
    }
    cache_fini(c);
}
END_TEST

START_TEST(test_direct_mapped_invalidate_frees_the_slot)
{
    PageCache *c = new_direct(4);

    put(c, 2, 0);
    cache_invalidate(c, 2 * PS);
    put(c, 6, 0);

    ck_assert_uint_eq(cache_nr_pages(c), 1);
    ck_assert_uint_eq(cache_get_stats(c).evictions, 0);
    cache_fini(c);
}
END_TEST

START_TEST(test_direct_mapped_resize_keeps_more_recent_of_colliding_pages)
{
    PageCache *c = new_direct(4);

    put_pages(c, 0, 3);
    get(c, 1);          /* most recent first: 1 3 2 0 */
    ck_assert_int_eq(cache_resize(c, 2 * PS, NULL), 0);

    /* Slot 0 is wanted by 0 and 2, slot 1 by 1 and 3. */
    const uint64_t kept[] = { 2, 1 };
    assert_cached_set(c, kept, 2);
    ck_assert(page_holds(get(c, 2), PS, 2 * PS, 0));
    ck_assert(page_holds(get(c, 1), PS, 1 * PS, 0));
    ck_assert_uint_eq(cache_get_stats(c).evictions, 2);
    cache_fini(c);
}
END_TEST

START_TEST(test_direct_mapped_resize_up_moves_pages_to_their_new_slots)
{
    PageCache *c = new_direct(2);

    put(c, 4, 0);       /* slot 0 of 2, slot 4 of 5 */
    put(c, 7, 0);       /* slot 1 of 2, slot 2 of 5 */
    ck_assert_int_eq(cache_resize(c, 5 * PS, NULL), 0);
    put(c, 9, 0);       /* slot 4: evicts 4 */
    put(c, 0, 0);       /* slot 0: free */

    const uint64_t left[] = { 7, 9, 0 };
    assert_cached_set(c, left, 3);
    ck_assert(page_holds(get(c, 7), PS, 7 * PS, 0));
    ck_assert_uint_eq(cache_get_stats(c).evictions, 1);
    cache_fini(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/*
 * Random operations against a reference model: an unordered array of pages,
 * each with the time it was last used; O(n) per operation but obviously
 * right. Both policies share it: LRU evicts the oldest page, direct-mapped
 * the page in the same slot; resizing keeps pages newest first while they
 * fit (LRU: room left; direct-mapped: their slot still free).
 */

#define MODEL_MAX 128

typedef struct ModelPage {
    uint64_t page;
    uint32_t version;
    uint64_t used;
} ModelPage;

typedef struct Model {
    CachePolicy policy;
    uint64_t capacity;
    ModelPage pages[MODEL_MAX];
    int n;
    uint64_t clock;
    CacheStats stats;
} Model;

static int model_find(const Model *m, uint64_t page)
{
    for (int i = 0; i < m->n; i++) {
        if (m->pages[i].page == page) {
            return i;
        }
    }
    return -1;
}

static void model_remove(Model *m, int i)
{
    m->pages[i] = m->pages[--m->n];
}

/* The page an insert of `page` evicts, or -1. */
static int model_victim(const Model *m, uint64_t page)
{
    int victim = -1;

    for (int i = 0; i < m->n; i++) {
        if (m->policy == CACHE_POLICY_DIRECT_MAPPED) {
            if (m->pages[i].page % m->capacity == page % m->capacity) {
                return i;
            }
        } else if (m->n == (int)m->capacity &&
                   (victim < 0 || m->pages[i].used < m->pages[victim].used)) {
            victim = i;
        }
    }
    return victim;
}

/* Returns the index of the page, or -1 on a miss. */
static int model_lookup(Model *m, uint64_t page)
{
    int i = model_find(m, page);

    m->stats.lookups++;
    if (i < 0) {
        m->stats.misses++;
        return -1;
    }
    m->stats.hits++;
    m->pages[i].used = ++m->clock;
    return i;
}

static void model_insert(Model *m, uint64_t page, uint32_t version)
{
    int i = model_find(m, page);

    m->stats.inserts++;
    if (i < 0) {
        int victim = model_victim(m, page);
        if (victim >= 0) {
            model_remove(m, victim);
            m->stats.evictions++;
        }
        i = m->n++;
        m->pages[i].page = page;
    }
    m->pages[i].version = version;
    m->pages[i].used = ++m->clock;
}

static void model_invalidate(Model *m, uint64_t page)
{
    int i = model_find(m, page);

    if (i >= 0) {
        model_remove(m, i);
    }
}

static int newest_first(const void *a, const void *b)
{
    const ModelPage *x = a, *y = b;
    return (x->used < y->used) - (x->used > y->used);
}

static void model_resize(Model *m, uint64_t capacity)
{
    ModelPage old[MODEL_MAX];
    int old_n = m->n;

    memcpy(old, m->pages, sizeof(old[0]) * old_n);
    qsort(old, old_n, sizeof(old[0]), newest_first);
    m->capacity = capacity;
    m->n = 0;
    for (int i = 0; i < old_n; i++) {
        bool room = m->policy == CACHE_POLICY_DIRECT_MAPPED ?
                    model_victim(m, old[i].page) < 0 :
                    m->n < (int)capacity;
        if (room) {
            m->pages[m->n++] = old[i];
        }
    }
    m->stats.evictions += old_n - m->n;
}

static int oldest_first(const void *a, const void *b)
{
    return newest_first(b, a);
}

/*
 * Every model page must be cached with its content; equal counts then mean
 * equal sets. Looking pages up oldest first keeps both recency orders alike.
 */
static void assert_matches_model(PageCache *c, Model *m)
{
    ModelPage pages[MODEL_MAX];
    int n = m->n;

    ck_assert_uint_eq(cache_nr_pages(c), n);
    ck_assert_uint_eq(cache_capacity_pages(c), m->capacity);
    memcpy(pages, m->pages, sizeof(pages[0]) * n);
    qsort(pages, n, sizeof(pages[0]), oldest_first);
    for (int i = 0; i < n; i++) {
        uint8_t *copy = get(c, pages[i].page);
        ck_assert_int_ge(model_lookup(m, pages[i].page), 0);
        ck_assert_msg(copy && page_holds(copy, PS, pages[i].page * PS,
                                         pages[i].version),
                      "page %" PRIu64 " lost or corrupt", pages[i].page);
    }
    CacheStats s = cache_get_stats(c);
    assert_same_stats(&s, &m->stats);
}

/* A lookup; on a hit, sometimes a new version written into the copy. */
static void random_lookup(PageCache *c, Model *m, GRand *rng, uint64_t page,
                          uint32_t *version)
{
    uint8_t *copy = get(c, page);
    int i = model_lookup(m, page);

    ck_assert_msg((copy != NULL) == (i >= 0), "lookup of page %" PRIu64
                  ": cache %s, model %s", page, copy ? "hit" : "missed",
                  i >= 0 ? "hit" : "missed");
    if (!copy) {
        return;
    }
    ck_assert(page_holds(copy, PS, page * PS, m->pages[i].version));
    if (g_rand_int_range(rng, 0, 4) == 0) {
        fill_page(copy, PS, page * PS, ++*version);
        m->pages[i].version = *version;
    }
}

static void random_step(PageCache *c, Model *m, GRand *rng,
                        uint32_t *version)
{
    int op = g_rand_int_range(rng, 0, 1000);
    uint64_t page = (uint64_t)g_rand_int_range(rng, 0, 3 * MODEL_MAX / 2);

    if (op < 450) {
        random_lookup(c, m, rng, page, version);
    } else if (op < 900) {
        put(c, page, ++*version);
        model_insert(m, page, *version);
    } else if (op < 995) {
        cache_invalidate(c, page * PS);
        model_invalidate(m, page);
    } else {
        uint64_t capacity = (uint64_t)g_rand_int_range(rng, 1, MODEL_MAX + 1);
        ck_assert_int_eq(cache_resize(c, capacity * PS, NULL), 0);
        model_resize(m, capacity);
    }
}

static void run_against_model(CachePolicy policy, uint32_t seed)
{
    GRand *rng = g_rand_new_with_seed(seed);
    Model m = { .policy = policy, .capacity = 64 };
    PageCache *c = new_cache(m.capacity, PS, policy);
    uint32_t version = 0;

    for (int step = 1; step <= 100000; step++) {
        random_step(c, &m, rng, &version);
        if (step % 1000 == 0) {
            assert_matches_model(c, &m);
        }
    }
    assert_matches_model(c, &m);
    ck_assert_uint_gt(m.stats.evictions, 1000);    /* the run did evict */
    ck_assert_uint_gt(m.stats.hits, 10000);
    cache_fini(c);
    g_rand_free(rng);
}

START_TEST(test_lru_matches_reference_model_over_random_operations)
{
    run_against_model(CACHE_POLICY_LRU, 0x5eed0001);
}
END_TEST

START_TEST(test_direct_mapped_matches_reference_model_over_random_operations)
{
    run_against_model(CACHE_POLICY_DIRECT_MAPPED, 0x5eed0002);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *page_cache_suite(void)
{
    Suite *s = suite_create("page-cache");
    TCase *tc = tcase_create("lru");

    tcase_add_test(tc, test_lookup_returns_a_copy_of_the_inserted_page);
    tcase_add_test(tc, test_full_cache_evicts_least_recently_used);
    tcase_add_test(tc, test_lookup_refreshes_recency);
    tcase_add_test(tc, test_evictions_follow_recency_order);
    tcase_add_test(tc, test_is_cached_changes_neither_recency_nor_counters);
    tcase_add_test(tc, test_insert_of_cached_address_replaces_its_copy);
    tcase_add_test(tc, test_replaced_page_becomes_most_recent);
    tcase_add_test(tc, test_returned_copy_can_be_updated_in_place);
    tcase_add_test(tc, test_evicted_copy_is_reused_for_the_new_page);
    tcase_add_test(tc, test_invalidate_drops_the_page);
    tcase_add_test(tc, test_invalidated_slot_is_reused_without_eviction);
    tcase_add_test(tc, test_invalidate_of_absent_page_changes_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("resize");
    tcase_add_test(tc, test_resize_down_keeps_most_recent_in_order);
    tcase_add_test(tc, test_resize_up_keeps_all_and_then_holds_more);
    tcase_add_test(tc, test_resize_to_same_capacity_keeps_everything);
    tcase_add_test(tc, test_resize_failing_to_allocate_leaves_cache_as_it_was);
    suite_add_tcase(s, tc);

    tc = tcase_create("counters-and-sizes");
    tcase_add_test(tc, test_counters_follow_a_scripted_sequence);
    tcase_add_test(tc, test_size_is_rounded_down_to_whole_pages);
    tcase_add_test(tc, test_default_size_holds_16384_pages_of_4k);
    tcase_add_test(tc, test_single_page_cache_works);
    tcase_add_loop_test(tc, test_metadata_is_at_most_32_bytes_per_page,
                        CACHE_POLICY_LRU, CACHE_POLICY_DIRECT_MAPPED + 1);
    tcase_add_loop_test(tc,
                        test_every_page_size_copies_whole_pages_and_evicts_lru,
                        0, 5);
    tcase_add_loop_test(tc, test_every_page_size_works_direct_mapped, 0, 5);
    suite_add_tcase(s, tc);

    tc = tcase_create("refusals");
    tcase_add_test(tc, test_init_refuses_zero_size);
    tcase_add_test(tc, test_init_refuses_size_below_one_page);
    tcase_add_test(tc,
                   test_init_refuses_page_size_outside_4k_to_64k_powers_of_two);
    tcase_add_test(tc, test_init_refuses_more_pages_than_slot_indices_allow);
    tcase_add_test(tc, test_init_refuses_unknown_policy);
    tcase_add_test(tc,
                   test_resize_refuses_zero_and_too_small_sizes_keeping_the_cache);
    suite_add_tcase(s, tc);

    tc = tcase_create("direct-mapped");
    tcase_add_test(tc, test_direct_mapped_collision_replaces_occupant);
    tcase_add_test(tc, test_direct_mapped_distinct_slots_coexist);
    tcase_add_test(tc, test_direct_mapped_invalidate_frees_the_slot);
    tcase_add_test(tc,
                   test_direct_mapped_resize_keeps_more_recent_of_colliding_pages);
    tcase_add_test(tc,
                   test_direct_mapped_resize_up_moves_pages_to_their_new_slots);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lru_matches_reference_model_over_random_operations);
    tcase_add_test(tc,
                   test_direct_mapped_matches_reference_model_over_random_operations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(page_cache_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
