/*
 * Uniform-buffer detection (interface in bufferzero.h): a portable version
 * and SSE2/AVX2/AVX-512 ones, chosen at start-up by CPU detection.
 */
#include <string.h>

#include "bufferzero.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Buffers shorter than one word, byte by byte. */
static bool short_is_uniform(const uint8_t *p, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        if (p[i] != p[0]) {
            return false;
        }
    }
    return true;
}

/*
 * Every variant checks the first vector on its own, so that an ordinary page
 * is rejected after a few bytes, then 4 vectors per test, then the last
 * vector of the buffer, overlapping what came before.
 */
static bool uniform_ref(const uint8_t *p, size_t len)
{
    uint64_t fill = p[0] * 0x0101010101010101ULL;
    size_t i = 8;

    if (len < 8) {
        return short_is_uniform(p, len);
    }
    if (load64(p) != fill) {
        return false;
    }
    for (; i + 32 <= len; i += 32) {
        if (((load64(p + i) ^ fill) | (load64(p + i + 8) ^ fill) |
             (load64(p + i + 16) ^ fill) | (load64(p + i + 24) ^ fill)) != 0) {
            return false;
        }
    }
    for (; i + 8 <= len; i += 8) {
        if (load64(p + i) != fill) {
            return false;
        }
    }
    return load64(p + len - 8) == fill;
}

#ifdef HAVE_X86_SIMD

static ALWAYS_INLINE __m128i load16(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

static ALWAYS_INLINE bool equal16(__m128i v, __m128i fill)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(v, fill)) == 0xffff;
}

static bool uniform_sse2(const uint8_t *p, size_t len)
{
    __m128i fill = _mm_set1_epi8((char)p[0]);
    size_t i = 16;

    if (len < 16) {
        return uniform_ref(p, len);
    }
    if (!equal16(load16(p), fill)) {
        return false;
    }
    for (; i + 64 <= len; i += 64) {
        __m128i x = _mm_or_si128(
            _mm_or_si128(_mm_xor_si128(load16(p + i), fill),
                         _mm_xor_si128(load16(p + i + 16), fill)),
            _mm_or_si128(_mm_xor_si128(load16(p + i + 32), fill),
                         _mm_xor_si128(load16(p + i + 48), fill)));
        if (!equal16(x, _mm_setzero_si128())) {
            return false;
        }
    }
    for (; i + 16 <= len; i += 16) {
        if (!equal16(load16(p + i), fill)) {
            return false;
        }
    }
    return equal16(load16(p + len - 16), fill);
}

#define TARGET_AVX2 __attribute__((target("avx2")))

TARGET_AVX2
static ALWAYS_INLINE __m256i load32(const uint8_t *p)
{
    return _mm256_loadu_si256((const __m256i *)p);
}

TARGET_AVX2
static ALWAYS_INLINE bool is_zero32(__m256i v)
{
    return _mm256_testz_si256(v, v);
}

TARGET_AVX2
static bool uniform_avx2(const uint8_t *p, size_t len)
{
    __m256i fill = _mm256_set1_epi8((char)p[0]);
    size_t i = 32;

    if (len < 32) {
        return uniform_sse2(p, len);
    }
    if (!is_zero32(_mm256_xor_si256(load32(p), fill))) {
        return false;
    }
    for (; i + 128 <= len; i += 128) {
        __m256i x = _mm256_or_si256(
            _mm256_or_si256(_mm256_xor_si256(load32(p + i), fill),
                            _mm256_xor_si256(load32(p + i + 32), fill)),
            _mm256_or_si256(_mm256_xor_si256(load32(p + i + 64), fill),
                            _mm256_xor_si256(load32(p + i + 96), fill)));
        if (!is_zero32(x)) {
            return false;
        }
    }
    for (; i + 32 <= len; i += 32) {
        if (!is_zero32(_mm256_xor_si256(load32(p + i), fill))) {
            return false;
        }
    }
    return is_zero32(_mm256_xor_si256(load32(p + len - 32), fill));
}

#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw")))

TARGET_AVX512
static ALWAYS_INLINE __m512i xor64(const uint8_t *p, __m512i fill)
{
    return _mm512_xor_si512(_mm512_loadu_si512(p), fill);
}

