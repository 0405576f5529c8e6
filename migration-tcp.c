/*
 * The tcp: migration transport: the source connects, the destination
 * listens (migration-socket.c).
 */
#include "migration.h"
#include "migration-socket.h"
#include "qemu-sockets.h"

int tcp_start_outgoing_migration(const char *host_port, GError **errp)
{
    return inet_connect(host_port, errp);
}

MigrationListenSocket *tcp_start_incoming_migration(const char *host_port,
                                                    IncomingReady *ready,
                                                    void *opaque, GError **errp)
{
    int fd = inet_listen(host_port, errp);

    return fd < 0 ? NULL : migration_listen(fd, ready, opaque);
}
