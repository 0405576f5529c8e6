/*
 * The XBZRLE codec (interface in xbzrle.h): a portable reference encoder,
 * SIMD encoders that scan 64 bytes at a time, and one portable decoder.
 *
 * Wire grammar of an encoded page:
 *
 *   page    := group*
 *   group   := zrun nzrun byte{nzrun}
 *   zrun    := uleb128   bytes unchanged since the old page; 0 only in the
 *                        first group, when the page changes at offset 0
 *   nzrun   := uleb128   bytes changed (>= 1), followed by their new values
 *   uleb128 := 1 to 3 bytes of 7 bits, least significant first, the high
 *              bit set on every byte but the last
 *
 * Runs are maximal: every changed run is one nzrun and every unchanged run
 * between two of them one zrun. The unchanged bytes after the last changed
 * run are not encoded, so an identical page encodes to nothing.
 */
#include <string.h>

#include "xbzrle.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* 3 LEB128 bytes carry 21 bits, enough for any length in a 64 KiB page. */
#define LEB_MAX 3

bool xbzrle_page_len_valid(int page_len)
{
    return page_len >= XBZRLE_PAGE_MIN && page_len <= XBZRLE_PAGE_MAX &&
           page_len % 8 == 0;
}

/* ------------------------------------------------------------------------
 * Writing groups exactly, checking every byte against the budget.
 */

static int leb_size(uint32_t value)
{
    return value < (1u << 7) ? 1 : value < (1u << 14) ? 2 : 3;
}

