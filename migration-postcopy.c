/*
 * Post-copy's messages (migration-postcopy.h). Payloads, all big-endian:
 *
 *   ADVISE        be64 host page size, be64 target page size
 *   RAM_DISCARD   u8 0 (version), u8 len, idstr[len], u8 flags (0x01: keep
 *                 the pages' old contents for XBZRLE deltas), then
 *                 (be64 start, be64 length) byte ranges of that block
 *   REQ_PAGES_ID  be64 start, be32 length (bytes of the block), u8 len, idstr[len]
 *   RECV_BITMAP   u8 len, idstr[len], be64 first page, be32 pages,
 *                 then ceil(pages / 8) bytes, page i in bit (i % 8) of byte i / 8
 *
 * Every length and range read is checked against the message and the block.
 */
#include <string.h>
#include <unistd.h>

#include "arch_init.h"
#include "migration-postcopy.h"
#include "migration-rp.h"
#include "postcopy-ram.h"
#include "qemu-error.h"
#include "savevm.h"

#define DISCARD_RANGE_BYTES 16
/* In a discard command's flags: keep the pages' old contents, the deltas
 * that follow the switch patch them (XBZRLE). */
#define DISCARD_FLAG_KEEP 0x01
/* What keeping a page costs the destination, rounded up: copying into
 * fresh memory took 0.45 to 1.7 ms per MiB on these machines (most of it
 * the first touch of the copy). */
#define KEEP_MS_PER_MIB 2

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* "u8 len, idstr[len]" at data[*pos]; the block, or NULL with *errp. */
static RAMBlock *get_block(const uint8_t *data, uint16_t len, uint16_t *pos,
                           const char *what, GError **errp)
{
    char id[256];

    if (*pos >= len || data[*pos] > len - *pos - 1) {
        error_setg(errp, "%s: the block name runs past the message", what);
        return NULL;
    }
    uint8_t n = data[(*pos)++];
    memcpy(id, data + *pos, n);
    id[n] = '\0';
    *pos += n;
    RAMBlock *b = ram_block_find(id);
    if (!b) {
        error_setg(errp, "%s: unknown RAM block '%s'", what, id);
    }
    return b;
}

static uint16_t put_block(uint8_t *buf, RAMBlock *block)
{
    const char *id = ram_block_idstr(block);
    size_t n = strlen(id);

    buf[0] = (uint8_t)n;
    memcpy(buf + 1, id, n);
    return (uint16_t)(n + 1);
}

/* --- the source ------------------------------------------------------------------- */

void postcopy_send_advise(QEMUFile *f)
{
    uint8_t data[16];

    put_be64(data, (uint64_t)getpagesize());
    put_be64(data + 8, TARGET_PAGE_SIZE);
    qemu_savevm_send_command(f, MIG_CMD_POSTCOPY_ADVISE, data, sizeof(data));
}

/* A discard command being filled: its block, and its ranges so far. */
typedef struct DiscardBatch {
    QEMUFile *f;
    RAMBlock *block;
    uint8_t buf[MIG_CMD_MAX_LEN];
    uint16_t header_len;
    int ranges;
    uint8_t flags;              /* DISCARD_FLAG_* */
} DiscardBatch;

static void discard_flush(DiscardBatch *d)
{
    if (d->ranges) {
        qemu_savevm_send_command(d->f, MIG_CMD_POSTCOPY_RAM_DISCARD, d->buf,
                                 (uint16_t)(d->header_len + d->ranges * DISCARD_RANGE_BYTES));
    }
    d->ranges = 0;
}

/*
 * The ranges that fit in a command after this block's header. Counted
 * from the real header: a block name may have up to 255 bytes, and a
 * header that long would leave no room at all (the machine's own names
 * are short: "pc.ram" leaves room for 15).
 */
static int discard_capacity(const DiscardBatch *d)
{
    return (MIG_CMD_MAX_LEN - d->header_len) / DISCARD_RANGE_BYTES;
}

static void discard_start(DiscardBatch *d, RAMBlock *block, uint8_t flags)
{
    d->block = block;
    d->flags = flags;
    d->buf[0] = 0;
    d->header_len = (uint16_t)(1 + put_block(d->buf + 1, block));
    d->buf[d->header_len++] = d->flags;
    d->ranges = 0;
    g_assert(d->header_len + DISCARD_RANGE_BYTES <= MIG_CMD_MAX_LEN);
}

