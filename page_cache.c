/*
 * The XBZRLE sender's page cache (see page_cache.h): page copies in one
 * preallocated slab, slots found through a hash table chained by 32-bit slot
 * indices and ordered by an intrusive doubly-linked recency list, so every
 * operation is O(1) and an insert never allocates.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "cutils.h"
#include "page_cache.h"
#include "qemu-error.h"

#define MIN_PAGE_SIZE 4096
#define MAX_PAGE_SIZE 65536

/* "No slot": ends lists and chains; real indices stay below CACHE_MAX_PAGES. */
#define NIL UINT32_MAX
/* The address of a free slot; never a real one, which is page-aligned. */
#define NO_ADDR UINT64_MAX

/*
 * One per slot; slot i's copy is at slab + i * page_size. 32-bit indices
 * rather than pointers keep it at 24 bytes with padding, the per-page
 * overhead the header promises.
 */
typedef struct CacheEntry {
    uint64_t addr;
    uint32_t newer;     /* towards the most recently used end, NIL there */
    uint32_t older;     /* towards the least recently used end, NIL there */
    uint32_t chain;     /* LRU: next slot in the hash bucket or free stack */
} CacheEntry;

G_STATIC_ASSERT(sizeof(CacheEntry) == 24);

struct PageCache {
    CachePolicy policy;
    size_t page_size;
    unsigned page_shift;
    uint32_t capacity;      /* slots */
    uint32_t nr_pages;      /* slots in use */
    uint8_t *slab;          /* capacity * page_size bytes, from mmap */
    CacheEntry *entries;    /* capacity entries */
    /*
     * LRU only: heads of the hash chains, a power of two >= capacity of
     * them (load factor 0.5 to 1), and the stack of unused slots.
     */
    uint32_t *buckets;
    unsigned bucket_bits;
    uint32_t free_slots;
    uint32_t mru;           /* most recently used slot, NIL when empty */
    uint32_t lru;           /* least recently used slot, NIL when empty */
    CacheStats stats;
};

/* ---------------------------------------------------------------------- */
/* Geometry and storage */

static bool page_size_valid(size_t page_size)
{
    return page_size >= MIN_PAGE_SIZE && page_size <= MAX_PAGE_SIZE &&
           (page_size & (page_size - 1)) == 0;
}

static int check_geometry(uint64_t size_bytes, size_t page_size,
                          GError **errp)
{
    if (!page_size_valid(page_size)) {
        error_setg(errp, "cache page size %zu is not a power of two from "
                   "%d to %d bytes", page_size, MIN_PAGE_SIZE, MAX_PAGE_SIZE);
        return -1;
    }
    if (size_bytes < page_size) {
        error_setg(errp, "cache size %" PRIu64 " bytes is smaller than one "
                   "page (%zu bytes)", size_bytes, page_size);
        return -1;
    }
    if (size_bytes / page_size > CACHE_MAX_PAGES) {
        error_setg(errp, "cache size %" PRIu64 " bytes is more than the "
                   "maximum of %llu pages of %zu bytes", size_bytes,
                   CACHE_MAX_PAGES, page_size);
        return -1;
    }
    return 0;
}

static unsigned bucket_bits_for(uint32_t capacity)
{
    unsigned bits = 1;  /* at least 2 buckets keeps the hash shift below 64 */

    while ((1ULL << bits) < capacity) {
        bits++;
    }
    return bits;
}

static size_t slab_bytes(const PageCache *c)
{
    return (size_t)c->capacity * c->page_size;
}

/* mmap rather than malloc: page-aligned copies, returned to the OS on fini. */
static int alloc_slab(PageCache *c, GError **errp)
{
    void *slab = mmap(NULL, slab_bytes(c), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (slab == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot allocate %zu bytes for the "
                         "page cache", slab_bytes(c));
        return -1;
    }
    c->slab = slab;
    return 0;
}

