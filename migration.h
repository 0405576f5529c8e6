/*
 * Live migration: the outgoing migration's state machine and thread
 * (migration.c), the incoming side (migration-incoming.c), the transports
 * (migration-*.c). The QMP and HMP commands (migration-qmp.c,
 * migration-hmp.c, migration-params.c) sit on top of this interface.
 */
#ifndef MIGRATION_H
#define MIGRATION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "arch_init.h"
#include "qemu-file.h"

typedef enum MigrationStatus {
    MIG_STATE_NONE,
    MIG_STATE_SETUP,
    MIG_STATE_ACTIVE,
    MIG_STATE_COMPLETED,
    MIG_STATE_FAILED,
    MIG_STATE_CANCELLED,
    MIG_STATE_POSTCOPY_ACTIVE,   /* the guest runs on the destination */
    MIG_STATE_POSTCOPY_PAUSED,   /* the link broke after the switch */
    MIG_STATE_POSTCOPY_RECOVER,  /* a new link is being set up */
} MigrationStatus;

const char *migration_status_name(MigrationStatus status);

/* A snapshot of a migration, for query-migrate (either side). */
typedef struct MigrationInfo {
    MigrationStatus status;
    bool incoming;
    uint64_t total_time_ms;        /* from its start to its end (or now) */
    uint64_t setup_time_ms;        /* from its start to the first pass */
    uint64_t downtime_ms;          /* completed: guest stopped here → runnable there */
    uint64_t expected_downtime_ms; /* active: what stopping now would cost */
    uint64_t mbps_x1000;           /* Mbit/s: the last ~100 ms while active,
                                      the transfer's average once completed */
    uint64_t pages_per_second;     /* RAM pages sent, the last ~100 ms */
    uint64_t rtt_us;               /* return path round trip, 0 if none */
    int cpu_throttle_percentage;   /* auto-converge's throttle, 0 if none */
    bool use_xbzrle;
    uint64_t postcopy_auto_pass;   /* the pass after which x-postcopy-auto
                                      switched, 0 if it did not */
    char *error_desc;              /* failed: why (g_free) */
    RamStats ram;                  /* outgoing: the RAM section's figures */
    uint64_t bytes;                /* incoming: bytes read so far */
} MigrationInfo;

/*
 * What the layers above want to hear (the MIGRATION and MIGRATION_PASS
 * events): a status change of either side, and the end of each pass over
 * RAM. Called from any thread. One listener.
 */
typedef struct MigrationListener {
    void (*status_changed)(MigrationStatus status, bool incoming, void *opaque);
    void (*pass_done)(uint64_t pass, void *opaque);
    void *opaque;
} MigrationListener;

void migration_set_listener(const MigrationListener *listener);

/* --- outgoing (migration.c) ------------------------------------------------- */

/* Connects the migration to its parameters (start-up). */
void migration_init(void);

/* Starts a migration to uri (tcp:, unix:, exec:, fd:) with the current
 * parameters; xbzrle forces the capability on for this one. For "fd:NAME"
 * the caller looked the descriptor up and passes it in fd (taking it over);
 * -1 otherwise. */
int migrate_start(const char *uri, int fd, bool xbzrle, GError **errp);
/* Fails when the migration cannot be cancelled any more (post-copy). */
int migrate_cancel(GError **errp);
/* migrate-start-postcopy: the switch, at the next chance. */
int migrate_start_postcopy(GError **errp);
/* migrate with resume: a paused post-copy goes on over uri (tcp:, unix:). */
int migrate_resume(const char *uri, GError **errp);
void migration_get_info(MigrationInfo *info);
/* Cancels an outgoing migration and waits for its thread (program exit). */
void migration_shutdown(void);

/* --- incoming (migration-incoming.c) ----------------------------------------------- */

/* Starts waiting for a stream on uri (tcp:, unix:, exec:, fd:): the status
 * becomes setup; loads it in a thread, then runs the guest unless
 * start_stopped. */
int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp);
/*
 * -incoming defer: the machine waits (in inmigrate) without listening, so
 * that parameters can be set first; migration_incoming_start_deferred
 * (QMP migrate-incoming) then starts with the URI. Fails once an incoming
 * migration has started, or without -incoming.
 */
void migration_incoming_defer(bool start_stopped);
int migration_incoming_start_deferred(const char *uri, GError **errp);
/* migrate-recover: a paused post-copy waits for its source's new link on
 * uri (tcp:, unix:). */
int migration_incoming_recover(const char *uri, GError **errp);
void migration_incoming_get_info(MigrationInfo *info);
/* Stops loading and waits for the loading thread (program exit). */
void migration_incoming_shutdown(void);

/* For both sides (migration.c): the listener's calls. */
void migration_notify_status(MigrationStatus status, bool incoming);
void migration_notify_pass(uint64_t pass);

/* --- transports (migration-tcp.c, -unix.c, -exec.c, -fd.c) ----------------- */

/* Opens the sending end: a connected socket or a pipe to a command.
 * Returns the fd, or -1 with *errp. exec: also gives the command's process
 * (see exec_finish_child). */
int tcp_start_outgoing_migration(const char *host_port, GError **errp);
int unix_start_outgoing_migration(const char *path, GError **errp);
int exec_start_outgoing_migration(const char *command, GPid *child, GError **errp);

/*
 * The receiving end. Listening transports (tcp:, unix:) call
 * `ready(fd, opaque)` from the main loop for every connection until
 * migration_listener_close(); the others call it once, at once.
 */
typedef void IncomingReady(int fd, void *opaque);
typedef struct MigrationListenSocket MigrationListenSocket;
MigrationListenSocket *tcp_start_incoming_migration(const char *host_port,
                                                    IncomingReady *ready,
                                                    void *opaque, GError **errp);
MigrationListenSocket *unix_start_incoming_migration(const char *path,
                                                     IncomingReady *ready,
                                                     void *opaque, GError **errp);
void migration_listener_close(MigrationListenSocket *ls);
int exec_start_incoming_migration(const char *command, GPid *child,
                                  IncomingReady *ready, void *opaque,
                                  GError **errp);
int fd_start_incoming_migration(const char *fd_number, IncomingReady *ready,
                                void *opaque, GError **errp);

/*
 * Ends an exec: command: with force, its process group is sent SIGTERM (and
 * SIGKILL a second later if still there); either way it is waited for, at
 * most timeout_ms before being killed. 0 when it exited with status 0,
 * else -1 with *errp naming the command's end.
 */
int exec_finish_child(GPid child, bool force, unsigned timeout_ms, GError **errp);

/*
 * Socket options of a migration connection: TCP keepalive and
 * TCP_USER_TIMEOUT bounded by timeout_ms, so that a dead peer is noticed
 * by the kernel too. No-op for other descriptors.
 */
void migration_socket_set_timeouts(int fd, unsigned timeout_ms);

/* Whether the descriptor can carry replies (a socket). */
bool migration_fd_is_socket(int fd);

/* The kernel's smoothed round-trip time of a TCP connection in µs (0 for
 * other descriptors). */
unsigned migration_socket_rtt_us(int fd);

#endif
