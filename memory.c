/*
 * Guest memory: RAM blocks and their dirty bitmaps, the guest-physical
 * mappings (handed to the accelerator), and MMIO dispatch to devices.
 * Blocks and mappings are created at start-up only; after that the tables
 * are read-only and need no lock.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "accel.h"
#include "memory.h"
#include "qemu-error.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define MAX_MAPPINGS 8
#define MAX_MMIO_REGIONS 16

struct RAMBlock {
    char idstr[256];
    uint8_t *host;
    uint64_t length;
    uint64_t offset;    /* sum of the lengths of the blocks before it */
    uint64_t npages;
    /* Pages dirty since last taken; touched by the migration thread only
     * (sync and take), so plain operations suffice. */
    unsigned long *dirty;
    /* Pages the emulator wrote (memory_mark_dirty), set and taken
     * atomically: the writers are other threads. */
    unsigned long *written;
    RAMBlock *next;
};

typedef struct MMIORegion {
    char name[32];
    uint64_t base;
    uint64_t size;
    const MemoryRegionOps *ops;
    void *opaque;
} MMIORegion;

static RAMBlock *ram_blocks;
static RAMMapping mappings[MAX_MAPPINGS];
static int nr_mappings;
static MMIORegion mmio_regions[MAX_MMIO_REGIONS];
static int nr_mmio_regions;
static uint64_t dirty_page_count;
static bool dirty_log_active;

/* --- RAM blocks ----------------------------------------------------------- */

#define HUGE_PAGE_SIZE (2ull << 20)

/* Touches every page now (-mem-prealloc): the kernel's populate, or a write
 * per page where it has none. */
static void prealloc_guest_ram(uint8_t *host, uint64_t size)
{
#ifdef MADV_POPULATE_WRITE
    if (madvise(host, size, MADV_POPULATE_WRITE) == 0) {
        return;
    }
#endif
    for (uint64_t off = 0; off < size; off += TARGET_PAGE_SIZE) {
        __atomic_store_n(&host[off], 0, __ATOMIC_RELAXED);
    }
}

/*
 * Anonymous memory, touched lazily unless preallocated. The host address is
 * aligned to 2 MiB, so that the kernel can back it with transparent huge
 * pages (asked for with MADV_HUGEPAGE; the guest-physical layout keeps RAM
 * 2 MiB-aligned too): a guest's first touch then costs one fault per 2 MiB.
 */
