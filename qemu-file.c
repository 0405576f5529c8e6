/*
 * The buffered migration stream over a file descriptor. The descriptor is
 * non-blocking and every wait polls it together with an eventfd, so that a
 * cancel from another thread interrupts a writer stuck on a slow peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/uio.h>

#include "cutils.h"
#include "qemu-error.h"
#include "qemu-file.h"

#define IO_BUF_SIZE (1u << 20)
/* Buffers at least this large skip the copy into the stream's buffer. */
#define DIRECT_IO_THRESHOLD (IO_BUF_SIZE / 4)
#define RATE_WINDOW_NS 100000000ull
#define MAX_IOV IOV_MAX   /* what one writev takes */

struct QEMUFile {
    IOChannel *ioc;
    char *name;
    bool writable;
    uint8_t *buf;
    size_t buf_len;         /* bytes in buf (to write, or read ahead) */
    size_t buf_pos;         /* reader: next byte to hand out */
    /* Writer: what the next flush sends, in order: parts of buf and
     * buffers of the caller's (qemu_put_buffer_async). */
    struct iovec iov[MAX_IOV];
    int iovcnt;
    size_t seg_start;       /* bytes of buf before this are in iov */
    uint64_t total;
    GError *error;
    int error_errno;        /* the system's errno behind `error`, or 0 */
    int cancel_fd;
    uint64_t rate_limit;    /* atomic: set from any thread */
    uint64_t window_start_ns;
    uint64_t window_bytes;
    unsigned stall_timeout_ms;  /* 0: a wait for the peer may last forever */
    uint64_t deadline_ns;       /* 0: none */
    char *deadline_why;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

QEMUFile *qemu_fopen_channel(IOChannel *ioc, const char *name, bool for_write)
{
    QEMUFile *f = g_new0(QEMUFile, 1);

    f->ioc = ioc;
    f->name = g_strdup(name);
    f->writable = for_write;
    f->buf = g_malloc(IO_BUF_SIZE);
    f->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    f->window_start_ns = now_ns();
    return f;
}

QEMUFile *qemu_fopen_fd(int fd, const char *name, bool for_write)
{
    return qemu_fopen_channel(io_channel_new_fd(fd), name, for_write);
}

/* --- errors ------------------------------------------------------------------- */

void qemu_file_set_error(QEMUFile *f, GError *err)
{
    if (f->error) {
        g_error_free(err);
        return;
    }
    f->error = err;
}

void qemu_file_fail(QEMUFile *f, const char *fmt, ...)
{
    va_list ap;

    if (f->error) {
        return;
    }
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    f->error = g_error_new_literal(QEMU_ERROR, QEMU_ERROR_GENERIC, msg);
}

int qemu_file_get_error(QEMUFile *f, GError **errp)
{
    if (!f->error) {
        return 0;
    }
    if (errp && !*errp) {
        *errp = g_error_copy(f->error);
    }
    return -1;
}

/* A failed read or write; errno is kept for qemu_file_get_errno (a plain
 * descriptor's system call set it). */
static void fail_channel(QEMUFile *f, const char *what, GError *err, int saved_errno)
{
    if (!f->error) {
        f->error_errno = saved_errno;
    }
    qemu_file_fail(f, "%s %s: %s", what, f->name, err->message);
    g_error_free(err);
}

int qemu_file_get_errno(QEMUFile *f)
{
    return f->error ? f->error_errno : 0;
}

void qemu_file_cancel(QEMUFile *f)
{
    uint64_t one = 1;

    (void)!write(f->cancel_fd, &one, sizeof(one));
}

static bool is_cancelled(QEMUFile *f)
{
    struct pollfd p = { .fd = f->cancel_fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1;
}

/*
 * How long one wait for the peer may last (poll's timeout): the stall
 * timeout, cut short by the deadline; *by_deadline says which applies.
 */
static int wait_timeout_ms(QEMUFile *f, bool *by_deadline)
{
    int timeout = f->stall_timeout_ms ? (int)f->stall_timeout_ms : -1;

    *by_deadline = false;
    if (!f->deadline_ns) {
        return timeout;
    }
    uint64_t now = now_ns();
    uint64_t left_ms = now >= f->deadline_ns ? 0 : (f->deadline_ns - now + 999999) / 1000000;
    if (timeout < 0 || left_ms < (uint64_t)timeout) {
        *by_deadline = true;
        return (int)MIN(left_ms, (uint64_t)INT_MAX);
    }
    return timeout;
}

static void fail_timeout(QEMUFile *f, short events, bool by_deadline)
{
    if (by_deadline) {
        qemu_file_fail(f, "%s", f->deadline_why);
    } else if (events & POLLOUT) {
        qemu_file_fail(f, "%s took no data for %g s", f->name,
                       f->stall_timeout_ms / 1000.0);
    } else {
        qemu_file_fail(f, "no data from %s for %g s", f->name,
                       f->stall_timeout_ms / 1000.0);
    }
}

/* Waits until fd is ready for `events`; false (error recorded) on cancel,
 * after the stall timeout and past the deadline. */
static bool wait_fd(QEMUFile *f, short events)
{
    struct pollfd p[2] = {
        { .fd = io_channel_fd(f->ioc), .events = events },
        { .fd = f->cancel_fd, .events = POLLIN },
    };

    for (;;) {
        bool by_deadline;
        int timeout = wait_timeout_ms(f, &by_deadline);
        int r = timeout == 0 ? 0 : poll(p, 2, timeout);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (p[1].revents) {
            qemu_file_fail(f, "migration cancelled");
            return false;
        }
        if (r == 0) {
            fail_timeout(f, events, by_deadline);
            return false;
        }
        return true;
    }
}

/* --- writing -------------------------------------------------------------------- */

/* Writes iov[0..cnt) whole, waiting while the peer is slow. */
static void writev_all(QEMUFile *f, struct iovec *iov, int cnt)
{
    while (cnt && !f->error) {
        GError *err = NULL;
        ssize_t n = io_channel_writev(f->ioc, iov, cnt, &err);
        if (n == IO_CHANNEL_AGAIN) {
            wait_fd(f, POLLOUT);
            continue;
        }
        if (n < 0) {
            fail_channel(f, "write to", err, errno);
            continue;
        }
        while (cnt && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
}

static void add_iov(QEMUFile *f, const uint8_t *base, size_t len)
{
    struct iovec *last = f->iovcnt ? &f->iov[f->iovcnt - 1] : NULL;

    if (last && (uint8_t *)last->iov_base + last->iov_len == base) {
        last->iov_len += len;
        return;
    }
    f->iov[f->iovcnt].iov_base = (void *)base;
    f->iov[f->iovcnt].iov_len = len;
    f->iovcnt++;
}

/* Queues the bytes put into buf since the last queued part. */
static void queue_buffered(QEMUFile *f)
{
    if (f->buf_len > f->seg_start) {
        add_iov(f, f->buf + f->seg_start, f->buf_len - f->seg_start);
        f->seg_start = f->buf_len;
    }
}

void qemu_fflush(QEMUFile *f)
{
    if (!f->writable) {
        return;
    }
    queue_buffered(f);
    writev_all(f, f->iov, f->iovcnt);
    f->iovcnt = 0;
    f->buf_len = 0;
    f->seg_start = 0;
}

static void account(QEMUFile *f, size_t len)
{
    f->total += len;
    f->window_bytes += len;
}

void qemu_put_buffer_async(QEMUFile *f, const uint8_t *buf, size_t len)
{
    if (f->error) {
        return;
    }
    account(f, len);
    queue_buffered(f);
    add_iov(f, buf, len);
    /* Room for the buffered bytes after it, and the next caller's buffer. */
    if (f->iovcnt >= MAX_IOV - 2) {
        qemu_fflush(f);
    }
}

void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t len)
{
    if (f->error) {
        return;
    }
    if (len >= DIRECT_IO_THRESHOLD) {
        /* Sent before this returns: the caller may reuse buf at once. */
        qemu_put_buffer_async(f, buf, len);
        qemu_fflush(f);
        return;
    }
    account(f, len);
    while (len) {
        size_t room = IO_BUF_SIZE - f->buf_len;
        size_t n = len < room ? len : room;
        memcpy(f->buf + f->buf_len, buf, n);
        f->buf_len += n;
        buf += n;
        len -= n;
        if (f->buf_len == IO_BUF_SIZE) {
            qemu_fflush(f);
        }
    }
}

void qemu_put_byte(QEMUFile *f, uint8_t v)
{
    if (f->error) {
        return;
    }
    account(f, 1);
    f->buf[f->buf_len++] = v;
    if (f->buf_len == IO_BUF_SIZE) {
        qemu_fflush(f);
    }
}

void qemu_put_be16(QEMUFile *f, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    qemu_put_buffer(f, b, sizeof(b));
}

void qemu_put_be32(QEMUFile *f, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                     (uint8_t)v };
    qemu_put_buffer(f, b, sizeof(b));
}

void qemu_put_be64(QEMUFile *f, uint64_t v)
{
    qemu_put_be32(f, (uint32_t)(v >> 32));
    qemu_put_be32(f, (uint32_t)v);
}

/* --- reading -------------------------------------------------------------------- */

/* Reads up to len bytes into dst; 0 at end of stream or on error. */
static size_t read_some(QEMUFile *f, uint8_t *dst, size_t len)
{
    while (!f->error) {
        GError *err = NULL;
        ssize_t n = io_channel_read(f->ioc, dst, len, &err);
        if (n >= 0) {
            return (size_t)n;
        }
        if (n == IO_CHANNEL_AGAIN && !io_channel_has_buffered(f->ioc)) {
            wait_fd(f, POLLIN);
        } else if (n < 0 && n != IO_CHANNEL_AGAIN) {
            fail_channel(f, "read from", err, errno);
        }
    }
    return 0;
}

static bool fill_buffer(QEMUFile *f)
{
    f->buf_len = read_some(f, f->buf, IO_BUF_SIZE);
    f->buf_pos = 0;
    return f->buf_len > 0;
}

/*
 * Reads len bytes into buf; `streaming` copies a whole buffered page with
 * non-temporal stores (buf page-aligned, len a multiple of 64), the rare
 * page split across two reads as usual.
 */
static size_t get_buffer(QEMUFile *f, uint8_t *buf, size_t len, bool streaming)
{
    size_t done = 0;

    while (done < len && !f->error) {
        size_t avail = f->buf_len - f->buf_pos;
        if (streaming && done == 0 && avail >= len) {
            memcpy_stream(buf, f->buf + f->buf_pos, len);
            f->buf_pos += len;
            done = len;
        } else if (avail) {
            size_t n = MIN(avail, len - done);
            memcpy(buf + done, f->buf + f->buf_pos, n);
            f->buf_pos += n;
            done += n;
        } else if (len - done >= DIRECT_IO_THRESHOLD) {
            size_t n = read_some(f, buf + done, len - done);
            if (n == 0) {
                break;
            }
            done += n;
        } else if (!fill_buffer(f)) {
            break;
        }
    }
    if (done < len) {
        qemu_file_fail(f, "unexpected end of the migration stream from %s", f->name);
    }
    f->total += done;
    return done;
}

size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t len)
{
    return get_buffer(f, buf, len, false);
}

size_t qemu_get_page(QEMUFile *f, uint8_t *page, size_t len)
{
    return get_buffer(f, page, len, true);
}

uint8_t qemu_get_byte(QEMUFile *f)
{
    if (f->buf_pos < f->buf_len) {
        f->total++;
        return f->buf[f->buf_pos++];
    }
    uint8_t v = 0;
    qemu_get_buffer(f, &v, 1);
    return v;
}

uint16_t qemu_get_be16(QEMUFile *f)
{
    uint8_t b[2] = { 0, 0 };
    qemu_get_buffer(f, b, sizeof(b));
    return (uint16_t)((b[0] << 8) | b[1]);
}

uint32_t qemu_get_be32(QEMUFile *f)
{
    uint8_t b[4] = { 0, 0, 0, 0 };
    qemu_get_buffer(f, b, sizeof(b));
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

uint64_t qemu_get_be64(QEMUFile *f)
{
    uint64_t hi = qemu_get_be32(f);
    return (hi << 32) | qemu_get_be32(f);
}

/* --- the rest -------------------------------------------------------------------- */

uint64_t qemu_file_total_bytes(QEMUFile *f)
{
    return f->total;
}

int qemu_file_fd(QEMUFile *f)
{
    return io_channel_fd(f->ioc);
}

int qemu_fclose(QEMUFile *f, GError **errp)
{
    qemu_fflush(f);
    int ret = qemu_file_get_error(f, errp);
    io_channel_unref(f->ioc);
    close(f->cancel_fd);
    if (f->error) {
        g_error_free(f->error);
    }
    g_free(f->deadline_why);
    g_free(f->buf);
    g_free(f->name);
    g_free(f);
    return ret;
}

void qemu_file_set_rate_limit(QEMUFile *f, uint64_t bytes_per_second)
{
    __atomic_store_n(&f->rate_limit, bytes_per_second, __ATOMIC_RELAXED);
}

static void update_window(QEMUFile *f)
{
    uint64_t now = now_ns();

    if (now - f->window_start_ns >= RATE_WINDOW_NS) {
        f->window_start_ns = now;
        f->window_bytes = 0;
    }
}

bool qemu_file_rate_limit(QEMUFile *f)
{
    uint64_t limit = __atomic_load_n(&f->rate_limit, __ATOMIC_RELAXED);

    if (!limit) {
        return false;
    }
    update_window(f);
    /* At least one byte a window: a tiny limit still makes progress, a
     * record per window. */
    uint64_t budget = MAX(limit / (1000000000ull / RATE_WINDOW_NS), 1);
    return f->window_bytes >= budget;
}

bool qemu_file_rate_limit_wait(QEMUFile *f)
{
    /* This window's bytes go out now, not when the buffer happens to fill. */
    qemu_fflush(f);
    if (f->error) {
        return false;
    }
    uint64_t now = now_ns();
    uint64_t elapsed = now - f->window_start_ns;

    if (elapsed < RATE_WINDOW_NS) {
        uint64_t left = RATE_WINDOW_NS - elapsed;
        bool past_deadline = f->deadline_ns && now + left > f->deadline_ns;
        if (past_deadline) {
            left = f->deadline_ns > now ? f->deadline_ns - now : 0;
        }
        struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)left };
        struct pollfd p = { .fd = f->cancel_fd, .events = POLLIN };
        if (ppoll(&p, 1, &ts, NULL) == 1) {
            qemu_file_fail(f, "migration cancelled");
            return false;
        }
        if (past_deadline) {
            qemu_file_fail(f, "%s", f->deadline_why);
            return false;
        }
    }
    update_window(f);
    if (is_cancelled(f)) {
        /* Recorded, so that no caller mistakes the end for a finish. */
        qemu_file_fail(f, "migration cancelled");
        return false;
    }
    return true;
}