static uint8_t *put_leb(uint8_t *p, uint32_t value)
{
    while (value >= 0x80) {
        *p++ = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    *p++ = (uint8_t)value;
    return p;
}

/* Writes one group into dst (room bytes); returns its size, or -1 if too big. */
static int put_group(uint8_t *dst, int room, uint32_t zrun,
                     const uint8_t *bytes, uint32_t nzrun)
{
    int size = leb_size(zrun) + leb_size(nzrun) + (int)nzrun;
    uint8_t *p;

    if (size > room) {
        return -1;
    }
    p = put_leb(dst, zrun);
    p = put_leb(p, nzrun);
    memcpy(p, bytes, nzrun);
    return size;
}

/* put_group() off the hot path of the block encoder. */
static __attribute__((noinline, cold)) int put_group_cold(
    uint8_t *dst, int room, uint32_t zrun, const uint8_t *bytes, uint32_t nzrun)
{
    return put_group(dst, room, zrun, bytes, nzrun);
}

/* ------------------------------------------------------------------------
 * The reference encoder: portable, compares 8 bytes at a time.
 */

static ALWAYS_INLINE uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

#define BYTE_HIGH_BITS 0x8080808080808080ULL

/* The high bit of every byte of x that is not zero, and no other bit. */
static ALWAYS_INLINE uint64_t nonzero_bytes(uint64_t x)
{
    const uint64_t low7 = ~BYTE_HIGH_BITS;
    return (((x & low7) + low7) | x) & BYTE_HIGH_BITS;
}

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FIRST_FLAGGED_BYTE(flags) (__builtin_clzll(flags) / 8)
#define BYTES_FROM(k) (~0ULL >> (8 * (k)))
#else
#define FIRST_FLAGGED_BYTE(flags) (__builtin_ctzll(flags) / 8)
#define BYTES_FROM(k) (~0ULL << (8 * (k)))
#endif

/*
 * The first offset in [pos, end) where the pages differ (want_changed) or
 * are equal (!want_changed), or end. Reads whole aligned words, so end may
 * be anything up to the page length, which is a multiple of 8.
 */
static int ref_find(const uint8_t *a, const uint8_t *b, int pos, int end,
                    bool want_changed)
{
    uint64_t flip = want_changed ? 0 : BYTE_HIGH_BITS;
    int word = pos & ~7;
    uint64_t flags;

    if (pos >= end) {
        return end;
    }
    flags = (nonzero_bytes(load64(a + word) ^ load64(b + word)) ^ flip) &
            BYTES_FROM(pos & 7);
    while (!flags) {
        word += 8;
        if (word >= end) {
            return end;
        }
        flags = nonzero_bytes(load64(a + word) ^ load64(b + word)) ^ flip;
    }
    pos = word + FIRST_FLAGGED_BYTE(flags);
    return pos < end ? pos : end;
}

static int encode_ref(const uint8_t *old_buf, const uint8_t *new_buf,
                      int page_len, uint8_t *dst, int dst_len)
{
    int out = 0, unchanged_from = 0;

    for (;;) {
        int start = ref_find(old_buf, new_buf, unchanged_from, page_len, true);
        int room = dst_len - out, limit, end, size;

        if (start == page_len) {
            return out;
        }
        /*
         * A group takes at least nzrun + 2 bytes: a changed run reaching
         * room - 1 bytes cannot fit, so stop looking for its end there.
         */
        if (room < 3) {
            return -1;
        }
        limit = page_len - start > room - 1 ? start + room - 1 : page_len;
        end = ref_find(old_buf, new_buf, start + 1, limit, false);
        if (end == limit && limit < page_len) {
            return -1;
        }
        size = put_group(dst + out, room, start - unchanged_from,
                         new_buf + start, end - start);
        if (size < 0) {
            return -1;
        }
        out += size;
        unchanged_from = end;
    }
}

#ifdef HAVE_X86_SIMD
/* ------------------------------------------------------------------------
 * The block encoder shared by the SIMD variants. Each variant turns 64 bytes
 * of the two pages into a 64-bit mask (bit i set: byte i changed); the runs
 * are then the edges of the mask, walked with tzcnt. Changed runs may span
 * blocks: `open` carries a run from one block into the next.
 *
 * Leading equal bytes are skipped 256 at a time before any set-up, so an
 * identical page costs those compares alone. From the first change on, the
 * page is encoded a chunk of up to 64 blocks at a time, in two passes: the
 * first tests 4 blocks at once and keeps the masks of the blocks with a
 * change, and a bit per such block; the second walks those bits, so a
 * sparse change costs one loop trip instead of a mispredicted branch per
 * block. A page that cannot fit is given up by a lookahead (LOOKAHEAD_AT).
 */

/* The differs mask of the last words of a page that is not a multiple of 64. */
static uint64_t tail_differs(const uint8_t *a, const uint8_t *b, int len)
{
    uint64_t differs = 0;

    for (int i = 0; i < len; i += 8) {
        /* gathers the 8 flag bits at bits 56..63, then moves them into place */
        uint64_t flags = nonzero_bytes(load64(a + i) ^ load64(b + i)) >> 7;
        differs |= ((flags * 0x0102040810204080ULL) >> 56) << i;
    }
    return differs;
}

/* What distinguishes one SIMD variant from another. */
typedef struct BlockOps {
    /* true if the 256 bytes at a and b are equal */
    bool (*group_equal)(const uint8_t *a, const uint8_t *b);
    /*
     * Fills differs[0..3] with the masks of 4 blocks and returns a bit per
     * block that has a change; may leave the masks unset when it returns 0.
     */
    unsigned (*group_differs)(const uint8_t *a, const uint8_t *b,
                              uint64_t differs[4]);
    uint64_t (*block_differs)(const uint8_t *a, const uint8_t *b);
    /* spreads the low 21 bits of a value over 3 bytes, 7 bits each */
    uint32_t (*spread7)(uint32_t value);
} BlockOps;

typedef struct BlockEncoder {
    const uint8_t *old_buf;
    const uint8_t *new_buf;
    long page_len;
    uint8_t *dst;
    uint8_t *out;           /* next byte to write */
    uint8_t *out_end;       /* dst + dst_len */
    uint8_t *fast_end;      /* the fast path runs while out + nzrun <= this */
    bool looked_ahead;      /* the rest of the page was checked to fit */
    long copy_limit;        /* a run ending here or before may copy in chunks */
    long unchanged_from;    /* start of the unchanged run before the next group */
    long run_start;         /* start of the changed run in progress, if open */
    uint64_t open;          /* 1 while a changed run crosses the block edge */
    /* the chunk being encoded: its blocks' masks, valid where changed */
    long chunk_base;
    long chunk_blocks;
    uint64_t chunk_changed;
    const uint64_t *chunk_masks;
} BlockEncoder;

/*
 * The fast path writes both lengths as one 8-byte store and copies in whole
 * chunks, so it runs only while dst has that much slack past the group and
 * the chunks read stay inside the page.
 */
#define COPY_CHUNK 32
#define FAST_SLACK (2 * LEB_MAX + COPY_CHUNK)

/*
 * Once the output passes 1/LOOKAHEAD_AT of the budget, the encoder counts
 * what the rest of the page needs at least, so that a page that cannot fit
 * (random data) is given up at scanning speed rather than after copying it.
 */
#define LOOKAHEAD_AT 16

/*
 * LEB128 without a loop: the 7-bit groups of a value spread over 3 bytes,
 * then the continuation bits and byte count looked up by the value's number
 * of leading zeros. The table holds the continuation bits, and the count << 32.
 */
#define LEB_SHAPE(clz) \
    ((clz) > 31 - 7 ? 1ULL << 32 : (clz) > 31 - 14 ? 2ULL << 32 | 0x80 : \
     3ULL << 32 | 0x8080)
#define LEB_SHAPE8(b) LEB_SHAPE(b), LEB_SHAPE(b + 1), LEB_SHAPE(b + 2), \
    LEB_SHAPE(b + 3), LEB_SHAPE(b + 4), LEB_SHAPE(b + 5), LEB_SHAPE(b + 6), \
    LEB_SHAPE(b + 7)

static const uint64_t leb_shape[32] = {
    LEB_SHAPE8(0), LEB_SHAPE8(8), LEB_SHAPE8(16), LEB_SHAPE8(24),
};

static ALWAYS_INLINE uint32_t spread7_shifts(uint32_t value)
{
    return (value & 0x7f) | ((value << 1) & 0x7f00) | ((value << 2) & 0x7f0000);
}

static ALWAYS_INLINE uint64_t leb_fast(uint32_t value, const BlockOps *ops,
                                       unsigned *len)
{
    uint64_t shape = leb_shape[__builtin_clz(value | 1)];

    *len = shape >> 32;
    return ops->spread7(value) | (uint32_t)shape;
}

/*
 * Writes zrun and nzrun with one store; returns the bytes they took. A
 * changed run is nearly always either short or long within a page, so the
 * branch on its length predicts well and saves a lookup when short.
 */
static ALWAYS_INLINE unsigned put_header_fast(uint8_t *p, uint32_t zrun,
                                              uint32_t nzrun,
                                              const BlockOps *ops)
{
    unsigned zlen, nlen = 1;
    uint64_t zbytes = leb_fast(zrun, ops, &zlen);
    uint64_t nbytes = nzrun < 0x80 ? nzrun : leb_fast(nzrun, ops, &nlen);
    uint64_t header = zbytes | nbytes << (8 * zlen);

    memcpy(p, &header, sizeof(header));
    return zlen + nlen;
}

static ALWAYS_INLINE void copy_chunks(uint8_t *dst, const uint8_t *src,
                                      long len)
{
    memcpy(dst, src, COPY_CHUNK);
    for (long i = COPY_CHUNK; i < len; i += COPY_CHUNK) {
        memcpy(dst + i, src + i, COPY_CHUNK);
    }
}

/* Adds the changed bytes and runs of one block's mask to a size bound. */
static ALWAYS_INLINE void bound_block(uint64_t differs, uint64_t *carry,
                                      long *bound)
{
    uint64_t starts = differs & ~(differs << 1 | *carry);

    *bound += __builtin_popcountll(differs) + 2 * __builtin_popcountll(starts);
    *carry = differs >> 63;
}

/*
 * A lower bound on the encoded size of the changes from `from` on: every
 * changed byte, and two length bytes per changed run. The blocks of the
 * current chunk have their masks already; later chunks are compared.
 */
static ALWAYS_INLINE long encoded_size_bound(const BlockEncoder *e, long from,
                                             const BlockOps *ops)
{
    long i = (from - e->chunk_base) >> 6, base, bound = 0;
    uint64_t carry = 0;

    if (i < e->chunk_blocks) {
        uint64_t first = e->chunk_masks[i] & -(e->chunk_changed >> i & 1);
        bound_block(first & ~0ULL << (from & 63), &carry, &bound);
    }
    for (i++; i < e->chunk_blocks; i++) {
        bound_block(e->chunk_masks[i] & -(e->chunk_changed >> i & 1), &carry,
                    &bound);
    }
    /* then the blocks after the chunk, or after from if that is later */
    base = e->chunk_base + 64 * e->chunk_blocks;
    base = base > (from & ~63L) ? base : from & ~63L;
    for (; base < e->page_len; base += 64) {
        uint64_t differs = base + 64 <= e->page_len ?
            ops->block_differs(e->old_buf + base, e->new_buf + base) :
            tail_differs(e->old_buf + base, e->new_buf + base,
                         e->page_len - base);
        if (base < from) {
            differs &= ~0ULL << (from - base);
        }
        bound_block(differs, &carry, &bound);
    }
    return bound;
}

/* Where the fast path stops for a budget of `room` bytes from p. */
static ALWAYS_INLINE uint8_t *fast_end(uint8_t *p, long room)
{
    return room > FAST_SLACK ? p + room - FAST_SLACK : p;
}

/* False if the group [start, end) and the changes after it cannot fit. */
static ALWAYS_INLINE bool rest_may_fit(BlockEncoder *e, long start, long end,
                                       const BlockOps *ops)
{
    long group = 2 + (end - start);

    e->looked_ahead = true;
    e->fast_end = fast_end(e->dst, e->out_end - e->dst);
    return e->out_end - e->out >= group + encoded_size_bound(e, end, ops);
}

/* Emits the group whose changed run is [start, end); false if over budget. */
static ALWAYS_INLINE bool emit_group(BlockEncoder *e, long start, long end,
                                     const BlockOps *ops)
{
    long zrun = start - e->unchanged_from, nzrun = end - start;

    if (!likely(e->fast_end - e->out >= nzrun && end <= e->copy_limit)) {
        if (!e->looked_ahead && !rest_may_fit(e, start, end, ops)) {
            return false;
        }
        if (!(e->fast_end - e->out >= nzrun && end <= e->copy_limit)) {
            /* near the end of dst or of the page: exact writes */
            int size = put_group_cold(e->out, e->out_end - e->out, zrun,
                                      e->new_buf + start, nzrun);
            if (size < 0) {
                return false;
            }
            e->out += size;
            e->unchanged_from = end;
            return true;
        }
    }
    e->out += put_header_fast(e->out, zrun, nzrun, ops);
    copy_chunks(e->out, e->new_buf + start, nzrun);
    e->out += nzrun;
    e->unchanged_from = end;
    return true;
}

/* False when the open changed run, already reaching `upto`, cannot fit. */
static ALWAYS_INLINE bool open_run_may_fit(const BlockEncoder *e, long upto)
{
    return e->out_end - e->out >= upto - e->run_start + 2;
}

/*
 * Emits the groups that end in the block at `base`, where bit i of
 * `differs` says byte base + i changed; false if over budget. A group's
 * start may lie in an earlier block, and its end in a later one.
 */
static ALWAYS_INLINE bool scan_block(BlockEncoder *e, uint64_t differs,
                                     long base, const BlockOps *ops)
{
    uint64_t before = (differs << 1) | e->open;    /* bit i: byte i-1 changed */
    uint64_t starts = differs & ~before;
    uint64_t ends = ~differs & before;
    long start = e->run_start;

    if (!e->open) {
        if (!starts) {
            return true;
        }
        start = base + __builtin_ctzll(starts);
        starts &= starts - 1;
    }
    e->open = differs >> 63;
    while (ends) {
        long end = base + __builtin_ctzll(ends);

        ends &= ends - 1;
        if (!emit_group(e, start, end, ops)) {
            return false;
        }
        if (!starts) {
            return true;
        }
        start = base + __builtin_ctzll(starts);
        starts &= starts - 1;
    }
    e->run_start = start;
    return open_run_may_fit(e, base + 64);
}

static ALWAYS_INLINE unsigned nonzero_bits4(const uint64_t masks[4])
{
    return (masks[0] != 0) | (masks[1] != 0) << 1 | (masks[2] != 0) << 2 |
           (masks[3] != 0) << 3;
}

#define CHUNK_BLOCKS 64

/* First pass: the masks of the blocks with a change, and a bit per block. */
static ALWAYS_INLINE uint64_t chunk_differs(const uint8_t *a, const uint8_t *b,
                                            int nblocks,
                                            uint64_t masks[CHUNK_BLOCKS],
                                            const BlockOps *ops)
{
    uint64_t changed = 0;
    int i = 0;

    for (; i + 4 <= nblocks; i += 4) {
        changed |= (uint64_t)ops->group_differs(a + 64 * i, b + 64 * i,
                                                masks + i) << i;
    }
    for (; i < nblocks; i++) {
        masks[i] = ops->block_differs(a + 64 * i, b + 64 * i);
        changed |= (uint64_t)(masks[i] != 0) << i;
    }
    return changed;
}

/* Second pass: the blocks with a change, and those where an open run ends. */
static ALWAYS_INLINE bool scan_chunk(BlockEncoder *e, long base,
                                     uint64_t changed,
                                     const uint64_t masks[CHUNK_BLOCKS],
                                     int nblocks, const BlockOps *ops)
{
    /* a run left open by the previous chunk ends where this one starts */
    if (e->open && !(changed & 1) && !scan_block(e, 0, base, ops)) {
        return false;
    }
    while (changed) {
        int i = __builtin_ctzll(changed);

        changed &= changed - 1;
        if (!scan_block(e, masks[i], base + 64 * i, ops)) {
            return false;
        }
        if (e->open && !(changed & 2ULL << i) && i + 1 < nblocks &&
            !scan_block(e, 0, base + 64 * (i + 1), ops)) {
            return false;
        }
    }
    return true;
}

/* Encodes the page from `pos` on, a multiple of 256 where the first change is. */
static ALWAYS_INLINE int encode_blocks_from(const uint8_t *old_buf,
                                            const uint8_t *new_buf,
                                            int page_len, uint8_t *dst,
                                            int dst_len, long pos,
                                            const BlockOps *ops)
{
    BlockEncoder e = {
        .old_buf = old_buf, .new_buf = new_buf, .page_len = page_len,
        .dst = dst, .out = dst, .out_end = dst + dst_len,
        .fast_end = fast_end(dst, dst_len),
        .copy_limit = page_len - COPY_CHUNK,
    };
    uint64_t masks[CHUNK_BLOCKS];

    if (e.fast_end > dst + dst_len / LOOKAHEAD_AT) {
        e.fast_end = dst + dst_len / LOOKAHEAD_AT;
    }
    while (pos + 64 <= page_len) {
        uint64_t changed;
        int nblocks = (page_len - pos) / 64;

        nblocks = nblocks < CHUNK_BLOCKS ? nblocks : CHUNK_BLOCKS;
        changed = chunk_differs(old_buf + pos, new_buf + pos, nblocks, masks,
                                ops);
        e.chunk_base = pos;
        e.chunk_blocks = nblocks;
        e.chunk_changed = changed;
        e.chunk_masks = masks;
        if (!scan_chunk(&e, pos, changed, masks, nblocks, ops)) {
            return -1;
        }
        pos += 64 * nblocks;
    }
    if (pos < page_len) {
        uint64_t differs = tail_differs(old_buf + pos, new_buf + pos,
                                        page_len - pos);
        if (!scan_block(&e, differs, pos, ops)) {
            return -1;
        }
    }
    if (e.open && !emit_group(&e, e.run_start, page_len, ops)) {
        return -1;
    }
    return e.out - dst;
}

/*
 * The encoder of every SIMD variant, instantiated with its BlockOps. The
 * leading equal bytes are skipped first at memcmp's pace, with none of the
 * set-up: an identical page costs just that.
 */
static ALWAYS_INLINE int encode_blocks(const uint8_t *old_buf,
                                       const uint8_t *new_buf, int page_len,
                                       uint8_t *dst, int dst_len,
                                       const BlockOps *ops)
{
    long pos = 0;

    while (pos + 256 <= page_len &&
           ops->group_equal(old_buf + pos, new_buf + pos)) {
        pos += 256;
    }
    if (pos == page_len) {
        return 0;
    }
    return encode_blocks_from(old_buf, new_buf, page_len, dst, dst_len, pos,
                              ops);
}

/* ------------------------------------------------------------------------
 * SSE2: four 16-byte compares per block.
 */

static ALWAYS_INLINE __m128i xor16(const uint8_t *a, const uint8_t *b, int off)
{
    return _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + off)),
                         _mm_loadu_si128((const __m128i *)(b + off)));
}