static int alloc_index(PageCache *c, GError **errp)
{
    c->entries = g_try_new(CacheEntry, c->capacity);
    if (c->entries && c->policy == CACHE_POLICY_LRU) {
        c->bucket_bits = bucket_bits_for(c->capacity);
        c->buckets = g_try_new(uint32_t, (size_t)1 << c->bucket_bits);
    }
    if (!c->entries || (c->policy == CACHE_POLICY_LRU && !c->buckets)) {
        error_setg(errp, "cannot allocate the page cache index for %" PRIu32
                   " pages", c->capacity);
        return -1;
    }
    return 0;
}

/* Every slot free, every bucket empty, the free stack in slot order. */
static void reset_slots(PageCache *c)
{
    for (uint32_t i = 0; i < c->capacity; i++) {
        c->entries[i] = (CacheEntry) {
            .addr = NO_ADDR,
            .newer = NIL,
            .older = NIL,
            .chain = i + 1 < c->capacity ? i + 1 : NIL,
        };
    }
    if (c->buckets) {
        memset(c->buckets, 0xff, sizeof(uint32_t) << c->bucket_bits);
    }
    c->free_slots = c->policy == CACHE_POLICY_LRU ? 0 : NIL;
    c->mru = NIL;
    c->lru = NIL;
    c->nr_pages = 0;
}

/* An empty cache of `capacity` pages; the geometry is already checked. */
static PageCache *cache_alloc(uint32_t capacity, size_t page_size,
                              CachePolicy policy, GError **errp)
{
    PageCache *c = g_new0(PageCache, 1);

    c->policy = policy;
    c->page_size = page_size;
    c->page_shift = (unsigned)__builtin_ctzll(page_size);
    c->capacity = capacity;
    if (alloc_slab(c, errp) < 0 || alloc_index(c, errp) < 0) {
        cache_fini(c);
        return NULL;
    }
    reset_slots(c);
    return c;
}

PageCache *cache_init(uint64_t size_bytes, size_t page_size,
                      CachePolicy policy, GError **errp)
{
    if (policy != CACHE_POLICY_LRU && policy != CACHE_POLICY_DIRECT_MAPPED) {
        error_setg(errp, "unknown page cache policy %d", (int)policy);
        return NULL;
    }
    if (check_geometry(size_bytes, page_size, errp) < 0) {
        return NULL;
    }
    return cache_alloc((uint32_t)(size_bytes / page_size), page_size, policy,
                       errp);
}

void cache_fini(PageCache *c)
{
    if (!c) {
        return;
    }
    if (c->slab) {
        munmap(c->slab, slab_bytes(c));
    }
    g_free(c->entries);
    g_free(c->buckets);
    g_free(c);
}

/* ---------------------------------------------------------------------- */
/* Finding a page */

static void check_addr(const PageCache *c, uint64_t addr)
{
    /* Also keeps NO_ADDR, which is unaligned, from matching a free slot. */
    g_assert((addr & (c->page_size - 1)) == 0);
}

static uint8_t *slot_data(const PageCache *c, uint32_t slot)
{
    return c->slab + (size_t)slot * c->page_size;
}

static uint32_t direct_slot(const PageCache *c, uint64_t addr)
{
    return (uint32_t)((addr >> c->page_shift) % c->capacity);
}

/* Fibonacci hashing: consecutive page numbers land in far-apart buckets. */
static uint32_t *bucket_of(const PageCache *c, uint64_t addr)
{
    uint64_t page = addr >> c->page_shift;
    return &c->buckets[(page * 0x9e3779b97f4a7c15ULL) >> (64 - c->bucket_bits)];
}

