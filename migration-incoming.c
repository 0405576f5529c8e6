/*
 * The incoming migration: waiting for a stream (from start-up with
 * -incoming URI, or from migrate-incoming with -incoming defer), telling
 * real sources from strangers on a listening port, loading the stream in a
 * thread, the destination's half of the closing handshake (see
 * migration.c), and, on a listening transport, going back to waiting after
 * any failure.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <glib-unix.h>

#include "main-loop.h"
#include "migration.h"
#include "migration-accept.h"
#include "migration-params.h"
#include "migration-postcopy.h"
#include "migration-rp.h"
#include "postcopy-ram.h"
#include "qemu-error.h"
#include "qemu-file.h"
#include "qemu-sockets.h"
#include "savevm.h"
#include "sysemu.h"

static struct {
    GMutex lock;                /* status, times, error_desc */
    bool start_stopped;
    char *uri;
    MigrationListenSocket *listener;    /* tcp:, unix: */
    GPid child;                 /* exec: */
    bool started;               /* -incoming URI or migrate-incoming worked */
    gint status;                /* MigrationStatus */
    uint64_t start_ns;
    uint64_t end_ns;
    char *error_desc;
    /* the stream being loaded (the thread owns these until it ends) */
    QEMUFile *file;
    QEMUFile *rp;               /* replaced under rp_lock: several threads send */
    GMutex rp_lock;
    bool handshake;
    GThread *thread;
    GError *error;
    /* post-copy */
    bool postcopy_advised;
    bool postcopy_running;      /* after RUN: the guest runs here */
    PostcopyRAM *pc;
    GCond recover_cond;         /* a paused post-copy waits for a new link */
    IOChannel *recover_ioc;     /* handed over by the recovery listener */
    bool recovering;            /* migrate-recover listens */
    bool shutting_down;
} incoming = {
    .status = MIG_STATE_NONE,
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_status(MigrationStatus status)
{
    g_atomic_int_set(&incoming.status, status);
    migration_notify_status(status, true);
}

/* --- the stream's commands ------------------------------------------------------ */

/* Sends on the return path, if there is one now (any thread). */
static void rp_send(MigrationRpMessage type, const void *data, uint16_t len)
{
    g_mutex_lock(&incoming.rp_lock);
    if (incoming.rp) {
        migrate_rp_send(incoming.rp, type, data, len);
    }
    g_mutex_unlock(&incoming.rp_lock);
}

static int open_return_path(QEMUFile *f, GError **errp)
{
    if (!migration_fd_is_socket(qemu_file_fd(f))) {
        error_setg(errp, "the source asks to confirm the end of the migration, but "
                   "%s cannot carry a reply; turn the source's return-path "
                   "capability off (migrate_set_capability return-path off)",
                   incoming.uri);
        return -1;
    }
    if (incoming.rp) {
        return 0;
    }
    MigrationParams p;
    migrate_params_get(&p);
    QEMUFile *rp = qemu_file_open_return_path(f);
    qemu_file_set_stall_timeout(rp, (unsigned)p.stall_timeout);
    g_mutex_lock(&incoming.rp_lock);
    incoming.rp = rp;
    g_mutex_unlock(&incoming.rp_lock);
    return 0;
}

/* --- post-copy --------------------------------------------------------------------- */

static int postcopy_place(void *opaque, uint8_t *host, const uint8_t *data, GError **errp)
{
    return postcopy_ram_place(incoming.pc, host, data, errp);
}

static int postcopy_place_zero(void *opaque, uint8_t *host, GError **errp)
{
    return postcopy_ram_place_zero(incoming.pc, host, errp);
}

static const RamPlacer postcopy_placer = {
    .place = postcopy_place,
    .place_zero = postcopy_place_zero,
};

/* Asks the source for a page the guest (or anyone) is waiting on. */
static void postcopy_request(RAMBlock *block, uint64_t page, void *opaque)
{
    uint8_t buf[MIG_RP_MAX_LEN];

    rp_send(MIG_RP_MSG_REQ_PAGES_ID, buf, postcopy_format_request(block, page, buf));
}

/*
 * A touch of a page that has not been placed (fault thread): one that
 * arrived as zeros and was never written is placed here, any other is
 * asked for.
 */
static void postcopy_fault(RAMBlock *block, uint64_t page, void *opaque)
{
    if (ram_load_page_received(block, page)) {
        GError *err = NULL;
        uint8_t *host = ram_block_host(block, page * TARGET_PAGE_SIZE);
        if (postcopy_ram_place_zero(incoming.pc, host, &err) < 0) {
            error_report("post-copy: %s", err->message);
            g_error_free(err);
        }
        return;
    }
    postcopy_request(block, page, opaque);
}

static int postcopy_advise(const uint8_t *data, uint16_t len, GError **errp)
{
    if (!migrate_cap_enabled(MIGRATION_CAP_POSTCOPY_RAM)) {
        error_setg(errp, "the source may switch to post-copy, but the postcopy-ram "
                   "capability is off here (set it on both sides)");
        return -1;
    }
    if (incoming.postcopy_advised) {
        error_setg(errp, "the source advised post-copy twice");
        return -1;
    }
    if (postcopy_check_advise(data, len, errp) < 0 || !postcopy_ram_supported(errp)) {
        return -1;
    }
    ram_load_track_received(true);
    if (ram_load_reserve_stale(errp) < 0) {
        ram_load_track_received(false);
        return -1;
    }
    incoming.postcopy_advised = true;
    return 0;
}

static gboolean postcopy_start_guest(gpointer opaque);

/* RUN: from now on pages are placed (never written), and the guest runs. */
static int postcopy_run(GError **errp)
{
    if (!incoming.postcopy_advised || !incoming.rp) {
        error_setg(errp, "post-copy RUN without the advice and a return path");
        return -1;
    }
    incoming.pc = postcopy_ram_start(postcopy_fault, NULL, errp);
    if (!incoming.pc) {
        return -1;
    }
    ram_load_set_placer(&postcopy_placer);
    memory_set_access_guard("post-copy is still bringing the guest's pages");
    incoming.postcopy_running = true;
    /* Here, not in the main loop: a link cut right after RUN pauses this
     * thread, and a status set later would hide the pause (and refuse
     * migrate-recover). */
    set_status(MIG_STATE_POSTCOPY_ACTIVE);
    main_loop_invoke(postcopy_start_guest, NULL);
    return 0;
}

/* The end of a post-copy: every page is here. */
static void postcopy_end(void)
{
    if (incoming.pc) {
        postcopy_ram_stop(incoming.pc);
        incoming.pc = NULL;
    }
    ram_load_set_placer(NULL);
    ram_load_track_received(false);
    memory_set_access_guard(NULL);
    incoming.postcopy_advised = incoming.postcopy_running = false;
}

static int incoming_command(uint16_t cmd, const uint8_t *data, uint16_t len,
                            void *opaque, GError **errp)
{
    QEMUFile *f = incoming.file;

    switch (cmd) {
    case MIG_CMD_OPEN_RETURN_PATH:
        return open_return_path(f, errp);
    case MIG_CMD_X_HANDSHAKE:
        if (!incoming.rp) {
            error_setg(errp, "the stream asks for the closing handshake without "
                       "opening a return path");
            return -1;
        }
        incoming.handshake = true;
        return 0;
    case MIG_CMD_PING:
        rp_send(MIG_RP_MSG_PONG, data, len);
        return 0;
    case MIG_CMD_POSTCOPY_ADVISE:
        return postcopy_advise(data, len, errp);
    case MIG_CMD_POSTCOPY_RAM_DISCARD:
        if (!incoming.postcopy_advised || incoming.postcopy_running) {
            error_setg(errp, "a post-copy discard out of place in the stream");
            return -1;
        }
        return postcopy_apply_discard(data, len, errp);
    case MIG_CMD_POSTCOPY_RUN:
        return postcopy_run(errp);
    default:
        error_setg(errp, "unexpected command 0x%04x in the stream", cmd);
        return -1;
    }
}

/* --- loading -------------------------------------------------------------------- */

/* The destination's half of the handshake: LOADED, then COMMIT. */
static int incoming_handshake(QEMUFile *f, GError **errp)
{
    uint16_t cmd;

    rp_send(MIG_RP_MSG_X_LOADED, NULL, 0);
    if (qemu_file_get_error(incoming.rp, errp) < 0) {
        error_prepend(errp, "cannot tell the source the stream is loaded");
        return -1;
    }
    if (qemu_loadvm_get_command(f, &cmd, errp) < 0) {
        error_prepend(errp, "the source did not commit the migration");
        return -1;
    }
    if (cmd != MIG_CMD_X_COMMIT) {
        error_setg(errp, "the source sent command 0x%04x instead of committing "
                   "the migration", cmd);
        return -1;
    }
    return 0;
}

static gboolean incoming_finished(gpointer opaque);

static int incoming_recover(void *opaque, QEMUFile **f, GError **errp);

static gpointer incoming_thread(gpointer opaque)
{
    QEMUFile *f = incoming.file;
    bool header_checked = GPOINTER_TO_INT(opaque);
    LoadCommandOps ops = { .handle = incoming_command, .recover = incoming_recover };
    int r = header_checked ? qemu_loadvm_state_main(f, &ops, &incoming.error)
                           : qemu_loadvm_state(f, &ops, &incoming.error);

    if (r == 0 && incoming.postcopy_running) {
        /* Every page is placed: the source may let go. */
        rp_send(MIG_RP_MSG_X_LOADED, NULL, 0);
    } else if (r == 0 && incoming.handshake) {
        incoming_handshake(incoming.file, &incoming.error);
    }
    if (incoming.error && incoming.rp) {
        /* Best effort: the source hears why before the connection drops. */
        g_mutex_lock(&incoming.rp_lock);
        migrate_rp_send_error(incoming.rp, incoming.error->message);
        g_mutex_unlock(&incoming.rp_lock);
    }
    main_loop_invoke(incoming_finished, NULL);
    return NULL;
}

static void start_load(IOChannel *ioc, bool header_checked)
{
    MigrationParams p;

    migrate_params_get(&p);
    migration_socket_set_timeouts(io_channel_fd(ioc), (unsigned)p.stall_timeout);
    incoming.file = qemu_fopen_channel(ioc, "the incoming migration", false);
    qemu_file_set_stall_timeout(incoming.file, (unsigned)p.stall_timeout);
    incoming.handshake = false;
    g_mutex_lock(&incoming.lock);
    incoming.start_ns = now_ns();
    incoming.end_ns = 0;
    g_clear_pointer(&incoming.error_desc, g_free);
    g_mutex_unlock(&incoming.lock);
    set_status(MIG_STATE_ACTIVE);
    incoming.thread = g_thread_new("migration-incoming", incoming_thread,
                                   GINT_TO_POINTER(header_checked));
}

/* Takes the file out of *slot under its lock (other threads send on it),
 * then closes it. */
static void close_file_in(GMutex *lock, QEMUFile **slot)
{
    g_mutex_lock(lock);
    QEMUFile *f = *slot;
    *slot = NULL;
    g_mutex_unlock(lock);
    if (f) {
        qemu_fclose(f, NULL);
    }
}

static void close_stream(void)
{
    close_file_in(&incoming.rp_lock, &incoming.rp);
    close_file_in(&incoming.lock, &incoming.file);
}

static void record_end(const char *error)
{
    g_mutex_lock(&incoming.lock);
    incoming.end_ns = now_ns();
    g_free(incoming.error_desc);
    incoming.error_desc = g_strdup(error);
    g_mutex_unlock(&incoming.lock);
}

static void stop_listening(void)
{
    if (incoming.listener) {
        migration_listener_close(incoming.listener);
        incoming.listener = NULL;
    }
}

/* The load failed: a listening transport waits for the next source; the
 * others cannot get another stream, so the program ends. */
static void incoming_failed(void)
{
    GError *err = incoming.error;

    incoming.error = NULL;
    postcopy_end();
    record_end(err->message);
    set_status(MIG_STATE_FAILED);
    if (incoming.listener) {
        error_report("load of migration failed: %s; waiting for a new connection "
                     "on %s", err->message, incoming.uri);
        g_error_free(err);
        return;
    }
    error_report("load of migration failed: %s; not starting the guest", err->message);
    g_error_free(err);
    if (incoming.child) {
        exec_finish_child(incoming.child, true, 1000, NULL);
        incoming.child = 0;
    }
    main_loop_quit(1);
}

static void reap_child(GPid pid, gint status, gpointer opaque)
{
    g_spawn_close_pid(pid);
}

static void incoming_succeeded(void)
{
    stop_listening();
    record_end(NULL);
    if (incoming.postcopy_running) {
        /* The guest runs already: only the pages' arrival ended. */
        postcopy_end();
        set_status(MIG_STATE_COMPLETED);
        return;
    }
    postcopy_end();     /* advised, never switched: what it kept goes */
    set_status(MIG_STATE_COMPLETED);
    runstate_set(RUN_STATE_PAUSED);
    if (!incoming.start_stopped) {
        GError *err = NULL;
        if (vm_start(&err) < 0) {
            error_report_err(err);
        }
    }
    if (incoming.handshake) {
        rp_send(MIG_RP_MSG_X_RESUMED, NULL, 0);
    }
    if (incoming.child) {
        g_child_watch_add(incoming.child, reap_child, NULL);
        incoming.child = 0;
    }
}

static gboolean incoming_finished(gpointer opaque)
{
    g_thread_join(incoming.thread);
    incoming.thread = NULL;
    if (incoming.error) {
        close_stream();
        incoming_failed();
    } else {
        incoming_succeeded();
        close_stream();
    }
    return G_SOURCE_REMOVE;
}

/* RUN came (main loop): the guest runs here from now on; no other source
 * may ever be loaded. */
static gboolean postcopy_start_guest(gpointer opaque)
{
    /* A recovery may have come first (the link cut at once): its
     * listener is the one open now. */
    if (!incoming.recovering) {
        stop_listening();
    }
    runstate_set(RUN_STATE_PAUSED);
    if (!incoming.start_stopped) {
        GError *err = NULL;
        if (vm_start(&err) < 0) {
            error_report_err(err);
        }
    }
    rp_send(MIG_RP_MSG_X_RESUMED, NULL, 0);
    return G_SOURCE_REMOVE;
}

static void incoming_connection(int fd, void *opaque);

/* The channel of a recovering source, once migrate-recover's listener
 * has one; NULL when the program ends first. */
static IOChannel *wait_recover_channel(void)
{
    g_mutex_lock(&incoming.lock);
    while (!incoming.recover_ioc && !incoming.shutting_down) {
        g_cond_wait(&incoming.recover_cond, &incoming.lock);
    }
    IOChannel *ioc = g_steal_pointer(&incoming.recover_ioc);
    g_mutex_unlock(&incoming.lock);
    return ioc;
}

static void send_bitmap_piece(const uint8_t *data, uint16_t len, void *opaque)
{
    rp_send(MIG_RP_MSG_RECV_BITMAP, data, len);
}

/* Reads one command of the new link, which must be `want`. */
static int expect_command(QEMUFile *f, uint16_t want, GError **errp)
{
    uint16_t cmd;

    if (qemu_loadvm_get_command(f, &cmd, errp) < 0) {
        return -1;
    }
    if (cmd != want) {
        error_setg(errp, "a recovering source sent command 0x%04x, not 0x%04x", cmd, want);
        return -1;
    }
    return 0;
}

/*
 * A new link for a paused post-copy (its header already checked): the
 * source opens the return path and asks to resume; it learns which pages
 * are here, and the pages the guest waits on are asked for again.
 */
static int postcopy_resume_link(IOChannel *ioc, QEMUFile **fp, GError **errp)
{
    MigrationParams p;

    migrate_params_get(&p);
    migration_socket_set_timeouts(io_channel_fd(ioc), (unsigned)p.stall_timeout);
    QEMUFile *f = qemu_fopen_channel(ioc, "the recovering migration", false);
    qemu_file_set_stall_timeout(f, (unsigned)p.stall_timeout);
    g_mutex_lock(&incoming.lock);
    incoming.file = f;
    g_mutex_unlock(&incoming.lock);
    if (expect_command(incoming.file, MIG_CMD_OPEN_RETURN_PATH, errp) < 0 ||
        open_return_path(incoming.file, errp) < 0 ||
        expect_command(incoming.file, MIG_CMD_POSTCOPY_RESUME, errp) < 0) {
        return -1;
    }
    postcopy_format_recv_bitmap(send_bitmap_piece, NULL);
    rp_send(MIG_RP_MSG_RESUME_ACK, NULL, 0);
    postcopy_ram_foreach_waited(incoming.pc, postcopy_request, NULL);
    *fp = incoming.file;
    return qemu_file_get_error(incoming.rp, errp);
}

/*
 * The load's error hook: before the switch an error ends the load; after
 * it the guest runs here and cannot be given up, so the post-copy pauses
 * until migrate-recover brings a new link.
 */
static int incoming_recover(void *opaque, QEMUFile **fp, GError **errp)
{
    if (!incoming.postcopy_running) {
        return -1;
    }
    for (;;) {
        error_report("post-copy paused: %s; waiting for migrate-recover",
                     (*errp)->message);
        record_end((*errp)->message);
        close_stream();
        set_status(MIG_STATE_POSTCOPY_PAUSED);
        IOChannel *ioc = wait_recover_channel();
        if (!ioc) {
            return -1;
        }
        g_clear_error(errp);
        set_status(MIG_STATE_POSTCOPY_RECOVER);
        if (postcopy_resume_link(ioc, fp, errp) == 0) {
            set_status(MIG_STATE_POSTCOPY_ACTIVE);
            return 0;
        }
    }
}

int migration_incoming_recover(const char *uri, GError **errp)
{
    const char *p;

    if (g_atomic_int_get(&incoming.status) != MIG_STATE_POSTCOPY_PAUSED) {
        error_setg(errp, "Migrate recover can only be run when postcopy is paused.");
        return -1;
    }
    if (incoming.recovering) {
        error_setg(errp, "Migrate recovery is triggered already");
        return -1;
    }
    stop_listening();       /* the first source's, if the guest has not started yet */
    if ((p = g_str_has_prefix(uri, "tcp:") ? uri + 4 : NULL)) {
        incoming.listener = tcp_start_incoming_migration(p, incoming_connection, NULL, errp);
    } else if ((p = g_str_has_prefix(uri, "unix:") ? uri + 5 : NULL)) {
        incoming.listener = unix_start_incoming_migration(p, incoming_connection, NULL, errp);
    } else {
        error_setg(errp, "a post-copy recovers over tcp: or unix:, not '%s'", uri);
        return -1;
    }
    incoming.recovering = incoming.listener != NULL;
    return incoming.recovering ? 0 : -1;
}

/* --- the sources -------------------------------------------------------------------- */

/* A second source while one stream loads: it hears why, if it listens. */
static void refuse_busy(IOChannel *ioc, const char *peer)
{
    const char *why = "another migration is being loaded here";
    QEMUFile *rp = qemu_fopen_channel(ioc, "a second source", true);

    qemu_file_set_stall_timeout(rp, 1000);
    migrate_rp_send_error(rp, why);
    qemu_fclose(rp, NULL);
    error_report("incoming migration: refused the connection from %s: %s", peer, why);
}

/* The recovering source's link goes to the paused loading thread. */
static void hand_over_to_recovery(IOChannel *ioc, const char *peer)
{
    error_report("incoming migration: resuming the post-copy with %s", peer);
    g_mutex_lock(&incoming.lock);
    incoming.recover_ioc = ioc;
    g_cond_broadcast(&incoming.recover_cond);
    g_mutex_unlock(&incoming.lock);
    incoming.recovering = false;
    stop_listening();
}

/* A connection showed a valid header (main loop). */
static void source_found(IOChannel *ioc, const char *peer, void *opaque)
{
    if (incoming.recovering) {
        hand_over_to_recovery(ioc, peer);
        return;
    }
    if (incoming.thread) {
        refuse_busy(ioc, peer);
        return;
    }
    error_report("incoming migration: loading the stream from %s", peer);
    start_load(ioc, true);
}

/* A new connection on the listening port (main loop): checked, with TLS
 * when tls-creds is set. */
static void incoming_connection(int fd, void *opaque)
{
    MigrationParams p;

    migrate_params_get(&p);
    migration_accept_check(fd, p.tls_creds, p.tls_authz, source_found, NULL, NULL);
}

/* The one stream of exec: or fd: was refused: there will be no other, and
 * the program ends as when its load fails. */
static void stream_refused(const char *why, void *opaque)
{
    incoming.error = g_error_new(QEMU_ERROR, QEMU_ERROR_GENERIC, "%s", why);
    incoming_failed();
}

/* exec: and fd: hand over the one stream there will be; with TLS (a socket
 * only) it is checked like a listening port's connection. */
static void incoming_stream(int fd, void *opaque)
{
    MigrationParams p;

    migrate_params_get(&p);
    if (migrate_params_tls(&p) && !migration_fd_is_socket(fd)) {
        close(fd);
        stream_refused("TLS migration needs a socket (tcp:, unix:, or fd: of a socket)", NULL);
        return;
    }
    if (migrate_params_tls(&p)) {
        migration_accept_check(fd, p.tls_creds, p.tls_authz, source_found, stream_refused,
                               NULL);
        return;
    }
    start_load(io_channel_new_fd(fd), false);
}

/* --- starting, stopping, query ------------------------------------------------------------ */

/* Opens the receiving end of uri. */
static int start_transport(const char *uri, GError **errp)
{
    const char *p;

    stop_listening();       /* the first source's, if the guest has not started yet */
    if ((p = g_str_has_prefix(uri, "tcp:") ? uri + 4 : NULL)) {
        incoming.listener = tcp_start_incoming_migration(p, incoming_connection, NULL, errp);
        return incoming.listener ? 0 : -1;
    }
    if ((p = g_str_has_prefix(uri, "unix:") ? uri + 5 : NULL)) {
        incoming.listener = unix_start_incoming_migration(p, incoming_connection, NULL, errp);
        return incoming.listener ? 0 : -1;
    }
    if ((p = g_str_has_prefix(uri, "exec:") ? uri + 5 : NULL)) {
        return exec_start_incoming_migration(p, &incoming.child, incoming_stream, NULL, errp);
    }
    if ((p = g_str_has_prefix(uri, "fd:") ? uri + 3 : NULL)) {
        return fd_start_incoming_migration(p, incoming_stream, NULL, errp);
    }
    error_setg(errp, "unknown migration protocol: '%s' (tcp:, unix:, exec: or fd:)", uri);
    return -1;
}

int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp)
{
    incoming.start_stopped = start_stopped;
    g_free(incoming.uri);
    incoming.uri = g_strdup(uri);
    /* Set first: exec: and fd: start loading at once. */
    set_status(MIG_STATE_SETUP);
    if (start_transport(uri, errp) < 0) {
        /* Back to "never started", which has no event. */
        g_atomic_int_set(&incoming.status, MIG_STATE_NONE);
        return -1;
    }
    incoming.started = true;
    return 0;
}

