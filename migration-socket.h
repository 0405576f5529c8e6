/*
 * What the socket transports (tcp:, unix:) share on the destination:
 * waiting in the main loop for the one connection a migration is.
 */
#ifndef MIGRATION_SOCKET_H
#define MIGRATION_SOCKET_H

#include "migration.h"

/* Takes ownership of listen_fd; calls ready() with the accepted
 * connection, then closes the listening socket. */
void migration_accept_one(int listen_fd, IncomingReady *ready, void *opaque);

#endif
