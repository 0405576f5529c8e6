/*
 * RAM migration (arch_init.c): the "ram" live section, its statistics, and
 * the figures the migration thread needs to decide when to stop the guest.
 * The migration core (migration.c) configures it before each migration and
 * reads its figures; this module knows nothing of the migration above it.
 */
#ifndef ARCH_INIT_H
#define ARCH_INIT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory.h"
#include "qemu-file.h"

/*
 * What the RAM section has done in the current (or last) migration. The
 * migration thread is the only writer (stat_add/stat_set); the monitor reads
 * with stat_get. Byte counts are bytes on the wire, headers included, unless
 * the name says otherwise. Reset when a migration starts.
 */
typedef struct RamStats {
    uint64_t transferred;        /* all RAM records */
    uint64_t precopy_bytes;      /* those sent while the guest ran, */
    uint64_t downtime_bytes;     /* and while it was stopped, */
    uint64_t postcopy_bytes;     /* and after the switch to post-copy */
    uint64_t dup_pages;          /* pages of one repeated byte (COMPRESS) */
    uint64_t dup_bytes;
    uint64_t normal_pages;       /* raw pages (PAGE) */
    uint64_t normal_bytes;
    uint64_t xbzrle_pages;       /* XBZRLE deltas */
    uint64_t xbzrle_bytes;
    uint64_t xbzrle_overflows;   /* encodings that did not fit: sent raw */
    uint64_t xbzrle_cache_hits;
    uint64_t xbzrle_cache_lookups;
    uint64_t xbzrle_skipped;     /* sent raw without trying (back-off rule) */
    uint64_t xbzrle_unchanged;   /* dirty but identical to the cached copy: nothing sent */
    uint64_t remaining_pages;    /* dirty pages not yet sent */
    uint64_t total_ram;          /* bytes of guest RAM */
    uint64_t iterations;         /* dirty-log syncs: one before the first pass
                                    over RAM, one after each pass */
    uint64_t dirty_pages_rate;   /* pages dirtied per second, last pass */
    uint64_t xbzrle_miss_rate_x1e6;     /* cache misses / lookups, last pass */
    uint64_t xbzrle_encoding_rate_x1e6; /* page bytes / encoded bytes, last pass */
    uint64_t sync_ns;            /* how long the last dirty-log sync took */
    uint64_t postcopy_requests;  /* pages the destination asked for */
} RamStats;

/* Registers the "ram" section with savevm.c (once, at start-up). */
void ram_migration_register(void);

/* Before a migration: whether it uses XBZRLE, with what cache size (bytes).
 * Resets the statistics. */
void ram_save_configure(bool use_xbzrle, uint64_t cache_size);

/* A cache size asked for while migrating: applied at the next part, by the
 * migration thread (the caller). Ignored when XBZRLE is off. */
void ram_save_set_cache_size(uint64_t cache_size);

/* The statistics, for reading with stat_get from any thread. */
RamStats *ram_save_stats(void);

/* The section's handlers (QEMU 1.0's names and stages; see savevm.h). */
int ram_save_live(QEMUFile *f, int stage, void *opaque);
int ram_load(QEMUFile *f, void *opaque, int version_id, GError **errp);

/*
 * Post-copy, on the source. From the switch on, before each page
 * next_request() may name a page the destination is waiting for (false:
 * none), which goes first. The discard ranges say which dropped pages the
 * destination keeps: those the cache holds, with XBZRLE past its first
 * pass; they go as deltas against the kept copies, every other page goes
 * whole. A page the destination reports lost (recovery) is sent again,
 * whole.
 */
typedef bool RamPageRequestFn(RAMBlock **block, uint64_t *page, void *opaque);
void ram_save_start_postcopy(RamPageRequestFn *next_request, void *opaque);
void ram_save_page_lost(RAMBlock *block, uint64_t page);
/* Calls fn for each run of dirty pages (not clearing them), all kept or
 * none: what the destination must drop at the switch. At most max_kept
 * pages are kept, the first in RAM order. */
typedef void RamDiscardRangeFn(RAMBlock *block, uint64_t first, uint64_t count,
                               bool keep, void *opaque);
void ram_save_foreach_discard_range(uint64_t max_kept, RamDiscardRangeFn *fn,
                                    void *opaque);

/*
 * Post-copy, on the destination. With tracking on, every page loaded is
 * remembered (so that a fault on a page that arrived as zeros and was never
 * written is resolved here); the pages dropped at the switch are forgotten.
 * After the switch pages are placed through the placer, never written.
 */
typedef struct RamPlacer {
    int (*place)(void *opaque, uint8_t *host, const uint8_t *data, GError **errp);
    int (*place_zero)(void *opaque, uint8_t *host, GError **errp);
    void *opaque;
} RamPlacer;

void ram_load_track_received(bool on);
bool ram_load_page_received(RAMBlock *block, uint64_t page);
void ram_load_forget_received(RAMBlock *block, uint64_t first, uint64_t count);
/* Maps the room for the pages kept at the switch (at the advice, while
 * a failure still leaves the source's guest running; freed with the
 * tracking); then keeps the pages about to be dropped, for the deltas that
 * patch them after the switch (each freed once its page is placed). */
int ram_load_reserve_stale(GError **errp);
int ram_load_keep_stale(RAMBlock *block, uint64_t first, uint64_t count, GError **errp);
/* NULL: pages are written in place again. */
void ram_load_set_placer(const RamPlacer *placer);

/* Ends a pass over RAM: fetches the dirty log and updates the per-pass
 * rates. Returns the number of dirty pages to send next. */
uint64_t ram_save_sync(void);

/* Bytes on the wire it would take to send what is dirty now (or was at the
 * previous sync, if more), at the cost per page seen in the last pass
 * (duplicates, deltas and raw pages alike). */
uint64_t ram_save_expected_bytes(void);

#endif
