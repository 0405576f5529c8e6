/*
 * Uniform-buffer detection: the migration sender sends a page made of one
 * repeated byte (most often a zero page) as that byte alone, before trying
 * XBZRLE. The scan is SIMD-accelerated and stops at the first odd byte.
 */
#ifndef BUFFERZERO_H
#define BUFFERZERO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * True when all len bytes of buf equal the first one, which is then stored
 * in *fill (if fill is not NULL). False for len 0, leaving *fill alone.
 */
bool buffer_is_uniform(const void *buf, size_t len, uint8_t *fill);

/*
 * The implementations, for tests and benchmarks. buffer_is_uniform() uses
 * the fastest available one, chosen at start-up.
 */
typedef enum BufferUniformImpl {
    BUFFER_UNIFORM_REF,     /* portable, 8 bytes at a time */
    BUFFER_UNIFORM_SSE2,
    BUFFER_UNIFORM_AVX2,
    BUFFER_UNIFORM_AVX512BW,
    BUFFER_UNIFORM__MAX,
} BufferUniformImpl;

bool buffer_uniform_impl_available(BufferUniformImpl impl);
const char *buffer_uniform_impl_name(BufferUniformImpl impl);
BufferUniformImpl buffer_uniform_impl_selected(void);

/* buffer_is_uniform() with a given implementation; false if unavailable. */
bool buffer_is_uniform_impl(BufferUniformImpl impl, const void *buf,
                            size_t len, uint8_t *fill);

#endif
