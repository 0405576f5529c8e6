/*
 * RAM migration: the "ram" section, QEMU 1.2's version 4. The sender walks
 * the dirty bitmap and sends each dirty page as a duplicate (one repeated
 * byte), an XBZRLE delta against the copy in the page cache, or raw; the
 * receiver validates every record before it touches guest RAM.
 *
 *   part     := record* EOS
 *   record   := be64 (offset | flags) [block] body
 *   block    := u8 len, idstr[len]        unless CONTINUE: same block as before
 *   body     := MEM_SIZE (0x04): offset is the total RAM size, then
 *                 { u8 len, idstr[len], be64 length } for each block
 *             | COMPRESS (0x02): u8 fill byte (the whole page is that byte)
 *             | PAGE     (0x08): the page, raw
 *             | XBZRLE   (0x40): u8 0x01, be16 len, the encoded delta (xbzrle.c)
 *   EOS      := be64 0x10
 *   CONTINUE := 0x20, ORed into a page record's flags
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "arch_init.h"
#include "bufferzero.h"
#include "cutils.h"
#include "memory.h"
#include "page_cache.h"
#include "qemu-error.h"
#include "savevm.h"
#include "sysemu.h"
#include "xbzrle.h"

#define RAM_SAVE_FLAG_FULL      0x01    /* obsolete: refused */
#define RAM_SAVE_FLAG_COMPRESS  0x02
#define RAM_SAVE_FLAG_MEM_SIZE  0x04
#define RAM_SAVE_FLAG_PAGE      0x08
#define RAM_SAVE_FLAG_EOS       0x10
#define RAM_SAVE_FLAG_CONTINUE  0x20
#define RAM_SAVE_FLAG_XBZRLE    0x40
#define RAM_SAVE_FLAGS_KNOWN    0x7e
#define ENCODING_FLAG_XBZRLE    0x01

#define RAM_SECTION_VERSION 4
/* A stage-2 part ends after this long, so the migration thread can look at
 * the clock, the rate limit and cancel requests. */
#define MAX_PART_NS 50000000ull
/* The smallest page record: a header continuing the previous block. */
#define MIN_RECORD_BYTES 8
/* The encoding must leave room for its header to beat a raw page. */
#define XBZRLE_BUDGET (TARGET_PAGE_SIZE - 3)

/*
 * XBZRLE must never cost CPU where it cannot win: it pays only for a page
 * still in the cache when it is dirty again, and then only if the page
 * encodes small. Each page has a back-off word: a level (bits 5-7), how
 * many sends to skip (bits 0-4), and whether its last send left it in the
 * cache (bit 8). A failure — an encoding that overflows or saves less than
 * half the page, or a page evicted before it was dirty again (the dirty set
 * does not fit in the cache) — raises the level and skips the next
 * 2^level - 1 sends of the page (at most 31): they go raw, with no copy,
 * lookup or encoding. A good encoding resets the level. A page rewritten
 * wholesale every pass, or a working set far beyond the cache, is thus
 * tried once in 32 passes; resizing the cache gives every page a new start.
 */
#define BACKOFF_SKIP_MASK 0x1f
#define BACKOFF_LEVEL_SHIFT 5
#define BACKOFF_LEVEL_MASK 0xe0
#define BACKOFF_MAX_LEVEL 5
#define BACKOFF_CACHED 0x100

/* Set by ram_save_configure / ram_save_set_cache_size. */
static struct {
    bool use_xbzrle;
    uint64_t cache_size;
} config;

/* After the switch to post-copy: pages the destination asks for go first. */
static struct {
    bool active;
    RamPageRequestFn *next_request;
    void *opaque;
} postcopy;

static RamStats stats;

static struct {
    RAMBlock *block;            /* scan position: block and page index */
    uint64_t page;
    RAMBlock *last_sent_block;  /* for CONTINUE */
    bool bulk_stage;            /* the first pass: every page, no XBZRLE */
    bool use_xbzrle;
    PageCache *cache;
    uint8_t *scratch;           /* stable copy of the page being encoded */
    uint8_t *encoded;
    uint16_t *backoff;          /* per page of RAM, see BACKOFF_* */
    uint64_t *postcopy_kept;    /* pages the destination keeps to patch */
    /* this pass, for the estimate and the rates */
    uint64_t pass_pages;
    uint64_t pass_bytes;
    uint64_t pass_dup_pages;
    uint64_t pass_dup_bytes;
    uint64_t pass_lookups;
    uint64_t pass_misses;
    uint64_t pass_xbzrle_pages;
    uint64_t pass_xbzrle_bytes;
    uint64_t last_sync_ns;
    double bytes_per_page;      /* expected wire cost of a dirty page */
    uint64_t last_sync_dirty;   /* pages dirty after the previous sync */
    uint64_t failed_cache_size; /* a resize that could not be done */
    uint64_t estimate_pages;    /* pages the estimate counts on */
} rs;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ram_save_configure(bool use_xbzrle, uint64_t cache_size)
{
    config.use_xbzrle = use_xbzrle;
    stat_set(&config.cache_size, cache_size);
    memset(&stats, 0, sizeof(stats));
    stat_set(&stats.total_ram, ram_total_size());
    stat_set(&stats.remaining_pages, ram_total_size() / TARGET_PAGE_SIZE);
}

