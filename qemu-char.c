/*
 * The chardev backends (stdio, null, file, pty, unix and tcp sockets, and
 * those implemented elsewhere, like the display's vc) and the mon:stdio
 * multiplexer. Input is read by fd watches of the main loop and handed to
 * the frontend; output is written under a per-device lock (the vCPU and
 * migration threads write too) and never waits for a peer: what it does not
 * take at once is queued and flushed from the main loop. A socket with TLS
 * reads and writes through its client's session (the handshakes are
 * qemu-char-tls.c's).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <glib-unix.h>

#include "crypto/tlssession.h"
#include "main-loop.h"
#include "qemu-char.h"
#include "qemu-char-tls.h"
#include "qemu-error.h"
#include "qemu-sockets.h"
#include "ui/console.h"

typedef enum {
    CHR_NULL,
    CHR_STDIO,
    CHR_FILE,
    CHR_PTY,
    CHR_SOCKET,
    CHR_MUX,
    CHR_BACKEND,        /* implemented elsewhere: CharBackendOps */
} ChrKind;

/* How writes to out_fd behave. */
typedef enum {
    OUT_WAITS,      /* a regular file or block device: writes wait (a slow
                       disk is not a peer that stopped reading) */
    OUT_NONBLOCK,   /* writes never wait: O_NONBLOCK, or a socket (send
                       with MSG_DONTWAIT) */
    OUT_POLL,       /* a shared stdout we could not reopen non-blocking:
                       at most PIPE_BUF bytes once poll says there is room */
} OutputMode;

typedef struct Frontend {
    CharCanReadHandler *can_read;
    CharReadHandler *read;
    CharEventHandler *event;
    void *opaque;
} Frontend;

typedef struct MuxState MuxState;

struct CharDriverState {
    char *label;
    ChrKind kind;
    Frontend fe;

    int in_fd;          /* read from here; -1: no input now */
    int out_fd;         /* write here; -1: output is dropped (under write_lock) */
    bool out_fd_owned;  /* stdio: our own non-blocking opening of stdout */
    bool is_tty;
    bool is_socket;     /* use recvmsg/send: fds passing, no SIGPIPE */
    bool open;          /* the backend has a peer (a socket: a client) */
    bool throttled;     /* the frontend could take no more input */
    bool input_ended;   /* EOF on a stream that does not come back (stdio) */
    guint in_watch;     /* main-loop source reading in_fd, 0 when none */
    guint open_idle;    /* pending deferred CHR_EVENT_OPENED */
    GMutex write_lock;

    /* Output the peer has not taken yet (all under write_lock) */
    OutputMode out_mode;
    bool out_shares_stderr; /* out_fd is stderr's file: log nothing there */
    GByteArray *out_queue;  /* in order, written before any new output */
    size_t out_stalled;     /* queued since the peer last took any output */
    bool over_cap;          /* output is dropped (qemu-char.h says when) */
    guint out_watch;        /* main-loop source flushing out_queue */
    guint drop_idle;        /* main-loop source dropping a stuck client */
    GSList *drain_waiters;  /* main thread: notify_writable calls waiting
                               for out_queue to drain (WritableWatch) */

    /* sockets */
    int listen_fd;
    guint listen_watch;
    char *unix_path;    /* a Unix server's path, removed with the device */
    int msgfd;          /* last fd received with SCM_RIGHTS */
    bool first_input_seen;  /* a plaintext server looked at the client's
                               first bytes (a TLS client?) */

    /* sockets with TLS */
    ChrTls *tls;
    int tls_handshake_ms;
    TlsSession *session;    /* the client's, from its handshake on; set and
                               cleared under write_lock (writers use it) */
    bool tls_record_made;   /* a write wanted the socket: GnuTLS holds a
                               record of the bytes at the queue's head */
    ChrTlsHandshake *handshake; /* a client still in its handshake... */
    int handshake_fd;           /* ...on this socket */
    guint pending_idle;     /* reading what GnuTLS already decrypted */

    /* pty: our own slave fd keeps the master readable with no client */
    int pty_slave;

    MuxState *mux;

    /* CHR_BACKEND */
    const CharBackendOps *backend_ops;
    void *backend_opaque;
};

/* Ring buffer of input a mux frontend could not take yet. */
#define MUX_MAX_FRONTENDS 4
#define MUX_BUF_SIZE 64
#define MUX_ESCAPE 0x01 /* C-a */

typedef struct MuxFrontend {
    Frontend fe;
    uint8_t buf[MUX_BUF_SIZE];
    unsigned prod, cons;
} MuxFrontend;

struct MuxState {
    CharDriverState *drv;   /* the terminal behind the mux */
    MuxFrontend fes[MUX_MAX_FRONTENDS];
    int count;
    int focus;              /* index of the frontend with the terminal, -1 */
    bool escape;            /* C-a was the last byte */
    bool drv_open;
};

static CharDriverState *stdio_owner;
static struct termios stdio_saved_tty;
static bool stdio_tty_changed;

static void chr_update_watch(CharDriverState *chr);

/* ------------------------------------------------------------------------ */
/* Events and the frontend */

static void chr_send_event(CharDriverState *chr, CharEvent event)
{
    if (chr->fe.event) {
        chr->fe.event(chr->fe.opaque, event);
    }
}

static gboolean chr_deferred_open(gpointer opaque)
{
    CharDriverState *chr = opaque;

    chr->open_idle = 0;
    if (chr->open) {
        chr_send_event(chr, CHR_EVENT_OPENED);
    }
    return G_SOURCE_REMOVE;
}

static void chr_cancel_deferred_open(CharDriverState *chr)
{
    if (chr->open_idle) {
        g_source_remove(chr->open_idle);
        chr->open_idle = 0;
    }
}

/* A main-loop callback at the priority of input, so that it runs before
 * input that is already waiting. */
static guint chr_defer(GSourceFunc fn, gpointer opaque)
{
    return g_idle_add_full(G_PRIORITY_DEFAULT, fn, opaque, NULL);
}

