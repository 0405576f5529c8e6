/*
 * A TLS session over a socket with GnuTLS (see crypto/tlssession.h): our
 * own transport functions (non-blocking send/recv, which also catch a peer
 * that does not speak TLS), GnuTLS's verification of the peer's
 * certificate, then the authorization of its identity, and messages that
 * say which side refused what.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <gnutls/x509.h>

#include "authz/simple.h"
#include "crypto/tlssession.h"
#include "qemu-error.h"

/* How many of the peer's first bytes a "not TLS" error shows. */
#define FIRST_BYTES_SHOWN 16

/* TLS record types a peer may start with. */
#define TLS_RECORD_ALERT        0x15
#define TLS_RECORD_HANDSHAKE    0x16
#define TLS_HANDSHAKE_CLIENT_HELLO 0x01

struct TlsSession {
    int fd;
    TlsCredsEndpoint endpoint;
    TlsCreds *creds;
    Object *authz;
    char *hostname;             /* GnuTLS keeps a pointer to it */
    gnutls_session_t gs;
    bool handshake_done;
    bool failed;
    char *peer_identity;
    bool write_pending;         /* a record made, not fully sent yet */
    bool peer_cut;              /* the last read met the connection's end
                                   without the peer's close_notify */
    /* Set by the transport functions, each in its own direction's thread. */
    int read_errno;
    int write_errno;
    /* The peer's first bytes were not TLS: what to tell the user. */
    bool first_bytes_checked;
    char *not_tls;
};

static const char *peer_name(const TlsSession *s)
{
    return s->endpoint == TLS_CREDS_ENDPOINT_SERVER ? "client" : "server";
}

/* ------------------------------------------------------------------------ */
/* The first bytes: is the peer speaking TLS? */

bool tls_looks_like_client_hello(const void *buf, size_t len)
{
    const uint8_t *b = buf;

    /* A handshake record of TLS 1.x (SSL 3.0 to TLS 1.3's legacy 3.1/3.3),
     * whose first message is a ClientHello. */
    return len >= 1 && b[0] == TLS_RECORD_HANDSHAKE &&
           (len < 2 || b[1] == 0x03) &&
           (len < 3 || b[2] <= 0x04) &&
           (len < 6 || b[5] == TLS_HANDSHAKE_CLIENT_HELLO);
}

/* What a server expects first is a ClientHello; a client, the server's
 * handshake or an alert refusing ours. */
static bool starts_like_tls(const TlsSession *s, const uint8_t *b, size_t len)
{
    if (s->endpoint == TLS_CREDS_ENDPOINT_SERVER) {
        return tls_looks_like_client_hello(b, len);
    }
    return (b[0] == TLS_RECORD_HANDSHAKE || b[0] == TLS_RECORD_ALERT) &&
           (len < 2 || b[1] == 0x03);
}

