/*
 * A TLS session (GnuTLS) over a connected socket, for a migration or a
 * chardev: the handshake, verification of the peer, encrypted reads and
 * writes, and the orderly end.
 *
 * Nothing here waits. Every call does what it can without blocking and
 * otherwise returns TLS_SESSION_WANT_READ or TLS_SESSION_WANT_WRITE: the
 * caller polls tls_session_fd() for POLLIN or POLLOUT (with its own
 * timeout, cancel descriptor or main loop) and calls again. The socket's
 * O_NONBLOCK flag does not matter (each send/recv is MSG_DONTWAIT) and is
 * left alone. tls_session_handshake_wait() is the blocking loop for simple
 * callers and tests.
 *
 * Verification, when the handshake completes:
 * - x509 with verify-peer (the default): the peer's certificate chain must
 *   verify against the credentials' CA (and CRL), now (neither expired nor
 *   not yet valid); a client also checks the server's certificate against
 *   `hostname`; a server requires a client certificate. Failures carry
 *   GnuTLS's reason ("The certificate is NOT trusted. The certificate
 *   issuer is unknown.").
 * - PSK: the handshake itself proves both sides hold the username's key.
 * - A server given an authz id lets in only the identity it allows: the
 *   client certificate's distinguished name (x509), or the PSK username;
 *   otherwise it fails with "TLS x509 authz check for DN is denied" (PSK:
 *   "TLS PSK authz check for USER is denied") and sends the client an
 *   access_denied alert.
 * With TLS 1.3 a client's handshake completes before the server has checked
 * the client's certificate and identity: a refusal then reaches the client
 * at its next read, as an error naming the server's alert.
 *
 * A peer that does not speak TLS is caught on its first bytes: a plaintext
 * client on a TLS server, or a plaintext server answering a TLS client,
 * fails the handshake at once, saying so and showing what the peer sent. The
 * opposite case is the plaintext side's to notice: a TLS client starts with
 * a handshake record, bytes 0x16 0x03 (then the record's version minor and
 * length, and at byte 5 the handshake type, 0x01 for ClientHello);
 * tls_looks_like_client_hello() tells, so that a plaintext migration
 * destination can say "a TLS client connected to a plaintext port". Such
 * a server usually hangs up without a word: a client's handshake that ends
 * with the server closing the connection (no alert) says "(is it listening
 * without TLS?)".
 *
 * One session per connection: both directions go through it, so a
 * migration's return path reads through the same session the stream is
 * written through (never through a dup() of the socket with a session of
 * its own, nor by reading the socket directly).
 *
 * Threads (GnuTLS's rules for sharing a session): create the session and
 * complete the handshake in one thread. After that, one thread may write
 * (tls_session_write(), then tls_session_bye()) while another reads
 * (tls_session_read(), tls_session_pending()), at the same time; no two
 * threads may read, or write, at once. Renegotiation and re-authentication
 * are never started, which is what keeps that split safe. Free the session
 * when neither uses it any more.
 */
#ifndef CRYPTO_TLSSESSION_H
#define CRYPTO_TLSSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <glib.h>

#include "crypto/tlscreds.h"

typedef struct TlsSession TlsSession;

/* What the calls return besides byte counts. */
enum {
    TLS_SESSION_DONE = 0,           /* handshake or bye completed */
    TLS_SESSION_ERROR = -1,         /* with *errp set; the session is dead */
    TLS_SESSION_WANT_READ = -2,     /* poll the fd for POLLIN, call again */
    TLS_SESSION_WANT_WRITE = -3,    /* poll the fd for POLLOUT, call again */
};

/*
 * A session on the connected socket `fd` (which stays the caller's: freeing
 * the session does not close it), with the credentials object `creds_id`,
 * which must be for `endpoint` ("Expected TLS credentials for a server
 * endpoint") and stays referenced until tls_session_free().
 *
 * Client: `hostname` is what the server's certificate must name (a DNS
 * name or an IP address); x509 with verify-peer requires it. Server:
 * `authz_id` (may be NULL) names an authorization object (authz/simple.h),
 * referenced too; with x509 it needs verify-peer, since an unverified
 * certificate proves no identity. NULL with *errp set on any mismatch.
 */