static uint8_t *alloc_guest_ram(uint64_t size, bool prealloc, GError **errp)
{
    uint64_t span = size + HUGE_PAGE_SIZE;
    uint8_t *map = mmap(NULL, span, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (map == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot allocate %" G_GUINT64_FORMAT
                         " bytes of guest RAM", size);
        return NULL;
    }
    uint8_t *host = (uint8_t *)(((uintptr_t)map + HUGE_PAGE_SIZE - 1) &
                                ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
    if (host > map) {
        munmap(map, (size_t)(host - map));
    }
    munmap(host + size, (size_t)(map + span - (host + size)));
    madvise(host, size, MADV_HUGEPAGE);
    /* A child (exec: migration) needs none of it: don't copy its tables. */
    madvise(host, size, MADV_DONTFORK);
    if (prealloc) {
        prealloc_guest_ram(host, size);
    }
    return host;
}

RAMBlock *qemu_ram_alloc(const char *idstr, uint64_t size, bool prealloc,
                         GError **errp)
{
    if (size == 0 || size % TARGET_PAGE_SIZE) {
        error_setg(errp, "RAM block '%s': size %" G_GUINT64_FORMAT
                   " is not a positive multiple of the page size", idstr, size);
        return NULL;
    }
    if (strlen(idstr) == 0 || strlen(idstr) > 255 || ram_block_find(idstr)) {
        error_setg(errp, "RAM block name '%s' is empty, too long or taken", idstr);
        return NULL;
    }
    uint8_t *host = alloc_guest_ram(size, prealloc, errp);
    if (!host) {
        return NULL;
    }
    RAMBlock *block = g_new0(RAMBlock, 1);
    g_strlcpy(block->idstr, idstr, sizeof(block->idstr));
    block->host = host;
    block->length = size;
    block->npages = size / TARGET_PAGE_SIZE;
    block->dirty = g_new0(unsigned long,
                          (block->npages + BITS_PER_LONG - 1) / BITS_PER_LONG);
    block->written = g_new0(unsigned long,
                            (block->npages + BITS_PER_LONG - 1) / BITS_PER_LONG);

    RAMBlock **tail = &ram_blocks;
    while (*tail) {
        block->offset += (*tail)->length;
        tail = &(*tail)->next;
    }
    *tail = block;
    return block;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int ram_block_map(RAMBlock *block, uint64_t offset, uint64_t size,
                  uint64_t gpa, GError **errp)
{
    if (nr_mappings == MAX_MAPPINGS) {
        error_setg(errp, "too many RAM mappings");
        return -1;
    }
    if (offset > block->length || size > block->length - offset ||
        (offset | size | gpa) % TARGET_PAGE_SIZE) {
        error_setg(errp, "bad mapping of RAM block '%s'", block->idstr);
        return -1;
    }
    for (int i = 0; i < nr_mappings; i++) {
        if (ranges_overlap(gpa, size, mappings[i].gpa, mappings[i].size)) {
            error_setg(errp, "RAM mapping at 0x%" G_GINT64_MODIFIER "x overlaps another",
                       gpa);
            return -1;
        }
    }
    RAMMapping m = { .block = block, .offset = offset, .size = size, .gpa = gpa };
    if (current_accel()->map_ram(&m, errp) < 0) {
        return -1;
    }
    int i = nr_mappings++;
    while (i > 0 && mappings[i - 1].gpa > gpa) {
        mappings[i] = mappings[i - 1];
        i--;
    }
    mappings[i] = m;
    return 0;
}

RAMBlock *ram_block_first(void)
{
    return ram_blocks;
}

RAMBlock *ram_block_next(RAMBlock *block)
{
    return block->next;
}

RAMBlock *ram_block_find(const char *idstr)
{
    for (RAMBlock *b = ram_blocks; b; b = b->next) {
        if (strcmp(b->idstr, idstr) == 0) {
            return b;
        }
    }
    return NULL;
}

const char *ram_block_idstr(const RAMBlock *block)
{
    return block->idstr;
}

uint64_t ram_block_length(const RAMBlock *block)
{
    return block->length;
}

uint64_t ram_block_offset(const RAMBlock *block)
{
    return block->offset;
}

uint8_t *ram_block_host(const RAMBlock *block, uint64_t offset)
{
    return block->host + offset;
}

uint64_t ram_total_size(void)
{
    uint64_t total = 0;

    for (RAMBlock *b = ram_blocks; b; b = b->next) {
        total += b->length;
    }
    return total;
}

void ram_foreach_mapping(void (*fn)(const RAMMapping *m, void *opaque),
                         void *opaque)
{
    for (int i = 0; i < nr_mappings; i++) {
        fn(&mappings[i], opaque);
    }
}

/* --- dirty tracking -------------------------------------------------------- */

int memory_global_dirty_log_start(GError **errp)
{
    if (dirty_log_active) {
        return 0;
    }
    if (current_accel()->dirty_log_start(errp) < 0) {
        return -1;
    }
    dirty_log_active = true;
    return 0;
}

void memory_global_dirty_log_stop(void)
{
    if (!dirty_log_active) {
        return;
    }
    current_accel()->dirty_log_stop();
    dirty_log_active = false;
}

/* Moves a block's emulator-written pages into its dirty bitmap. */
static void merge_written(RAMBlock *b)
{
    uint64_t nwords = (b->npages + BITS_PER_LONG - 1) / BITS_PER_LONG;

    for (uint64_t w = 0; w < nwords; w++) {
        if (__atomic_load_n(&b->written[w], __ATOMIC_RELAXED)) {
            unsigned long bits = __atomic_exchange_n(&b->written[w], 0, __ATOMIC_ACQ_REL);
            ram_block_merge_dirty_bitmap(b, w * BITS_PER_LONG, &bits, BITS_PER_LONG);
        }
    }
}

uint64_t memory_global_dirty_log_sync(void)
{
    uint64_t before = dirty_page_count;

    if (dirty_log_active) {
        current_accel()->dirty_log_sync();
        for (RAMBlock *b = ram_blocks; b; b = b->next) {
            merge_written(b);
        }
    }
    return dirty_page_count - before;
}

static const RAMMapping *find_mapping(uint64_t gpa);

void memory_mark_dirty(uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;

    for (uint64_t a = gpa & TARGET_PAGE_MASK; a < end; a += TARGET_PAGE_SIZE) {
        const RAMMapping *m = find_mapping(a);
        if (!m) {
            continue;
        }
        uint64_t page = (m->offset + (a - m->gpa)) / TARGET_PAGE_SIZE;
        __atomic_fetch_or(&m->block->written[page / BITS_PER_LONG],
                          1ul << (page % BITS_PER_LONG), __ATOMIC_SEQ_CST);
    }
}

void ram_mark_all_dirty(void)
{
    for (RAMBlock *b = ram_blocks; b; b = b->next) {
        ram_block_mark_dirty(b, 0, b->npages);
    }
}

static bool test_and_set_bit(unsigned long *map, uint64_t nr)
{
    unsigned long mask = 1ul << (nr % BITS_PER_LONG);
    unsigned long *word = &map[nr / BITS_PER_LONG];
    bool was = *word & mask;

    *word |= mask;
    return was;
}

void ram_block_mark_dirty(RAMBlock *block, uint64_t first_page,
                             uint64_t count)
{
    for (uint64_t p = first_page; p < first_page + count && p < block->npages; p++) {
        if (!test_and_set_bit(block->dirty, p)) {
            dirty_page_count++;
        }
    }
}

uint64_t ram_block_merge_dirty_bitmap(RAMBlock *block, uint64_t first_page,
                                      const unsigned long *bitmap,
                                      uint64_t npages)
{
    uint64_t added = 0;

    if (first_page >= block->npages) {
        return 0;
    }
    if (npages > block->npages - first_page) {
        npages = block->npages - first_page;
    }
    if (first_page % BITS_PER_LONG == 0) {
        /* The common case (a mapping starts on a 64-page boundary): whole
         * words at a time. */
        uint64_t nwords = (npages + BITS_PER_LONG - 1) / BITS_PER_LONG;
        unsigned long *dst = &block->dirty[first_page / BITS_PER_LONG];
        for (uint64_t i = 0; i < nwords; i++) {
            unsigned long src = bitmap[i];
            if (i == nwords - 1 && npages % BITS_PER_LONG) {
                src &= (1ul << (npages % BITS_PER_LONG)) - 1;
            }
            unsigned long fresh = src & ~dst[i];
            if (fresh) {
                dst[i] |= fresh;
                added += __builtin_popcountl(fresh);
            }
        }
    } else {
        for (uint64_t i = 0; i < npages; i++) {
            if ((bitmap[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1) {
                added += !test_and_set_bit(block->dirty, first_page + i);
            }
        }
    }
    dirty_page_count += added;
    return added;
}

/* The first page at or after `from` whose bit in `bits` is `set`, or the
 * block's page count. */
static uint64_t find_bit(const RAMBlock *block, const unsigned long *bits,
                         uint64_t from, bool set)
{
    uint64_t nwords = (block->npages + BITS_PER_LONG - 1) / BITS_PER_LONG;
    uint64_t w = from / BITS_PER_LONG;

    if (from >= block->npages) {
        return block->npages;
    }
    unsigned long flip = set ? 0 : ~0ul;
    unsigned long word = (bits[w] ^ flip) & (~0ul << (from % BITS_PER_LONG));
    while (!word) {
        if (++w == nwords) {
            return block->npages;
        }
        word = bits[w] ^ flip;
    }
    uint64_t page = w * BITS_PER_LONG + __builtin_ctzl(word);
    return page < block->npages ? page : block->npages;
}

uint64_t ram_block_take_dirty(RAMBlock *block, uint64_t from)
{
    uint64_t page = find_bit(block, block->dirty, from, true);

    if (page < block->npages) {
        block->dirty[page / BITS_PER_LONG] &= ~(1ul << (page % BITS_PER_LONG));
        dirty_page_count--;
    }
    return page;
}

bool ram_block_clear_dirty(RAMBlock *block, uint64_t page)
{
    unsigned long mask = 1ul << (page % BITS_PER_LONG);

    if (page >= block->npages || !(block->dirty[page / BITS_PER_LONG] & mask)) {
        return false;
    }
    block->dirty[page / BITS_PER_LONG] &= ~mask;
    dirty_page_count--;
    return true;
}

uint64_t ram_block_next_dirty_range(RAMBlock *block, uint64_t from, uint64_t *count)
{
    uint64_t first = find_bit(block, block->dirty, from, true);
    uint64_t end = find_bit(block, block->dirty, first, false);

    *count = end - first;
    return first;
}

uint64_t ram_dirty_pages(void)
{
    return dirty_page_count;
}

/* --- guest-physical access -------------------------------------------------- */

static const RAMMapping *find_mapping(uint64_t gpa)
{
    for (int i = 0; i < nr_mappings; i++) {
        if (gpa >= mappings[i].gpa && gpa - mappings[i].gpa < mappings[i].size) {
            return &mappings[i];
        }
    }
    return NULL;
}

uint8_t *gpa_to_host(uint64_t gpa, uint64_t len)
{
    const RAMMapping *m = find_mapping(gpa);

    if (!m || len > m->size - (gpa - m->gpa)) {
        return NULL;
    }
    return ram_block_host(m->block, m->offset + (gpa - m->gpa));
}

/* Why the emulator must not touch guest RAM now (NULL: it may). */
static const char *access_guard;

void memory_set_access_guard(const char *reason)
{
    __atomic_store_n(&access_guard, reason, __ATOMIC_RELEASE);
}

static int physical_memory_rw(uint64_t gpa, uint8_t *buf, uint64_t len,
                              bool is_write, GError **errp)
{
    const char *guard = __atomic_load_n(&access_guard, __ATOMIC_ACQUIRE);

    if (guard) {
        error_setg(errp, "guest memory cannot be accessed now: %s", guard);
        return -1;
    }
    while (len) {
        const RAMMapping *m = find_mapping(gpa);
        if (!m) {
            error_setg(errp, "guest-physical address 0x%" G_GINT64_MODIFIER
                       "x is not RAM", gpa);
            return -1;
        }
        uint64_t avail = m->size - (gpa - m->gpa);
        uint64_t chunk = len < avail ? len : avail;
        uint8_t *host = ram_block_host(m->block, m->offset + (gpa - m->gpa));
        if (is_write) {
            memcpy(host, buf, chunk);
            memory_mark_dirty(gpa, chunk);
        } else {
            memcpy(buf, host, chunk);
        }
        gpa += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

int cpu_physical_memory_read(uint64_t gpa, void *buf, uint64_t len,
                             GError **errp)
{
    return physical_memory_rw(gpa, buf, len, false, errp);
}

int cpu_physical_memory_write(uint64_t gpa, const void *buf, uint64_t len,
                              GError **errp)
{
    return physical_memory_rw(gpa, (uint8_t *)buf, len, true, errp);
}

/* --- MMIO ------------------------------------------------------------------- */

int memory_register_mmio(const char *name, uint64_t base, uint64_t size,
                         const MemoryRegionOps *ops, void *opaque,
                         GError **errp)
{
    if (nr_mmio_regions == MAX_MMIO_REGIONS) {
        error_setg(errp, "too many MMIO regions");
        return -1;
    }
    for (int i = 0; i < nr_mmio_regions; i++) {
        if (ranges_overlap(base, size, mmio_regions[i].base, mmio_regions[i].size)) {
            error_setg(errp, "MMIO region '%s' overlaps '%s'", name,
                       mmio_regions[i].name);
            return -1;
        }
    }
    MMIORegion *r = &mmio_regions[nr_mmio_regions++];
    g_strlcpy(r->name, name, sizeof(r->name));
    r->base = base;
    r->size = size;
    r->ops = ops;
    r->opaque = opaque;
    return 0;
}

static uint64_t load_le(const uint8_t *data, unsigned len)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < len; i++) {
        v |= (uint64_t)data[i] << (8 * i);
    }
    return v;
}

static void store_le(uint8_t *data, unsigned len, uint64_t v)
{
    for (unsigned i = 0; i < len; i++) {
        data[i] = (uint8_t)(v >> (8 * i));
    }
}

bool mmio_dispatch(uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
    for (int i = 0; i < nr_mmio_regions; i++) {
        MMIORegion *r = &mmio_regions[i];
        if (gpa < r->base || gpa - r->base >= r->size) {
            continue;
        }
        if (is_write) {
            r->ops->write(r->opaque, gpa - r->base, load_le(data, len), len);
        } else {
            store_le(data, len, r->ops->read(r->opaque, gpa - r->base, len));
        }
        return true;
    }
    if (!is_write) {
        memset(data, 0xff, len);
    }
    return false;
}