/* The bytes as C would write them, for a message. */
static char *quote_bytes(const uint8_t *b, size_t len)
{
    GString *out = g_string_new("\"");

    for (size_t i = 0; i < len; i++) {
        if (b[i] == '"' || b[i] == '\\') {
            g_string_append_printf(out, "\\%c", b[i]);
        } else if (b[i] >= 0x20 && b[i] < 0x7f) {
            g_string_append_c(out, b[i]);
        } else {
            g_string_append_printf(out, "\\x%02x", b[i]);
        }
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

static void note_not_tls(TlsSession *s, const uint8_t *b, size_t len)
{
    g_autofree char *shown = quote_bytes(b, MIN(len, FIRST_BYTES_SHOWN));

    if (s->endpoint == TLS_CREDS_ENDPOINT_SERVER) {
        s->not_tls = g_strdup_printf("the client did not start a TLS handshake "
                                     "(is it connecting without TLS?); it sent %s",
                                     shown);
    } else {
        s->not_tls = g_strdup_printf("the server did not answer with TLS "
                                     "(is it listening without TLS?); it sent %s",
                                     shown);
    }
}

/*
 * Looks at the peer's first bytes before GnuTLS reads them. Returns what
 * the peek returned (> 0: bytes seen; 0: EOF; < 0 with errno: nothing yet,
 * or an error), or -1 with errno EPROTO when the bytes are not TLS.
 *
 * Until some bytes have been seen the pull returns what this returns and
 * never goes on to recv: a recv after an empty peek could take bytes that
 * arrived in between, and the next peek would then judge the middle of a
 * record (a ServerHello without its record header) as not TLS.
 */
static ssize_t check_first_bytes(TlsSession *s)
{
    uint8_t peek[FIRST_BYTES_SHOWN];
    ssize_t n;

    do {
        n = recv(s->fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return n;
    }
    s->first_bytes_checked = true;
    if (!starts_like_tls(s, peek, n)) {
        note_not_tls(s, peek, n);
        errno = EPROTO;
        return -1;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Transport: GnuTLS's push and pull, never blocking */

/* GnuTLS gives a whole flight of handshake records (or a record in
 * pieces) at once: one sendmsg sends them together. */
static ssize_t tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov,
                        int iovcnt)
{
    TlsSession *s = ptr;
    struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt };
    ssize_t n;

    do {
        n = sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
        s->write_errno = errno;
    }
    return n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    TlsSession *s = ptr;
    ssize_t n;

    if (!s->first_bytes_checked) {
        n = check_first_bytes(s);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN) {
                s->read_errno = errno;
            }
            return n;
        }
    }
    do {
        n = recv(s->fd, buf, len, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
        s->read_errno = errno;
    }
    return n;
}

/*
 * Whether data is there. With GNUTLS_NONBLOCK and no handshake timeout
 * GnuTLS has no reason to call this, but its default would take the
 * transport pointer for a descriptor; should it call, it is told about
 * now, without waiting: waits are the caller's.
 */
static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
    TlsSession *s = ptr;
    struct pollfd p = { .fd = s->fd, .events = POLLIN };
    int r;

    do {
        r = poll(&p, 1, 0);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Creating */

static int check_socket(int fd, GError **errp)
{
    int type;
    socklen_t len = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        error_setg_errno(errp, errno, "TLS needs a connected socket, and fd %d "
                         "is not one", fd);
        return -1;
    }
    return 0;
}

static int check_creds(const TlsSession *s, GError **errp)
{
    if (tls_creds_endpoint(s->creds) != s->endpoint) {
        error_setg(errp, "Expected TLS credentials for a %s endpoint ('%s' is "
                   "for a %s)", tls_creds_endpoint_name(s->endpoint),
                   tls_creds_id(s->creds),
                   tls_creds_endpoint_name(tls_creds_endpoint(s->creds)));
        return -1;
    }
    if (s->endpoint == TLS_CREDS_ENDPOINT_CLIENT && !s->hostname &&
        tls_creds_kind(s->creds) == TLS_CREDS_X509 &&
        tls_creds_verify_peer(s->creds)) {
        error_setg(errp, "No hostname for certificate validation");
        return -1;
    }
    return 0;
}

static int take_authz(TlsSession *s, const char *authz_id, GError **errp)
{
    if (!authz_id) {
        return 0;
    }
    if (s->endpoint != TLS_CREDS_ENDPOINT_SERVER) {
        error_setg(errp, "Authorization '%s' is for servers: a client "
                   "verifies the server by its certificate", authz_id);
        return -1;
    }
    if (!tls_creds_verify_peer(s->creds)) {
        error_setg(errp, "Authorization '%s' needs TLS credentials with "
                   "verify-peer=on: '%s' would let unverified clients claim "
                   "any identity", authz_id, tls_creds_id(s->creds));
        return -1;
    }
    s->authz = authz_ref(authz_id, errp);
    return s->authz ? 0 : -1;
}

static void set_transport(TlsSession *s)
{
    gnutls_transport_set_ptr(s->gs, s);
    gnutls_transport_set_vec_push_function(s->gs, tls_push);
    gnutls_transport_set_pull_function(s->gs, tls_pull);
    gnutls_transport_set_pull_timeout_function(s->gs, tls_pull_timeout);
    /* Time is the caller's: it polls with its own timeout and cancel. */
    gnutls_handshake_set_timeout(s->gs, GNUTLS_INDEFINITE_TIMEOUT);
}

/* GnuTLS checks the peer's certificate during the handshake: its chain
 * against our CA, and a client the server's name. */
static void set_verification(TlsSession *s)
{
    bool client = s->endpoint == TLS_CREDS_ENDPOINT_CLIENT;

    if (tls_creds_kind(s->creds) != TLS_CREDS_X509 ||
        !tls_creds_verify_peer(s->creds)) {
        return;
    }
    gnutls_session_set_verify_cert(s->gs, client ? s->hostname : NULL, 0);
    if (client && s->hostname && !g_hostname_is_ip_address(s->hostname)) {
        /* SNI, for servers with several names. */
        gnutls_server_name_set(s->gs, GNUTLS_NAME_DNS, s->hostname,
                               strlen(s->hostname));
    }
}

static int init_gnutls(TlsSession *s, GError **errp)
{
    /* No tickets: sessions are never resumed, and the fewer messages
     * after the handshake, the simpler sharing it between two threads. */
    unsigned int flags = GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS |
        (s->endpoint == TLS_CREDS_ENDPOINT_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT);

    int ret = gnutls_init(&s->gs, flags);
    if (ret < 0) {
        s->gs = NULL;
        error_setg(errp, "Cannot initialize TLS session: %s", gnutls_strerror(ret));
        return -1;
    }
    if (tls_creds_apply(s->creds, s->gs, errp) < 0) {
        return -1;
    }
    set_verification(s);
    set_transport(s);
    return 0;
}

TlsSession *tls_session_new(int fd, const char *creds_id,
                            TlsCredsEndpoint endpoint, const char *hostname,
                            const char *authz_id, GError **errp)
{
    if (check_socket(fd, errp) < 0) {
        return NULL;
    }
    TlsSession *s = g_new0(TlsSession, 1);
    s->fd = fd;
    s->endpoint = endpoint;
    s->hostname = g_strdup(hostname);
    s->creds = tls_creds_ref(creds_id, errp);
    if (!s->creds || check_creds(s, errp) < 0 || take_authz(s, authz_id, errp) < 0 ||
        init_gnutls(s, errp) < 0) {
        tls_session_free(s);
        return NULL;
    }
    return s;
}

void tls_session_free(TlsSession *s)
{
    if (!s) {
        return;
    }
    if (s->gs) {
        gnutls_deinit(s->gs);
    }
    tls_creds_unref(s->creds);
    object_unref(s->authz);
    g_free(s->hostname);
    g_free(s->peer_identity);
    g_free(s->not_tls);
    g_free(s);
}

int tls_session_fd(const TlsSession *s)
{
    return s->fd;
}

/* ------------------------------------------------------------------------ */
/* Why a handshake failed */

static char *verification_failure(const TlsSession *s)
{
    unsigned int status = gnutls_session_get_verify_cert_status(s->gs);
    g_autofree char *why = tls_creds_verify_status_text(status);

    if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
        return g_strdup_printf("the server's certificate does not match the "
                               "hostname %s: %s", s->hostname, why);
    }
    return g_strdup_printf("the %s's certificate is not valid: %s",
                           peer_name(s), why);
}

/*
 * A TLS server that refuses a client says so with an alert; one that just
 * hangs up during the client's handshake is most often no TLS server: it
 * read the ClientHello as garbage (how a plaintext migration destination
 * or chardev answers).
 */
static const char *hang_up_hint(const TlsSession *s)
{
    return s->endpoint == TLS_CREDS_ENDPOINT_CLIENT && !s->handshake_done
           ? " (is it listening without TLS?)" : "";
}

static char *transport_failure(const TlsSession *s, int ret)
{
    int err = ret == GNUTLS_E_PUSH_ERROR ? s->write_errno : s->read_errno;

    if (err == EPIPE || err == ECONNRESET) {
        return g_strdup_printf("the %s closed the connection%s: %s", peer_name(s),
                               hang_up_hint(s), g_strerror(err));
    }
    return g_strdup_printf("%s (%s)", g_strerror(err), gnutls_strerror(ret));
}

/* TLS 1.2 and 1.3 say "no client certificate" with different codes. */
static char *missing_client_certificate(const TlsSession *s, int ret)
{
    if (s->endpoint == TLS_CREDS_ENDPOINT_SERVER) {
        return g_strdup_printf("the client sent no certificate, and '%s' has "
                               "verify-peer=on: %s", tls_creds_id(s->creds),
                               gnutls_strerror(ret));
    }
    return g_strdup_printf("the server requires a client certificate, and '%s' "
                           "has none: %s", tls_creds_id(s->creds),
                           gnutls_strerror(ret));
}

static char *handshake_reason(const TlsSession *s, int ret)
{
    if (s->not_tls) {
        return g_strdup(s->not_tls);
    }
    switch (ret) {
    case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
        return verification_failure(s);
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
        return g_strdup_printf("the %s refused it: %s", peer_name(s),
                               gnutls_alert_get_name(gnutls_alert_get(s->gs)));
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED:
        return missing_client_certificate(s, ret);
    case GNUTLS_E_PUSH_ERROR:
    case GNUTLS_E_PULL_ERROR:
        return transport_failure(s, ret);
    case GNUTLS_E_PREMATURE_TERMINATION:
        return g_strdup_printf("the %s closed the connection%s: %s",
                               peer_name(s), hang_up_hint(s), gnutls_strerror(ret));
    }
    return g_strdup(gnutls_strerror(ret));
}

/* What a wrong PSK key (or unknown username) looks like from either end. */
static bool may_be_psk_mismatch(const TlsSession *s, int ret)
{
    return tls_creds_kind(s->creds) == TLS_CREDS_PSK &&
           (ret == GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER ||
            ret == GNUTLS_E_DECRYPTION_FAILED ||
            ret == GNUTLS_E_FATAL_ALERT_RECEIVED);
}

static char *handshake_failure(const TlsSession *s, int ret)
{
    g_autofree char *why = handshake_reason(s, ret);

    if (may_be_psk_mismatch(s, ret)) {
        return g_strdup_printf("%s (do both ends hold the same key for the "
                               "username?)", why);
    }
    return g_steal_pointer(&why);
}

static int fail(TlsSession *s, GError **errp, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int fail(TlsSession *s, GError **errp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    s->failed = true;
    error_setg(errp, "%s", msg);
    return TLS_SESSION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Who the peer is, and whether it may come in */

static char *certificate_dn(const gnutls_datum_t *der)
{
    gnutls_x509_crt_t cert;
    gnutls_datum_t dn = { NULL, 0 };
    char *text = NULL;

    if (gnutls_x509_crt_init(&cert) < 0) {
        return NULL;
    }
    if (gnutls_x509_crt_import(cert, der, GNUTLS_X509_FMT_DER) == 0 &&
        gnutls_x509_crt_get_dn3(cert, &dn, 0) == 0) {
        text = g_strndup((const char *)dn.data, dn.size);
    }
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(cert);
    return text;
}

/* Only what the handshake verified counts as an identity. */
static char *verified_identity(const TlsSession *s)
{
    if (tls_creds_kind(s->creds) == TLS_CREDS_PSK) {
        const char *user = s->endpoint == TLS_CREDS_ENDPOINT_SERVER
                           ? gnutls_psk_server_get_username(s->gs) : NULL;
        return g_strdup(user);
    }
    if (!tls_creds_verify_peer(s->creds)) {
        return NULL;
    }
    unsigned int n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s->gs, &n);
    return n ? certificate_dn(&certs[0]) : NULL;
}

static int check_authz(TlsSession *s, GError **errp)
{
    if (!s->authz || authz_allows(s->authz, s->peer_identity)) {
        return 0;
    }
    /* Best effort: the client then learns why at its next read. */
    gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, GNUTLS_A_ACCESS_DENIED);
    return fail(s, errp, "TLS %s authz check for %s is denied",
                tls_creds_kind(s->creds) == TLS_CREDS_X509 ? "x509" : "PSK",
                s->peer_identity ? s->peer_identity : "(no identity)");
}

/* ------------------------------------------------------------------------ */
/* Handshake */

static int want_direction(const TlsSession *s)
{
    return gnutls_record_get_direction(s->gs) ? TLS_SESSION_WANT_WRITE
                                              : TLS_SESSION_WANT_READ;
}

static int handshake_failed(TlsSession *s, int ret, GError **errp)
{
    g_autofree char *why = handshake_failure(s, ret);

    /* Tell a TLS peer why (best effort); a plaintext one would not
     * understand. */
    if (!s->not_tls) {
        gnutls_alert_send_appropriate(s->gs, ret);
    }
    return fail(s, errp, "TLS handshake failed: %s", why);
}

int tls_session_handshake(TlsSession *s, GError **errp)
{
    int ret;

    if (s->handshake_done) {
        return TLS_SESSION_DONE;
    }
    if (s->failed) {
        error_setg(errp, "TLS handshake failed before");
        return TLS_SESSION_ERROR;
    }
    do {
        ret = gnutls_handshake(s->gs);
    } while (ret < 0 && ret != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(ret));
    if (ret == GNUTLS_E_AGAIN) {
        return want_direction(s);
    }
    if (ret < 0) {
        return handshake_failed(s, ret, errp);
    }
    s->peer_identity = verified_identity(s);
    if (check_authz(s, errp) < 0) {
        return TLS_SESSION_ERROR;
    }
    s->handshake_done = true;
    return TLS_SESSION_DONE;
}

/* Polls the fd for `events` until the deadline (monotonic µs; -1: none).
 * Returns > 0 when ready, 0 at the deadline. */
static int wait_fd(int fd, short events, gint64 deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    do {
        int timeout = -1;
        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();
            timeout = left <= 0 ? 0 : (int)MIN((left + 999) / 1000, G_MAXINT);
        }
        r = poll(&p, 1, timeout);
    } while (r < 0 && errno == EINTR);
    return r;
}