/* The slot holding addr, or NIL. */
static uint32_t find_slot(const PageCache *c, uint64_t addr)
{
    if (c->policy == CACHE_POLICY_DIRECT_MAPPED) {
        uint32_t slot = direct_slot(c, addr);
        return c->entries[slot].addr == addr ? slot : NIL;
    }
    for (uint32_t i = *bucket_of(c, addr); i != NIL; i = c->entries[i].chain) {
        if (c->entries[i].addr == addr) {
            return i;
        }
    }
    return NIL;
}

/* ---------------------------------------------------------------------- */
/* The recency list and the hash chains */

static void list_unlink(PageCache *c, uint32_t i)
{
    CacheEntry *e = &c->entries[i];

    if (e->newer != NIL) {
        c->entries[e->newer].older = e->older;
    } else {
        c->mru = e->older;
    }
    if (e->older != NIL) {
        c->entries[e->older].newer = e->newer;
    } else {
        c->lru = e->newer;
    }
}

static void list_push_mru(PageCache *c, uint32_t i)
{
    c->entries[i].newer = NIL;
    c->entries[i].older = c->mru;
    if (c->mru != NIL) {
        c->entries[c->mru].newer = i;
    } else {
        c->lru = i;
    }
    c->mru = i;
}

static void list_push_lru(PageCache *c, uint32_t i)
{
    c->entries[i].older = NIL;
    c->entries[i].newer = c->lru;
    if (c->lru != NIL) {
        c->entries[c->lru].older = i;
    } else {
        c->mru = i;
    }
    c->lru = i;
}

static void touch(PageCache *c, uint32_t i)
{
    if (c->mru != i) {
        list_unlink(c, i);
        list_push_mru(c, i);
    }
}

static void hash_link(PageCache *c, uint32_t i)
{
    uint32_t *head = bucket_of(c, c->entries[i].addr);

    c->entries[i].chain = *head;
    *head = i;
}

/* Chains average under two entries, so finding the predecessor is O(1). */
static void hash_unlink(PageCache *c, uint32_t i)
{
    uint32_t *link = bucket_of(c, c->entries[i].addr);

    while (*link != i) {
        link = &c->entries[*link].chain;
    }
    *link = c->entries[i].chain;
}

/* ---------------------------------------------------------------------- */
/* Occupying and releasing slots */

/* Empties a used slot; for LRU it goes on top of the free stack. */
static void release_slot(PageCache *c, uint32_t i)
{
    list_unlink(c, i);
    if (c->policy == CACHE_POLICY_LRU) {
        hash_unlink(c, i);
        c->entries[i].chain = c->free_slots;
        c->free_slots = i;
    }
    c->entries[i].addr = NO_ADDR;
    c->nr_pages--;
}

/* Where a page not in the cache goes: maybe a slot still in use. */
static uint32_t slot_for_new_page(const PageCache *c, uint64_t addr)
{
    if (c->policy == CACHE_POLICY_DIRECT_MAPPED) {
        return direct_slot(c, addr);
    }
    return c->free_slots != NIL ? c->free_slots : c->lru;
}

/*
 * Binds a slot to addr, which is not cached, evicting its occupant if any.
 * The caller puts the slot in the recency list and fills its copy.
 */
static uint32_t occupy_slot(PageCache *c, uint64_t addr)
{
    uint32_t i = slot_for_new_page(c, addr);

    if (c->entries[i].addr != NO_ADDR) {
        release_slot(c, i);
        c->stats.evictions++;
    }
    c->entries[i].addr = addr;
    if (c->policy == CACHE_POLICY_LRU) {
        c->free_slots = c->entries[i].chain;   /* i is the stack's top */
        hash_link(c, i);
    }
    c->nr_pages++;
    return i;
}

/*
 * A copy is next read when its page is dirtied again, an iteration later,
 * when it would have left the CPU caches anyway. Streaming stores skip the
 * read-for-ownership of the destination and leave the caches to the guest
 * and the encoder. With the fence per page they match memcpy into slots
 * reused in order and beat it 1.5 times in random order (a cache larger
 * than L3, see docs/performance.md).
 */

