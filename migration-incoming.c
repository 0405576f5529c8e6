/*
 * The incoming migration: waiting for a stream, telling real sources from
 * strangers on a listening port, loading the stream in a thread, the
 * destination's half of the closing handshake (see migration.c), and,
 * on a listening transport, going back to waiting after any failure.
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
#include "migration-params.h"
#include "migration-rp.h"
#include "qemu-error.h"
#include "qemu-file.h"
#include "qemu-sockets.h"
#include "savevm.h"
#include "sysemu.h"

/* A connection that has not shown a stream header within this long is a
 * stranger's: closed, and the port keeps waiting for the real source. */
#define HEADER_TIMEOUT_MS 5000

/* A connection on the listening port, until its first bytes tell. */
typedef struct Candidate {
    int fd;
    char *peer;
    uint8_t header[QEMU_VM_HEADER_SIZE];
    size_t got;
    guint watch;
    guint timer;
} Candidate;

static struct {
    GMutex lock;                /* status, times, error_desc */
    bool start_stopped;
    char *uri;
    MigrationListenSocket *listener;    /* tcp:, unix: */
    GList *candidates;
    GPid child;                 /* exec: */
    bool started;               /* has been a destination */
    gint status;                /* MigrationStatus */
    uint64_t start_ns;
    uint64_t end_ns;
    char *error_desc;
    /* the stream being loaded (the thread owns these until it ends) */
    QEMUFile *file;
    QEMUFile *rp;
    bool handshake;
    GThread *thread;
    GError *error;
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

bool migration_incoming_started(void)
{
    return incoming.started;
}

/* --- the stream's commands ------------------------------------------------------ */

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
    incoming.rp = qemu_file_open_return_path(f, errp);
    if (!incoming.rp) {
        return -1;
    }
    qemu_file_set_stall_timeout(incoming.rp, (unsigned)p.stall_timeout);
    return 0;
}

