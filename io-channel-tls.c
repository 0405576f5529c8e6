/*
 * The TLS channel: reads and writes through GnuTLS (crypto/tlssession.h),
 * whose "try again" answers become IO_CHANNEL_AGAIN. A write takes a
 * record (16 KiB) at a time; an iovec is taken in as many as fit now.
 */
#include "io-channel-tls.h"

static ssize_t tls_read(void *opaque, void *buf, size_t len, GError **errp)
{
    ssize_t n = tls_session_read(opaque, buf, len, errp);

    return n == TLS_SESSION_WANT_READ ? IO_CHANNEL_AGAIN : n;
}

static ssize_t tls_writev(void *opaque, const struct iovec *iov, int cnt, GError **errp)
{
    ssize_t total = 0;

    for (int i = 0; i < cnt; i++) {
        size_t done = 0;
        while (done < iov[i].iov_len) {
            ssize_t n = tls_session_write(opaque, (const char *)iov[i].iov_base + done,
                                          iov[i].iov_len - done, errp);
            if (n == TLS_SESSION_WANT_WRITE) {
                return total ? total : IO_CHANNEL_AGAIN;
            }
            if (n < 0) {
                return total ? total : -1;
            }
            done += (size_t)n;
            total += n;
        }
    }
    return total;
}

static bool tls_has_buffered(void *opaque)
{
    return tls_session_pending(opaque) > 0;
}

static void tls_close(void *opaque)
{
    tls_session_bye(opaque, NULL);
    tls_session_free(opaque);
}

static const IOChannelOps tls_ops = {
    .read = tls_read,
    .writev = tls_writev,
    .has_buffered = tls_has_buffered,
    .close = tls_close,
};

IOChannel *io_channel_new_tls(TlsSession *session)
{
    return io_channel_new(tls_session_fd(session), &tls_ops, session);
}