static void discard_range(RAMBlock *block, uint64_t first, uint64_t count, bool keep,
                          void *opaque)
{
    DiscardBatch *d = opaque;
    uint8_t flags = keep ? DISCARD_FLAG_KEEP : 0;

    if (block != d->block || flags != d->flags || d->ranges == discard_capacity(d)) {
        discard_flush(d);
        discard_start(d, block, flags);
    }
    uint8_t *p = d->buf + d->header_len + d->ranges * DISCARD_RANGE_BYTES;
    put_be64(p, first * TARGET_PAGE_SIZE);
    put_be64(p + 8, count * TARGET_PAGE_SIZE);
    d->ranges++;
}

void postcopy_send_discards(QEMUFile *f, uint64_t downtime_limit_ms)
{
    DiscardBatch d = { .f = f };
    uint64_t max_kept = downtime_limit_ms * ((1 << 20) / TARGET_PAGE_SIZE) /
                        (2 * KEEP_MS_PER_MIB);

    ram_save_foreach_discard_range(max_kept, discard_range, &d);
    discard_flush(&d);
}

/* Pages asked for, first come first served; a page may appear twice (it is
 * then sent twice: the destination keeps the first). */
typedef struct PageRequest {
    RAMBlock *block;
    uint64_t page;
    uint64_t count;
} PageRequest;

static struct {
    GMutex lock;
    GQueue queue;
} requests;

void postcopy_requests_reset(void)
{
    g_mutex_lock(&requests.lock);
    g_queue_clear_full(&requests.queue, g_free);
    g_mutex_unlock(&requests.lock);
}

int postcopy_requests_push_message(const uint8_t *data, uint16_t len, GError **errp)
{
    uint16_t pos = 12;

    if (len < 12) {
        error_setg(errp, "a page request of %u bytes is too short", len);
        return -1;
    }
    uint64_t start = get_be64(data);
    uint32_t bytes = get_be32(data + 8);
    RAMBlock *b = get_block(data, len, &pos, "page request", errp);
    if (!b) {
        return -1;
    }
    if (start % TARGET_PAGE_SIZE || bytes == 0 || bytes % TARGET_PAGE_SIZE ||
        start >= ram_block_length(b) || bytes > ram_block_length(b) - start) {
        error_setg(errp, "page request for bytes 0x%" G_GINT64_MODIFIER "x+0x%x outside "
                   "RAM block '%s'", start, bytes, ram_block_idstr(b));
        return -1;
    }
    PageRequest *r = g_new(PageRequest, 1);
    *r = (PageRequest){ b, start / TARGET_PAGE_SIZE, bytes / TARGET_PAGE_SIZE };
    g_mutex_lock(&requests.lock);
    g_queue_push_tail(&requests.queue, r);
    g_mutex_unlock(&requests.lock);
    return 0;
}

bool postcopy_requests_pop(RAMBlock **block, uint64_t *page, void *opaque)
{
    bool found = false;

    g_mutex_lock(&requests.lock);
    PageRequest *r = g_queue_peek_head(&requests.queue);
    if (r) {
        *block = r->block;
        *page = r->page++;
        if (--r->count == 0) {
            g_free(g_queue_pop_head(&requests.queue));
        }
        found = true;
    }
    g_mutex_unlock(&requests.lock);
    return found;
}

int postcopy_apply_recv_bitmap(const uint8_t *data, uint16_t len, GError **errp)
{
    uint16_t pos = 0;
    RAMBlock *b = get_block(data, len, &pos, "received-pages bitmap", errp);

    if (!b) {
        return -1;
    }
    if (len - pos < 12) {
        error_setg(errp, "received-pages bitmap: its header runs past the message");
        return -1;
    }
    uint64_t first = get_be64(data + pos);
    uint32_t pages = get_be32(data + pos + 8);
    uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
    pos += 12;
    if (first >= npages || pages > npages - first || (pages + 7) / 8 != (uint32_t)(len - pos)) {
        error_setg(errp, "received-pages bitmap: pages %" G_GUINT64_FORMAT "+%u do not "
                   "match RAM block '%s' or the message", first, pages, ram_block_idstr(b));
        return -1;
    }
    for (uint32_t i = 0; i < pages; i++) {
        if (!((data[pos + i / 8] >> (i % 8)) & 1)) {
            ram_save_page_lost(b, first + i);
        }
    }
    return 0;
}