void ram_save_set_cache_size(uint64_t cache_size)
{
    stat_set(&config.cache_size, cache_size);
}

RamStats *ram_save_stats(void)
{
    return &stats;
}

/* --- sending pages ------------------------------------------------------------ */

static void save_page_header(QEMUFile *f, RAMBlock *block, uint64_t offset,
                             int flags)
{
    if (block == rs.last_sent_block) {
        qemu_put_be64(f, offset | flags | RAM_SAVE_FLAG_CONTINUE);
        return;
    }
    const char *id = ram_block_idstr(block);
    qemu_put_be64(f, offset | flags);
    qemu_put_byte(f, (uint8_t)strlen(id));
    qemu_put_buffer(f, (const uint8_t *)id, strlen(id));
    rs.last_sent_block = block;
}

static void save_dup_page(QEMUFile *f, RAMBlock *block, uint64_t offset,
                          uint8_t fill)
{
    save_page_header(f, block, offset, RAM_SAVE_FLAG_COMPRESS);
    qemu_put_byte(f, fill);
    /* The receiver's page is now all `fill`: keep the cached copy equal. */
    if (rs.cache) {
        uint8_t *cached = cache_lookup(rs.cache, ram_block_offset(block) + offset);
        if (cached) {
            memset(cached, fill, TARGET_PAGE_SIZE);
        }
    }
}

/* A raw page, straight from guest RAM (not copied: see qemu_put_buffer_async). */
static void save_normal_page(QEMUFile *f, RAMBlock *block, uint64_t offset,
                             const uint8_t *host)
{
    save_page_header(f, block, offset, RAM_SAVE_FLAG_PAGE);
    qemu_put_buffer_async(f, host, TARGET_PAGE_SIZE);
}

/* A raw page from the encoder's private copy, which the next page reuses. */
static void save_copied_page(QEMUFile *f, RAMBlock *block, uint64_t offset,
                             const uint8_t *copy)
{
    save_page_header(f, block, offset, RAM_SAVE_FLAG_PAGE);
    qemu_put_buffer(f, copy, TARGET_PAGE_SIZE);
}

/* A try that did not pay: raise the level, and say whether the page is in
 * the cache now. */
static void backoff_failed(uint64_t page, bool cached)
{
    int level = (rs.backoff[page] & BACKOFF_LEVEL_MASK) >> BACKOFF_LEVEL_SHIFT;

    if (level < BACKOFF_MAX_LEVEL) {
        level++;
    }
    rs.backoff[page] = (uint16_t)((level << BACKOFF_LEVEL_SHIFT) |
                                  (((1 << level) - 1) & BACKOFF_SKIP_MASK) |
                                  (cached ? BACKOFF_CACHED : 0));
}

/* A try that paid: the page starts afresh, and is in the cache. */
static void backoff_paid(uint64_t page)
{
    rs.backoff[page] = BACKOFF_CACHED;
}

/* True when the page should skip XBZRLE this time (and counts it down). */
static bool backoff_skip(uint64_t page)
{
    if (!(rs.backoff[page] & BACKOFF_SKIP_MASK)) {
        return false;
    }
    rs.backoff[page]--;
    return true;
}

/* The destination's page is not what the cache holds: no delta against it. */
static void forget_cached(uint64_t addr)
{
    if (rs.cache) {
        cache_invalidate(rs.cache, addr);
        rs.backoff[addr / TARGET_PAGE_SIZE] &= ~BACKOFF_CACHED;
    }
}

/* The page is not in the cache: it goes raw, and into the cache unless it
 * has been there before and left unused (the cache cannot hold it). */
static int save_xbzrle_miss(QEMUFile *f, RAMBlock *block, uint64_t offset,
                            const uint8_t *host, uint64_t addr)
{
    uint64_t page = addr / TARGET_PAGE_SIZE;

    if (rs.backoff[page] & BACKOFF_CACHED) {
        backoff_failed(page, false);
        save_normal_page(f, block, offset, host);
        return RAM_SAVE_FLAG_PAGE;
    }
    /* The cache's copy is what goes out: whatever the guest writes during
     * the copy, sender and receiver keep the same bytes (and the write is
     * logged, so the page goes again). */
    const uint8_t *copy = cache_insert(rs.cache, addr, host);
    rs.backoff[page] |= BACKOFF_CACHED;
    save_copied_page(f, block, offset, copy);
    return RAM_SAVE_FLAG_PAGE;
}

/* Sends the page as an XBZRLE delta when it pays, else raw; returns the
 * class it was counted in (for the statistics), or 0 if nothing was sent. */