void migration_incoming_defer(bool start_stopped)
{
    incoming.start_stopped = start_stopped;
}

/* QEMU's checks and messages, in QEMU's order; a failed start can be
 * tried again. */
int migration_incoming_start_deferred(const char *uri, GError **errp)
{
    if (incoming.started) {
        error_setg(errp, "The incoming migration has already been started");
        return -1;
    }
    if (runstate_get() != RUN_STATE_INMIGRATE) {
        error_setg(errp, "'-incoming' was not specified on the command line");
        return -1;
    }
    return qemu_start_incoming_migration(uri, incoming.start_stopped, errp);
}

/* Program exit during an incoming migration: stop loading, and wait for
 * the thread (its completion, queued for the main loop, never runs). */
void migration_incoming_shutdown(void)
{
    migration_accept_drop_all();
    stop_listening();
    g_mutex_lock(&incoming.lock);
    incoming.shutting_down = true;
    g_cond_broadcast(&incoming.recover_cond);
    g_mutex_unlock(&incoming.lock);
    if (incoming.thread) {
        g_mutex_lock(&incoming.lock);
        if (incoming.file) {
            qemu_file_cancel(incoming.file);
        }
        g_mutex_unlock(&incoming.lock);
        if (incoming.rp) {
            qemu_file_cancel(incoming.rp);
        }
        g_thread_join(incoming.thread);
        incoming.thread = NULL;
    }
    if (incoming.child) {
        exec_finish_child(incoming.child, true, 1000, NULL);
        incoming.child = 0;
    }
}

void migration_incoming_get_info(MigrationInfo *info)
{
    memset(info, 0, sizeof(*info));
    info->incoming = true;
    info->status = (MigrationStatus)g_atomic_int_get(&incoming.status);
    g_mutex_lock(&incoming.lock);
    if (incoming.start_ns) {
        uint64_t end = incoming.end_ns ? incoming.end_ns : now_ns();
        info->total_time_ms = (end - incoming.start_ns) / 1000000;
    }
    info->error_desc = g_strdup(incoming.error_desc);
    g_mutex_unlock(&incoming.lock);
}
