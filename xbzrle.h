/*
 * XBZRLE: the delta codec of live migration. A dirty page is sent as the
 * runs of bytes that differ from the copy the receiver already has; the
 * receiver patches its copy in place. The wire grammar is in xbzrle.c.
 */
#ifndef XBZRLE_H
#define XBZRLE_H

#include <stdbool.h>
#include <stdint.h>

/* Valid page sizes: multiples of 8 in [XBZRLE_PAGE_MIN, XBZRLE_PAGE_MAX]. */
#define XBZRLE_PAGE_MIN 4096
#define XBZRLE_PAGE_MAX 65536

bool xbzrle_page_len_valid(int page_len);

/*
 * Encodes the change from old_buf to new_buf (both page_len bytes) into dst.
 * Returns the encoded length, 0 when the pages are identical, or -1 when the
 * encoding does not fit in dst_len bytes (send the page raw instead) or
 * page_len is invalid. Never writes past dst + dst_len, but may scribble on
 * any of those bytes beyond the returned length, or on all of them when it
 * returns -1. Gives up as soon as the budget is certainly exceeded.
 */
int xbzrle_encode_page(const uint8_t *old_buf, const uint8_t *new_buf,
                       int page_len, uint8_t *dst, int dst_len);

/*
 * Applies the encoded delta src (src_len bytes) to page in place. Returns
 * src_len on success, or -1 if page_len is invalid or src is malformed:
 * a truncated or over-long (more than 3 bytes) length, a zero-length changed
 * run, a zero-length unchanged run other than the first, a run past the end
 * of the page, or bytes after the end of the page. Never writes outside the
 * page, but on -1 the page may already be partly patched: the caller must
 * treat the stream as corrupt and not use the page.
 */
int xbzrle_decode_page(const uint8_t *src, int src_len, uint8_t *page,
                       int page_len);

/*
 * The encoder implementations. All produce byte-identical output; the
 * reference is portable C, the others need the named x86 extension.
 * xbzrle_encode_page() uses the fastest available, chosen at start-up.
 */
typedef enum XbzrleImpl {
    XBZRLE_IMPL_REF,        /* portable, 8 bytes at a time */
    XBZRLE_IMPL_SSE2,
    XBZRLE_IMPL_AVX2,
    XBZRLE_IMPL_AVX512BW,
    XBZRLE_IMPL__MAX,
} XbzrleImpl;

bool xbzrle_impl_available(XbzrleImpl impl);
const char *xbzrle_impl_name(XbzrleImpl impl);
XbzrleImpl xbzrle_impl_selected(void);

/* xbzrle_encode_page() with a given implementation, which must be available. */
int xbzrle_encode_page_impl(XbzrleImpl impl, const uint8_t *old_buf,
                            const uint8_t *new_buf, int page_len,
                            uint8_t *dst, int dst_len);

#endif