static int save_xbzrle_page(QEMUFile *f, RAMBlock *block, uint64_t offset,
                            const uint8_t *host)
{
    RamStats *st = &stats;
    uint64_t addr = ram_block_offset(block) + offset;
    uint64_t page = addr / TARGET_PAGE_SIZE;

    if (backoff_skip(page)) {
        if (rs.backoff[page] & BACKOFF_CACHED) {
            cache_invalidate(rs.cache, addr);
            rs.backoff[page] &= ~BACKOFF_CACHED;
        }
        stat_add(&st->xbzrle_skipped, 1);
        save_normal_page(f, block, offset, host);
        return RAM_SAVE_FLAG_PAGE;
    }
    stat_add(&st->xbzrle_cache_lookups, 1);
    rs.pass_lookups++;
    uint8_t *cached = cache_lookup(rs.cache, addr);
    if (!cached) {
        rs.pass_misses++;
        return save_xbzrle_miss(f, block, offset, host, addr);
    }
    stat_add(&st->xbzrle_cache_hits, 1);
    /* Encode a private copy: the guest keeps writing to `host`. */
    memcpy(rs.scratch, host, TARGET_PAGE_SIZE);
    int len = xbzrle_encode_page(cached, rs.scratch, TARGET_PAGE_SIZE,
                                 rs.encoded, XBZRLE_BUDGET);
    if (len == 0) {
        backoff_paid(page);
        /* After the switch the destination dropped its page: an empty
         * delta brings back the copy it kept. */
        if (!postcopy.active) {
            stat_add(&st->xbzrle_unchanged, 1);
            return 0;
        }
    }
    memcpy(cached, rs.scratch, TARGET_PAGE_SIZE);
    if (len < 0) {
        backoff_failed(page, true);
        stat_add(&st->xbzrle_overflows, 1);
        save_copied_page(f, block, offset, rs.scratch);
        return RAM_SAVE_FLAG_PAGE;
    }
    if (len > (int)TARGET_PAGE_SIZE / 2) {
        backoff_failed(page, true);
    } else {
        backoff_paid(page);
    }
    save_page_header(f, block, offset, RAM_SAVE_FLAG_XBZRLE);
    qemu_put_byte(f, ENCODING_FLAG_XBZRLE);
    qemu_put_be16(f, (uint16_t)len);
    qemu_put_buffer(f, rs.encoded, len);
    return RAM_SAVE_FLAG_XBZRLE;
}

static void count_page(int kind, uint64_t bytes)
{
    RamStats *st = &stats;

    rs.pass_pages++;
    rs.pass_bytes += bytes;
    stat_add(&st->transferred, bytes);
    stat_add(postcopy.active ? &st->postcopy_bytes
             : runstate_is_running() ? &st->precopy_bytes : &st->downtime_bytes, bytes);
    switch (kind) {
    case RAM_SAVE_FLAG_COMPRESS:
        rs.pass_dup_pages++;
        rs.pass_dup_bytes += bytes;
        stat_add(&st->dup_pages, 1);
        stat_add(&st->dup_bytes, bytes);
        break;
    case RAM_SAVE_FLAG_PAGE:
        stat_add(&st->normal_pages, 1);
        stat_add(&st->normal_bytes, bytes);
        break;
    case RAM_SAVE_FLAG_XBZRLE:
        rs.pass_xbzrle_pages++;
        rs.pass_xbzrle_bytes += bytes;
        stat_add(&st->xbzrle_pages, 1);
        stat_add(&st->xbzrle_bytes, bytes);
        break;
    default:
        break;
    }
}

/* Takes the next dirty page from the scan position; false at the end of
 * the pass (the position then goes back to the start). */
static bool find_dirty_page(RAMBlock **block, uint64_t *page)
{
    while (rs.block) {
        uint64_t npages = ram_block_length(rs.block) / TARGET_PAGE_SIZE;
        uint64_t p = ram_block_take_dirty(rs.block, rs.page);
        if (p < npages) {
            *block = rs.block;
            *page = p;
            rs.page = p + 1;
            return true;
        }
        rs.block = ram_block_next(rs.block);
        rs.page = 0;
    }
    rs.block = ram_block_first();
    rs.page = 0;
    return false;
}

/*
 * Sends one dirty page: a duplicate page as COMPRESS; otherwise, after the
 * first pass and with XBZRLE on, a delta (or raw, see save_xbzrle_page);
 * otherwise raw. Returns false when no page is dirty in this pass.
 */
/* A page the destination asked for (post-copy), sent whether or not it is
 * still marked dirty (a request may cross the page on its way). */
static bool take_requested_page(RAMBlock **block, uint64_t *page)
{
    if (!postcopy.active || !postcopy.next_request(block, page, postcopy.opaque)) {
        return false;
    }
    ram_block_clear_dirty(*block, *page);
    stat_add(&stats.postcopy_requests, 1);
    return true;
}

static void set_kept(uint64_t page, bool keep)
{
    uint64_t bit = 1ull << (page % 64);

    rs.postcopy_kept[page / 64] = keep ? rs.postcopy_kept[page / 64] | bit
                                       : rs.postcopy_kept[page / 64] & ~bit;
}

/* After the switch, a delta only for a page the destination kept (once:
 * a second copy of the page goes whole, and the cache forgets it). */
