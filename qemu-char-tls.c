/*
 * TLS on socket chardevs (see qemu-char-tls.h): the settings of a chardev
 * with tls-creds, and each connection's handshake, stepped by main-loop
 * watches on the socket and ended by a timer when the client takes too long.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "authz/simple.h"
#include "qemu-char-tls.h"
#include "qemu-error.h"

/* What a first read must hold before it is judged a TLS ClientHello: the
 * record header and the handshake message's type. */
#define CLIENT_HELLO_PREFIX 6

struct ChrTls {
    char *label;
    char *creds_id;
    char *authz_id;
    char *hostname;
    TlsCredsEndpoint endpoint;
    /* Held for the chardev's life, so that object-del cannot take the
     * objects away from the next connection. */
    TlsCreds *creds;
    Object *authz;
};

struct ChrTlsHandshake {
    ChrTls *tls;
    TlsSession *session;
    int timeout_ms;
    guint step_source;      /* the next step: an idle, then a socket watch */
    guint timer;
    char *setup_error;      /* the session could not be made */
    ChrTlsDone *done;
    void *opaque;
};

/* ------------------------------------------------------------------------ */
/* Settings */

static TlsSession *new_session(const ChrTls *tls, int fd, GError **errp)
{
    return tls_session_new(fd, tls->creds_id, tls->endpoint, tls->hostname,
                           tls->authz_id, errp);
}

/* A session made (and dropped) on a socket pair runs every check a real
 * connection's would: a mistake in the settings is a start-up error
 * rather than each client's refusal. */
static int check_settings(const ChrTls *tls, GError **errp)
{
    int fds[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        error_setg_errno(errp, errno, "chardev '%s': socketpair", tls->label);
        return -1;
    }
    TlsSession *trial = new_session(tls, fds[0], errp);
    bool ok = trial != NULL;
    tls_session_free(trial);
    close(fds[0]);
    close(fds[1]);
    return ok ? 0 : -1;
}

static int hold_objects(ChrTls *tls, GError **errp)
{
    tls->creds = tls_creds_ref(tls->creds_id, errp);
    if (!tls->creds) {
        return -1;
    }
    if (tls->authz_id) {
        tls->authz = authz_ref(tls->authz_id, errp);
        if (!tls->authz) {
            return -1;
        }
    }
    return 0;
}

ChrTls *chr_tls_new(const char *label, const char *creds_id,
                    const char *authz_id, bool server, const char *hostname,
                    GError **errp)
{
    ChrTls *tls = g_new0(ChrTls, 1);

    tls->label = g_strdup(label);
    tls->creds_id = g_strdup(creds_id);
    tls->authz_id = g_strdup(authz_id);
    tls->hostname = g_strdup(hostname);
    tls->endpoint = server ? TLS_CREDS_ENDPOINT_SERVER : TLS_CREDS_ENDPOINT_CLIENT;
    if (check_settings(tls, errp) < 0 || hold_objects(tls, errp) < 0) {
        chr_tls_free(tls);
        return NULL;
    }
    return tls;
}

void chr_tls_free(ChrTls *tls)
{
    if (!tls) {
        return;
    }
    tls_creds_unref(tls->creds);
    object_unref(tls->authz);
    g_free(tls->label);
    g_free(tls->creds_id);
    g_free(tls->authz_id);
    g_free(tls->hostname);
    g_free(tls);
}

/* ------------------------------------------------------------------------ */
/* A client's handshake in the main loop */

static void hs_stop(ChrTlsHandshake *hs)
{
    if (hs->step_source) {
        g_source_remove(hs->step_source);
        hs->step_source = 0;
    }
    if (hs->timer) {
        g_source_remove(hs->timer);
        hs->timer = 0;
    }
}

/* Hands the outcome over; hs is gone after this. */
static void hs_finish(ChrTlsHandshake *hs, TlsSession *session)
{
    ChrTlsDone *done = hs->done;
    void *opaque = hs->opaque;

    hs_stop(hs);
    g_free(hs->setup_error);
    g_free(hs);
    done(opaque, session);
}

static void hs_fail(ChrTlsHandshake *hs, const char *why)
{
    error_report("chardev '%s': client dropped: %s", hs->tls->label, why);
    tls_session_free(g_steal_pointer(&hs->session));
    hs_finish(hs, NULL);
}