static void chr_set_frontend(CharDriverState *chr, Frontend fe)
{
    chr->fe = fe;
    chr->throttled = false;
    chr_cancel_deferred_open(chr);
    /* Deferred so that the frontend finishes its set-up first, as a client
     * connecting later would find it; scheduled before the input watch so
     * that the frontend sees OPENED before any byte. */
    if (fe.event && chr->open) {
        chr->open_idle = chr_defer(chr_deferred_open, chr);
    }
    chr_update_watch(chr);
}

/* ------------------------------------------------------------------------ */
/* Input */

static void chr_close_msgfd(CharDriverState *chr)
{
    if (chr->msgfd >= 0) {
        close(chr->msgfd);
        chr->msgfd = -1;
    }
}

/* Keeps the last descriptor passed with SCM_RIGHTS (getfd takes it). */
static void chr_take_passed_fds(CharDriverState *chr, struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            chr_close_msgfd(chr);
            chr->msgfd = fds[i];
        }
    }
}

/*
 * A TLS client's bytes; errno EAGAIN when none are decrypted yet. A failure
 * ends the input; it is said on stderr unless the client merely left
 * without ending the session, which is no more news than a plaintext
 * client's leaving. Under write_lock: a read may make GnuTLS write (its
 * answer to the peer's key update).
 */
static ssize_t chr_recv_tls(CharDriverState *chr, uint8_t *buf, size_t len)
{
    g_autoptr(GError) err = NULL;

    g_mutex_lock(&chr->write_lock);
    ssize_t n = tls_session_read(chr->session, buf, len, &err);
    g_mutex_unlock(&chr->write_lock);
    if (n == TLS_SESSION_WANT_READ) {
        errno = EAGAIN;
        return -1;
    }
    if (n < 0 && !tls_session_peer_cut(chr->session)) {
        error_report("chardev '%s': %s", chr->label, err->message);
    }
    if (n < 0) {
        errno = EPROTO;
        return -1;
    }
    return n;
}

static ssize_t chr_recv(CharDriverState *chr, uint8_t *buf, size_t len)
{
    if (chr->session) {
        return chr_recv_tls(chr, buf, len);
    }
    if (!chr->is_socket) {
        return read(chr->in_fd, buf, len);
    }
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 8)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    ssize_t n = recvmsg(chr->in_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n > 0) {
        chr_take_passed_fds(chr, &msg);
    }
    return n;
}

static void chr_drop_client(CharDriverState *chr);

static void chr_input_ended(CharDriverState *chr)
{
    if (chr->kind == CHR_SOCKET) {
        chr_drop_client(chr);
        return;
    }
    /* stdin at EOF stays at EOF: stop polling it. */
    chr->input_ended = true;
    chr_update_watch(chr);
}

/* A plaintext server's first bytes from a client: false when they start a
 * TLS handshake (said on stderr), which no frontend here would understand. */
static bool chr_first_input_ok(CharDriverState *chr, const uint8_t *buf,
                               size_t len)
{
    if (chr->first_input_seen || chr->listen_fd < 0 || chr->tls) {
        return true;
    }
    chr->first_input_seen = true;
    return !chr_tls_refuse_client_hello(chr->label, buf, len);
}

static void chr_take_pending_later(CharDriverState *chr);

/*
 * Hands the frontend what it can take now. When input stops (the frontend
 * is full, the peer is gone), chr_update_watch removes the input watch,
 * which may be the source running this.
 */
static void chr_read_input(CharDriverState *chr)
{
    uint8_t buf[4096];

    int room = chr->fe.can_read ? chr->fe.can_read(chr->fe.opaque)
                                : (int)sizeof(buf);
    if (room <= 0) {
        chr->throttled = true;
        chr_update_watch(chr);
        return;
    }
    ssize_t n = chr_recv(chr, buf, MIN((size_t)room, sizeof(buf)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        chr_input_ended(chr);
        return;
    }
    if (!chr_first_input_ok(chr, buf, n)) {
        chr_drop_client(chr);
        return;
    }
    /* The frontend may drop the client or throttle us meanwhile. */
    chr->fe.read(chr->fe.opaque, buf, n);
    chr_take_pending_later(chr);
}

static gboolean chr_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    chr_read_input(opaque);
    return G_SOURCE_CONTINUE;
}

static gboolean chr_pending_input(gpointer opaque)
{
    CharDriverState *chr = opaque;

    chr->pending_idle = 0;
    chr_read_input(chr);
    return G_SOURCE_REMOVE;
}

/* Bytes GnuTLS decrypted beyond what the frontend took (a record holds up
 * to 16 KiB) make no fd readable: they are read from the loop, for as long
 * as input is wanted (chr_update_watch cancels this when it is not). */
static void chr_take_pending_later(CharDriverState *chr)
{
    if (chr->in_watch && !chr->pending_idle && chr->session &&
        tls_session_pending(chr->session) > 0) {
        chr->pending_idle = chr_defer(chr_pending_input, chr);
    }
}

