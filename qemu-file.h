/*
 * QEMUFile: the one buffered byte stream migration reads and writes, over a
 * file descriptor (socket, pipe or file). Big-endian helpers; errors are
 * sticky: after the first one every put is dropped and every get returns 0,
 * and callers check qemu_file_get_error() once per section. The writer also
 * carries the sender's rate limit.
 */
#ifndef QEMU_FILE_H
#define QEMU_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "io-channel.h"

typedef struct QEMUFile QEMUFile;

/* Takes ownership of fd (or of the reference to ioc). `name` appears in
 * error messages. */
QEMUFile *qemu_fopen_fd(int fd, const char *name, bool for_write);
QEMUFile *qemu_fopen_channel(IOChannel *ioc, const char *name, bool for_write);

/* Flushes (for a writer), drops its reference to the channel (closed with
 * the last one) and frees f. Returns -1 with the stream's first error, if
 * any. */
int qemu_fclose(QEMUFile *f, GError **errp);

void qemu_fflush(QEMUFile *f);

void qemu_put_byte(QEMUFile *f, uint8_t v);
void qemu_put_be16(QEMUFile *f, uint16_t v);
void qemu_put_be32(QEMUFile *f, uint32_t v);
void qemu_put_be64(QEMUFile *f, uint64_t v);
void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t len);
/*
 * Queues buf without copying it: it goes out at the next flush, which may
 * be this call or a later put. buf must stay valid until then; bytes that
 * change meanwhile go out as they are then (fine for guest RAM, whose
 * changed pages are sent again).
 */
void qemu_put_buffer_async(QEMUFile *f, const uint8_t *buf, size_t len);

uint8_t qemu_get_byte(QEMUFile *f);
uint16_t qemu_get_be16(QEMUFile *f);
uint32_t qemu_get_be32(QEMUFile *f);
uint64_t qemu_get_be64(QEMUFile *f);
/* Reads exactly len bytes; on a short read sets the error ("unexpected end
 * of stream") and returns the count read. */
size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t len);
/* The same into a page-aligned guest page (len a multiple of 64), written
 * around the CPU caches (the loader writes far more than they hold): see
 * memcpy_stream, and call stream_fence() when a batch of pages is done. */
size_t qemu_get_page(QEMUFile *f, uint8_t *page, size_t len);

/* 0, or -1 once an error happened (then *errp, if given, gets a copy). */
int qemu_file_get_error(QEMUFile *f, GError **errp);
/* The errno of the system call whose failure is the recorded error; 0
 * when there is none or it is another kind (end of stream, timeout,
 * cancel, a malformed stream). */
int qemu_file_get_errno(QEMUFile *f);
/* Records err (taking ownership) unless an error is already recorded. */
void qemu_file_set_error(QEMUFile *f, GError *err);
/* Records an error from a format string (same rule). */
void qemu_file_fail(QEMUFile *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Bytes put into (or taken from) the stream so far. */
uint64_t qemu_file_total_bytes(QEMUFile *f);

/* Flushes, then sleeps ns unless cancelled (then false, error recorded). */
bool qemu_file_pause(QEMUFile *f, uint64_t ns);

/* Bytes a writer has taken that the peer has not received yet: its own
 * buffer, and for a socket what the kernel still holds (sent but not
 * acknowledged, or not sent). */
uint64_t qemu_file_unsent_bytes(QEMUFile *f);

/* Makes blocked and future I/O fail with "cancelled"; callable from any
 * thread. */
void qemu_file_cancel(QEMUFile *f);

int qemu_file_fd(QEMUFile *f);

/*
 * Rate limit of a writer in bytes per second (0: none; settable from any
 * thread, it applies from the next window). The budget is spent
 * in 100 ms windows: qemu_file_rate_limit() says whether this window's is
 * used up, and qemu_file_rate_limit_wait() sleeps until the next window
 * (returning early, false, when cancelled).
 */
void qemu_file_set_rate_limit(QEMUFile *f, uint64_t bytes_per_second);
bool qemu_file_rate_limit(QEMUFile *f);
bool qemu_file_rate_limit_wait(QEMUFile *f);

/*
 * Bounds on waiting for the peer. The stall timeout fails any single wait
 * (for room to write, for bytes to read) that lasts longer than timeout_ms
 * ("no data from NAME for N s"); 0 waits forever. The deadline (CLOCK_MONOTONIC
 * nanoseconds; 0: none) fails every wait past it with the message `why`.
 * Rate-limit sleeps are not waits for the peer. Owner thread only.
 */
void qemu_file_set_stall_timeout(QEMUFile *f, unsigned timeout_ms);
void qemu_file_set_deadline(QEMUFile *f, uint64_t deadline_ns, const char *why);

/*
 * The other direction of a bidirectional channel (a socket, a TLS
 * session): a reader for a writer's peer's replies, or a writer back to a
 * reader's peer, on the same channel, with no timeouts of its own. Closing
 * either file leaves the other working; each is used by one thread.
 */
QEMUFile *qemu_file_open_return_path(QEMUFile *f);

#endif
