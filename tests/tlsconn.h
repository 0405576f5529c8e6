/*
 * TLS connections for tests, as a user's TLS client (gnutls-cli) talks to
 * a TLS chardev, or as a management server talks to a chardev that
 * connects out: the handshake with credentials made in the test process
 * (object_create_from_string "tls-creds-x509,..."), then text sent and read
 * through the session (crypto/tlssession.h).
 *
 *   TlsConn *c = tls_conn_connect("tcp:127.0.0.1:4444", "cli",
 *                                 TLS_CERTS_HOSTNAME, &err);
 *   g_autofree char *greeting = tls_conn_read_until(c, "\n", &err);
 *   tls_conn_send(c, "{\"execute\": \"qmp_capabilities\"}\n", &err);
 *   tls_conn_close(c);
 *
 * Every call waits at most qtest_timeout_ms() (libqmp.h), then fails with
 * an error saying so: none fails the test itself, so that a test can
 * expect a refusal and check its message.
 */
#ifndef TESTS_TLSCONN_H
#define TESTS_TLSCONN_H

#include <stdbool.h>
#include <glib.h>

typedef struct TlsConn TlsConn;

/*
 * Connects to `address` ("tcp:HOST:PORT", or the path of a Unix socket),
 * retrying while nothing listens there yet, and completes the handshake as
 * a client with the credentials object `creds_id`, checking the server's
 * certificate against `hostname`. NULL with *errp set ("TLS handshake
 * failed: ..."). With TLS 1.3 a server's refusal of the client's
 * certificate or identity comes after the client's handshake completed:
 * the first read then fails with the server's alert.
 */
TlsConn *tls_conn_connect(const char *address, const char *creds_id,
                          const char *hostname, GError **errp);

/* The server's side: accepts one connection on `listen_fd` and completes
 * the handshake with the server credentials object `creds_id`. NULL with
 * *errp set. */
TlsConn *tls_conn_accept(int listen_fd, const char *creds_id, GError **errp);

/* Ends the session (close_notify, best effort) and closes. NULL is fine. */
void tls_conn_close(TlsConn *c);
/* Closes without ending the session, as a client that just exits. */
void tls_conn_drop(TlsConn *c);

/* Sends all of `text`. 0, or -1 with *errp set. */
int tls_conn_send(TlsConn *c, const char *text, GError **errp);

/* Reads until `needle` has arrived, and returns what came up to and
 * including it (the rest stays for the next read); NULL with *errp set when
 * the session ends or fails first ("TLS read failed: ..."), or on timeout. */
char *tls_conn_read_until(TlsConn *c, const char *needle, GError **errp);

/* Reads, dropping what comes, until the peer ends the connection: true,
 * or false on timeout. */
bool tls_conn_wait_closed(TlsConn *c);

#endif