static bool delta_allowed(RAMBlock *block, uint64_t page)
{
    uint64_t p = ram_block_offset(block) / TARGET_PAGE_SIZE + page;

    if (!postcopy.active) {
        return true;
    }
    if (rs.postcopy_kept && (rs.postcopy_kept[p / 64] >> (p % 64)) & 1) {
        set_kept(p, false);
        return true;
    }
    forget_cached(p * TARGET_PAGE_SIZE);
    return false;
}

static bool ram_save_block(QEMUFile *f)
{
    RAMBlock *block;
    uint64_t page;
    uint8_t fill;
    int kind;

    if (!take_requested_page(&block, &page) && !find_dirty_page(&block, &page)) {
        return false;
    }
    uint64_t offset = page * TARGET_PAGE_SIZE;
    const uint8_t *host = ram_block_host(block, offset);
    uint64_t before = qemu_file_total_bytes(f);
    if (buffer_is_uniform(host, TARGET_PAGE_SIZE, &fill)) {
        save_dup_page(f, block, offset, fill);
        kind = RAM_SAVE_FLAG_COMPRESS;
    } else if (rs.use_xbzrle && !rs.bulk_stage && delta_allowed(block, page)) {
        kind = save_xbzrle_page(f, block, offset, host);
    } else {
        save_normal_page(f, block, offset, host);
        kind = RAM_SAVE_FLAG_PAGE;
    }
    count_page(kind, qemu_file_total_bytes(f) - before);
    stat_set(&stats.remaining_pages, ram_dirty_pages());
    return true;
}

/* --- the stages ------------------------------------------------------------------ */

static void save_mem_size(QEMUFile *f)
{
    qemu_put_be64(f, ram_total_size() | RAM_SAVE_FLAG_MEM_SIZE);
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        const char *id = ram_block_idstr(b);
        qemu_put_byte(f, (uint8_t)strlen(id));
        qemu_put_buffer(f, (const uint8_t *)id, strlen(id));
        qemu_put_be64(f, ram_block_length(b));
    }
}

void ram_save_start_postcopy(RamPageRequestFn *next_request, void *opaque)
{
    postcopy.next_request = next_request;
    postcopy.opaque = opaque;
    postcopy.active = true;
}

void ram_save_page_lost(RAMBlock *block, uint64_t page)
{
    ram_block_mark_dirty(block, page, 1);
    /* The cache may hold what never arrived: send the page whole. */
    forget_cached(ram_block_offset(block) + page * TARGET_PAGE_SIZE);
}

/*
 * Whether a dirty page will go as a delta after the switch: XBZRLE past
 * its first pass, the page in the cache and not backing off. Only those
 * are kept by the destination (a copy each, made while the guest is
 * stopped: keeping pages no delta patches would lengthen the switch).
 */
static bool page_will_be_patched(uint64_t addr)
{
    uint16_t backoff;

    if (!rs.use_xbzrle || rs.bulk_stage || !rs.cache) {
        return false;
    }
    /* The cheap test first (sequential, with the guest stopped): a page
     * never cached since its last try is not asked of the cache. */
    backoff = rs.backoff[addr / TARGET_PAGE_SIZE];
    return (backoff & BACKOFF_CACHED) && !(backoff & BACKOFF_SKIP_MASK) &&
           cache_is_cached(rs.cache, addr);
}

void ram_save_foreach_discard_range(uint64_t max_kept, RamDiscardRangeFn *fn,
                                    void *opaque)
{
    uint64_t kept = 0;

    g_free(rs.postcopy_kept);
    rs.postcopy_kept = g_new0(uint64_t, (ram_total_size() / TARGET_PAGE_SIZE + 63) / 64);
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
        uint64_t base = ram_block_offset(b) / TARGET_PAGE_SIZE;
        uint64_t count;
        for (uint64_t p = ram_block_next_dirty_range(b, 0, &count); p < npages;
             p = ram_block_next_dirty_range(b, p + count, &count)) {
            /* Split the range into runs that are kept and runs that are not. */
            uint64_t run = p;
            bool keep = kept < max_kept &&
                        page_will_be_patched((base + p) * TARGET_PAGE_SIZE);
            for (uint64_t q = p; q < p + count; q++) {
                bool k = kept < max_kept &&
                         page_will_be_patched((base + q) * TARGET_PAGE_SIZE);
                kept += k;
                if (k != keep) {
                    fn(b, run, q - run, keep, opaque);
                    run = q;
                    keep = k;
                }
                set_kept(base + q, k);
            }
            fn(b, run, p + count - run, keep, opaque);
        }
    }
}

static void ram_save_cleanup(void)
{
    postcopy.active = false;
    memory_global_dirty_log_stop();
    if (rs.cache) {
        cache_fini(rs.cache);
        rs.cache = NULL;
    }
    g_free(rs.scratch);
    g_free(rs.encoded);
    g_free(rs.backoff);
    g_clear_pointer(&rs.postcopy_kept, g_free);
    rs.scratch = rs.encoded = NULL;
    rs.backoff = NULL;
}