static int incoming_command(uint16_t cmd, const uint8_t *data, uint16_t len,
                            void *opaque, GError **errp)
{
    QEMUFile *f = opaque;

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
        if (incoming.rp) {
            migrate_rp_send(incoming.rp, MIG_RP_MSG_PONG, data, len);
            return qemu_file_get_error(incoming.rp, errp);
        }
        return 0;
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

    migrate_rp_send(incoming.rp, MIG_RP_MSG_X_LOADED, NULL, 0);
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

static gpointer incoming_thread(gpointer opaque)
{
    QEMUFile *f = incoming.file;
    bool header_checked = GPOINTER_TO_INT(opaque);
    LoadCommandOps ops = { .handle = incoming_command, .opaque = f };
    int r = header_checked ? qemu_loadvm_state_main(f, &ops, &incoming.error)
                           : qemu_loadvm_state(f, &ops, &incoming.error);

    if (r == 0 && incoming.handshake) {
        incoming_handshake(f, &incoming.error);
    }
    if (incoming.error && incoming.rp) {
        /* Best effort: the source hears why before the connection drops. */
        migrate_rp_send_error(incoming.rp, incoming.error->message);
    }
    main_loop_invoke(incoming_finished, NULL);
    return NULL;
}

static void start_load(int fd, bool header_checked)
{
    MigrationParams p;

    migrate_params_get(&p);
    migration_socket_set_timeouts(fd, (unsigned)p.stall_timeout);
    incoming.file = qemu_fopen_fd(fd, "the incoming migration", false);
    qemu_file_set_stall_timeout(incoming.file, (unsigned)p.stall_timeout);
    incoming.handshake = false;
    g_mutex_lock(&incoming.lock);
    incoming.started = true;
    incoming.start_ns = now_ns();
    incoming.end_ns = 0;
    g_clear_pointer(&incoming.error_desc, g_free);
    g_mutex_unlock(&incoming.lock);
    set_status(MIG_STATE_ACTIVE);
    incoming.thread = g_thread_new("migration-incoming", incoming_thread,
                                   GINT_TO_POINTER(header_checked));
}

static void close_stream(void)
{
    if (incoming.rp) {
        qemu_fclose(incoming.rp, NULL);
        incoming.rp = NULL;
    }
    qemu_fclose(incoming.file, NULL);
    incoming.file = NULL;
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
    set_status(MIG_STATE_COMPLETED);
    runstate_set(RUN_STATE_PAUSED);
    if (!incoming.start_stopped) {
        GError *err = NULL;
        if (vm_start(&err) < 0) {
            error_report_err(err);
        }
    }
    if (incoming.handshake) {
        migrate_rp_send(incoming.rp, MIG_RP_MSG_X_RESUMED, NULL, 0);
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

/* --- telling sources from strangers ---------------------------------------------------- */

static void candidate_drop(Candidate *c)
{
    incoming.candidates = g_list_remove(incoming.candidates, c);
    if (c->watch) {
        g_source_remove(c->watch);
    }
    if (c->timer) {
        g_source_remove(c->timer);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_free(c->peer);
    g_free(c);
}

static void candidate_refuse(Candidate *c, const char *why)
{
    error_report("incoming migration: refused the connection from %s: %s", c->peer, why);
    candidate_drop(c);
}

/* A second source while one stream loads: it hears why, if it listens. */
static void candidate_refuse_busy(Candidate *c)
{
    const char *why = "another migration is being loaded here";
    QEMUFile *rp = qemu_fopen_fd(dup(c->fd), "a second source", true);

    qemu_file_set_stall_timeout(rp, 1000);
    migrate_rp_send_error(rp, why);
    qemu_fclose(rp, NULL);
    candidate_refuse(c, why);
}

static void candidate_accept(Candidate *c)
{
    GError *err = NULL;

    if (qemu_loadvm_check_header(c->header, &err) < 0) {
        candidate_refuse(c, err->message);
        g_error_free(err);
        return;
    }
    if (incoming.thread) {
        candidate_refuse_busy(c);
        return;
    }
    int fd = c->fd;
    c->fd = -1;
    error_report("incoming migration: loading the stream from %s", c->peer);
    candidate_drop(c);
    start_load(fd, true);
}

static gboolean candidate_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    Candidate *c = opaque;
    ssize_t n = recv(c->fd, c->header + c->got, sizeof(c->header) - c->got, 0);

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n > 0) {
        c->got += (size_t)n;
        if (c->got < sizeof(c->header)) {
            return G_SOURCE_CONTINUE;
        }
    }
    c->watch = 0;   /* this source ends with G_SOURCE_REMOVE */
    if (n <= 0) {
        candidate_refuse(c, n == 0 ? "it closed the connection before sending a "
                         "stream header" : g_strerror(errno));
    } else {
        candidate_accept(c);
    }
    return G_SOURCE_REMOVE;
}

static gboolean candidate_timeout(gpointer opaque)
{
    Candidate *c = opaque;

    c->timer = 0;
    candidate_refuse(c, "no stream header within 5 s");
    return G_SOURCE_REMOVE;
}

static char *peer_name(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[256], port[32];

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 || ss.ss_family == AF_UNIX ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
                    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("a local client");
    }
    return g_strdup_printf(ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* A new connection on the listening port (main loop). */
static void incoming_connection(int fd, void *opaque)
{
    Candidate *c = g_new0(Candidate, 1);

    c->fd = fd;
    c->peer = peer_name(fd);
    socket_set_nonblock(fd, TRUE);
    c->watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, candidate_readable, c);
    c->timer = g_timeout_add(HEADER_TIMEOUT_MS, candidate_timeout, c);
    incoming.candidates = g_list_prepend(incoming.candidates, c);
}

/* exec: and fd: hand over the one stream there will be. */
static void incoming_stream(int fd, void *opaque)
{
    start_load(fd, false);
}

/* --- starting, stopping, query ------------------------------------------------------------ */

int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp)
{
    const char *p;

    incoming.start_stopped = start_stopped;
    g_free(incoming.uri);
    incoming.uri = g_strdup(uri);
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

/* Program exit during an incoming migration: stop loading, and wait for
 * the thread (its completion, queued for the main loop, never runs). */
void migration_incoming_shutdown(void)
{
    while (incoming.candidates) {
        candidate_drop(incoming.candidates->data);
    }
    stop_listening();
    if (incoming.thread) {
        qemu_file_cancel(incoming.file);
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