static void chr_update_watch(CharDriverState *chr)
{
    bool want = chr->in_fd >= 0 && chr->fe.read && !chr->throttled &&
                !chr->input_ended;

    if (want && !chr->in_watch) {
        chr->in_watch = g_unix_fd_add(chr->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      chr_readable, chr);
        chr_take_pending_later(chr);
    } else if (!want && chr->in_watch) {
        g_source_remove(chr->in_watch);
        chr->in_watch = 0;
    }
    if (!want && chr->pending_idle) {
        g_source_remove(chr->pending_idle);
        chr->pending_idle = 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Output: written at once as far as the peer takes it, the rest queued and
 * flushed from the main loop when out_fd is writable again. */

#define CHR_OUTPUT_CAP (1024 * 1024)
/* The most a TLS record carries (RFC 8446, 5.1). */
#define TLS_RECORD_MAX (16 * 1024)

typedef struct WritableWatch {
    GSourceFunc fn;
    gpointer opaque;
} WritableWatch;

/*
 * chr_write_now through the client's TLS session: at most one record. When
 * the socket is full the record is made all the same, and GnuTLS sends it
 * when called again with the same bytes first: the caller queues them (the
 * queue is always written from its head), and tls_record_made says so.
 */
static ssize_t chr_write_tls(CharDriverState *chr, const uint8_t *buf,
                             size_t len)
{
    ssize_t n = tls_session_write(chr->session, buf, len, NULL);

    if (n == TLS_SESSION_WANT_WRITE) {
        chr->tls_record_made = true;
        return 0;
    }
    chr->tls_record_made = false;
    if (n < 0) {
        return -1;      /* the session is dead: its input side says why */
    }
    if (n > 0) {
        chr->out_stalled = 0;
    }
    return n;
}

/* Writes what the peer takes now: the bytes written (0 when it takes none
 * for now), or -1 on an error (the peer went away). Lock held. */
static ssize_t chr_write_now(CharDriverState *chr, const uint8_t *buf,
                             size_t len)
{
    struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
    ssize_t n;

    if (chr->session) {
        return chr_write_tls(chr, buf, len);
    }

    do {
        if (chr->is_socket) {
            n = send(chr->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else if (chr->out_mode == OUT_NONBLOCK) {
            n = write(chr->out_fd, buf, len);
        } else if (poll(&pfd, 1, 0) == 1) {
            /* POLLOUT promises room for PIPE_BUF bytes: this never waits. */
            n = write(chr->out_fd, buf, MIN(len, PIPE_BUF));
        } else {
            return 0;
        }
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
    if (n > 0) {
        chr->out_stalled = 0;
    }
    return n;
}

/* A regular file: all of it, waiting for the disk. */
static int chr_write_all(CharDriverState *chr, const uint8_t *buf, int len)
{
    for (int done = 0; done < len;) {
        ssize_t n = write(chr->out_fd, buf + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        done += n;
    }
    return len;
}

/* Writes the queue out as far as the peer takes it now: 1 when it took
 * some, 0 when none, -1 on an error. Lock held. */
static int chr_flush_queue(CharDriverState *chr)
{
    int took = 0;

    while (chr->out_queue->len) {
        ssize_t n = chr_write_now(chr, chr->out_queue->data,
                                  chr->out_queue->len);
        if (n <= 0) {
            return n < 0 ? -1 : took;
        }
        g_byte_array_remove_range(chr->out_queue, 0, n);
        took = 1;
    }
    return took;
}

static void chr_forget_output(CharDriverState *chr)
{
    g_byte_array_set_size(chr->out_queue, 0);
    chr->out_stalled = 0;
    chr->over_cap = false;
    if (chr->out_watch) {
        g_source_remove(chr->out_watch);
        chr->out_watch = 0;
    }
    if (chr->drop_idle) {
        g_source_remove(chr->drop_idle);
        chr->drop_idle = 0;
    }
}

/* Main thread: the callers of qemu_chr_notify_writable waiting for the
 * queue to drain (or for the peer to go, which drops output). */
static void chr_wake_drain_waiters(CharDriverState *chr)
{
    GSList *waiters = chr->drain_waiters;

    chr->drain_waiters = NULL;
    for (GSList *l = waiters; l; l = l->next) {
        WritableWatch *w = l->data;
        chr_defer(w->fn, w->opaque);
    }
    g_slist_free_full(waiters, g_free);
}

static gboolean chr_output_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    CharDriverState *chr = opaque;

    g_mutex_lock(&chr->write_lock);
    int rc = chr_flush_queue(chr);
    bool done = rc < 0 || chr->out_queue->len == 0;
    if (done) {
        /* Drained, or the peer is gone (its input side will notice). */
        g_byte_array_set_size(chr->out_queue, 0);
        chr->out_watch = 0;
        if (chr->kind != CHR_SOCKET) {
            chr->over_cap = false;  /* the peer reads again: output resumes */
        }
    }
    g_mutex_unlock(&chr->write_lock);
    if (!done) {
        return G_SOURCE_CONTINUE;
    }
    chr_wake_drain_waiters(chr);
    return G_SOURCE_REMOVE;
}

/* Lock held; any thread (the main context is thread-safe). */
static void chr_flush_later(CharDriverState *chr)
{
    if (!chr->out_watch) {
        chr->out_watch = g_unix_fd_add(chr->out_fd,
                                       G_IO_OUT | G_IO_ERR | G_IO_HUP,
                                       chr_output_ready, chr);
    }
}

static gboolean chr_drop_stuck_client(gpointer opaque)
{
    CharDriverState *chr = opaque;

    g_mutex_lock(&chr->write_lock);
    chr->drop_idle = 0;
    g_mutex_unlock(&chr->write_lock);
    chr_drop_client(chr);
    return G_SOURCE_REMOVE;
}

/*
 * The peer has let more than the cap wait (lock held). A socket's client is
 * dropped, from the main loop: the writer may be a frontend in the middle
 * of its work, or another thread. Elsewhere output is dropped until the
 * peer has taken what waits.
 */
static void chr_over_cap(CharDriverState *chr)
{
    chr->over_cap = true;
    if (chr->kind == CHR_SOCKET) {
        error_report("chardev '%s': the client reads no output (over %d "
                     "bytes waiting): disconnecting", chr->label,
                     CHR_OUTPUT_CAP);
        chr->drop_idle = chr_defer(chr_drop_stuck_client, chr);
        return;
    }
    if (!chr->out_shares_stderr) {
        error_report("chardev '%s': nothing reads the output (over %d "
                     "bytes waiting): dropping output until it is read",
                     chr->label, CHR_OUTPUT_CAP);
    }
    chr_flush_later(chr);   /* its callback ends the dropping */
}

/*
 * Queues what the peer did not take (lock held). The cap counts output
 * queued since the peer last took any: a reader that keeps reading is never
 * cut off, whatever the size of one message; one that stopped is.
 */
static void chr_enqueue(CharDriverState *chr, const uint8_t *buf, size_t len,
                        bool peer_took_some)
{
    if (!peer_took_some && chr->out_stalled + len > CHR_OUTPUT_CAP) {
        chr_over_cap(chr);
        return;
    }
    if (!peer_took_some) {
        chr->out_stalled += len;
    }
    g_byte_array_append(chr->out_queue, buf, len);
    chr_flush_later(chr);
}

/* qemu_chr_write on an fd backend, lock held. */
static int chr_output(CharDriverState *chr, const uint8_t *buf, int len)
{
    if (chr->out_fd < 0 || chr->over_cap) {
        return len;     /* no peer, or output being dropped */
    }
    if (chr->out_mode == OUT_WAITS) {
        return chr_write_all(chr, buf, len);
    }
    /* What waits goes first; a peer that reads again takes it here too,
     * even while the main loop is busy with a command that prints a lot. */
    int took = chr_flush_queue(chr);
    ssize_t done = 0;
    if (took >= 0 && chr->out_queue->len == 0) {
        done = chr_write_now(chr, buf, len);
    }
    if (took < 0 || done < 0) {
        return -1;
    }
    if (done < len) {
        chr_enqueue(chr, buf + done, len - done, took > 0 || done > 0);
    }
    return len;
}

int qemu_chr_write(CharDriverState *chr, const uint8_t *buf, int len)
{
    if (chr->mux) {
        return qemu_chr_write(chr->mux->drv, buf, len);
    }
    if (chr->backend_ops) {
        return chr->backend_ops->write(chr->backend_opaque, buf, len);
    }
    g_mutex_lock(&chr->write_lock);
    int rc = chr_output(chr, buf, len);
    g_mutex_unlock(&chr->write_lock);
    return rc;
}

/* qemu_chr_write_nonblock on an fd backend, lock held. */
static int chr_output_some(CharDriverState *chr, const uint8_t *buf, int len)
{
    if (chr->out_fd < 0) {
        return len;
    }
    if (chr_flush_queue(chr) < 0) {
        return -1;
    }
    if (chr->out_queue->len) {
        return 0;       /* queued output goes first */
    }
    ssize_t n = chr_write_now(chr, buf, len);
    if (n == 0 && chr->tls_record_made) {
        /* GnuTLS holds a record of these bytes and will send it: they are
         * taken, and wait at the head of the queue, where its next write
         * must find them (the caller may well not call again). */
        n = MIN(len, TLS_RECORD_MAX);
        chr_enqueue(chr, buf, n, false);
    }
    return n;
}

int qemu_chr_write_nonblock(CharDriverState *chr, const uint8_t *buf, int len)
{
    if (chr->mux) {
        return qemu_chr_write_nonblock(chr->mux->drv, buf, len);
    }
    if (chr->backend_ops) {
        return chr->backend_ops->write(chr->backend_opaque, buf, len);
    }
    g_mutex_lock(&chr->write_lock);
    int rc = chr_output_some(chr, buf, len);
    g_mutex_unlock(&chr->write_lock);
    return rc;
}

static gboolean chr_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    WritableWatch *w = opaque;

    w->fn(w->opaque);
    g_free(w);
    return G_SOURCE_REMOVE;
}

void qemu_chr_notify_writable(CharDriverState *chr, GSourceFunc fn,
                              gpointer opaque)
{
    if (chr->mux) {
        qemu_chr_notify_writable(chr->mux->drv, fn, opaque);
        return;
    }
    if (chr->backend_ops || chr->out_fd < 0) {
        chr_defer(fn, opaque);
        return;
    }
    WritableWatch *w = g_new0(WritableWatch, 1);
    w->fn = fn;
    w->opaque = opaque;
    g_mutex_lock(&chr->write_lock);
    bool queued = chr->out_queue->len > 0;
    g_mutex_unlock(&chr->write_lock);
    if (queued) {
        /* Woken by the queue's main-loop callback, which runs even when a
         * writer empties the queue first: not before this returns. */
        chr->drain_waiters = g_slist_append(chr->drain_waiters, w);
        return;
    }
    g_unix_fd_add(chr->out_fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, chr_writable, w);
}

/*
 * How writes to out_fd behave, once the descriptor is known. `own_fd`: the
 * descriptor is ours alone, so O_NONBLOCK on it changes nothing for others.
 */
static void chr_init_output(CharDriverState *chr, bool own_fd)
{
    struct stat st, err_st;

    if (chr->is_socket) {
        chr->out_mode = OUT_NONBLOCK;
        return;
    }
    if (fstat(chr->out_fd, &st) < 0 || S_ISREG(st.st_mode) ||
        S_ISBLK(st.st_mode)) {
        chr->out_mode = OUT_WAITS;
        return;
    }
    /* A pipe or terminal nobody reads would swallow the log line too, or
     * block the logger: report nothing there. */
    chr->out_shares_stderr = fstat(STDERR_FILENO, &err_st) == 0 &&
                             st.st_dev == err_st.st_dev &&
                             st.st_ino == err_st.st_ino;
    if (own_fd) {
        socket_set_nonblock(chr->out_fd, TRUE);
        chr->out_mode = OUT_NONBLOCK;
    } else {
        chr->out_mode = OUT_POLL;
    }
}

static void chr_print(CharDriverState *chr, const char *text)
{
    qemu_chr_write(chr, (const uint8_t *)text, strlen(text));
}

/* ------------------------------------------------------------------------ */
/* Sockets: one client at a time */

static void chr_listen_watch_start(CharDriverState *chr);

/* The client is there, its TLS handshake (if any) done: the frontend hears
 * of it now. */
static void chr_set_client(CharDriverState *chr, int fd, TlsSession *session)
{
    g_mutex_lock(&chr->write_lock);
    chr->in_fd = chr->out_fd = fd;
    chr->session = session;
    chr->tls_record_made = false;
    g_mutex_unlock(&chr->write_lock);
    chr->open = true;
    chr->throttled = false;
    chr->first_input_seen = false;
    chr_cancel_deferred_open(chr);
    chr_update_watch(chr);
    chr_send_event(chr, CHR_EVENT_OPENED);
}

/* Best effort, when nothing waits to be sent before it: the TLS client
 * learns that the end is meant (close_notify) rather than a cut. */
static void chr_end_session(CharDriverState *chr)
{
    g_mutex_lock(&chr->write_lock);
    if (chr->session && chr->out_queue->len == 0 && !chr->over_cap) {
        tls_session_bye(chr->session, NULL);
    }
    g_mutex_unlock(&chr->write_lock);
}

static void chr_drop_client(CharDriverState *chr)
{
    int fd = chr->in_fd;

    if (chr->kind != CHR_SOCKET || fd < 0) {
        return;
    }
    chr_end_session(chr);
    /* The peer sees the end at once, whatever input was left unread. */
    shutdown(fd, SHUT_RDWR);
    g_mutex_lock(&chr->write_lock);
    chr->in_fd = chr->out_fd = -1;
    TlsSession *session = g_steal_pointer(&chr->session);
    chr_forget_output(chr);
    g_mutex_unlock(&chr->write_lock);
    tls_session_free(session);
    chr_update_watch(chr);
    chr_cancel_deferred_open(chr);
    close(fd);
    chr->open = false;
    chr_close_msgfd(chr);
    chr_wake_drain_waiters(chr);    /* output with no peer is dropped */
    chr_send_event(chr, CHR_EVENT_CLOSED);
    if (chr->listen_fd >= 0) {
        chr_listen_watch_start(chr);
    }
}

static void chr_handshake_done(void *opaque, TlsSession *session)
{
    CharDriverState *chr = opaque;
    int fd = chr->handshake_fd;

    chr->handshake = NULL;
    chr->handshake_fd = -1;
    if (!session) {
        close(fd);      /* refused or failed, and logged */
        chr_listen_watch_start(chr);
        return;
    }
    chr_set_client(chr, fd, session);
}

static gboolean chr_accept_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    CharDriverState *chr = opaque;

    int client = socket_accept(chr->listen_fd, NULL);
    if (client < 0) {
        /* The client gave up before we got to it: keep listening. */
        return G_SOURCE_CONTINUE;
    }
    chr->listen_watch = 0;
    if (chr->tls) {
        /* Not listening meanwhile: the next client waits in the backlog,
         * as it would behind a connected one. */
        chr->handshake_fd = client;
        chr->handshake = chr_tls_handshake_start(chr->tls, client,
                                                 chr->tls_handshake_ms,
                                                 chr_handshake_done, chr);
        return G_SOURCE_REMOVE;
    }
    chr_set_client(chr, client, NULL);
    return G_SOURCE_REMOVE;
}

static void chr_listen_watch_start(CharDriverState *chr)
{
    if (!chr->listen_watch) {
        chr->listen_watch = g_unix_fd_add(chr->listen_fd, G_IO_IN,
                                          chr_accept_ready, chr);
    }
}

/* A TLS client's handshake done before returning (wait=on, connecting):
 * the session, or NULL with *errp set. */
static TlsSession *chr_handshake_now(CharDriverState *chr, int fd,
                                     GError **errp)
{
    return chr_tls_handshake_wait(chr->tls, fd, chr->tls_handshake_ms, errp);
}

/* The first client, before start-up goes on (wait=on). A TLS client that
 * fails its handshake is dropped, as it would be later, and the wait goes
 * on. */
static int chr_wait_first_client(CharDriverState *chr, const char *address,
                                 GError **errp)
{
    fprintf(stderr, "%s: waiting for a connection on %s\n",
            g_get_prgname() ? g_get_prgname() : "qemu", address);
    for (;;) {
        struct pollfd pfd = { .fd = chr->listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "waiting for a connection on %s",
                             address);
            return -1;
        }
        int fd = socket_accept(chr->listen_fd, NULL);
        if (fd < 0) {
            continue;
        }
        g_autoptr(GError) err = NULL;
        TlsSession *session = chr->tls ? chr_handshake_now(chr, fd, &err) : NULL;
        if (chr->tls && !session) {
            error_report("chardev '%s': client dropped: %s", chr->label,
                         err->message);
            close(fd);
            continue;
        }
        chr->in_fd = chr->out_fd = fd;
        chr->session = session;
        chr->open = true;
        return 0;
    }
}

static CharDriverState *chr_alloc(const char *label, ChrKind kind);
static void chr_free(CharDriverState *chr);

/* "HOST:PORT" as inet_listen and inet_connect take it. */
static char *inet_address(const ChardevSocketOptions *opts)
{
    bool ipv6 = opts->host && strchr(opts->host, ':');

    return g_strdup_printf(ipv6 ? "[%s]:%s" : "%s:%s",
                           opts->host ? opts->host : "", opts->port);
}

static int chr_socket_connect(CharDriverState *chr,
                              const ChardevSocketOptions *opts,
                              const char *address, GError **errp)
{
    int fd = opts->path ? unix_connect(opts->path, errp)
                        : inet_connect(address, errp);
    if (fd < 0) {
        return -1;
    }
    TlsSession *session = chr->tls ? chr_handshake_now(chr, fd, errp) : NULL;
    if (chr->tls && !session) {
        close(fd);
        return -1;
    }
    chr->in_fd = chr->out_fd = fd;
    chr->session = session;
    chr->open = true;
    return 0;
}

static int chr_socket_listen(CharDriverState *chr,
                             const ChardevSocketOptions *opts,
                             const char *address, GError **errp)
{
    chr->listen_fd = opts->path ? unix_listen(opts->path, errp)
                                : inet_listen(address, errp);
    if (chr->listen_fd < 0) {
        return -1;
    }
    chr->unix_path = g_strdup(opts->path);
    socket_set_nonblock(chr->listen_fd, TRUE);
    g_autofree char *shown = g_strdup_printf("%s:%s", opts->path ? "unix" : "tcp",
                                             opts->path ? opts->path : address);
    if (opts->wait && chr_wait_first_client(chr, shown, errp) < 0) {
        return -1;
    }
    if (!chr->open) {
        chr_listen_watch_start(chr);
    }
    return 0;
}

static int chr_socket_tls(CharDriverState *chr,
                          const ChardevSocketOptions *opts, GError **errp)
{
    if (opts->tls_authz && !opts->tls_creds) {
        error_setg(errp, "'tls-authz' option requires 'tls-creds' option");
        return -1;
    }
    if (!opts->tls_creds) {
        return 0;
    }
    chr->tls = chr_tls_new(chr->label, opts->tls_creds, opts->tls_authz,
                           opts->server, opts->path ? NULL : opts->host, errp);
    chr->tls_handshake_ms = opts->tls_handshake_ms;
    return chr->tls ? 0 : -1;
}

CharDriverState *qemu_chr_new_socket(const char *label,
                                     const ChardevSocketOptions *opts,
                                     GError **errp)
{
    g_autofree char *address = opts->path ? NULL : inet_address(opts);
    CharDriverState *chr = chr_alloc(label, CHR_SOCKET);

    chr->is_socket = true;
    chr_init_output(chr, true);
    if (chr_socket_tls(chr, opts, errp) < 0 ||
        (opts->server ? chr_socket_listen(chr, opts, address, errp)
                      : chr_socket_connect(chr, opts, address, errp)) < 0) {
        chr_free(chr);
        return NULL;
    }
    return chr;
}

/* The legacy spec: "unix:PATH[,server][,nowait]" or
 * "tcp:HOST:PORT[,server][,nowait]" (and "wait", "nodelay": the default). */
typedef struct LegacySocketSpec {
    char *address;
    bool server;
    bool nowait;
} LegacySocketSpec;

static int legacy_socket_parse(const char *spec, LegacySocketSpec *ls,
                               GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

    if (!parts[0] || !parts[0][0]) {
        error_setg(errp, "socket address missing in '%s'", spec);
        return -1;
    }
    for (int i = 1; parts[i]; i++) {
        if (!strcmp(parts[i], "server")) {
            ls->server = true;
        } else if (!strcmp(parts[i], "nowait")) {
            ls->nowait = true;
        } else if (strcmp(parts[i], "wait") && strcmp(parts[i], "nodelay")) {
            error_setg(errp, "unknown socket option '%s' in '%s'", parts[i],
                       spec);
            return -1;
        }
    }
    ls->address = g_strdup(parts[0]);
    return 0;
}

static CharDriverState *chr_open_socket(const char *label, const char *spec,
                                        bool is_unix, GError **errp)
{
    LegacySocketSpec ls = { 0 };
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;

    if (legacy_socket_parse(strchr(spec, ':') + 1, &ls, errp) < 0) {
        return NULL;
    }
    g_autofree char *address = ls.address;
    if (!is_unix && inet_parse(address, &host, &port, errp) < 0) {
        return NULL;
    }
    ChardevSocketOptions opts = {
        .path = is_unix ? address : NULL,
        .host = host,
        .port = port,
        .server = ls.server,
        .wait = ls.server && !ls.nowait,
    };
    return qemu_chr_new_socket(label, &opts, errp);
}

/* ------------------------------------------------------------------------ */
/* stdio, null, file, pty */

void qemu_chr_cleanup(void)
{
    if (stdio_tty_changed) {
        tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_tty);
        stdio_tty_changed = false;
    }
}

/*
 * Raw mode, so that every key reaches the guest or the line editor at once.
 * Output processing stays on (\n still moves to the next line). ISIG stays
 * unless the terminal is a mux, where C-a x is the way out and C-c belongs
 * to the guest.
 */
static void stdio_set_raw(bool keep_signals)
{
    struct termios tty;

    if (tcgetattr(STDIN_FILENO, &tty) < 0) {
        return;
    }
    if (!stdio_tty_changed) {
        stdio_saved_tty = tty;
        stdio_tty_changed = true;
        atexit(qemu_chr_cleanup);
    }
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tty);
}

