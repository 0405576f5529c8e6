/*
 * What the socket transports (tcp:, unix:) share on the destination: a
 * listening socket whose connections are handed over from the main loop.
 */
#ifndef MIGRATION_SOCKET_H
#define MIGRATION_SOCKET_H

#include "migration.h"

/* Takes ownership of listen_fd; calls ready() with every accepted
 * connection until migration_listener_close(). */
MigrationListenSocket *migration_listen(int listen_fd, IncomingReady *ready,
                                        void *opaque);

#endif