void postcopy_auto_reset(PostcopyAuto *a)
{
    a->last_expected_ns = 0;
    a->stalled = 0;
}

bool postcopy_auto_should_switch(PostcopyAuto *a, uint64_t pass, uint64_t expected_ns,
                                 uint64_t limit_ns)
{
    uint64_t last = a->last_expected_ns;

    a->last_expected_ns = expected_ns;
    if (expected_ns <= limit_ns) {
        a->stalled = 0;
        return false;
    }
    bool progressed = last && expected_ns * 100 < last * (100 - AUTO_PROGRESS_PERCENT);
    a->stalled = progressed ? 0 : a->stalled + 1;
    return pass > PASSES_BEFORE_AUTO && a->stalled >= AUTO_STALLED_PASSES;
}

/* --- the destination ------------------------------------------------------------- */

int postcopy_check_advise(const uint8_t *data, uint16_t len, GError **errp)
{
    if (len != 16) {
        error_setg(errp, "post-copy advice of %u bytes (16 expected)", len);
        return -1;
    }
    if (get_be64(data + 8) != TARGET_PAGE_SIZE) {
        error_setg(errp, "the source's page size %" G_GUINT64_FORMAT " is not this "
                   "machine's %u", get_be64(data + 8), TARGET_PAGE_SIZE);
        return -1;
    }
    return 0;
}

int postcopy_apply_discard(const uint8_t *data, uint16_t len, GError **errp)
{
    uint16_t pos = 1;

    if (len < 1 || data[0] != 0) {
        error_setg(errp, "discard command of unknown version");
        return -1;
    }
    RAMBlock *b = get_block(data, len, &pos, "discard", errp);
    if (!b) {
        return -1;
    }
    if (pos >= len || (data[pos] & ~DISCARD_FLAG_KEEP) ||
        (len - pos - 1) % DISCARD_RANGE_BYTES) {
        error_setg(errp, "discard command for '%s' is malformed", ram_block_idstr(b));
        return -1;
    }
    bool keep = data[pos++] & DISCARD_FLAG_KEEP;
    for (; pos < len; pos += DISCARD_RANGE_BYTES) {
        uint64_t start = get_be64(data + pos), bytes = get_be64(data + pos + 8);
        if (start % TARGET_PAGE_SIZE || bytes % TARGET_PAGE_SIZE ||
            start >= ram_block_length(b) || bytes > ram_block_length(b) - start) {
            error_setg(errp, "discard of bytes 0x%" G_GINT64_MODIFIER "x+0x%"
                       G_GINT64_MODIFIER "x outside RAM block '%s'", start, bytes,
                       ram_block_idstr(b));
            return -1;
        }
        uint64_t first = start / TARGET_PAGE_SIZE, count = bytes / TARGET_PAGE_SIZE;
        if (keep && ram_load_keep_stale(b, first, count, errp) < 0) {
            return -1;
        }
        if (postcopy_ram_discard(b, first, count, errp) < 0) {
            return -1;
        }
        ram_load_forget_received(b, first, count);
    }
    return 0;
}

uint16_t postcopy_format_request(RAMBlock *block, uint64_t page, uint8_t *buf)
{
    put_be64(buf, page * TARGET_PAGE_SIZE);
    put_be32(buf + 8, TARGET_PAGE_SIZE);
    return (uint16_t)(12 + put_block(buf + 12, block));
}

void postcopy_format_recv_bitmap(void (*send)(const uint8_t *data, uint16_t len,
                                              void *opaque),
                                 void *opaque)
{
    uint8_t buf[MIG_RP_MAX_LEN];

    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        uint16_t head = put_block(buf, b);
        uint32_t per_message = (uint32_t)(MIG_RP_MAX_LEN - head - 12) * 8;
        uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
        for (uint64_t first = 0; first < npages; first += per_message) {
            uint32_t pages = (uint32_t)MIN(per_message, npages - first);
            uint8_t *bits = buf + head + 12;
            put_be64(buf + head, first);
            put_be32(buf + head + 8, pages);
            memset(bits, 0, (pages + 7) / 8);
            for (uint32_t i = 0; i < pages; i++) {
                bits[i / 8] |= (uint8_t)(ram_load_page_received(b, first + i) << (i % 8));
            }
            send(buf, (uint16_t)(head + 12 + (pages + 7) / 8), opaque);
        }
    }
}
