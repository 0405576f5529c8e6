/*
 * Telling sources from strangers (migration-accept.h): each connection is
 * a candidate stepped by main-loop watches, through the TLS handshake
 * (when on) and the eight bytes of the stream header.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "io-channel-tls.h"
#include "migration-accept.h"
#include "migration-rp.h"
#include "migration-tls.h"
#include "qemu-error.h"
#include "qemu-sockets.h"
#include "savevm.h"

typedef struct Candidate {
    int fd;
    char *peer;
    TlsSession *tls;            /* NULL: plaintext */
    bool handshaking;
    uint8_t header[QEMU_VM_HEADER_SIZE];
    size_t got;
    guint watch;
    guint timer;
    MigrationSourceFn *found;
    MigrationRefusedFn *refused;
    void *opaque;
} Candidate;

static GList *candidates;

static void candidate_drop(Candidate *c)
{
    candidates = g_list_remove(candidates, c);
    if (c->watch) {
        g_source_remove(c->watch);
    }
    if (c->timer) {
        g_source_remove(c->timer);
    }
    tls_session_free(c->tls);
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_free(c->peer);
    g_free(c);
}

static void candidate_refuse(Candidate *c, const char *why)
{
    MigrationRefusedFn *refused = c->refused;
    void *opaque = c->opaque;

    error_report("incoming migration: refused the connection from %s: %s", c->peer, why);
    candidate_drop(c);
    if (refused) {
        refused(why, opaque);
    }
}

/* Once per TLS migration: how it is protected, and who came in. */
static void log_tls_session(const Candidate *c)
{
    const char *who = tls_session_peer_identity(c->tls);
    g_autofree char *desc = tls_session_describe(c->tls);

    error_report("incoming migration: TLS session with %s: %s%s%s", c->peer, desc,
                 who ? ", client " : "", who ? who : "");
}

/* The source: its channel goes on, the candidate ends. */
static void candidate_found(Candidate *c)
{
    if (c->tls) {
        log_tls_session(c);
    }
    IOChannel *ioc = c->tls ? io_channel_new_tls(c->tls) : io_channel_new_fd(c->fd);

    c->tls = NULL;
    c->fd = -1;
    c->found(ioc, c->peer, c->opaque);
    candidate_drop(c);
}

static void candidate_check_header(Candidate *c)
{
    GError *err = NULL;

    if (qemu_loadvm_check_header(c->header, &err) == 0) {
        candidate_found(c);
        return;
    }
    if (!c->tls && tls_looks_like_client_hello(c->header, sizeof(c->header))) {
        candidate_refuse(c, "a TLS client connected to a plaintext migration port "
                         "(set tls-creds here too)");
    } else {
        candidate_refuse(c, err->message);
    }
    g_error_free(err);
}

static gboolean candidate_ready(gint fd, GIOCondition cond, gpointer opaque);

/* Waits for the descriptor to be readable (or writable). */
static void candidate_watch(Candidate *c, GIOCondition cond)
{
    c->watch = g_unix_fd_add(c->fd, cond | G_IO_HUP | G_IO_ERR, candidate_ready, c);
}

/*
 * A source without TLS on a TLS port reads its return path without TLS
 * too: it can hear why it is refused, as a busy destination's second
 * source does. Only a connection that starts with a stream header is told
 * (the handshake only peeked at its bytes); a stranger hears nothing.
 */
static void tell_plaintext_source(Candidate *c)
{
    uint8_t head[QEMU_VM_HEADER_SIZE];

    if (recv(c->fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT) != sizeof(head) ||
        qemu_loadvm_check_header(head, NULL) < 0) {
        return;
    }
    QEMUFile *rp = qemu_fopen_channel(io_channel_new_fd(c->fd), "a source without TLS",
                                      true);
    c->fd = -1;
    qemu_file_set_stall_timeout(rp, 1000);
    migrate_rp_send_error(rp, "this destination takes TLS migrations only "
                          "(set tls-creds on the source)");
    qemu_fclose(rp, NULL);
}

/* One handshake step: true once done; false when it waits (watched) or
 * failed (refused: c is gone). */
static bool step_handshake(Candidate *c)
{
    GError *err = NULL;
    int r = tls_session_handshake(c->tls, &err);

    if (r == TLS_SESSION_DONE) {
        c->handshaking = false;
        return true;
    }
    if (r == TLS_SESSION_ERROR) {
        tell_plaintext_source(c);
        candidate_refuse(c, err->message);
        g_error_free(err);
        return false;
    }
    candidate_watch(c, r == TLS_SESSION_WANT_READ ? G_IO_IN : G_IO_OUT);
    return false;
}

/* Reads what it can of the header: > 0 bytes, 0 at the end, -1 to wait,
 * -2 after an error (refused: c is gone). */
static ssize_t read_header(Candidate *c)
{
    uint8_t *dst = c->header + c->got;
    size_t want = sizeof(c->header) - c->got;
    GError *err = NULL;
    ssize_t n;

    if (!c->tls) {
        n = recv(c->fd, dst, want, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return -1;
        }
        if (n < 0) {
            err = g_error_new_literal(QEMU_ERROR, QEMU_ERROR_GENERIC, g_strerror(errno));
        }
    } else {
        n = tls_session_read(c->tls, dst, want, &err);
        if (n == TLS_SESSION_WANT_READ) {
            return -1;
        }
    }
    if (n < 0) {
        candidate_refuse(c, err->message);
        g_error_free(err);
        return -2;
    }
    return n;
}

/* Goes as far as the connection lets it now. */
static void candidate_step(Candidate *c)
{
    if (c->handshaking && !step_handshake(c)) {
        return;
    }
    for (;;) {
        ssize_t n = read_header(c);
        if (n == -2) {
            return;
        }
        if (n == -1) {
            candidate_watch(c, G_IO_IN);
            return;
        }
        if (n == 0) {
            candidate_refuse(c, "it closed the connection before sending a stream header");
            return;
        }
        c->got += (size_t)n;
        if (c->got == sizeof(c->header)) {
            candidate_check_header(c);
            return;
        }
    }
}

static gboolean candidate_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Candidate *c = opaque;

    c->watch = 0;   /* this dispatch ends the watch; a step that waits adds one */
    candidate_step(c);
    return G_SOURCE_REMOVE;
}

static gboolean candidate_timeout(gpointer opaque)
{
    Candidate *c = opaque;

    c->timer = 0;
    candidate_refuse(c, c->handshaking ? "no TLS handshake within 5 s"
                                       : "no stream header within 5 s");
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

void migration_accept_check(int fd, const char *tls_creds, const char *tls_authz,
                            MigrationSourceFn *found, MigrationRefusedFn *refused,
                            void *opaque)
{
    Candidate *c = g_new0(Candidate, 1);
    GError *err = NULL;

    c->fd = fd;
    c->peer = peer_name(fd);
    c->found = found;
    c->refused = refused;
    c->opaque = opaque;
    candidates = g_list_prepend(candidates, c);
    socket_set_nonblock(fd, TRUE);
    if (tls_creds && tls_creds[0]) {
        c->tls = migration_tls_server(fd, tls_creds, tls_authz, &err);
        if (!c->tls) {
            candidate_refuse(c, err->message);
            g_error_free(err);
            return;
        }
        c->handshaking = true;
    }
    c->timer = g_timeout_add(HEADER_TIMEOUT_MS, candidate_timeout, c);
    candidate_watch(c, G_IO_IN);
}

void migration_accept_drop_all(void)
{
    while (candidates) {
        candidate_drop(candidates->data);
    }
}
