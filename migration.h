/*
 * Live migration: the outgoing migration's parameters, state machine and
 * statistics (migration.c), the transports (migration-*.c), and the
 * incoming side.
 */
#ifndef MIGRATION_H
#define MIGRATION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-file.h"

#define MIGRATION_DEFAULT_CACHE_SIZE (64ull << 20)
#define MIGRATION_DEFAULT_BANDWIDTH (32ull << 20)    /* bytes per second */
#define MIGRATION_DEFAULT_DOWNTIME 0.030             /* seconds */

typedef enum MigrationStatus {
    MIG_STATE_NONE,
    MIG_STATE_SETUP,
    MIG_STATE_ACTIVE,
    MIG_STATE_COMPLETED,
    MIG_STATE_FAILED,
    MIG_STATE_CANCELLED,
} MigrationStatus;

/*
 * What a migration has done, for `info migrate` and `query-migrate`. The
 * migration thread is the only writer (with stat_add/stat_set); the monitor
 * reads with stat_get. Bytes are bytes on the wire, headers included.
 */
typedef struct MigrationStats {
    uint64_t transferred;        /* all RAM records */
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
    uint64_t iterations;         /* dirty-log syncs (passes over RAM) */
    uint64_t dirty_pages_rate;   /* pages dirtied per second, last pass */
    uint64_t mbps_x1000;         /* throughput of the last pass, in Mbit/s * 1000 */
    uint64_t xbzrle_miss_rate_x1e6;     /* cache misses / lookups, last pass */
    uint64_t xbzrle_encoding_rate_x1e6; /* page bytes / encoded bytes, last pass */
    uint64_t expected_downtime_ms;
    uint64_t downtime_ms;
    uint64_t cache_size;         /* bytes */
} MigrationStats;

static inline uint64_t stat_get(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static inline void stat_set(uint64_t *v, uint64_t x)
{
    __atomic_store_n(v, x, __ATOMIC_RELAXED);
}

/* Single writer: a load and a store, no locked instruction. */
static inline void stat_add(uint64_t *v, uint64_t x)
{
    stat_set(v, stat_get(v) + x);
}

const char *migration_status_name(MigrationStatus status);

/* --- for arch_init.c, in the migration thread ------------------------------ */

MigrationStats *migrate_stats(void);
/* Whether the current migration uses XBZRLE (fixed when it starts). */
bool migrate_use_xbzrle(void);
/* The cache size the user asks for now (may change while migrating). */
uint64_t migrate_xbzrle_cache_size(void);
/* Bytes per second now (0: no limit; may change while migrating). */
uint64_t migrate_bandwidth_limit(void);

/* --- the incoming side and program exit (vl.c) ----------------------------- */

/* Starts waiting for a stream on uri (tcp:, unix:, exec:, fd:); loads it
 * in a thread, then runs the guest unless start_stopped. */
int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp);

/* Cancels an outgoing migration and waits for its thread (program exit). */
void migration_shutdown(void);

/* --- transports (migration-tcp.c, -unix.c, -exec.c, -fd.c) ----------------- */

/* Opens the sending end: a connected socket, a pipe to a command, or a
 * passed descriptor. Returns the fd, or -1 with *errp. */
int tcp_start_outgoing_migration(const char *host_port, GError **errp);
int unix_start_outgoing_migration(const char *path, GError **errp);
int exec_start_outgoing_migration(const char *command, GError **errp);
int fd_start_outgoing_migration(const char *fdname, GError **errp);

/* The receiving end: calls `ready(fd, opaque)` from the main loop once a
 * stream is there to read (a client connected, a command started). */
typedef void IncomingReady(int fd, void *opaque);
int tcp_start_incoming_migration(const char *host_port, IncomingReady *ready,
                                 void *opaque, GError **errp);
int unix_start_incoming_migration(const char *path, IncomingReady *ready,
                                  void *opaque, GError **errp);
int exec_start_incoming_migration(const char *command, IncomingReady *ready,
                                  void *opaque, GError **errp);
int fd_start_incoming_migration(const char *fd_number, IncomingReady *ready,
                                void *opaque, GError **errp);

#endif
