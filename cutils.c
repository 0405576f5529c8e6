/*
 * Parsing of sizes and integers for options and monitor arguments. Strict:
 * trailing garbage, overflow and negative sizes are errors.
 */
#include <emmintrin.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cutils.h"
#include "qemu-error.h"

static int suffix_shift(char c)
{
    switch (g_ascii_toupper(c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    default:  return -1;
    }
}

int parse_size(const char *str, uint64_t default_unit, uint64_t *size,
               GError **errp)
{
    const char *p = str;
    char *end;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (!g_ascii_isdigit(*p) && *p != '.') {
        goto invalid;
    }
    errno = 0;
    double val = strtod(p, &end);
    if (errno || end == p) {
        goto invalid;
    }
    double unit = default_unit;
    if (*end) {
        int shift = suffix_shift(*end);
        if (shift < 0 || end[1] != '\0') {
            goto invalid;
        }
        unit = (double)(UINT64_C(1) << shift);
    }
    double bytes = val * unit;
    if (!isfinite(bytes) || bytes >= 18446744073709551616.0) {
        error_setg(errp, "size '%s' is too large", str);
        return -1;
    }
    if (bytes != floor(bytes)) {
        error_setg(errp, "size '%s' is not a whole number of bytes", str);
        return -1;
    }
    *size = (uint64_t)bytes;
    return 0;

invalid:
    error_setg(errp, "invalid size '%s'", str);
    return -1;
}

int parse_int64(const char *str, int64_t *value, GError **errp)
{
    char *end;

    errno = 0;
    long long v = strtoll(str, &end, 0);
    if (end == str || *end != '\0') {
        error_setg(errp, "invalid integer '%s'", str);
        return -1;
    }
    if (errno == ERANGE) {
        error_setg(errp, "integer '%s' is out of range", str);
        return -1;
    }
    *value = v;
    return 0;
}

char *format_size(uint64_t size)
{
    static const char suffixes[] = "KMGT";

    for (int i = 3; i >= 0; i--) {
        uint64_t unit = UINT64_C(1) << (10 * (i + 1));
        if (size >= unit && size % unit == 0) {
            return g_strdup_printf("%" G_GUINT64_FORMAT "%c", size / unit,
                                   suffixes[i]);
        }
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, size);
}

void memcpy_stream(void *dst, const void *src, size_t len)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    for (size_t i = 0; i < len; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i + 32));
        __m128i e = _mm_loadu_si128((const __m128i *)(s + i + 48));
        _mm_stream_si128((__m128i *)(d + i), a);
        _mm_stream_si128((__m128i *)(d + i + 16), b);
        _mm_stream_si128((__m128i *)(d + i + 32), c);
        _mm_stream_si128((__m128i *)(d + i + 48), e);
    }
}

void stream_fence(void)
{
    _mm_sfence();
}