bool qemu_file_pause(QEMUFile *f, uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
                           .tv_nsec = (long)(ns % 1000000000ull) };
    struct pollfd p = { .fd = f->cancel_fd, .events = POLLIN };

    qemu_fflush(f);
    if (ppoll(&p, 1, &ts, NULL) == 1) {
        qemu_file_fail(f, "migration cancelled");
    }
    return !f->error;
}

uint64_t qemu_file_unsent_bytes(QEMUFile *f)
{
    uint64_t queued = 0;
    int outq = 0;

    for (int i = 0; i < f->iovcnt; i++) {
        queued += f->iov[i].iov_len;
    }
    queued += f->buf_len - f->seg_start;
    if (ioctl(io_channel_fd(f->ioc), SIOCOUTQ, &outq) == 0 && outq > 0) {
        queued += (uint64_t)outq;
    }
    return queued;
}

void qemu_file_set_stall_timeout(QEMUFile *f, unsigned timeout_ms)
{
    f->stall_timeout_ms = timeout_ms;
}

void qemu_file_set_deadline(QEMUFile *f, uint64_t deadline_ns, const char *why)
{
    f->deadline_ns = deadline_ns;
    g_free(f->deadline_why);
    f->deadline_why = deadline_ns ? g_strdup(why) : NULL;
}

QEMUFile *qemu_file_open_return_path(QEMUFile *f)
{
    g_autofree char *name = g_strdup_printf("%s (return path)", f->name);
    return qemu_fopen_channel(io_channel_ref(f->ioc), name, !f->writable);
}
