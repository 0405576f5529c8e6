/*
 * The unix: migration transport: a Unix stream socket at a path.
 */
#include "migration.h"
#include "migration-socket.h"
#include "qemu-sockets.h"

int unix_start_outgoing_migration(const char *path, GError **errp)
{
    return unix_connect(path, errp);
}

MigrationListenSocket *unix_start_incoming_migration(const char *path,
                                                     IncomingReady *ready,
                                                     void *opaque, GError **errp)
{
    int fd = unix_listen(path, errp);

    return fd < 0 ? NULL : migration_listen(fd, ready, opaque);
}
