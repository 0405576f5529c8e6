/*
 * Character devices: the byte pipes that connect the serial port and the
 * monitors to the outside (stdio, files, sockets). Input is delivered in the
 * main thread through handlers; output may be written from any thread and
 * never waits for a peer that stopped reading (see qemu_chr_write).
 */
#ifndef QEMU_CHAR_H
#define QEMU_CHAR_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct CharDriverState CharDriverState;

typedef enum {
    CHR_EVENT_OPENED,   /* a client connected (or the backend is ready) */
    CHR_EVENT_CLOSED,   /* the client went away */
    CHR_EVENT_MUX_IN,   /* mon:stdio: this frontend got the terminal */
    CHR_EVENT_MUX_OUT,  /* mon:stdio: this frontend lost the terminal */
} CharEvent;

/* How many bytes the frontend can take now (0 = stop reading for now). */
typedef int CharCanReadHandler(void *opaque);
typedef void CharReadHandler(void *opaque, const uint8_t *buf, int len);
typedef void CharEventHandler(void *opaque, CharEvent event);

/*
 * Creates a chardev from a -serial/-monitor/-qmp style spec:
 *   stdio | null | file:PATH | pty
 *   unix:PATH[,server][,nowait] | tcp:HOST:PORT[,server][,nowait]
 *   mon:stdio (stdio multiplexed between the serial port and a monitor;
 *              Ctrl-a c switches, Ctrl-a x quits, Ctrl-a h for help)
 *   vc        (the text console of the SDL display, ui/console.h)
 * A server without nowait waits for the first client before returning.
 */
CharDriverState *qemu_chr_new(const char *label, const char *spec,
                              GError **errp);

/*
 * A socket chardev as -chardev socket describes it (qemu-char-opts.h reads
 * the option): a Unix socket at `path`, or TCP at `host` and `port`.
 *
 * With `tls_creds`, the id of a tls-creds-x509 or tls-creds-psk object for
 * the chardev's side (a server's when listening), every connection is TLS:
 * a listening chardev does each client's handshake in the main loop,
 * bounded by `tls_handshake_ms` (0: 10 s), and only a client whose
 * handshake completed reaches the frontend (CHR_EVENT_OPENED); one that
 * fails or takes too long is dropped with a line on stderr, and the
 * chardev listens again. `tls_authz`, the id of an authz-simple object,
 * admits only the client identity it allows (listening chardevs; x509
 * with verify-peer, or PSK). A connecting chardev checks the server's
 * certificate against `host` (a Unix socket has no host to check against:
 * a connecting one with x509 and verify-peer is refused, PSK works). Input
 * and output then go through the session, with the same queue, cap and
 * stuck-client handling as plaintext; descriptors cannot be passed over
 * TLS.
 *
 * A listening chardev without TLS drops a client whose first bytes are a
 * TLS handshake, saying so on stderr.
 */
typedef struct ChardevSocketOptions {
    const char *path;
    const char *host;
    const char *port;
    bool server;            /* listen; otherwise connect */
    bool wait;              /* server: wait for the first client (and its
                               handshake) before returning */
    const char *tls_creds;
    const char *tls_authz;
    int tls_handshake_ms;
} ChardevSocketOptions;

CharDriverState *qemu_chr_new_socket(const char *label,
                                     const ChardevSocketOptions *opts,
                                     GError **errp);

void qemu_chr_delete(CharDriverState *chr);

const char *qemu_chr_label(CharDriverState *chr);