static int ram_save_setup(QEMUFile *f)
{
    GError *err = NULL;
    RamStats *st = &stats;

    memset(&rs, 0, sizeof(rs));
    rs.block = ram_block_first();
    rs.bulk_stage = true;
    rs.use_xbzrle = config.use_xbzrle;
    if (rs.use_xbzrle) {
        rs.cache = cache_init(stat_get(&config.cache_size), TARGET_PAGE_SIZE,
                              CACHE_POLICY_LRU, &err);
        if (!rs.cache) {
            qemu_file_set_error(f, err);
            return -1;
        }
        rs.scratch = g_malloc(TARGET_PAGE_SIZE);
        rs.encoded = g_malloc(TARGET_PAGE_SIZE);
        rs.backoff = g_new0(uint16_t, ram_total_size() / TARGET_PAGE_SIZE);
    }
    if (memory_global_dirty_log_start(&err) < 0) {
        qemu_file_set_error(f, err);
        ram_save_cleanup();
        return -1;
    }
    /* Consume whatever the log holds, then send everything once. Like
     * QEMU, count this as the first sync (MIGRATION_PASS 1). */
    memory_global_dirty_log_sync();
    ram_mark_all_dirty();
    stat_add(&st->iterations, 1);
    stat_set(&st->total_ram, ram_total_size());
    stat_set(&st->remaining_pages, ram_dirty_pages());
    rs.last_sync_ns = now_ns();
    save_mem_size(f);
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return 0;
}

/* Applies a cache size the user changed during the migration. */
static void apply_cache_resize(QEMUFile *f)
{
    uint64_t want = stat_get(&config.cache_size);
    GError *err = NULL;

    if (!rs.cache || want == cache_size_bytes(rs.cache) || want == rs.failed_cache_size) {
        return;
    }
    if (cache_resize(rs.cache, want, &err) < 0) {
        /* Keep migrating with the old size (memory ran out meanwhile), and
         * do not try that size again every part. */
        rs.failed_cache_size = want;
        g_error_free(err);
        return;
    }
    memset(rs.backoff, 0, ram_total_size() / TARGET_PAGE_SIZE * sizeof(uint16_t));
}

/* Stage 2: until the rate limit, MAX_PART_NS, or the end of the pass. */
static int ram_save_iterate(QEMUFile *f)
{
    uint64_t start = now_ns();
    int done = 0;

    apply_cache_resize(f);
    while (!qemu_file_rate_limit(f)) {
        if (!ram_save_block(f)) {
            done = 1;
            break;
        }
        /* Reading the clock for every page would cost more than a page. */
        if ((rs.pass_pages & 63) == 0 && now_ns() - start > MAX_PART_NS) {
            break;
        }
    }
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f, NULL) < 0 ? -1 : done;
}

static uint64_t sync_dirty_bitmap(void);

/* Stage 3, guest stopped: everything still dirty, at the rate limit.
 * Dirty logging stops later (stage -1): turning it off makes KVM rebuild
 * its huge mappings, which need not happen while the guest is down. */
static int ram_save_complete(QEMUFile *f)
{
    /* The rates stay those of the last pass the guest ran through. */
    sync_dirty_bitmap();
    while (!qemu_file_get_error(f, NULL)) {
        if (qemu_file_rate_limit(f) && !qemu_file_rate_limit_wait(f)) {
            break;
        }
        if (!ram_save_block(f)) {
            break;
        }
    }
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f, NULL);
}

int ram_save_live(QEMUFile *f, int stage, void *opaque)
{
    rs.last_sent_block = NULL;   /* every part names its first block */
    switch (stage) {
    case 1:
        return ram_save_setup(f);
    case 2:
        return ram_save_iterate(f);
    case 3:
        return ram_save_complete(f);
    default:
        ram_save_cleanup();
        return 0;
    }
}

/* Ends a pass: the pass's figures become the rates and the estimate, then
 * the dirty log is fetched for the next pass. */
static void finish_pass_stats(uint64_t newly_dirty, uint64_t now, bool bulk)
{
    RamStats *st = &stats;
    uint64_t elapsed = now - rs.last_sync_ns;
    uint64_t costed_pages = rs.pass_pages;
    uint64_t costed_bytes = rs.pass_bytes;

    /*
     * The first pass sends every page, most of them never written and
     * duplicates; they say nothing about what a dirty page will cost, so
     * the estimate leaves them out then.
     */
    if (bulk && rs.pass_pages > rs.pass_dup_pages) {
        costed_pages -= rs.pass_dup_pages;
        costed_bytes -= rs.pass_dup_bytes;
    }
    if (costed_pages) {
        rs.bytes_per_page = (double)costed_bytes / (double)costed_pages;
    } else if (rs.bytes_per_page == 0) {
        rs.bytes_per_page = TARGET_PAGE_SIZE + 8;
    }
    /* A pass of unchanged pages cost nothing, but the next dirty set need
     * not be unchanged: never count on less than a record header. */
    rs.bytes_per_page = MAX(rs.bytes_per_page, MIN_RECORD_BYTES);
    if (elapsed) {
        stat_set(&st->dirty_pages_rate, newly_dirty * 1000000000ull / elapsed);
    }
    if (rs.pass_lookups) {
        stat_set(&st->xbzrle_miss_rate_x1e6, rs.pass_misses * 1000000ull / rs.pass_lookups);
    }
    if (rs.pass_xbzrle_bytes) {
        stat_set(&st->xbzrle_encoding_rate_x1e6,
                 rs.pass_xbzrle_pages * TARGET_PAGE_SIZE * 1000000ull / rs.pass_xbzrle_bytes);
    }
    rs.pass_pages = rs.pass_bytes = rs.pass_dup_pages = rs.pass_dup_bytes = 0;
    rs.pass_lookups = rs.pass_misses = 0;
    rs.pass_xbzrle_pages = rs.pass_xbzrle_bytes = 0;
    rs.last_sync_ns = now;
}

