/*
 * linkem: the values of the control protocol (rates, delays, loss, queue
 * limits) read from text and written back, in the units tc users know.
 * Parsers return false and point `why` at a static message on bad input.
 */
#ifndef LINKEM_UNITS_H
#define LINKEM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A queue limit: in packets or in bytes; both 0 means no limit. */
typedef struct QueueLimit {
    uint64_t packets;
    uint64_t bytes;
} QueueLimit;

/* "100mbit", "1.5gbit", "64kbit", "9600bit", "9600" (bit/s, decimal
 * prefixes); "0" or "unlimited" is 0. */
bool units_parse_rate(const char *text, uint64_t *bits_per_s, const char **why);
/* "20ms", "500us", "1.5s", "0": at most one hour. */
bool units_parse_delay(const char *text, int64_t *ns, const char **why);
/* "1%", "0.25%", "100%", "0": a probability in [0, 1]. */
bool units_parse_loss(const char *text, double *probability, const char **why);
/* "1000p" (packets), "1500b", "64kb", "2mb" (bytes, binary prefixes),
 * "none" or "0". */
bool units_parse_limit(const char *text, QueueLimit *limit, const char **why);
/* A decimal unsigned 64-bit number. */
bool units_parse_u64(const char *text, uint64_t *value, const char **why);

/* The same values as text the parsers accept (buffers of 32 bytes do). */
void units_format_rate(char *buf, size_t size, uint64_t bits_per_s);
void units_format_delay(char *buf, size_t size, int64_t ns);
void units_format_loss(char *buf, size_t size, double probability);
void units_format_limit(char *buf, size_t size, const QueueLimit *limit);

#endif