/*
 * stdout is shared with whoever started us: writes go through a descriptor
 * of our own for the same pipe or terminal, made non-blocking without
 * touching theirs. -1 for other kinds of stdout, or when /proc is missing.
 */
static int stdio_reopen_stdout(void)
{
    struct stat st;

    if (fstat(STDOUT_FILENO, &st) < 0 ||
        !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        return -1;
    }
    return open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY |
                O_CLOEXEC);
}

static CharDriverState *chr_open_stdio(const char *label, bool for_mux,
                                       GError **errp)
{
    if (stdio_owner) {
        error_setg(errp, "stdio is already used by chardev '%s'",
                   stdio_owner->label);
        return NULL;
    }
    CharDriverState *chr = chr_alloc(label, CHR_STDIO);
    int out = stdio_reopen_stdout();
    chr->in_fd = STDIN_FILENO;
    chr->out_fd = out >= 0 ? out : STDOUT_FILENO;
    chr->out_fd_owned = out >= 0;
    chr_init_output(chr, chr->out_fd_owned);
    chr->open = true;
    chr->is_tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (isatty(STDIN_FILENO)) {
        stdio_set_raw(!for_mux);
    }
    stdio_owner = chr;
    return chr;
}

static CharDriverState *chr_open_file(const char *label, const char *path,
                                      GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open '%s'", path);
        return NULL;
    }
    CharDriverState *chr = chr_alloc(label, CHR_FILE);
    chr->out_fd = fd;
    chr_init_output(chr, true);
    chr->open = true;
    return chr;
}

