/*
 * libFuzzer target: a page pair derived from the input, encoded by every
 * encoder variant into a dst of exactly the budget's size. Each must match
 * a byte-at-a-time model encoder (or return -1 exactly when the model's
 * encoding does not fit), and decoding must restore the new page.
 *
 * Input: page size, old page kind, budget, then edits of 4 bytes each:
 * offset (2 bytes, scaled to the page), length, and a byte whose low bits
 * say how the run changes and whose top bits scale the length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xbzrle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

static int page_len_from(uint8_t sel)
{
    switch (sel & 7) {
    case 4:
        return 65536;
    case 5:
    case 6:
    case 7:
        return 4096 + 8 * (sel >> 3);
    default:
        return 4096;
    }
}

static void make_old_page(uint8_t sel, uint8_t *page, int len)
{
    uint64_t state = sel | 0x100;

    for (int i = 0; i < len; i++) {
        switch (sel & 3) {
        case 0:
            page[i] = 0;
            break;
        case 1:
            page[i] = (uint8_t)next_random(&state);
            break;
        case 2:
            page[i] = next_random(&state) % 4 ? 0 : (uint8_t)(state >> 32);
            break;
        default:
            page[i] = (uint8_t)(i / 3);
            break;
        }
    }
}

static void apply_edit(const uint8_t *op, uint8_t *page, int len)
{
    int at = (int)(((uint32_t)(op[0] | op[1] << 8) * (uint32_t)len) >> 16);
    int run = (op[2] + 1) << (2 * (op[3] >> 6));
    uint64_t state = (uint64_t)op[0] << 8 | op[3] | 1;

    for (int i = at; i < at + run && i < len; i++) {
        switch (op[3] & 3) {
        case 0:
            page[i] ^= op[3] | 4;               /* always a change */
            break;
        case 1:
            page[i] = op[3];                    /* maybe no change */
            break;
        case 2:
            page[i] = (uint8_t)next_random(&state);
            break;
        default:
            page[i] ^= (i & 1) ? 0 : 0x80;      /* every other byte */
            break;
        }
    }
}

static int model_put_leb(uint8_t *out, uint32_t value)
{
    int n = 0;

    do {
        out[n++] = (uint8_t)((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
        value >>= 7;
    } while (value);
    return n;
}

/* The wire format byte by byte; out must hold 2 * len + 16 bytes. */
static int model_encode(const uint8_t *old_buf, const uint8_t *new_buf,
                        int len, uint8_t *out)
{
    int n = 0, pos = 0, unchanged_from = 0;

    for (;;) {
        int start;

        while (pos < len && old_buf[pos] == new_buf[pos]) {
            pos++;
        }
        if (pos == len) {
            return n;
        }
        start = pos;
        while (pos < len && old_buf[pos] != new_buf[pos]) {
            pos++;
        }
        n += model_put_leb(out + n, start - unchanged_from);
        n += model_put_leb(out + n, pos - start);
        memcpy(out + n, new_buf + start, pos - start);
        n += pos - start;
        unchanged_from = pos;
    }
}

/* Around the model's length, or the usual page-sized budget. */
static int budget_from(uint8_t sel, int n, int len)
{
    int budget;

    if (sel == 0) {
        return len;
    }
    budget = n + sel % 96 - 48;
    return budget < 0 ? 0 : budget;
}

static void check_encoders(const uint8_t *old_buf, const uint8_t *new_buf,
                           int len, int budget, const uint8_t *expect, int n)
{
    for (XbzrleImpl impl = 0; impl < XBZRLE_IMPL__MAX; impl++) {
        uint8_t *dst;
        int ret;

        if (!xbzrle_impl_available(impl)) {
            continue;
        }
        dst = malloc(budget);           /* exactly: any overrun is caught */
        ret = xbzrle_encode_page_impl(impl, old_buf, new_buf, len, dst,
                                      budget);
        if (ret != (n <= budget ? n : -1)) {
            abort();
        }
        if (ret > 0 && memcmp(dst, expect, ret) != 0) {
            abort();
        }
        free(dst);
    }
}

static void check_decode(const uint8_t *old_buf, const uint8_t *new_buf,
                         int len, const uint8_t *expect, int n)
{
    uint8_t *page = malloc(len);

    memcpy(page, old_buf, len);
    if (xbzrle_decode_page(expect, n, page, len) != n ||
        memcmp(page, new_buf, len) != 0) {
        abort();
    }
    free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int len, n, budget;
    uint8_t *old_buf, *new_buf, *expect;

    if (size < 3) {
        return 0;
    }
    len = page_len_from(data[0]);
    old_buf = malloc(len);
    new_buf = malloc(len);
    expect = malloc(2 * len + 16);
    make_old_page(data[1], old_buf, len);
    memcpy(new_buf, old_buf, len);
    for (size_t i = 3; i + 4 <= size; i += 4) {
        apply_edit(data + i, new_buf, len);
    }
    n = model_encode(old_buf, new_buf, len, expect);
    budget = budget_from(data[2], n, len);
    check_encoders(old_buf, new_buf, len, budget, expect, n);
    check_decode(old_buf, new_buf, len, expect, n);
    free(old_buf);
    free(new_buf);
    free(expect);
    return 0;
}