int tls_session_handshake_wait(TlsSession *s, int timeout_ms, GError **errp)
{
    gint64 deadline = timeout_ms < 0 ? -1
                      : g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        int r = tls_session_handshake(s, errp);
        if (r == TLS_SESSION_DONE || r == TLS_SESSION_ERROR) {
            return r;
        }
        short events = r == TLS_SESSION_WANT_READ ? POLLIN : POLLOUT;
        if (wait_fd(s->fd, events, deadline) <= 0) {
            return fail(s, errp, "TLS handshake timed out after %d ms",
                        timeout_ms);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Data */

static char *io_failure(const TlsSession *s, ssize_t ret)
{
    switch (ret) {
    case GNUTLS_E_PREMATURE_TERMINATION:
        return g_strdup_printf("the %s closed the connection without ending "
                               "the TLS session", peer_name(s));
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
        return g_strdup_printf("the %s ended the session: %s", peer_name(s),
                               gnutls_alert_get_name(gnutls_alert_get(s->gs)));
    case GNUTLS_E_REHANDSHAKE:
        return g_strdup_printf("the %s asked to renegotiate, which is refused",
                               peer_name(s));
    case GNUTLS_E_PUSH_ERROR:
    case GNUTLS_E_PULL_ERROR:
        return transport_failure(s, ret);
    case GNUTLS_E_INVALID_SESSION:
        return g_strdup("the session had already failed in the other direction");
    }
    return g_strdup(gnutls_strerror(ret));
}

/*
 * A failed read, write or bye: *errp says why, and errno is left as a
 * plain descriptor's failure leaves it, for callers that keep it (QEMUFile,
 * which tells a broken connection from an end by it): the socket's own
 * error when the connection failed, EPROTO for a TLS failure (an alert, a
 * corrupt record). Two failures name no cause of their own, as a plain
 * descriptor's EPIPE names none: ECONNABORTED for a connection closed
 * without ending the session (the peer's reason, if it sent one, is what
 * the other direction read), EPIPE for a session the other direction
 * found dead.
 */
static int io_failed(const TlsSession *s, const char *what, ssize_t ret,
                     GError **errp)
{
    int err = ret == GNUTLS_E_PUSH_ERROR ? s->write_errno
              : ret == GNUTLS_E_PULL_ERROR ? s->read_errno : 0;
    char *why = io_failure(s, ret);

    error_setg(errp, "TLS %s failed: %s", what, why);
    g_free(why);
    if (!err) {
        err = ret == GNUTLS_E_INVALID_SESSION ? EPIPE
              : ret == GNUTLS_E_PREMATURE_TERMINATION ? ECONNABORTED : EPROTO;
    }
    errno = err;
    return TLS_SESSION_ERROR;
}

ssize_t tls_session_read(TlsSession *s, void *buf, size_t len, GError **errp)
{
    ssize_t n;

    /* Warnings (non-fatal alerts) are skipped; a renegotiation request is
     * refused, since answering it would write from the reading thread. */
    do {
        n = gnutls_record_recv(s->gs, buf, len);
    } while (n < 0 && n != GNUTLS_E_AGAIN && n != GNUTLS_E_REHANDSHAKE &&
             !gnutls_error_is_fatal(n));
    s->peer_cut = n == GNUTLS_E_PREMATURE_TERMINATION;
    if (n >= 0) {
        return n;
    }
    if (n == GNUTLS_E_AGAIN) {
        return TLS_SESSION_WANT_READ;
    }
    return io_failed(s, "read", n, errp);
}

size_t tls_session_pending(TlsSession *s)
{
    return gnutls_record_check_pending(s->gs);
}

bool tls_session_peer_cut(const TlsSession *s)
{
    return s->peer_cut;
}

ssize_t tls_session_write(TlsSession *s, const void *buf, size_t len,
                          GError **errp)
{
    ssize_t n;

    /* After GNUTLS_E_AGAIN, GnuTLS wants (NULL, 0) to go on sending the
     * record it made; it then returns that record's count. */
    do {
        n = s->write_pending ? gnutls_record_send(s->gs, NULL, 0)
                             : gnutls_record_send(s->gs, buf, len);
    } while (n == GNUTLS_E_INTERRUPTED);
    if (n == GNUTLS_E_AGAIN) {
        s->write_pending = true;
        return TLS_SESSION_WANT_WRITE;
    }
    s->write_pending = false;
    if (n < 0) {
        return io_failed(s, "write", n, errp);
    }
    g_assert((size_t)n <= len);
    return n;
}

int tls_session_bye(TlsSession *s, GError **errp)
{
    int ret;

    do {
        ret = gnutls_bye(s->gs, GNUTLS_SHUT_WR);
    } while (ret == GNUTLS_E_INTERRUPTED);
    if (ret == GNUTLS_E_AGAIN) {
        return TLS_SESSION_WANT_WRITE;
    }
    if (ret < 0) {
        return io_failed(s, "close", ret, errp);
    }
    return TLS_SESSION_DONE;
}

const char *tls_session_peer_identity(const TlsSession *s)
{
    return s->handshake_done ? s->peer_identity : NULL;
}

char *tls_session_describe(const TlsSession *s)
{
    if (!s->handshake_done) {
        return NULL;
    }
    char *desc = gnutls_session_get_desc(s->gs);
    char *copy = g_strdup(desc);
    gnutls_free(desc);
    return copy;
}
