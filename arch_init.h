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
    uint64_t downtime_bytes;     /* and while it was stopped */
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

/* Ends a pass over RAM: fetches the dirty log and updates the per-pass
 * rates. Returns the number of dirty pages to send next. */
uint64_t ram_save_sync(void);

/* Bytes on the wire it would take to send what is dirty now (or was at the
 * previous sync, if more), at the cost per page seen in the last pass
 * (duplicates, deltas and raw pages alike). */
uint64_t ram_save_expected_bytes(void);

#endif
