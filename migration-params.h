/*
 * The migration's settings: parameters (bandwidth, downtime limit, cache
 * size, auto-converge's throttle steps, the failure bounds) and capabilities
 * (xbzrle, auto-converge, events, return-path), with QEMU's names, ranges
 * and error messages, and the QMP commands that set and query them
 * (migration-params.c). Readable from any thread.
 */
#ifndef MIGRATION_PARAMS_H
#define MIGRATION_PARAMS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define MIGRATION_DEFAULT_CACHE_SIZE (64ull << 20)
#define MIGRATION_DEFAULT_BANDWIDTH (32ull << 20)    /* bytes per second */
#define MIGRATION_DEFAULT_DOWNTIME_MS 30
#define MIGRATION_DEFAULT_STALL_TIMEOUT_MS 30000
/* The final stage's bound when none is set: this many downtime limits,
 * and never less than MIGRATION_MIN_COMMIT_TIMEOUT_MS. */
#define MIGRATION_COMMIT_TIMEOUT_DOWNTIMES 20
#define MIGRATION_MIN_COMMIT_TIMEOUT_MS 2000
/* auto-converge's throttle, in percent (QEMU's defaults) */
#define MIGRATION_DEFAULT_CPU_THROTTLE_INITIAL 20
#define MIGRATION_DEFAULT_CPU_THROTTLE_INCREMENT 10
#define MIGRATION_DEFAULT_MAX_CPU_THROTTLE 99

typedef struct MigrationParams {
    uint64_t cpu_throttle_initial;   /* auto-converge's first throttle, % */
    uint64_t cpu_throttle_increment; /* and each step up from there, % */
    uint64_t max_bandwidth;      /* bytes per second; 0: no limit */
    uint64_t downtime_limit;     /* ms the guest may stay stopped */
    uint64_t xbzrle_cache_size;  /* bytes, a power of two, at least a page */
    uint64_t max_cpu_throttle;   /* auto-converge's highest throttle, % */
    uint64_t stall_timeout;      /* ms without progress before giving up */
    uint64_t commit_timeout;     /* ms for the final stage; 0: derived */
    /* TLS (QEMU's): an object id each, empty when unset */
    char tls_creds[128];         /* tls-creds-x509 / tls-creds-psk: TLS on */
    char tls_hostname[256];      /* what the destination's certificate names */
    char tls_authz[128];         /* authz-simple: who may migrate in */
    bool postcopy_auto;          /* x-postcopy-auto: switch when pre-copy cannot end */
} MigrationParams;

/* In QEMU's order, which query-migrate-capabilities follows. */
typedef enum MigrationCapability {
    MIGRATION_CAP_XBZRLE,
    MIGRATION_CAP_AUTO_CONVERGE, /* throttle a guest that dirties too fast */
    MIGRATION_CAP_EVENTS,        /* MIGRATION and MIGRATION_PASS events */
    MIGRATION_CAP_POSTCOPY_RAM,  /* the migration may switch to post-copy */
    MIGRATION_CAP_RETURN_PATH,   /* confirm the end over the connection */
    MIGRATION_CAP__MAX
} MigrationCapability;

/* A copy of the current parameters. */
void migrate_params_get(MigrationParams *params);
bool migrate_cap_enabled(MigrationCapability cap);

/* The final stage's bound in ms: commit_timeout, or when 0 the default
 * derived from the downtime limit. */
uint64_t migrate_commit_timeout_ms(const MigrationParams *params);

/*
 * Called (main thread) after parameters changed, so that a running
 * migration applies the new bandwidth and cache size. One listener.
 */
void migrate_params_set_listener(void (*changed)(void *opaque), void *opaque);

/* While a migration runs, capabilities cannot change ("there's a migration
 * process in progress"). */
void migrate_params_set_busy(bool busy);

/* Whether the parameters ask for TLS. */
bool migrate_params_tls(const MigrationParams *params);

/* The unit HMP prints after a parameter's value ("bytes/second", "ms",
 * "bytes", "" for a percentage), or NULL for a name that is no parameter. */
const char *migrate_param_unit(const char *name);

#endif
