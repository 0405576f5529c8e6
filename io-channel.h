/*
 * The byte channel under a QEMUFile: a plain descriptor, or a TLS session
 * over one. Non-blocking: a read or write that cannot go on now returns
 * IO_CHANNEL_AGAIN, and the caller polls io_channel_fd() (first asking
 * io_channel_has_buffered() whether bytes already wait); an error returns
 * -1 with *errp saying what happened ("Connection reset by peer", "TLS read
 * failed: ...") and errno set (the system's error, or EPROTO for a TLS
 * failure). Reference counted: a stream and its return path share one
 * channel, each end used by one thread (one reads, one writes).
 */
#ifndef IO_CHANNEL_H
#define IO_CHANNEL_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <glib.h>

#define IO_CHANNEL_AGAIN (-2)

typedef struct IOChannel IOChannel;

/* What an implementation provides (io-channel.c has the plain one,
 * io-channel-tls.c the TLS one). */
typedef struct IOChannelOps {
    ssize_t (*read)(void *opaque, void *buf, size_t len, GError **errp);
    ssize_t (*writev)(void *opaque, const struct iovec *iov, int cnt, GError **errp);
    bool (*has_buffered)(void *opaque);
    /* Ends the session (not the descriptor: the channel closes that). */
    void (*close)(void *opaque);
} IOChannelOps;

/* A channel over fd (taken over: closed with the last reference), made
 * non-blocking. */
IOChannel *io_channel_new_fd(int fd);
/* The same through ops (a TLS session), which takes over opaque. */
IOChannel *io_channel_new(int fd, const IOChannelOps *ops, void *opaque);

IOChannel *io_channel_ref(IOChannel *ioc);
void io_channel_unref(IOChannel *ioc);

int io_channel_fd(IOChannel *ioc);
/* Bytes read (0: the peer ended the stream), IO_CHANNEL_AGAIN, or -1. */
ssize_t io_channel_read(IOChannel *ioc, void *buf, size_t len, GError **errp);
/* Bytes taken (a prefix of iov), IO_CHANNEL_AGAIN, or -1. After AGAIN,
 * call again with the same bytes first. */
ssize_t io_channel_writev(IOChannel *ioc, const struct iovec *iov, int cnt,
                          GError **errp);
/* Bytes that can be read without the descriptor being readable. */
bool io_channel_has_buffered(IOChannel *ioc);

#endif