static void pty_make_raw(int fd)
{
    struct termios tty;
    if (tcgetattr(fd, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(fd, TCSANOW, &tty);
    }
}

static CharDriverState *chr_open_pty(const char *label, GError **errp)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        error_setg_errno(errp, errno, "cannot create a pty");
        if (master >= 0) {
            close(master);
        }
        return NULL;
    }
    const char *name = ptsname(master);
    int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0) {
        error_setg_errno(errp, errno, "cannot open the pty's slave");
        close(master);
        return NULL;
    }
    pty_make_raw(slave);
    socket_set_nonblock(master, TRUE);
    CharDriverState *chr = chr_alloc(label, CHR_PTY);
    chr->in_fd = chr->out_fd = master;
    chr_init_output(chr, true);
    chr->pty_slave = slave;
    chr->open = true;
    chr->is_tty = true;
    fprintf(stderr, "char device redirected to %s (label %s)\n", name, label);
    return chr;
}

/* ------------------------------------------------------------------------ */
/* The mux (mon:SPEC): one terminal, several frontends, C-a commands */

static const char mux_help[] =
    "\n"
    "C-a h    print this help\n"
    "C-a x    exit the emulator\n"
    "C-a c    switch between the console and the monitor\n"
    "C-a C-a  send C-a\n";

