/*
 * Small string helpers shared by the command line and the monitor: sizes with
 * K/M/G/T suffixes (as QEMU spells them) and strict integer parsing.
 */
#ifndef CUTILS_H
#define CUTILS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * Parses "SIZE[B|K|M|G|T]" (binary units, case-insensitive, a decimal
 * fraction allowed: "1.5G"). A number without a suffix is multiplied by
 * default_unit (1 for bytes, 1 << 20 where QEMU defaults to MiB). The whole
 * string must be consumed. Returns 0, or -1 with an error like
 * "invalid size '12Q'".
 */
int parse_size(const char *str, uint64_t default_unit, uint64_t *size,
               GError **errp);

/* Parses a whole decimal (or 0x-prefixed hex) signed 64-bit integer. */
int parse_int64(const char *str, int64_t *value, GError **errp);

/*
 * Copies len bytes (a multiple of 64; dst 16-byte aligned) with
 * non-temporal stores, which skip reading dst's cache lines first: for
 * large copies into memory nobody reads soon (guest RAM being loaded, a
 * page cache slot). The stores are weakly ordered: call stream_fence()
 * before anyone else relies on them (once for many copies: it waits for
 * all of them).
 */
void memcpy_stream(void *dst, const void *src, size_t len);
void stream_fence(void);

/* Formats a size the way a user would write it: "64M", "1G", "4097". */
char *format_size(uint64_t size);

/*
 * Counters with one writing thread and readers in others (migration
 * statistics): relaxed atomic loads and stores, no locked instruction.
 */
static inline uint64_t stat_get(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static inline void stat_set(uint64_t *v, uint64_t x)
{
    __atomic_store_n(v, x, __ATOMIC_RELAXED);
}

static inline void stat_add(uint64_t *v, uint64_t x)
{
    stat_set(v, stat_get(v) + x);
}

#endif