TARGET_AVX512
static ALWAYS_INLINE bool is_zero64(__m512i v)
{
    return _mm512_test_epi64_mask(v, v) == 0;
}

TARGET_AVX512
static bool uniform_avx512(const uint8_t *p, size_t len)
{
    __m512i fill = _mm512_set1_epi8((char)p[0]);
    size_t i = 64;

    if (len < 64) {
        return uniform_avx2(p, len);
    }
    if (!is_zero64(xor64(p, fill))) {
        return false;
    }
    for (; i + 256 <= len; i += 256) {
        __m512i x = _mm512_or_si512(
            _mm512_or_si512(xor64(p + i, fill), xor64(p + i + 64, fill)),
            _mm512_or_si512(xor64(p + i + 128, fill),
                            xor64(p + i + 192, fill)));
        if (!is_zero64(x)) {
            return false;
        }
    }
    for (; i + 64 <= len; i += 64) {
        if (!is_zero64(xor64(p + i, fill))) {
            return false;
        }
    }
    return is_zero64(xor64(p + len - 64, fill));
}
#endif /* HAVE_X86_SIMD */

typedef bool UniformFn(const uint8_t *p, size_t len);

static const struct {
    const char *name;
    UniformFn *fn;
} impls[BUFFER_UNIFORM__MAX] = {
    [BUFFER_UNIFORM_REF] = { "ref", uniform_ref },
#ifdef HAVE_X86_SIMD
    [BUFFER_UNIFORM_SSE2] = { "sse2", uniform_sse2 },
    [BUFFER_UNIFORM_AVX2] = { "avx2", uniform_avx2 },
    [BUFFER_UNIFORM_AVX512BW] = { "avx512bw", uniform_avx512 },
#else
    [BUFFER_UNIFORM_SSE2] = { "sse2", NULL },
    [BUFFER_UNIFORM_AVX2] = { "avx2", NULL },
    [BUFFER_UNIFORM_AVX512BW] = { "avx512bw", NULL },
#endif
};

static BufferUniformImpl selected_impl = BUFFER_UNIFORM_REF;
static bool impl_available[BUFFER_UNIFORM__MAX] = {
    [BUFFER_UNIFORM_REF] = true,
};

static bool cpu_supports(BufferUniformImpl impl)
{
#ifdef HAVE_X86_SIMD
    __builtin_cpu_init();
    switch (impl) {
    case BUFFER_UNIFORM_SSE2:
        return true;
    case BUFFER_UNIFORM_AVX2:
        return __builtin_cpu_supports("avx2");
    case BUFFER_UNIFORM_AVX512BW:
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw");
    default:
        break;
    }
#endif
    return impl == BUFFER_UNIFORM_REF;
}

/* Runs before main(), so the hot path reads plain variables. */
__attribute__((constructor))
static void detect_impls(void)
{
    for (int impl = BUFFER_UNIFORM_REF; impl < BUFFER_UNIFORM__MAX; impl++) {
        impl_available[impl] = impls[impl].fn && cpu_supports(impl);
        if (impl_available[impl]) {
            selected_impl = impl;
        }
    }
}

bool buffer_uniform_impl_available(BufferUniformImpl impl)
{
    return impl >= 0 && impl < BUFFER_UNIFORM__MAX && impl_available[impl];
}

const char *buffer_uniform_impl_name(BufferUniformImpl impl)
{
    return impl >= 0 && impl < BUFFER_UNIFORM__MAX ? impls[impl].name : "?";
}

BufferUniformImpl buffer_uniform_impl_selected(void)
{
    return selected_impl;
}

static bool check_uniform(UniformFn *fn, const void *buf, size_t len,
                          uint8_t *fill)
{
    const uint8_t *p = buf;

    if (len == 0 || !fn(p, len)) {
        return false;
    }
    if (fill) {
        *fill = p[0];
    }
    return true;
}

bool buffer_is_uniform_impl(BufferUniformImpl impl, const void *buf,
                            size_t len, uint8_t *fill)
{
    if (!buffer_uniform_impl_available(impl)) {
        return false;
    }
    return check_uniform(impls[impl].fn, buf, len, fill);
}

bool buffer_is_uniform(const void *buf, size_t len, uint8_t *fill)
{
    return check_uniform(impls[selected_impl].fn, buf, len, fill);
}