static void mux_fe_event(MuxFrontend *mf, CharEvent event)
{
    if (mf->fe.event) {
        mf->fe.event(mf->fe.opaque, event);
    }
}

/* Hands buffered input to a frontend as far as it can take it. */
static void mux_flush(MuxFrontend *mf)
{
    while (mf->cons != mf->prod && mf->fe.read) {
        int room = mf->fe.can_read ? mf->fe.can_read(mf->fe.opaque) : 1;
        if (room <= 0) {
            return;
        }
        uint8_t byte = mf->buf[mf->cons++ % MUX_BUF_SIZE];
        mf->fe.read(mf->fe.opaque, &byte, 1);
    }
}

static void mux_set_focus(MuxState *m, int idx)
{
    if (m->focus >= 0) {
        mux_fe_event(&m->fes[m->focus], CHR_EVENT_MUX_OUT);
    }
    m->focus = idx;
    mux_fe_event(&m->fes[idx], CHR_EVENT_MUX_IN);
    mux_flush(&m->fes[idx]);
}

static void mux_escape(MuxState *m, uint8_t c)
{
    switch (c) {
    case 'h':
    case '?':
        chr_print(m->drv, mux_help);
        break;
    case 'x':
        chr_print(m->drv, "\nQEMU: Terminated\n");
        main_loop_quit(0);
        break;
    case 'c':
        if (m->count > 0) {
            mux_set_focus(m, (m->focus + 1) % m->count);
        }
        break;
    default:
        break;
    }
}

