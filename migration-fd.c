/*
 * The fd: migration transport's destination: a descriptor number it
 * inherited (-incoming fd:N). The source's descriptor is one a client
 * passed with the monitor's getfd: the monitor layer looks it up by name
 * and hands it to migrate_start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "cutils.h"
#include "migration.h"
#include "qemu-error.h"

int fd_start_incoming_migration(const char *fd_number, IncomingReady *ready,
                                void *opaque, GError **errp)
{
    int64_t fd;

    if (parse_int64(fd_number, &fd, NULL) < 0 || fd < 0 || fd > INT32_MAX) {
        error_setg(errp, "fd: needs a descriptor number, not '%s'", fd_number);
        return -1;
    }
    if (fcntl((int)fd, F_GETFD) < 0) {
        error_setg_errno(errp, errno, "descriptor %" G_GINT64_FORMAT, fd);
        return -1;
    }
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    ready((int)fd, opaque);
    return 0;
}
