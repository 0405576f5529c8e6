/*
 * TLS on socket chardevs (-chardev socket,...,tls-creds=ID[,tls-authz=ID]),
 * for qemu-char.c: the settings, checked once when the chardev is made, and
 * the handshake of each connection.
 *
 * A listening chardev runs each client's handshake in the main loop, one
 * step whenever the socket is ready, bounded in time. A client that fails
 * (no or a bad certificate, an identity tls-authz refuses, no TLS at all)
 * or does not finish in time is dropped with one line on stderr naming the
 * chardev, and the frontend never hears of it: it sees CHR_EVENT_OPENED
 * only for a client whose handshake completed. A connecting chardev (and a
 * listening one with wait=on, at start-up) does its handshake before it
 * returns, bounded the same way.
 */
#ifndef QEMU_CHAR_TLS_H
#define QEMU_CHAR_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "crypto/tlssession.h"

/* How long a client has for its handshake, unless the chardev says. */
#define CHR_TLS_HANDSHAKE_MS 10000

typedef struct ChrTls ChrTls;
typedef struct ChrTlsHandshake ChrTlsHandshake;

/*
 * The TLS settings of chardev `label`: credentials `creds_id` for the
 * chardev's side (a server's for a listening chardev), `authz_id` (may be
 * NULL; servers only), and for a connecting chardev the `hostname` the
 * server's certificate must name. Everything a connection's session will
 * check is checked now, with the session's messages ("No TLS credentials
 * with id 'x'", "Expected TLS credentials for a server endpoint ('x' is
 * for a client)"), and both objects stay referenced (object-del refuses
 * them) until chr_tls_free(). NULL with *errp set.
 */
ChrTls *chr_tls_new(const char *label, const char *creds_id,
                    const char *authz_id, bool server, const char *hostname,
                    GError **errp);
/* NULL is fine. */
void chr_tls_free(ChrTls *tls);

/*
 * Called once from the main loop when a handshake ends: with the session
 * (the caller's to free) when it completed, or NULL when the client was
 * refused, failed or ran out of time, which has been logged. The socket
 * stays the caller's either way.
 */
typedef void ChrTlsDone(void *opaque, TlsSession *session);

/* Starts the handshake of a client on `fd` (main thread); `timeout_ms` 0
 * means CHR_TLS_HANDSHAKE_MS. */
ChrTlsHandshake *chr_tls_handshake_start(ChrTls *tls, int fd, int timeout_ms,
                                         ChrTlsDone *done, void *opaque);
/* Stops a handshake whose done() has not been called (the chardev goes
 * away); done() will not be. NULL is fine. */
void chr_tls_handshake_cancel(ChrTlsHandshake *hs);

/* The whole handshake on `fd`, waiting for the peer (a connecting chardev,
 * or wait=on); the session, or NULL with *errp set. */
TlsSession *chr_tls_handshake_wait(ChrTls *tls, int fd, int timeout_ms,
                                   GError **errp);

/*
 * For a listening chardev without TLS: whether a client's first bytes
 * start a TLS handshake, which no plaintext frontend would understand. If
 * so, says so on stderr (the client expects TLS: the chardev has no
 * tls-creds) and returns true: the caller drops the client.
 */
bool chr_tls_refuse_client_hello(const char *label, const uint8_t *buf,
                                 size_t len);

#endif