/* Fetches the dirty log and restarts the scan; returns the pages that
 * became dirty. */
static uint64_t sync_dirty_bitmap(void)
{
    RamStats *st = &stats;
    uint64_t newly_dirty = memory_global_dirty_log_sync();

    rs.bulk_stage = false;
    rs.block = ram_block_first();
    rs.page = 0;
    stat_add(&st->iterations, 1);
    stat_set(&st->remaining_pages, ram_dirty_pages());
    return newly_dirty;
}

uint64_t ram_save_sync(void)
{
    uint64_t now = now_ns();
    bool bulk = rs.bulk_stage;
    uint64_t newly_dirty = sync_dirty_bitmap();
    uint64_t dirty = ram_dirty_pages();

    finish_pass_stats(newly_dirty, now, bulk);
    /*
     * One pass that found little dirty may only mean the guest did not get
     * the CPU meanwhile (two busy threads on two cores are common): the
     * estimate counts on the larger of the last two syncs, so that a guest
     * is stopped only once it has been quiet for two passes in a row.
     */
    rs.estimate_pages = MAX(dirty, bulk ? 0 : rs.last_sync_dirty);
    rs.last_sync_dirty = dirty;
    return dirty;
}

uint64_t ram_save_expected_bytes(void)
{
    return (uint64_t)(rs.bytes_per_page * (double)rs.estimate_pages);
}

/* --- loading ---------------------------------------------------------------------- */

/* The block of the previous record, for CONTINUE; reset by each MEM_SIZE
 * (the start of a stream). */
static RAMBlock *load_block;

static int load_mem_size(QEMUFile *f, uint64_t total, GError **errp)
{
    uint64_t seen = 0;

    load_block = NULL;
    while (seen < total) {
        char id[256];
        uint8_t len = qemu_get_byte(f);
        qemu_get_buffer(f, (uint8_t *)id, len);
        id[len] = '\0';
        uint64_t length = qemu_get_be64(f);
        if (qemu_file_get_error(f, errp) < 0) {
            return -1;
        }
        RAMBlock *b = ram_block_find(id);
        if (!b) {
            error_setg(errp, "unknown RAM block '%s'", id);
            return -1;
        }
        if (length != ram_block_length(b)) {
            error_setg(errp, "RAM block '%s' is %" G_GUINT64_FORMAT " bytes in the "
                       "stream but %" G_GUINT64_FORMAT " here", id, length,
                       ram_block_length(b));
            return -1;
        }
        seen += length;
    }
    if (seen != total || total != ram_total_size()) {
        error_setg(errp, "the stream has %" G_GUINT64_FORMAT " bytes of RAM, this "
                   "machine %" G_GUINT64_FORMAT, total, ram_total_size());
        return -1;
    }
    return 0;
}

/* The host address of the page a record names, after checking the block
 * and the offset; NULL with *errp otherwise. */
static uint8_t *host_from_stream_offset(QEMUFile *f, uint64_t offset, int flags,
                                        GError **errp)
{
    if (!(flags & RAM_SAVE_FLAG_CONTINUE)) {
        char id[256];
        uint8_t len = qemu_get_byte(f);
        qemu_get_buffer(f, (uint8_t *)id, len);
        id[len] = '\0';
        if (qemu_file_get_error(f, errp) < 0) {
            return NULL;
        }
        load_block = ram_block_find(id);
        if (!load_block) {
            error_setg(errp, "unknown RAM block '%s'", id);
            return NULL;
        }
    } else if (!load_block) {
        error_setg(errp, "a page record continues a block, but no block was named");
        return NULL;
    }
    if (offset >= ram_block_length(load_block)) {
        error_setg(errp, "page offset 0x%" G_GINT64_MODIFIER "x is outside RAM "
                   "block '%s' (%" G_GUINT64_FORMAT " bytes)", offset,
                   ram_block_idstr(load_block), ram_block_length(load_block));
        return NULL;
    }
    return ram_block_host(load_block, offset);
}

static int load_xbzrle(QEMUFile *f, uint8_t *host, GError **errp)
{
    static uint8_t encoded[TARGET_PAGE_SIZE];
    uint8_t encoding = qemu_get_byte(f);
    uint16_t len = qemu_get_be16(f);

    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    if (encoding != ENCODING_FLAG_XBZRLE) {
        error_setg(errp, "unknown page encoding 0x%02x", encoding);
        return -1;
    }
    if (len > TARGET_PAGE_SIZE) {
        error_setg(errp, "XBZRLE delta of %u bytes is longer than a page", len);
        return -1;
    }
    if (qemu_get_buffer(f, encoded, len) < len) {
        return qemu_file_get_error(f, errp);
    }
    if (xbzrle_decode_page(encoded, len, host, TARGET_PAGE_SIZE) < 0) {
        error_setg(errp, "malformed XBZRLE delta (%u bytes)", len);
        return -1;
    }
    return 0;
}

