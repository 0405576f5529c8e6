/*
 * The connections on an incoming migration's port until one proves to be a
 * source (migration-accept.c): a TLS handshake first when TLS is on, then a
 * valid stream header within HEADER_TIMEOUT_MS. Strangers (nothing,
 * garbage, a plaintext peer on a TLS port or the other way round, a
 * refused certificate) are closed and logged; connections are checked side
 * by side, so a silent one holds up nobody.
 */
#ifndef MIGRATION_ACCEPT_H
#define MIGRATION_ACCEPT_H

#include "io-channel.h"

#define HEADER_TIMEOUT_MS 5000

/* A source: its channel (the header read), and who it is, for messages. */
typedef void MigrationSourceFn(IOChannel *ioc, const char *peer, void *opaque);
/* A connection refused (already logged and closed), and why. */
typedef void MigrationRefusedFn(const char *why, void *opaque);

/*
 * Checks the connection fd (taken over) in the main loop; calls found()
 * there once it is a source, or else refused() (may be NULL: a listening
 * port just waits for the next connection). tls_creds (a server's
 * credentials id) turns TLS on; tls_authz may then name who may connect.
 * Empty or NULL: off.
 */
void migration_accept_check(int fd, const char *tls_creds, const char *tls_authz,
                            MigrationSourceFn *found, MigrationRefusedFn *refused,
                            void *opaque);

/* Closes every connection still being checked. */
void migration_accept_drop_all(void);

#endif
