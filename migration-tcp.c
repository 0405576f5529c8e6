/*
 * The tcp: migration transport: the source connects, the destination
 * listens and takes one connection.
 */
#include <unistd.h>

#include "migration.h"
#include "migration-socket.h"
#include "qemu-sockets.h"

int tcp_start_outgoing_migration(const char *host_port, GError **errp)
{
    return inet_connect(host_port, errp);
}

int tcp_start_incoming_migration(const char *host_port, IncomingReady *ready,
                                 void *opaque, GError **errp)
{
    int fd = inet_listen(host_port, errp);

    if (fd < 0) {
        return -1;
    }
    migration_accept_one(fd, ready, opaque);
    return 0;
}
