/*
 * TLS for the migration's connections, as QEMU's tls-creds, tls-hostname
 * and tls-authz parameters set it up (migration-tls.c): the source's
 * handshake in the migration thread (bounded, cancellable), and the pieces
 * the destination steps through in its main loop for each connection.
 */
#ifndef MIGRATION_TLS_H
#define MIGRATION_TLS_H

#include <stdbool.h>
#include <glib.h>

#include "crypto/tlssession.h"
#include "io-channel.h"

/*
 * The source: a TLS client session on the connected socket fd (to `uri`)
 * with credentials creds_id, checking the destination's certificate
 * against hostname, or when empty the host of a tcp: URI (x509 over
 * unix: or fd: fails without hostname, "No hostname for certificate
 * validation: ... set tls-hostname ..."). Waits up to
 * timeout_ms for the handshake, giving up when cancelled() says so.
 * Returns the channel, or NULL with *errp (fd closed).
 */
IOChannel *migration_tls_client(int fd, const char *uri, const char *creds_id,
                                const char *hostname, unsigned timeout_ms,
                                bool (*cancelled)(void), GError **errp);

/* The destination: a TLS server session for an accepted connection; its
 * handshake is the caller's to step (tls_session_handshake). */
TlsSession *migration_tls_server(int fd, const char *creds_id, const char *authz_id,
                                 GError **errp);

#endif