static ALWAYS_INLINE uint64_t block_differs_sse2(const uint8_t *a,
                                                 const uint8_t *b)
{
    uint64_t equal = 0;

    for (int i = 0; i < 4; i++) {
        __m128i eq = _mm_cmpeq_epi8(
            _mm_loadu_si128((const __m128i *)(a + 16 * i)),
            _mm_loadu_si128((const __m128i *)(b + 16 * i)));
        equal |= (uint64_t)(uint16_t)_mm_movemask_epi8(eq) << (16 * i);
    }
    return ~equal;
}

static ALWAYS_INLINE bool group_equal_sse2(const uint8_t *a, const uint8_t *b)
{
    __m128i acc0 = xor16(a, b, 0), acc1 = xor16(a, b, 16);

    for (int off = 32; off < 256; off += 32) {
        acc0 = _mm_or_si128(acc0, xor16(a, b, off));
        acc1 = _mm_or_si128(acc1, xor16(a, b, off + 16));
    }
    acc0 = _mm_or_si128(acc0, acc1);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(acc0, _mm_setzero_si128())) ==
           0xffff;
}

static ALWAYS_INLINE unsigned group_differs_sse2(const uint8_t *a,
                                                 const uint8_t *b,
                                                 uint64_t differs[4])
{
    if (group_equal_sse2(a, b)) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        differs[i] = block_differs_sse2(a + 64 * i, b + 64 * i);
    }
    return nonzero_bits4(differs);
}

