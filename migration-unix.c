/*
 * The unix: migration transport: a Unix stream socket at a path.
 */
#include <unistd.h>

#include "migration.h"
#include "migration-socket.h"
#include "qemu-sockets.h"

int unix_start_outgoing_migration(const char *path, GError **errp)
{
    return unix_connect(path, errp);
}

int unix_start_incoming_migration(const char *path, IncomingReady *ready,
                                  void *opaque, GError **errp)
{
    int fd = unix_listen(path, errp);

    if (fd < 0) {
        return -1;
    }
    migration_accept_one(fd, ready, opaque);
    return 0;
}