static int mux_can_read(void *opaque)
{
    MuxState *m = opaque;

    if (m->focus < 0) {
        return 1;
    }
    MuxFrontend *mf = &m->fes[m->focus];
    return mf->prod - mf->cons < MUX_BUF_SIZE ? 1 : 0;
}

static void mux_read(void *opaque, const uint8_t *buf, int len)
{
    MuxState *m = opaque;

    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (m->escape) {
            m->escape = false;
            if (c != MUX_ESCAPE) {
                mux_escape(m, c);
                continue;
            }
        } else if (c == MUX_ESCAPE) {
            m->escape = true;
            continue;
        }
        if (m->focus >= 0) {
            MuxFrontend *mf = &m->fes[m->focus];
            mf->buf[mf->prod++ % MUX_BUF_SIZE] = c;
            mux_flush(mf);
        }
    }
}

static void mux_event(void *opaque, CharEvent event)
{
    MuxState *m = opaque;

    m->drv_open = event == CHR_EVENT_OPENED;
    for (int i = 0; i < m->count; i++) {
        mux_fe_event(&m->fes[i], event);
    }
}

static void mux_remove(MuxState *m, void *opaque)
{
    for (int i = 0; i < m->count; i++) {
        if (m->fes[i].fe.opaque != opaque) {
            continue;
        }
        memmove(&m->fes[i], &m->fes[i + 1],
                (m->count - i - 1) * sizeof(m->fes[0]));
        m->count--;
        if (m->focus == i) {
            m->focus = -1;
            if (m->count > 0) {
                mux_set_focus(m, 0);
            }
        } else if (m->focus > i) {
            m->focus--;
        }
        return;
    }
}

typedef struct MuxOpen {
    CharDriverState *chr;
    void *opaque;
} MuxOpen;

/* A frontend attached after the terminal opened gets its own OPENED. */
static gboolean mux_deferred_open(gpointer data)
{
    MuxOpen *mo = data;
    MuxState *m = mo->chr->mux;

    for (int i = 0; i < m->count; i++) {
        if (m->fes[i].fe.opaque == mo->opaque) {
            mux_fe_event(&m->fes[i], CHR_EVENT_OPENED);
        }
    }
    g_free(mo);
    return G_SOURCE_REMOVE;
}

static void mux_add(CharDriverState *chr, Frontend fe, bool background)
{
    MuxState *m = chr->mux;

    if (!fe.read) {
        mux_remove(m, fe.opaque);
        return;
    }
    if (m->count == MUX_MAX_FRONTENDS) {
        error_report("chardev '%s': too many frontends", chr->label);
        return;
    }
    int idx = m->count++;
    m->fes[idx] = (MuxFrontend){ .fe = fe };
    if (m->focus < 0 || !background) {
        mux_set_focus(m, idx);
    } else {
        mux_fe_event(&m->fes[idx], CHR_EVENT_MUX_OUT);
    }
    if (m->drv_open) {
        MuxOpen *mo = g_new(MuxOpen, 1);
        *mo = (MuxOpen){ .chr = chr, .opaque = fe.opaque };
        chr_defer(mux_deferred_open, mo);
    }
}

static CharDriverState *chr_open_mux(const char *label, const char *inner,
                                     GError **errp)
{
    CharDriverState *drv;

    if (!strcmp(inner, "stdio")) {
        drv = chr_open_stdio(label, true, errp);
    } else {
        drv = qemu_chr_new(label, inner, errp);
    }
    if (!drv) {
        return NULL;
    }
    CharDriverState *chr = chr_alloc(label, CHR_MUX);
    chr->mux = g_new0(MuxState, 1);
    chr->mux->drv = drv;
    chr->mux->focus = -1;
    chr->open = true;
    qemu_chr_add_handlers(drv, mux_can_read, mux_read, mux_event, chr->mux);
    return chr;
}

/* ------------------------------------------------------------------------ */
/* The public interface */

