/*
 * TLS connections for tests (see tlsconn.h): the non-blocking session API
 * driven with poll(), each wait bounded by libqmp's timeout.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "crypto/tlssession.h"
#include "libqmp.h"
#include "qemu-error.h"
#include "qemu-sockets.h"
#include "tlsconn.h"

struct TlsConn {
    int fd;
    TlsSession *session;
    GString *in;        /* received, not returned yet */
};

static gint64 deadline_from_now(void)
{
    return g_get_monotonic_time() + (gint64)qtest_timeout_ms() * 1000;
}

/* Polls for `events` until the deadline: true when ready. */
static bool wait_ready(int fd, short events, gint64 deadline)
{
    for (;;) {
        gint64 left_us = deadline - g_get_monotonic_time();
        if (left_us <= 0) {
            return false;
        }
        struct pollfd p = { .fd = fd, .events = events };
        int r = poll(&p, 1, (int)((left_us + 999) / 1000));
        if (r > 0) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            return false;
        }
    }
}

/* The emulator may not listen yet: retries until the deadline. */
static int connect_address(const char *address, GError **errp)
{
    gint64 deadline = deadline_from_now();

    for (;;) {
        g_autoptr(GError) err = NULL;
        int fd = g_str_has_prefix(address, "tcp:")
                 ? inet_connect(address + strlen("tcp:"), &err)
                 : unix_connect(address, &err);
        if (fd >= 0) {
            return fd;
        }
        if (g_get_monotonic_time() > deadline) {
            g_propagate_error(errp, g_steal_pointer(&err));
            return -1;
        }
        g_usleep(10000);
    }
}

/* The handshake on `fd` (closed on failure). */
static TlsConn *handshake(int fd, const char *creds_id,
                          TlsCredsEndpoint endpoint, const char *hostname,
                          GError **errp)
{
    TlsSession *session = tls_session_new(fd, creds_id, endpoint, hostname,
                                          NULL, errp);
    if (!session ||
        tls_session_handshake_wait(session, qtest_timeout_ms(), errp) !=
        TLS_SESSION_DONE) {
        tls_session_free(session);
        close(fd);
        return NULL;
    }
    TlsConn *c = g_new0(TlsConn, 1);
    c->fd = fd;
    c->session = session;
    c->in = g_string_new(NULL);
    return c;
}

TlsConn *tls_conn_connect(const char *address, const char *creds_id,
                          const char *hostname, GError **errp)
{
    int fd = connect_address(address, errp);
    if (fd < 0) {
        return NULL;
    }
    return handshake(fd, creds_id, TLS_CREDS_ENDPOINT_CLIENT, hostname, errp);
}

TlsConn *tls_conn_accept(int listen_fd, const char *creds_id, GError **errp)
{
    if (!wait_ready(listen_fd, POLLIN, deadline_from_now())) {
        error_setg(errp, "test: nobody connected for %d ms", qtest_timeout_ms());
        return NULL;
    }
    int fd = socket_accept(listen_fd, errp);
    if (fd < 0) {
        return NULL;
    }
    return handshake(fd, creds_id, TLS_CREDS_ENDPOINT_SERVER, NULL, errp);
}

void tls_conn_drop(TlsConn *c)
{
    tls_session_free(c->session);
    close(c->fd);
    g_string_free(c->in, TRUE);
    g_free(c);
}

void tls_conn_close(TlsConn *c)
{
    if (!c) {
        return;
    }
    /* One try: a server that stopped reading does not get to hold us. */
    tls_session_bye(c->session, NULL);
    tls_conn_drop(c);
}

int tls_conn_send(TlsConn *c, const char *text, GError **errp)
{
    gint64 deadline = deadline_from_now();
    size_t len = strlen(text);

    for (size_t done = 0; done < len;) {
        ssize_t n = tls_session_write(c->session, text + done, len - done, errp);
        if (n == TLS_SESSION_WANT_WRITE) {
            if (!wait_ready(c->fd, POLLOUT, deadline)) {
                error_setg(errp, "test: the server took no more input for %d ms",
                           qtest_timeout_ms());
                return -1;
            }
            continue;
        }
        if (n < 0) {
            return -1;
        }
        done += n;
    }
    return 0;
}

/* Reads what is there, waiting for some: > 0 bytes, 0 at the end of the
 * session, -1 with *errp (an error, or the deadline). */
static ssize_t read_some(TlsConn *c, gint64 deadline, GError **errp)
{
    char buf[16384];

    for (;;) {
        ssize_t n = tls_session_read(c->session, buf, sizeof(buf), errp);
        if (n > 0) {
            g_string_append_len(c->in, buf, n);
            return n;
        }
        if (n != TLS_SESSION_WANT_READ) {
            return n;
        }
        if (!wait_ready(c->fd, POLLIN, deadline)) {
            error_setg(errp, "test: nothing came for %d ms", qtest_timeout_ms());
            return -1;
        }
    }
}

char *tls_conn_read_until(TlsConn *c, const char *needle, GError **errp)
{
    gint64 deadline = deadline_from_now();

    for (;;) {
        const char *found = strstr(c->in->str, needle);
        if (found) {
            size_t len = found - c->in->str + strlen(needle);
            char *text = g_strndup(c->in->str, len);
            g_string_erase(c->in, 0, len);
            return text;
        }
        ssize_t n = read_some(c, deadline, errp);
        if (n == 0) {
            error_setg(errp, "the server ended the session before '%s' "
                       "(after '%s')", needle, c->in->str);
        }
        if (n <= 0) {
            return NULL;
        }
    }
}

bool tls_conn_wait_closed(TlsConn *c)
{
    gint64 deadline = deadline_from_now();

    for (;;) {
        g_autoptr(GError) err = NULL;
        ssize_t n = read_some(c, deadline, &err);
        g_string_truncate(c->in, 0);
        if (n == 0) {
            return true;
        }
        if (n < 0) {
            /* The end of the connection, not of the wait. */
            return g_get_monotonic_time() < deadline;
        }
    }
}
