/*
 * linkem: one direction of the link as a ring of fixed-size packet slots.
 * A packet is read straight into the slot after the newest one and written
 * out from it: no copy, no allocation per packet. Its delivery time is
 * fixed when it arrives: the end of its serialisation behind the packets
 * before it, plus the delay.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "linkem-shaper.h"

#define NS_PER_S 1000000000ull

typedef struct Slot {
    int64_t wire_end_ns;    /* its last bit leaves the queue */
    int64_t due_ns;         /* it arrives at the far end */
    uint32_t len;
} Slot;

struct Shaper {
    ShaperParams params;
    uint64_t loss_threshold;    /* a draw below it loses the packet */
    uint64_t seed;
    uint64_t rng_state;

    size_t nslots;
    size_t slot_size;
    uint8_t *data;              /* nslots * slot_size, mmapped */
    size_t data_len;
    Slot *slots;
    uint8_t *scratch;           /* where a packet with no slot is read */
    size_t head;                /* the oldest packet */
    size_t count;

    /* The newest `backlog` packets have not left the queue yet. */
    size_t backlog;
    uint64_t backlog_bytes;
    int64_t wire_free_ns;       /* the wire is busy until then */
    int64_t last_due_ns;

    ShaperStats stats;
};

/* splitmix64: small, fast, and good enough to decide losses. */
static uint64_t next_random(Shaper *s)
{
    uint64_t z = (s->rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

Shaper *shaper_new(size_t slots, size_t mtu, uint64_t seed)
{
    Shaper *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    /* One spare byte shows a packet longer than the MTU. */
    s->slot_size = (mtu + 1 + 63) & ~(size_t)63;
    s->nslots = slots;
    s->data_len = slots * s->slot_size;
    s->data = mmap(NULL, s->data_len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    s->slots = calloc(slots, sizeof(Slot));
    s->scratch = malloc(s->slot_size);
    if (s->data == MAP_FAILED || !s->slots || !s->scratch) {
        s->data = s->data == MAP_FAILED ? NULL : s->data;
        shaper_free(s);
        return NULL;
    }
    shaper_seed(s, seed);
    return s;
}

void shaper_free(Shaper *s)
{
    if (!s) {
        return;
    }
    if (s->data) {
        munmap(s->data, s->data_len);
    }
    free(s->slots);
    free(s->scratch);
    free(s);
}

const ShaperParams *shaper_params(const Shaper *s)
{
    return &s->params;
}

void shaper_configure(Shaper *s, const ShaperParams *params)
{
    s->params = *params;
    /* 2^64 * p, exact enough; p = 1 is handled apart. */
    s->loss_threshold = params->loss >= 1 ? UINT64_MAX
                        : (uint64_t)(params->loss * 18446744073709551616.0);
}

void shaper_seed(Shaper *s, uint64_t seed)
{
    s->seed = seed;
    s->rng_state = seed;
}

uint64_t shaper_seed_value(const Shaper *s)
{
    return s->seed;
}

static size_t slot_index(const Shaper *s, size_t nth)
{
    size_t i = s->head + nth;
    return i >= s->nslots ? i - s->nslots : i;
}

uint8_t *shaper_intake(Shaper *s, size_t *room)
{
    *room = s->slot_size;
    if (s->count == s->nslots) {
        return s->scratch;
    }
    return s->data + slot_index(s, s->count) * s->slot_size;
}

/* Packets whose serialisation has ended leave the backlog. */
static void drain_backlog(Shaper *s, int64_t now_ns)
{
    while (s->backlog) {
        const Slot *oldest = &s->slots[slot_index(s, s->count - s->backlog)];
        if (oldest->wire_end_ns > now_ns) {
            return;
        }
        s->backlog--;
        s->backlog_bytes -= oldest->len;
    }
}

static bool loses_packet(Shaper *s)
{
    if (s->params.loss <= 0) {
        return false;
    }
    if (s->params.loss >= 1) {
        return true;
    }
    return next_random(s) < s->loss_threshold;
}

static bool queue_is_full(const Shaper *s, size_t len)
{
    const QueueLimit *limit = &s->params.limit;

    if (limit->packets && s->backlog + 1 > limit->packets) {
        return true;
    }
    return limit->bytes && s->backlog_bytes + len > limit->bytes;
}

/* Which counter a packet arriving now is dropped under; NULL: it passes. */
static uint64_t *drop_reason(Shaper *s, size_t len, int64_t now_ns)
{
    if (len >= s->slot_size) {
        return &s->stats.oversize_drops;
    }
    if (s->params.dead) {
        return &s->stats.dead_drops;
    }
    if (loses_packet(s)) {
        return &s->stats.lost;
    }
    drain_backlog(s, now_ns);
    if (queue_is_full(s, len)) {
        return &s->stats.queue_drops;
    }
    if (s->count == s->nslots) {
        return &s->stats.overflow_drops;
    }
    return NULL;
}

static int64_t serialisation_ns(const Shaper *s, size_t len)
{
    if (!s->params.rate) {
        return 0;
    }
    return (int64_t)((uint64_t)len * 8 * NS_PER_S / s->params.rate);
}

void shaper_admit(Shaper *s, size_t len, int64_t now_ns)
{
    s->stats.received++;
    s->stats.received_bytes += len;
    uint64_t *dropped = drop_reason(s, len, now_ns);
    if (dropped) {
        (*dropped)++;
        return;
    }
    int64_t start = s->wire_free_ns > now_ns ? s->wire_free_ns : now_ns;
    int64_t wire_end = start + serialisation_ns(s, len);
    int64_t due = wire_end + s->params.delay_ns;
    if (due < s->last_due_ns) {
        due = s->last_due_ns;   /* a link does not reorder */
    }
    s->slots[slot_index(s, s->count)] = (Slot){ wire_end, due, (uint32_t)len };
    s->count++;
    s->wire_free_ns = wire_end;
    s->last_due_ns = due;
    if (wire_end > now_ns) {
        s->backlog++;
        s->backlog_bytes += len;
    }
}

static void remove_oldest(Shaper *s)
{
    if (s->backlog == s->count) {
        /* The backlog is drained lazily: the oldest packet may still be
         * counted in it although its serialisation has ended. */
        s->backlog--;
        s->backlog_bytes -= s->slots[s->head].len;
    }
    s->head = slot_index(s, 1);
    s->count--;
}

const uint8_t *shaper_due(Shaper *s, int64_t now_ns, size_t *len)
{
    while (s->count && s->slots[s->head].due_ns <= now_ns) {
        if (!s->params.dead) {
            *len = s->slots[s->head].len;
            return s->data + s->head * s->slot_size;
        }
        s->stats.dead_drops++;
        remove_oldest(s);
    }
    return NULL;
}

void shaper_delivered(Shaper *s, bool written)
{
    uint32_t len = s->slots[s->head].len;

    if (written) {
        s->stats.delivered++;
        s->stats.delivered_bytes += len;
    } else {
        s->stats.write_drops++;
    }
    remove_oldest(s);
}

int64_t shaper_next_due(const Shaper *s)
{
    return s->count ? s->slots[s->head].due_ns : INT64_MAX;
}

const ShaperStats *shaper_stats(const Shaper *s)
{
    return &s->stats;
}

void shaper_backlog(Shaper *s, int64_t now_ns, uint64_t *packets, uint64_t *bytes)
{
    drain_backlog(s, now_ns);
    *packets = s->backlog;
    *bytes = s->backlog_bytes;
}

size_t shaper_held(const Shaper *s)
{
    return s->count;
}
