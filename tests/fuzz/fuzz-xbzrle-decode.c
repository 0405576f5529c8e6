/*
 * libFuzzer target: arbitrary bytes decoded onto a page whose size the
 * input chooses. The decoder must never crash or write outside the page
 * (the page is allocated to its exact size), and must agree with a model
 * decoder, written for clarity, on validity and on the resulting page.
 *
 * Input: 2 bytes choosing the page size, then the encoded stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xbzrle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 4 KiB or 64 KiB, another multiple of 8, or (1 time in 8) an invalid size. */
static int page_len_from(uint8_t a, uint8_t b)
{
    switch (a & 7) {
    case 0:
    case 1:
        return 4096;
    case 2:
        return 65536;
    case 7:
        return 4096 + 1 + b % 8;        /* not a multiple of 8 */
    default:
        return 4096 + 8 * ((a >> 3 | b << 5) % ((65536 - 4096) / 8 + 1));
    }
}

/* One LEB128 length of at most 3 bytes; false if truncated or longer. */
static bool model_get_length(const uint8_t *src, size_t size, size_t *pos,
                             uint32_t *value)
{
    *value = 0;
    for (int i = 0; i < 3; i++) {
        if (*pos == size) {
            return false;
        }
        uint8_t b = src[(*pos)++];
        *value |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            return true;
        }
    }
    return false;
}

/* The grammar of xbzrle.c, one rule per line. */
static int model_decode(const uint8_t *src, size_t size, uint8_t *page,
                        int page_len)
{
    size_t pos = 0;
    uint32_t at = 0, zrun, nzrun;

    if (!xbzrle_page_len_valid(page_len)) {
        return -1;
    }
    for (bool first = true; pos < size; first = false) {
        if (at == (uint32_t)page_len) {
            return -1;                          /* bytes left over */
        }
        if (!model_get_length(src, size, &pos, &zrun) ||
            (zrun == 0 && !first) || zrun > (uint32_t)page_len - at) {
            return -1;
        }
        at += zrun;
        if (!model_get_length(src, size, &pos, &nzrun) || nzrun == 0 ||
            nzrun > (uint32_t)page_len - at || nzrun > size - pos) {
            return -1;
        }
        for (uint32_t i = 0; i < nzrun; i++) {
            page[at++] = src[pos++];
        }
    }
    return (int)size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int page_len, ret, expect;
    uint8_t *page, *model_page;

    if (size < 2 || size > (1u << 20)) {
        return 0;
    }
    page_len = page_len_from(data[0], data[1]);
    data += 2;
    size -= 2;
    page = malloc(page_len);
    model_page = malloc(page_len);
    for (int i = 0; i < page_len; i++) {
        page[i] = model_page[i] = (uint8_t)(i * 7);
    }
    ret = xbzrle_decode_page(data, (int)size, page, page_len);
    expect = model_decode(data, size, model_page, page_len);
    if (ret != expect) {
        abort();
    }
    if (ret >= 0 && memcmp(page, model_page, page_len) != 0) {
        abort();
    }
    free(page);
    free(model_page);
    return 0;
}
