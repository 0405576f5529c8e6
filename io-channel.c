/*
 * Channels under QEMUFile (io-channel.h): the reference count and the
 * plain-descriptor implementation.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib.h>

#include "io-channel.h"
#include "qemu-error.h"

struct IOChannel {
    gint refcount;
    int fd;
    const IOChannelOps *ops;    /* NULL: the descriptor itself */
    void *opaque;
};

IOChannel *io_channel_new(int fd, const IOChannelOps *ops, void *opaque)
{
    IOChannel *ioc = g_new0(IOChannel, 1);

    ioc->refcount = 1;
    ioc->fd = fd;
    ioc->ops = ops;
    ioc->opaque = opaque;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return ioc;
}

IOChannel *io_channel_new_fd(int fd)
{
    return io_channel_new(fd, NULL, NULL);
}

IOChannel *io_channel_ref(IOChannel *ioc)
{
    g_atomic_int_inc(&ioc->refcount);
    return ioc;
}

void io_channel_unref(IOChannel *ioc)
{
    if (!g_atomic_int_dec_and_test(&ioc->refcount)) {
        return;
    }
    if (ioc->ops) {
        ioc->ops->close(ioc->opaque);
    }
    close(ioc->fd);
    g_free(ioc);
}

int io_channel_fd(IOChannel *ioc)
{
    return ioc->fd;
}

/* A plain call's result: EINTR is retried by the caller (AGAIN too). */
static ssize_t plain_result(ssize_t n, GError **errp)
{
    if (n >= 0) {
        return n;
    }
    if (errno == EAGAIN || errno == EINTR) {
        return IO_CHANNEL_AGAIN;
    }
    int saved = errno;
    error_setg(errp, "%s", g_strerror(saved));
    errno = saved;      /* for callers that keep it (qemu_file_get_errno) */
    return -1;
}

ssize_t io_channel_read(IOChannel *ioc, void *buf, size_t len, GError **errp)
{
    if (ioc->ops) {
        return ioc->ops->read(ioc->opaque, buf, len, errp);
    }
    return plain_result(read(ioc->fd, buf, len), errp);
}

ssize_t io_channel_writev(IOChannel *ioc, const struct iovec *iov, int cnt,
                          GError **errp)
{
    if (ioc->ops) {
        return ioc->ops->writev(ioc->opaque, iov, cnt, errp);
    }
    return plain_result(writev(ioc->fd, iov, cnt), errp);
}

bool io_channel_has_buffered(IOChannel *ioc)
{
    return ioc->ops && ioc->ops->has_buffered(ioc->opaque);
}