/*
 * Writes all of buf, in order with earlier output; thread-safe. Returns len,
 * or -1 when the peer is gone. Nothing but a regular file (or block device)
 * makes it wait: what the peer does not take at once is queued for that
 * client and flushed from the main loop when it reads again.
 *
 * The cap is 1 MiB queued since the peer last took any output: a peer that
 * keeps reading is never cut off, whatever the size of one message (the
 * queue grows past the cap only while it takes output). Over the cap the
 * backend decides, with one line on stderr naming the chardev:
 *   socket, server   the client is dropped from the main loop (it reads what
 *                    its socket already holds, then EOF) and the server
 *                    listens for the next one
 *   socket, client   the connection is closed
 *   stdio, pty, file the output is dropped until the peer has read what
 *   on a pipe or a   waits, then flows again (no log line when stderr is
 *   terminal         that same pipe or terminal: nobody would read it)
 *   stdio or file    writes wait, as for any slow disk (no cap)
 *   on a disk
 * Output to a socket with no client connected, or to null, is dropped.
 */
int qemu_chr_write(CharDriverState *chr, const uint8_t *buf, int len);

/*
 * Writes what the backend takes now, without waiting and without queueing:
 * returns the bytes written (0 when the peer is not taking any for now, or
 * while output queued by qemu_chr_write still waits), or -1 on an error.
 * Output with no peer (a socket without a client) counts as written and is
 * dropped. Thread-safe.
 */
int qemu_chr_write_nonblock(CharDriverState *chr, const uint8_t *buf, int len);

/* Calls fn(opaque) once from the main loop when the backend can take
 * output again: the queue of qemu_chr_write drained and the peer taking
 * bytes (soon, if it already can), or the peer gone. Main thread only. */
void qemu_chr_notify_writable(CharDriverState *chr, GSourceFunc fn,
                              gpointer opaque);

/*
 * Installs the frontend's handlers (main thread). Passing NULLs detaches.
 * CHR_EVENT_OPENED is delivered (from the main loop, after this returns) when
 * the backend is already open. On mon:stdio each call adds a frontend, which
 * takes the terminal; NULL handlers detach the frontend with that opaque.
 */
void qemu_chr_add_handlers(CharDriverState *chr, CharCanReadHandler *can_read,
                           CharReadHandler *read, CharEventHandler *event,
                           void *opaque);

/* Like qemu_chr_add_handlers, but on mon:stdio the new frontend (the monitor)
 * leaves the terminal to the one that has it, whatever the order in which
 * they are attached; it gets CHR_EVENT_MUX_IN on C-a c. */
void qemu_chr_add_handlers_background(CharDriverState *chr,
                                      CharCanReadHandler *can_read,
                                      CharReadHandler *read,
                                      CharEventHandler *event, void *opaque);

/* Re-evaluates can_read after the frontend became ready again. */
void qemu_chr_accept_input(CharDriverState *chr);

/* Drops the connected client of a socket chardev (others: no-op). */
void qemu_chr_disconnect(CharDriverState *chr);

/* True when the backend is an interactive terminal (line editing). */
bool qemu_chr_is_tty(CharDriverState *chr);

/* The last file descriptor received with SCM_RIGHTS on a unix socket, or -1;
 * ownership passes to the caller. */
int qemu_chr_get_msgfd(CharDriverState *chr);

/*
 * Backends implemented outside this file (the display's "vc"):
 *   write         output from the frontend, from any thread; returns len
 *                 or -1 (the backend does its own locking)
 *   accept_input  the frontend can take input again (main thread)
 *   close         the chardev is being deleted (main thread)
 */
typedef struct CharBackendOps {
    int (*write)(void *opaque, const uint8_t *buf, int len);
    void (*accept_input)(void *opaque);
    void (*close)(void *opaque);
} CharBackendOps;

CharDriverState *qemu_chr_new_backend(const char *label,
                                      const CharBackendOps *ops, void *opaque);

/* Input from such a backend (main thread): how many bytes the frontend takes
 * now (0 with no frontend), and handing them to it. */
int qemu_chr_be_can_write(CharDriverState *chr);
void qemu_chr_be_write(CharDriverState *chr, const uint8_t *buf, int len);

/* Restores terminal settings changed by stdio backends (atexit). */
void qemu_chr_cleanup(void);

#endif