static CharDriverState *chr_alloc(const char *label, ChrKind kind)
{
    CharDriverState *chr = g_new0(CharDriverState, 1);

    chr->label = g_strdup(label);
    chr->kind = kind;
    chr->in_fd = chr->out_fd = -1;
    chr->listen_fd = -1;
    chr->handshake_fd = -1;
    chr->msgfd = -1;
    chr->pty_slave = -1;
    g_mutex_init(&chr->write_lock);
    chr->out_queue = g_byte_array_new();
    return chr;
}

CharDriverState *qemu_chr_new(const char *label, const char *spec,
                              GError **errp)
{
    CharDriverState *chr = NULL;

    if (!strcmp(spec, "stdio")) {
        chr = chr_open_stdio(label, false, errp);
    } else if (!strcmp(spec, "null")) {
        chr = chr_alloc(label, CHR_NULL);
        chr->open = true;
    } else if (!strcmp(spec, "pty")) {
        chr = chr_open_pty(label, errp);
    } else if (g_str_has_prefix(spec, "file:")) {
        chr = chr_open_file(label, spec + 5, errp);
    } else if (g_str_has_prefix(spec, "unix:")) {
        chr = chr_open_socket(label, spec, true, errp);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        chr = chr_open_socket(label, spec, false, errp);
    } else if (g_str_has_prefix(spec, "mon:")) {
        chr = chr_open_mux(label, spec + 4, errp);
    } else if (!strcmp(spec, "vc")) {
        chr = console_vc_open(label, errp);
    } else {
        error_setg(errp, "unknown chardev '%s' (expected stdio, null, "
                   "file:PATH, pty, unix:PATH, tcp:HOST:PORT, mon:stdio "
                   "or vc)", spec);
    }
    return chr;
}

static void chr_free(CharDriverState *chr)
{
    if (chr->backend_ops && chr->backend_ops->close) {
        chr->backend_ops->close(chr->backend_opaque);
    }
    chr_cancel_deferred_open(chr);
    chr->fe = (Frontend){ 0 };
    chr_update_watch(chr);
    if (chr->listen_watch) {
        g_source_remove(chr->listen_watch);
    }
    chr_tls_handshake_cancel(chr->handshake);
    if (chr->handshake_fd >= 0) {
        close(chr->handshake_fd);
    }
    chr_forget_output(chr);
    g_byte_array_unref(chr->out_queue);
    g_slist_free_full(chr->drain_waiters, g_free);
    if (chr->kind == CHR_STDIO) {
        stdio_owner = NULL;
        qemu_chr_cleanup();     /* give the terminal back as it was */
        if (chr->out_fd_owned) {
            close(chr->out_fd);
        }
    } else {
        if (chr->in_fd >= 0) {
            close(chr->in_fd);
        }
        if (chr->out_fd >= 0 && chr->out_fd != chr->in_fd) {
            close(chr->out_fd);
        }
    }
    if (chr->listen_fd >= 0) {
        close(chr->listen_fd);
    }
    if (chr->unix_path) {
        unlink(chr->unix_path);
    }
    if (chr->pty_slave >= 0) {
        close(chr->pty_slave);
    }
    chr_close_msgfd(chr);
    tls_session_free(chr->session);
    chr_tls_free(chr->tls);
    g_mutex_clear(&chr->write_lock);
    g_free(chr->unix_path);
    g_free(chr->label);
    g_free(chr);
}

void qemu_chr_delete(CharDriverState *chr)
{
    if (!chr) {
        return;
    }
    if (chr->mux) {
        chr_free(chr->mux->drv);
        g_free(chr->mux);
    }
    chr_free(chr);
}

const char *qemu_chr_label(CharDriverState *chr)
{
    return chr->label;
}

void qemu_chr_add_handlers(CharDriverState *chr, CharCanReadHandler *can_read,
                           CharReadHandler *read, CharEventHandler *event,
                           void *opaque)
{
    Frontend fe = { can_read, read, event, opaque };

    if (chr->mux) {
        mux_add(chr, fe, false);
    } else {
        chr_set_frontend(chr, fe);
    }
}

void qemu_chr_add_handlers_background(CharDriverState *chr,
                                      CharCanReadHandler *can_read,
                                      CharReadHandler *read,
                                      CharEventHandler *event, void *opaque)
{
    Frontend fe = { can_read, read, event, opaque };

    if (chr->mux) {
        mux_add(chr, fe, true);
    } else {
        chr_set_frontend(chr, fe);
    }
}

void qemu_chr_accept_input(CharDriverState *chr)
{
    if (chr->mux) {
        if (chr->mux->focus >= 0) {
            mux_flush(&chr->mux->fes[chr->mux->focus]);
        }
        qemu_chr_accept_input(chr->mux->drv);
        return;
    }
    chr->throttled = false;
    chr_update_watch(chr);
    if (chr->backend_ops && chr->backend_ops->accept_input) {
        chr->backend_ops->accept_input(chr->backend_opaque);
    }
}

void qemu_chr_disconnect(CharDriverState *chr)
{
    if (!chr->mux) {
        chr_drop_client(chr);
    }
}

bool qemu_chr_is_tty(CharDriverState *chr)
{
    return chr->mux ? chr->mux->drv->is_tty : chr->is_tty;
}

int qemu_chr_get_msgfd(CharDriverState *chr)
{
    int fd = chr->msgfd;
    chr->msgfd = -1;
    return fd;
}

CharDriverState *qemu_chr_new_backend(const char *label,
                                      const CharBackendOps *ops, void *opaque)
{
    CharDriverState *chr = chr_alloc(label, CHR_BACKEND);

    chr->backend_ops = ops;
    chr->backend_opaque = opaque;
    chr->open = true;
    return chr;
}

int qemu_chr_be_can_write(CharDriverState *chr)
{
    if (!chr->fe.read) {
        return 0;
    }
    return chr->fe.can_read ? chr->fe.can_read(chr->fe.opaque) : G_MAXINT;
}

void qemu_chr_be_write(CharDriverState *chr, const uint8_t *buf, int len)
{
    if (chr->fe.read) {
        chr->fe.read(chr->fe.opaque, buf, len);
    }
}
