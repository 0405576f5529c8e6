/*
 * The fd: migration transport. The source takes a descriptor a client
 * passed with the monitor's getfd command (by its name); the destination
 * takes a descriptor number it inherited (-incoming fd:N).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "cutils.h"
#include "migration.h"
#include "monitor.h"
#include "qemu-error.h"

int fd_start_outgoing_migration(const char *fdname, GError **errp)
{
    Monitor *mon = monitor_current();

    if (!mon) {
        error_setg(errp, "fd: migration needs a monitor that received the descriptor");
        return -1;
    }
    return monitor_get_fd(mon, fdname, errp);
}

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