TlsSession *tls_session_new(int fd, const char *creds_id,
                            TlsCredsEndpoint endpoint, const char *hostname,
                            const char *authz_id, GError **errp);
/* NULL is fine. Sends nothing: call tls_session_bye() first for an
 * orderly end. */
void tls_session_free(TlsSession *s);

int tls_session_fd(const TlsSession *s);

/*
 * One step of the handshake: TLS_SESSION_DONE once complete and the peer
 * verified (further calls return DONE again), TLS_SESSION_WANT_READ/WRITE,
 * or TLS_SESSION_ERROR with *errp ("TLS handshake failed: ...").
 */
int tls_session_handshake(TlsSession *s, GError **errp);

/* The whole handshake, polling the fd; fails after timeout_ms (< 0: never)
 * with "TLS handshake timed out after N ms". */
int tls_session_handshake_wait(TlsSession *s, int timeout_ms, GError **errp);

/*
 * Decrypted bytes into buf: a count > 0; 0 when the peer ended the session
 * (its close_notify); TLS_SESSION_WANT_READ when nothing is there yet;
 * TLS_SESSION_ERROR with *errp ("TLS read failed: ..."), e.g. when the peer
 * closed the connection without ending the session, or sent an alert.
 * A failed read, write or bye also sets errno, as a failed system call
 * would: the socket's error when the connection failed (ECONNRESET,
 * ETIMEDOUT, ...), EPROTO when TLS did (an alert, a corrupt record),
 * ECONNABORTED when the peer closed the connection without ending the
 * session, EPIPE when the other direction's thread found the session dead.
 */
ssize_t tls_session_read(TlsSession *s, void *buf, size_t len, GError **errp);

/* Bytes already decrypted and waiting: a reader that got a full buffer
 * should read these before polling the fd again, which would not wake. */
size_t tls_session_pending(TlsSession *s);

/* Whether the last read failed only because the peer closed the connection
 * without ending the session: what many clients do when they just exit (a
 * server need not report it as it would a broken session). */
bool tls_session_peer_cut(const TlsSession *s);

/*
 * Encrypts and sends up to len bytes (one TLS record, 16 KiB at most):
 * the count taken, TLS_SESSION_WANT_WRITE, or TLS_SESSION_ERROR with *errp.
 * After WANT_WRITE the record is already made: call again with the same
 * bytes (at least as many), and the count returned is that record's.
 */
ssize_t tls_session_write(TlsSession *s, const void *buf, size_t len,
                          GError **errp);

/* Ends the session in the write direction (close_notify), from the writer:
 * TLS_SESSION_DONE, TLS_SESSION_WANT_WRITE, or TLS_SESSION_ERROR. */
int tls_session_bye(TlsSession *s, GError **errp);

/*
 * Who the peer proved to be, once the handshake is done: the distinguished
 * name of its certificate as GnuTLS prints it (RFC 4514, "CN=...,O=...")
 * with x509 and verify-peer; on a PSK server, the client's username. NULL
 * otherwise (nothing verified, or a PSK client, whose server has no name).
 */
const char *tls_session_peer_identity(const TlsSession *s);

/*
 * What the handshake settled, for logs and figures, as GnuTLS describes it:
 * protocol, key exchange, signature (with certificates) and cipher, e.g.
 * "(TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)"
 * (g_free it). NULL before the handshake is done.
 */
char *tls_session_describe(const TlsSession *s);

/* Whether the first bytes a plaintext endpoint received start a TLS
 * handshake (see above); works from 1 byte, surer from 6. */
bool tls_looks_like_client_hello(const void *buf, size_t len);

#endif