/*
 * Post-copy, on the destination: which pages have arrived (one bit per page
 * of all RAM, by RAM address; set by the loading thread, read by the fault
 * thread), and, after the switch, how pages are placed (never written
 * directly: a guest may be waiting on them).
 */
static struct {
    uint64_t *received;
    const RamPlacer *placer;
    uint8_t *bounce;
    /* The pages dropped at the switch as they were, by RAM address, for
     * the deltas that follow (see ram_load_keep_stale); only the pages
     * that held something are written (and so allocated). */
    uint8_t *stale;
    uint64_t *stale_kept;
} incoming_pc;

static void drop_stale_copies(void)
{
    if (incoming_pc.stale) {
        munmap(incoming_pc.stale, ram_total_size());
        incoming_pc.stale = NULL;
    }
    g_clear_pointer(&incoming_pc.stale_kept, g_free);
}

void ram_load_track_received(bool on)
{
    g_clear_pointer(&incoming_pc.received, g_free);
    drop_stale_copies();
    if (on) {
        uint64_t pages = ram_total_size() / TARGET_PAGE_SIZE;
        incoming_pc.received = g_new0(uint64_t, (pages + 63) / 64);
    }
}

static void mark_received(uint64_t ram_addr)
{
    uint64_t page = ram_addr / TARGET_PAGE_SIZE;

    if (incoming_pc.received) {
        __atomic_or_fetch(&incoming_pc.received[page / 64], 1ull << (page % 64),
                          __ATOMIC_RELEASE);
    }
}

bool ram_load_page_received(RAMBlock *block, uint64_t page)
{
    uint64_t p = ram_block_offset(block) / TARGET_PAGE_SIZE + page;

    return incoming_pc.received &&
           (__atomic_load_n(&incoming_pc.received[p / 64], __ATOMIC_ACQUIRE) >> (p % 64)) & 1;
}

void ram_load_forget_received(RAMBlock *block, uint64_t first, uint64_t count)
{
    uint64_t base = ram_block_offset(block) / TARGET_PAGE_SIZE + first;

    for (uint64_t p = base; incoming_pc.received && p < base + count; p++) {
        __atomic_and_fetch(&incoming_pc.received[p / 64], ~(1ull << (p % 64)),
                           __ATOMIC_RELEASE);
    }
}

static bool stale_kept(uint64_t page)
{
    return incoming_pc.stale_kept &&
           (incoming_pc.stale_kept[page / 64] >> (page % 64)) & 1;
}

int ram_load_reserve_stale(GError **errp)
{
    void *p = mmap(NULL, ram_total_size(), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map room for the pages that "
                         "post-copy's deltas patch");
        return -1;
    }
    /* Page by page: a huge page would make each kept page cost 2 MiB,
     * zeroed with the guest stopped, and a 4 KiB release would not free it. */
    madvise(p, ram_total_size(), MADV_NOHUGEPAGE);
    madvise(p, ram_total_size(), MADV_DONTFORK);
    drop_stale_copies();
    incoming_pc.stale = p;
    incoming_pc.stale_kept = g_new0(uint64_t, (ram_total_size() / TARGET_PAGE_SIZE + 63) / 64);
    return 0;
}

int ram_load_keep_stale(RAMBlock *block, uint64_t first, uint64_t count, GError **errp)
{
    if (!incoming_pc.stale) {
        error_setg(errp, "pages to keep for post-copy's deltas, but the source "
                   "did not advise post-copy");
        return -1;
    }
    uint64_t base = ram_block_offset(block) / TARGET_PAGE_SIZE;
    for (uint64_t p = base + first; p < base + first + count; p++) {
        const uint8_t *host = ram_block_host(block, (p - base) * TARGET_PAGE_SIZE);
        /* A zero page needs no copy: the room reads as zeros. */
        uint8_t fill;
        if (!buffer_is_uniform(host, TARGET_PAGE_SIZE, &fill) || fill != 0) {
            memcpy(incoming_pc.stale + p * TARGET_PAGE_SIZE, host, TARGET_PAGE_SIZE);
            incoming_pc.stale_kept[p / 64] |= 1ull << (p % 64);
        }
    }
    return 0;
}

/* A page is in place: its old copy is no longer needed. */
static void release_stale(uint64_t ram_addr)
{
    uint64_t page = ram_addr / TARGET_PAGE_SIZE;

    if (stale_kept(page)) {
        madvise(incoming_pc.stale + ram_addr, TARGET_PAGE_SIZE, MADV_DONTNEED);
        incoming_pc.stale_kept[page / 64] &= ~(1ull << (page % 64));
    }
}

void ram_load_set_placer(const RamPlacer *placer)
{
    incoming_pc.placer = placer;
    if (placer && !incoming_pc.bounce) {
        incoming_pc.bounce = g_malloc(TARGET_PAGE_SIZE);
    }
}