static const BlockOps sse2_ops = {
    group_equal_sse2, group_differs_sse2, block_differs_sse2, spread7_shifts,
};

static int encode_sse2(const uint8_t *old_buf, const uint8_t *new_buf,
                       int page_len, uint8_t *dst, int dst_len)
{
    return encode_blocks(old_buf, new_buf, page_len, dst, dst_len,
                         &sse2_ops);
}

/* ------------------------------------------------------------------------
 * AVX2: two 32-byte compares per block.
 */

#define TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2,lzcnt,popcnt")))

TARGET_AVX2
static ALWAYS_INLINE __m256i xor32(const uint8_t *a, const uint8_t *b, int off)
{
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + off)),
                            _mm256_loadu_si256((const __m256i *)(b + off)));
}

TARGET_AVX2
static ALWAYS_INLINE uint64_t block_differs_avx2(const uint8_t *a,
                                                 const uint8_t *b)
{
    __m256i lo = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)a),
                                   _mm256_loadu_si256((const __m256i *)b));
    __m256i hi = _mm256_cmpeq_epi8(
        _mm256_loadu_si256((const __m256i *)(a + 32)),
        _mm256_loadu_si256((const __m256i *)(b + 32)));
    uint64_t equal = (uint32_t)_mm256_movemask_epi8(lo) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
    return ~equal;
}