/* ---------------------------------------------------------------------- */
/* The operations */

uint8_t *cache_lookup(PageCache *c, uint64_t addr)
{
    check_addr(c, addr);
    c->stats.lookups++;
    uint32_t i = find_slot(c, addr);
    if (i == NIL) {
        c->stats.misses++;
        return NULL;
    }
    c->stats.hits++;
    touch(c, i);
    return slot_data(c, i);
}

bool cache_is_cached(const PageCache *c, uint64_t addr)
{
    check_addr(c, addr);
    return find_slot(c, addr) != NIL;
}

uint8_t *cache_insert(PageCache *c, uint64_t addr, const uint8_t *data)
{
    check_addr(c, addr);
    c->stats.inserts++;
    uint32_t i = find_slot(c, addr);
    if (i == NIL) {
        i = occupy_slot(c, addr);
        list_push_mru(c, i);
    } else {
        touch(c, i);
    }
    uint8_t *copy = slot_data(c, i);
    if (copy != data) {     /* refreshing a copy from itself is allowed */
        memcpy_stream(copy, data, c->page_size);
        stream_fence();
    }
    return copy;
}

void cache_invalidate(PageCache *c, uint64_t addr)
{
    check_addr(c, addr);
    uint32_t i = find_slot(c, addr);
    if (i != NIL) {
        release_slot(c, i);
    }
}

static bool has_room_for(const PageCache *c, uint64_t addr)
{
    if (c->policy == CACHE_POLICY_DIRECT_MAPPED) {
        return c->entries[direct_slot(c, addr)].addr == NO_ADDR;
    }
    return c->free_slots != NIL;
}

/*
 * Copies pages from most to least recent, each appended at the least
 * recent end, so the survivors keep their order; a page with no room left
 * (LRU: the cache is full; direct-mapped: a more recent page took its slot)
 * is dropped.
 */
static void move_pages(const PageCache *from, PageCache *to)
{
    for (uint32_t i = from->mru; i != NIL; i = from->entries[i].older) {
        uint64_t addr = from->entries[i].addr;
        if (!has_room_for(to, addr)) {
            continue;
        }
        uint32_t j = occupy_slot(to, addr);
        list_push_lru(to, j);
        memcpy(slot_data(to, j), slot_data(from, i), from->page_size);
    }
}

/*
 * Builds the resized cache beside the old one and swaps them, so that an
 * allocation failure leaves the old one untouched.
 */
int cache_resize(PageCache *c, uint64_t new_size_bytes, GError **errp)
{
    if (check_geometry(new_size_bytes, c->page_size, errp) < 0) {
        return -1;
    }
    uint32_t capacity = (uint32_t)(new_size_bytes / c->page_size);
    if (capacity == c->capacity) {
        return 0;
    }
    PageCache *fresh = cache_alloc(capacity, c->page_size, c->policy, errp);
    if (!fresh) {
        return -1;
    }
    move_pages(c, fresh);
    fresh->stats = c->stats;
    fresh->stats.evictions += c->nr_pages - fresh->nr_pages;

    PageCache old = *c;
    *c = *fresh;
    *fresh = old;
    cache_fini(fresh);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Accessors */

CacheStats cache_get_stats(const PageCache *c)
{
    return c->stats;
}

size_t cache_page_size(const PageCache *c)
{
    return c->page_size;
}

uint64_t cache_capacity_pages(const PageCache *c)
{
    return c->capacity;
}

uint64_t cache_nr_pages(const PageCache *c)
{
    return c->nr_pages;
}

uint64_t cache_size_bytes(const PageCache *c)
{
    return slab_bytes(c);
}

size_t cache_metadata_bytes(const PageCache *c)
{
    size_t buckets = c->buckets ? sizeof(uint32_t) << c->bucket_bits : 0;

    return sizeof(PageCache) + sizeof(CacheEntry) * c->capacity + buckets;
}
