/*
 * The TLS channel: reads and writes through GnuTLS (crypto/tlssession.h),
 * whose "try again" answers become IO_CHANNEL_AGAIN.
 *
 * Writes go out in whole records (16 KiB of plaintext) whatever the shape
 * of the iovec: a migration's iovec alternates a few bytes of header with
 * a 4 KiB page, and a record per element cost a record's overhead, its
 * encryption set-up and system calls on both sides for every 9-byte header
 * (two records and three system calls a page). Elements are gathered into
 * a record-sized buffer unless one holds a whole record: one more copy, of
 * memory already in cache when it is encrypted.
 */
#include <stdint.h>
#include <string.h>

#include "io-channel-tls.h"

/* TLS's largest record (of plaintext). */
#define RECORD_MAX 16384

typedef struct TlsChannel {
    TlsSession *session;
    uint8_t record[RECORD_MAX];     /* the next record, gathered */
} TlsChannel;

/* A position in an iovec. */
typedef struct IovPos {
    int i;
    size_t off;
} IovPos;

/* Moves past n bytes, and past empty elements. */
static void iov_advance(const struct iovec *iov, int cnt, IovPos *p, size_t n)
{
    p->off += n;
    while (p->i < cnt && p->off >= iov[p->i].iov_len) {
        p->off -= iov[p->i].iov_len;
        p->i++;
    }
}

/* The next record's plaintext, from position p on (which stays): straight
 * from the iovec when one element holds a whole record, else gathered. */
static const void *next_record(TlsChannel *t, const struct iovec *iov, int cnt,
                               IovPos p, size_t *len)
{
    const uint8_t *base = (const uint8_t *)iov[p.i].iov_base + p.off;
    size_t n = 0;

    if (iov[p.i].iov_len - p.off >= RECORD_MAX) {
        *len = RECORD_MAX;
        return base;
    }
    while (p.i < cnt && n < RECORD_MAX) {
        size_t take = MIN(iov[p.i].iov_len - p.off, RECORD_MAX - n);
        memcpy(t->record + n, (const uint8_t *)iov[p.i].iov_base + p.off, take);
        n += take;
        iov_advance(iov, cnt, &p, take);
    }
    *len = n;
    return t->record;
}

static ssize_t tls_read(void *opaque, void *buf, size_t len, GError **errp)
{
    TlsChannel *t = opaque;
    ssize_t n = tls_session_read(t->session, buf, len, errp);

    return n == TLS_SESSION_WANT_READ ? IO_CHANNEL_AGAIN : n;
}

/*
 * After WANT_WRITE the session holds the record made of the bytes at the
 * position where the caller starts again (io-channel.h), so a record
 * gathered anew from there is the same, as the session requires. A failure
 * returns -1 even after some records went out: the caller would otherwise
 * call again and get "session invalidated" instead of the reason.
 */
static ssize_t tls_writev(void *opaque, const struct iovec *iov, int cnt, GError **errp)
{
    TlsChannel *t = opaque;
    IovPos p = { 0, 0 };
    ssize_t total = 0;

    iov_advance(iov, cnt, &p, 0);
    while (p.i < cnt) {
        size_t len;
        const void *record = next_record(t, iov, cnt, p, &len);
        ssize_t n = tls_session_write(t->session, record, len, errp);
        if (n == TLS_SESSION_WANT_WRITE) {
            return total ? total : IO_CHANNEL_AGAIN;
        }
        if (n < 0) {
            return -1;
        }
        total += n;
        iov_advance(iov, cnt, &p, (size_t)n);
    }
    return total;
}

static bool tls_has_buffered(void *opaque)
{
    TlsChannel *t = opaque;

    return tls_session_pending(t->session) > 0;
}

static void tls_close(void *opaque)
{
    TlsChannel *t = opaque;

    tls_session_bye(t->session, NULL);
    tls_session_free(t->session);
    g_free(t);
}

static const IOChannelOps tls_ops = {
    .read = tls_read,
    .writev = tls_writev,
    .has_buffered = tls_has_buffered,
    .close = tls_close,
};

IOChannel *io_channel_new_tls(TlsSession *session)
{
    TlsChannel *t = g_new0(TlsChannel, 1);

    t->session = session;
    return io_channel_new(tls_session_fd(session), &tls_ops, t);
}