TARGET_AVX2
static ALWAYS_INLINE bool group_equal_avx2(const uint8_t *a, const uint8_t *b)
{
    __m256i acc0 = _mm256_or_si256(xor32(a, b, 0), xor32(a, b, 32));
    __m256i acc1 = _mm256_or_si256(xor32(a, b, 64), xor32(a, b, 96));
    __m256i acc2 = _mm256_or_si256(xor32(a, b, 128), xor32(a, b, 160));
    __m256i acc3 = _mm256_or_si256(xor32(a, b, 192), xor32(a, b, 224));
    __m256i acc = _mm256_or_si256(_mm256_or_si256(acc0, acc1),
                                  _mm256_or_si256(acc2, acc3));

    return _mm256_testz_si256(acc, acc);
}

TARGET_AVX2
static ALWAYS_INLINE unsigned group_differs_avx2(const uint8_t *a,
                                                 const uint8_t *b,
                                                 uint64_t differs[4])
{
    if (group_equal_avx2(a, b)) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        differs[i] = block_differs_avx2(a + 64 * i, b + 64 * i);
    }
    return nonzero_bits4(differs);
}

static const BlockOps avx2_ops = {
    group_equal_avx2, group_differs_avx2, block_differs_avx2, spread7_shifts,
};

TARGET_AVX2
static int encode_avx2(const uint8_t *old_buf, const uint8_t *new_buf,
                       int page_len, uint8_t *dst, int dst_len)
{
    return encode_blocks(old_buf, new_buf, page_len, dst, dst_len,
                         &avx2_ops);
}