/* A delta after the switch patches the page's copy from before it. */
static int load_stale_xbzrle(QEMUFile *f, uint64_t ram_addr, GError **errp)
{
    if (!incoming_pc.stale) {
        error_setg(errp, "an XBZRLE page after the switch to post-copy, but the "
                   "source did not ask to keep the pages it would patch");
        return -1;
    }
    memcpy(incoming_pc.bounce, incoming_pc.stale + ram_addr, TARGET_PAGE_SIZE);
    return load_xbzrle(f, incoming_pc.bounce, errp);
}

/* Reads a page after the switch into the bounce buffer (whole, a fill
 * or patched); *zero: it is all zeros and placed as such. */
static int read_page_after_switch(QEMUFile *f, uint64_t ram_addr, int kind, bool *zero,
                                  GError **errp)
{
    if (kind == RAM_SAVE_FLAG_XBZRLE) {
        return load_stale_xbzrle(f, ram_addr, errp);
    }
    if (kind == RAM_SAVE_FLAG_PAGE) {
        if (qemu_get_buffer(f, incoming_pc.bounce, TARGET_PAGE_SIZE) < TARGET_PAGE_SIZE) {
            return qemu_file_get_error(f, errp);
        }
        return 0;
    }
    uint8_t fill = qemu_get_byte(f);
    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    *zero = fill == 0;
    if (!*zero) {
        memset(incoming_pc.bounce, fill, TARGET_PAGE_SIZE);
    }
    return 0;
}

/* A page after the switch: read, then placed in one go. */
static int place_page(QEMUFile *f, uint8_t *host, uint64_t ram_addr, int kind,
                      GError **errp)
{
    const RamPlacer *pl = incoming_pc.placer;
    bool zero = false;

    if (read_page_after_switch(f, ram_addr, kind, &zero, errp) < 0) {
        return -1;
    }
    int ret = zero ? pl->place_zero(pl->opaque, host, errp)
                   : pl->place(pl->opaque, host, incoming_pc.bounce, errp);
    if (ret == 0) {
        release_stale(ram_addr);
    }
    return ret;
}

/* A page before the switch (or without post-copy): written in place. */
static int write_page(QEMUFile *f, uint8_t *host, int kind, GError **errp)
{
    uint8_t fill, have;

    switch (kind) {
    case RAM_SAVE_FLAG_COMPRESS:
        fill = qemu_get_byte(f);
        /* Don't write (and so allocate) a page that already holds it. */
        if (!buffer_is_uniform(host, TARGET_PAGE_SIZE, &have) || have != fill) {
            memset(host, fill, TARGET_PAGE_SIZE);
        }
        break;
    case RAM_SAVE_FLAG_PAGE:
        qemu_get_page(f, host, TARGET_PAGE_SIZE);
        break;
    case RAM_SAVE_FLAG_XBZRLE:
        return load_xbzrle(f, host, errp);
    }
    return qemu_file_get_error(f, errp);
}

static int load_page(QEMUFile *f, uint64_t offset, int flags, GError **errp)
{
    uint8_t *host = host_from_stream_offset(f, offset, flags, errp);
    int kind = flags & ~RAM_SAVE_FLAG_CONTINUE;

    if (!host) {
        return -1;
    }
    if (kind != RAM_SAVE_FLAG_COMPRESS && kind != RAM_SAVE_FLAG_PAGE &&
        kind != RAM_SAVE_FLAG_XBZRLE) {
        error_setg(errp, "invalid combination of RAM flags 0x%x", flags);
        return -1;
    }
    uint64_t ram_addr = ram_block_offset(load_block) + offset;
    int ret = incoming_pc.placer ? place_page(f, host, ram_addr, kind, errp)
                                 : write_page(f, host, kind, errp);
    if (ret == 0) {
        mark_received(ram_addr);
    }
    return ret;
}

int ram_load(QEMUFile *f, void *opaque, int version_id, GError **errp)
{
    if (version_id != RAM_SECTION_VERSION) {
        error_setg(errp, "RAM section version %d is not supported (only %d)",
                   version_id, RAM_SECTION_VERSION);
        return -1;
    }
    for (;;) {
        uint64_t header = qemu_get_be64(f);
        int flags = (int)(header & ~TARGET_PAGE_MASK);
        uint64_t addr = header & TARGET_PAGE_MASK;
        if (qemu_file_get_error(f, errp) < 0) {
            return -1;
        }
        if (flags & ~RAM_SAVE_FLAGS_KNOWN) {
            error_setg(errp, "unknown RAM flags 0x%x", flags);
            return -1;
        }
        if (flags == RAM_SAVE_FLAG_EOS) {
            stream_fence();     /* the pages of this part are in RAM */
            return 0;
        }
        int ret = flags == RAM_SAVE_FLAG_MEM_SIZE ? load_mem_size(f, addr, errp)
                                                  : load_page(f, addr, flags, errp);
        if (ret < 0) {
            return -1;
        }
    }
}

void ram_migration_register(void)
{
    register_savevm_live("ram", 0, RAM_SECTION_VERSION, ram_save_live, ram_load,
                         NULL);
}