static gboolean hs_timed_out(gpointer opaque)
{
    ChrTlsHandshake *hs = opaque;
    g_autofree char *why = g_strdup_printf("TLS handshake timed out after "
                                           "%d ms", hs->timeout_ms);

    hs->timer = 0;
    hs_fail(hs, why);
    return G_SOURCE_REMOVE;
}

static gboolean hs_socket_ready(gint fd, GIOCondition cond, gpointer opaque);

static void hs_step(ChrTlsHandshake *hs)
{
    g_autoptr(GError) err = NULL;
    int r = tls_session_handshake(hs->session, &err);

    if (r == TLS_SESSION_DONE) {
        hs_finish(hs, g_steal_pointer(&hs->session));
        return;
    }
    if (r == TLS_SESSION_ERROR) {
        hs_fail(hs, err->message);
        return;
    }
    /* HUP and ERR wake the step too: the session then says what happened. */
    GIOCondition cond = r == TLS_SESSION_WANT_READ ? G_IO_IN : G_IO_OUT;
    hs->step_source = g_unix_fd_add(tls_session_fd(hs->session),
                                    cond | G_IO_HUP | G_IO_ERR,
                                    hs_socket_ready, hs);
}

static gboolean hs_socket_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    ChrTlsHandshake *hs = opaque;

    hs->step_source = 0;
    hs_step(hs);
    return G_SOURCE_REMOVE;
}

static gboolean hs_first_step(gpointer opaque)
{
    ChrTlsHandshake *hs = opaque;

    hs->step_source = 0;
    if (hs->setup_error) {
        hs_fail(hs, hs->setup_error);
    } else {
        hs_step(hs);
    }
    return G_SOURCE_REMOVE;
}

static int timeout_or_default(int timeout_ms)
{
    return timeout_ms > 0 ? timeout_ms : CHR_TLS_HANDSHAKE_MS;
}

ChrTlsHandshake *chr_tls_handshake_start(ChrTls *tls, int fd, int timeout_ms,
                                         ChrTlsDone *done, void *opaque)
{
    g_autoptr(GError) err = NULL;
    ChrTlsHandshake *hs = g_new0(ChrTlsHandshake, 1);

    hs->tls = tls;
    hs->done = done;
    hs->opaque = opaque;
    hs->timeout_ms = timeout_or_default(timeout_ms);
    hs->session = new_session(tls, fd, &err);
    /* The settings were checked with the same call: only the system can
     * fail it now. Either way the outcome reaches done() from the loop,
     * never before this returns. */
    if (!hs->session) {
        hs->setup_error = g_strdup(err->message);
    }
    hs->step_source = g_idle_add(hs_first_step, hs);
    hs->timer = g_timeout_add(hs->timeout_ms, hs_timed_out, hs);
    return hs;
}

void chr_tls_handshake_cancel(ChrTlsHandshake *hs)
{
    if (!hs) {
        return;
    }
    hs_stop(hs);
    tls_session_free(hs->session);
    g_free(hs->setup_error);
    g_free(hs);
}

TlsSession *chr_tls_handshake_wait(ChrTls *tls, int fd, int timeout_ms,
                                   GError **errp)
{
    TlsSession *session = new_session(tls, fd, errp);

    if (session && tls_session_handshake_wait(session, timeout_or_default(timeout_ms),
                                              errp) != TLS_SESSION_DONE) {
        tls_session_free(g_steal_pointer(&session));
    }
    return session;
}

/* ------------------------------------------------------------------------ */
/* TLS clients of plaintext chardevs */

bool chr_tls_refuse_client_hello(const char *label, const uint8_t *buf,
                                 size_t len)
{
    /* Any TLS client sends its whole first record at once. Judging only a
     * first read that holds the record header and the message type keeps
     * a person who starts by typing C-v C-c from being taken for one. */
    if (len < CLIENT_HELLO_PREFIX || !tls_looks_like_client_hello(buf, len)) {
        return false;
    }
    error_report("chardev '%s': client dropped: it started a TLS handshake, "
                 "and this socket has no tls-creds (plaintext)", label);
    return true;
}