/* ------------------------------------------------------------------------
 * AVX-512BW: one compare into a mask register per block.
 */

#define TARGET_AVX512 \
    __attribute__((target("avx512f,avx512bw,bmi,bmi2,lzcnt,popcnt")))

TARGET_AVX512
static ALWAYS_INLINE __mmask64 cmpneq64(const uint8_t *a, const uint8_t *b)
{
    return _mm512_cmpneq_epi8_mask(_mm512_loadu_epi8(a), _mm512_loadu_epi8(b));
}

TARGET_AVX512
static ALWAYS_INLINE uint64_t block_differs_avx512(const uint8_t *a,
                                                   const uint8_t *b)
{
    return _cvtmask64_u64(cmpneq64(a, b));
}

TARGET_AVX512
static ALWAYS_INLINE bool group_equal_avx512(const uint8_t *a,
                                             const uint8_t *b)
{
    __mmask64 m0 = cmpneq64(a, b), m1 = cmpneq64(a + 64, b + 64);
    __mmask64 m2 = cmpneq64(a + 128, b + 128), m3 = cmpneq64(a + 192, b + 192);

    return _kortestz_mask64_u8(_kor_mask64(m0, m1), _kor_mask64(m2, m3));
}

TARGET_AVX512
static ALWAYS_INLINE unsigned group_differs_avx512(const uint8_t *a,
                                                   const uint8_t *b,
                                                   uint64_t differs[4])
{
    __mmask64 m0 = cmpneq64(a, b), m1 = cmpneq64(a + 64, b + 64);
    __mmask64 m2 = cmpneq64(a + 128, b + 128), m3 = cmpneq64(a + 192, b + 192);

    if (_kortestz_mask64_u8(_kor_mask64(m0, m1), _kor_mask64(m2, m3))) {
        return 0;
    }
    differs[0] = _cvtmask64_u64(m0);
    differs[1] = _cvtmask64_u64(m1);
    differs[2] = _cvtmask64_u64(m2);
    differs[3] = _cvtmask64_u64(m3);
    return nonzero_bits4(differs);
}

