/*
 * The sender's page cache for XBZRLE migration: a fixed-capacity map from a
 * guest page address to a copy of the content last sent for that page, so a
 * re-dirtied page can be delta-encoded against what the receiver already has.
 *
 * Not thread-safe by design: the migration thread owns its cache and is the
 * only one to call these functions; callers needing sharing must lock.
 */
#ifndef PAGE_CACHE_H
#define PAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* The size migration uses until migrate_set_cachesize says otherwise. */
#define CACHE_DEFAULT_SIZE (64ULL << 20)

/* Slots are indexed by 32-bit numbers; this is 8 TiB of 4 KiB pages. */
#define CACHE_MAX_PAGES (1ULL << 31)

typedef enum CachePolicy {
    /* Evict the least recently used page; every address can use any slot. */
    CACHE_POLICY_LRU,
    /*
     * Slot = page number modulo the number of slots, as QEMU's own cache
     * does: cheaper, but two pages mapping to one slot evict each other.
     */
    CACHE_POLICY_DIRECT_MAPPED,
} CachePolicy;

typedef struct CacheStats {
    uint64_t lookups;   /* cache_lookup() calls */
    uint64_t hits;      /* lookups that found the page */
    uint64_t misses;    /* lookups that did not */
    uint64_t inserts;   /* cache_insert() calls, new pages and replacements */
    /* pages pushed out to make room: by an insert, or by a shrinking resize */
    uint64_t evictions;
} CacheStats;

typedef struct PageCache PageCache;

/*
 * Creates an empty cache holding size_bytes / page_size pages (rounded
 * down). page_size is a power of two from 4 KiB to 64 KiB. A size below
 * one page, or one needing more than CACHE_MAX_PAGES pages, is refused.
 * Page copies live in one slab allocated here; nothing is allocated later
 * except by cache_resize(). Returns NULL with *errp set on failure.
 */
PageCache *cache_init(uint64_t size_bytes, size_t page_size,
                      CachePolicy policy, GError **errp);

/* Frees the cache and every copy in it; NULL is accepted. */
void cache_fini(PageCache *cache);

/*
 * Addresses passed below are byte offsets of pages in guest RAM and must be
 * multiples of the page size.
 */

/*
 * The cached copy of the page at addr, or NULL. A hit makes the page the
 * most recently used. Counts a lookup and a hit or a miss.
 */
uint8_t *cache_lookup(PageCache *cache, uint64_t addr);

/* Whether addr is cached; changes neither recency nor counters. */
bool cache_is_cached(const PageCache *cache, uint64_t addr);

/*
 * Copies page_size bytes from data as the copy of addr, replacing an
 * existing copy, and makes it the most recently used page. When the page is
 * new and the cache (or, direct-mapped, its slot) is full, a page is
 * evicted. Returns the cached copy, which the caller may update in place
 * until the page is evicted, invalidated or the cache resized.
 */
uint8_t *cache_insert(PageCache *cache, uint64_t addr, const uint8_t *data);

/* Drops the copy of addr, if any. */
void cache_invalidate(PageCache *cache, uint64_t addr);

/*
 * Changes the capacity to new_size_bytes / page_size pages under the same
 * rules as cache_init(). Shrinking keeps the most recently used pages in
 * their order; growing keeps all. Direct-mapped, each page moves to its new
 * slot and, when two share one, the more recent stays. This allocates a new
 * slab and copies the surviving pages; on failure it returns -1 with *errp
 * set and the cache is left exactly as it was. Returns 0 on success; any
 * pointer returned earlier by cache_lookup/cache_insert is then stale.
 */
int cache_resize(PageCache *cache, uint64_t new_size_bytes, GError **errp);

CacheStats cache_get_stats(const PageCache *cache);

size_t cache_page_size(const PageCache *cache);
uint64_t cache_capacity_pages(const PageCache *cache);
/* Pages currently cached. */
uint64_t cache_nr_pages(const PageCache *cache);
/* The usable size: cache_capacity_pages() * cache_page_size(). */
uint64_t cache_size_bytes(const PageCache *cache);

/*
 * Bytes of bookkeeping besides the page slab: at most 32 per page of
 * capacity (a 24-byte entry and, for LRU, up to two 4-byte hash buckets),
 * plus the fixed PageCache header. With 4 KiB pages that is under 0.8%.
 */
size_t cache_metadata_bytes(const PageCache *cache);

#endif
