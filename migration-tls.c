/*
 * The migration's TLS (migration-tls.h): sessions made from the parameters'
 * object ids, and the source's handshake loop, which polls in short steps
 * so that migrate_cancel and the stall bound end it.
 */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io-channel-tls.h"
#include "migration-tls.h"
#include "qemu-error.h"
#include "qemu-sockets.h"

#define HANDSHAKE_POLL_MS 100

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The host a tcp: URI names ("tcp:HOST:PORT"), or NULL. */
static char *uri_host(const char *uri)
{
    char *host = NULL, *port = NULL;

    if (!g_str_has_prefix(uri, "tcp:") || inet_parse(uri + 4, &host, &port, NULL) < 0) {
        return NULL;
    }
    g_free(port);
    return host;
}

static int handshake(TlsSession *s, unsigned timeout_ms, bool (*cancelled)(void),
                     GError **errp)
{
    uint64_t deadline = now_ms() + timeout_ms;

    for (;;) {
        int r = tls_session_handshake(s, errp);
        if (r == TLS_SESSION_DONE || r == TLS_SESSION_ERROR) {
            return r;
        }
        if (cancelled()) {
            error_setg(errp, "migration cancelled");
            return TLS_SESSION_ERROR;
        }
        if (now_ms() >= deadline) {
            error_setg(errp, "TLS handshake timed out after %u ms", timeout_ms);
            return TLS_SESSION_ERROR;
        }
        struct pollfd p = {
            .fd = tls_session_fd(s),
            .events = r == TLS_SESSION_WANT_READ ? POLLIN : POLLOUT,
        };
        poll(&p, 1, HANDSHAKE_POLL_MS);
    }
}

/* Whether the credentials check the destination's certificate, and so its
 * name: x509 with verify-peer. */
static bool checks_hostname(const char *creds_id)
{
    TlsCreds *creds = tls_creds_ref(creds_id, NULL);
    bool checks = creds && tls_creds_kind(creds) == TLS_CREDS_X509 &&
                  tls_creds_verify_peer(creds);

    tls_creds_unref(creds);
    return checks;
}

IOChannel *migration_tls_client(int fd, const char *uri, const char *creds_id,
                                const char *hostname, unsigned timeout_ms,
                                bool (*cancelled)(void), GError **errp)
{
    g_autofree char *host = hostname && hostname[0] ? g_strdup(hostname) : uri_host(uri);
    TlsSession *s = NULL;

    /* unix: and fd: name no host: say which parameter does. */
    if (!host && checks_hostname(creds_id)) {
        error_setg(errp, "No hostname for certificate validation: %s names no host; "
                   "set tls-hostname to the name in the destination's certificate", uri);
    } else {
        s = tls_session_new(fd, creds_id, TLS_CREDS_ENDPOINT_CLIENT, host, NULL, errp);
    }
    if (!s || handshake(s, timeout_ms, cancelled, errp) != TLS_SESSION_DONE) {
        tls_session_free(s);
        close(fd);
        return NULL;
    }
    return io_channel_new_tls(s);
}

TlsSession *migration_tls_server(int fd, const char *creds_id, const char *authz_id,
                                 GError **errp)
{
    return tls_session_new(fd, creds_id, TLS_CREDS_ENDPOINT_SERVER, NULL,
                           authz_id && authz_id[0] ? authz_id : NULL, errp);
}