/* pdep is fast on every CPU with AVX-512 (not on AMD before Zen 3). */
TARGET_AVX512
static ALWAYS_INLINE uint32_t spread7_pdep(uint32_t value)
{
    return _pdep_u32(value, 0x7f7f7f);
}

static const BlockOps avx512_ops = {
    group_equal_avx512, group_differs_avx512, block_differs_avx512,
    spread7_pdep,
};

TARGET_AVX512
static int encode_avx512(const uint8_t *old_buf, const uint8_t *new_buf,
                         int page_len, uint8_t *dst, int dst_len)
{
    return encode_blocks(old_buf, new_buf, page_len, dst, dst_len,
                         &avx512_ops);
}
#endif /* HAVE_X86_SIMD */

/* ------------------------------------------------------------------------
 * Choosing an implementation.
 */

typedef int EncodeFn(const uint8_t *old_buf, const uint8_t *new_buf,
                     int page_len, uint8_t *dst, int dst_len);

static const struct {
    const char *name;
    EncodeFn *encode;
} impls[XBZRLE_IMPL__MAX] = {
    [XBZRLE_IMPL_REF] = { "ref", encode_ref },
#ifdef HAVE_X86_SIMD
    [XBZRLE_IMPL_SSE2] = { "sse2", encode_sse2 },
    [XBZRLE_IMPL_AVX2] = { "avx2", encode_avx2 },
    [XBZRLE_IMPL_AVX512BW] = { "avx512bw", encode_avx512 },
#else
    [XBZRLE_IMPL_SSE2] = { "sse2", NULL },
    [XBZRLE_IMPL_AVX2] = { "avx2", NULL },
    [XBZRLE_IMPL_AVX512BW] = { "avx512bw", NULL },
#endif
};

static XbzrleImpl selected_impl = XBZRLE_IMPL_REF;
static bool impl_available[XBZRLE_IMPL__MAX] = { [XBZRLE_IMPL_REF] = true };

/* (every CPU with AVX2 also has LZCNT, which GCC cannot test for) */
static bool cpu_supports(XbzrleImpl impl)
{
#ifdef HAVE_X86_SIMD
    __builtin_cpu_init();
    switch (impl) {
    case XBZRLE_IMPL_SSE2:
        return true;
    case XBZRLE_IMPL_AVX2:
        return __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2") &&
               __builtin_cpu_supports("popcnt");
    case XBZRLE_IMPL_AVX512BW:
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2") &&
               __builtin_cpu_supports("popcnt");
    default:
        break;
    }
#endif
    return impl == XBZRLE_IMPL_REF;
}

/* Runs before main(), so the hot path reads plain variables. */
__attribute__((constructor))
static void detect_impls(void)
{
    for (int impl = XBZRLE_IMPL_REF; impl < XBZRLE_IMPL__MAX; impl++) {
        impl_available[impl] = impls[impl].encode && cpu_supports(impl);
        if (impl_available[impl]) {
            selected_impl = impl;
        }
    }
}

bool xbzrle_impl_available(XbzrleImpl impl)
{
    return impl >= 0 && impl < XBZRLE_IMPL__MAX && impl_available[impl];
}

const char *xbzrle_impl_name(XbzrleImpl impl)
{
    return impl >= 0 && impl < XBZRLE_IMPL__MAX ? impls[impl].name : "?";
}

XbzrleImpl xbzrle_impl_selected(void)
{
    return selected_impl;
}

int xbzrle_encode_page_impl(XbzrleImpl impl, const uint8_t *old_buf,
                            const uint8_t *new_buf, int page_len,
                            uint8_t *dst, int dst_len)
{
    if (!xbzrle_page_len_valid(page_len) || dst_len < 0 ||
        !xbzrle_impl_available(impl)) {
        return -1;
    }
    return impls[impl].encode(old_buf, new_buf, page_len, dst, dst_len);
}

int xbzrle_encode_page(const uint8_t *old_buf, const uint8_t *new_buf,
                       int page_len, uint8_t *dst, int dst_len)
{
    if (!xbzrle_page_len_valid(page_len) || dst_len < 0) {
        return -1;
    }
    return impls[selected_impl].encode(old_buf, new_buf, page_len, dst,
                                       dst_len);
}

/* ------------------------------------------------------------------------
 * The decoder. Every length is checked against both the stream and the
 * page before anything is copied.
 */

/* Reads one length; returns the bytes it took, 0 if truncated or too long. */
static ALWAYS_INLINE int get_leb(const uint8_t *p, const uint8_t *end,
                                 uint32_t *value)
{
    uint32_t v = 0;

    for (int i = 0; i < LEB_MAX && p + i < end; i++) {
        v |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *value = v;
            return i + 1;
        }
    }
    return 0;
}

/*
 * Applies the group at *src to the page at *pos, advancing both;
 * false if the group is malformed.
 */
static ALWAYS_INLINE bool decode_group(const uint8_t **src, const uint8_t *end,
                                       bool first, uint8_t *page,
                                       uint32_t page_len, uint32_t *pos)
{
    const uint8_t *p = *src;
    uint32_t zrun, nzrun;
    int n;

    n = get_leb(p, end, &zrun);
    if (!n || (zrun == 0 && !first) || zrun > page_len - *pos) {
        return false;
    }
    p += n;
    *pos += zrun;
    n = get_leb(p, end, &nzrun);
    if (!n || nzrun == 0 || nzrun > page_len - *pos) {
        return false;
    }
    p += n;
    if (nzrun > (uint32_t)(end - p)) {
        return false;
    }
    memcpy(page + *pos, p, nzrun);
    *pos += nzrun;
    *src = p + nzrun;
    return true;
}

int xbzrle_decode_page(const uint8_t *src, int src_len, uint8_t *page,
                       int page_len)
{
    const uint8_t *p, *end;
    uint32_t pos = 0;

    if (!xbzrle_page_len_valid(page_len) || src_len < 0) {
        return -1;
    }
    if (src_len == 0) {
        return 0;
    }
    for (p = src, end = src + src_len; p < end;) {
        if (pos == (uint32_t)page_len) {
            return -1;      /* bytes left over after the last page byte */
        }
        if (!decode_group(&p, end, p == src, page, page_len, &pos)) {
            return -1;
        }
    }
    return src_len;
}
