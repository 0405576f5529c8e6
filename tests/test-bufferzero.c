/*
 * Specification of buffer_is_uniform() (bufferzero.h): uniform pages of
 * any fill byte, a single odd byte anywhere, every small and odd length,
 * unaligned buffers, for each implementation the CPU has.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufferzero.h"

#define PS 4096

/* Check writes to its parent on every passing ck_assert: loops use this. */
#define require(cond, ...) \
    do { \
        if (!(cond)) { \
            ck_abort_msg(__VA_ARGS__); \
        } \
    } while (0)

/* Calls body once per available implementation, as `impl`. */
#define FOR_EACH_IMPL(impl) \
    for (BufferUniformImpl impl = 0; impl < BUFFER_UNIFORM__MAX; impl++) \
        if (buffer_uniform_impl_available(impl))

/* Uniform with the expected fill byte, for every implementation. */
static void require_uniform(const uint8_t *buf, size_t len, uint8_t expect)
{
    FOR_EACH_IMPL(impl) {
        uint8_t fill = (uint8_t)~expect;

        require(buffer_is_uniform_impl(impl, buf, len, &fill),
                "%s: %zu bytes of 0x%02x not uniform",
                buffer_uniform_impl_name(impl), len, expect);
        require(fill == expect, "%s: fill 0x%02x, expected 0x%02x",
                buffer_uniform_impl_name(impl), fill, expect);
    }
}

/* Not uniform, and *fill left alone, for every implementation. */
static void require_not_uniform(const uint8_t *buf, size_t len, size_t odd)
{
    FOR_EACH_IMPL(impl) {
        uint8_t fill = 0x5c;

        require(!buffer_is_uniform_impl(impl, buf, len, &fill),
                "%s: %zu bytes with an odd byte at %zu called uniform",
                buffer_uniform_impl_name(impl), len, odd);
        require(fill == 0x5c, "%s: fill written for a non-uniform buffer",
                buffer_uniform_impl_name(impl));
    }
}

/* Sets each of the given positions in turn to another byte. */
static void require_each_odd_byte_found(uint8_t *buf, size_t len,
                                        const size_t *positions, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t at = positions[i];
        uint8_t saved = buf[at];

        buf[at] ^= 0x01;
        require_not_uniform(buf, len, at);
        buf[at] = saved;
    }
}

START_TEST(test_zero_page_is_uniform)
{
    uint8_t *page = calloc(1, 65536);

    require_uniform(page, PS, 0);
    require_uniform(page, 65536, 0);
    ck_assert(buffer_is_uniform(page, PS, NULL));
    free(page);
}
END_TEST

START_TEST(test_ff_page_is_uniform)
{
    uint8_t page[PS];

    memset(page, 0xff, sizeof(page));
    require_uniform(page, sizeof(page), 0xff);
}
END_TEST

START_TEST(test_any_fill_byte_is_reported)
{
    uint8_t page[PS];

    for (int b = 0; b < 256; b++) {
        memset(page, b, sizeof(page));
        require_uniform(page, sizeof(page), (uint8_t)b);
    }
}
END_TEST

START_TEST(test_odd_first_middle_or_last_byte_is_found)
{
    static const size_t sizes[] = { PS, 8192, 65536, 4104, 1000 };
    uint8_t *page = malloc(65536);

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t len = sizes[s];
        size_t positions[] = { 0, 1, len / 2, len - 64, len - 2, len - 1 };

        memset(page, 0, len);
        require_each_odd_byte_found(page, len, positions, 6);
        memset(page, 0xff, len);
        require_each_odd_byte_found(page, len, positions, 6);
    }
    free(page);
}
END_TEST

START_TEST(test_odd_byte_anywhere_in_a_page_is_found)
{
    uint8_t page[PS];

    memset(page, 0x42, sizeof(page));
    for (size_t at = 0; at < sizeof(page); at++) {
        page[at] = 0x43;
        require_not_uniform(page, sizeof(page), at);
        page[at] = 0x42;
    }
}
END_TEST

START_TEST(test_small_and_odd_lengths)
{
    uint8_t buf[300];

    for (size_t len = 1; len <= sizeof(buf); len++) {
        memset(buf, 0x7e, len);
        require_uniform(buf, len, 0x7e);
        /* (a single byte is always uniform) */
        for (size_t at = 0; len > 1 && at < len; at++) {
            buf[at] = 0x00;
            require_not_uniform(buf, len, at);
            buf[at] = 0x7e;
        }
    }
}
END_TEST

START_TEST(test_unaligned_buffers)
{
    uint8_t *buf = malloc(PS + 64);

    for (size_t offset = 1; offset < 64; offset++) {
        size_t positions[] = { 0, 100, PS - 65, PS - 1 };

        memset(buf, 0x11, PS + 64);
        require_uniform(buf + offset, PS, 0x11);
        require_each_odd_byte_found(buf + offset, PS, positions, 4);
    }
    free(buf);
}
END_TEST

START_TEST(test_bytes_outside_the_buffer_do_not_count)
{
    uint8_t buf[PS + 2];

    memset(buf, 0, sizeof(buf));
    buf[0] = buf[PS + 1] = 1;
    require_uniform(buf + 1, PS, 0);
}
END_TEST

START_TEST(test_empty_buffer_is_not_uniform)
{
    uint8_t fill = 0x5c, byte = 0;

    require_not_uniform(&byte, 0, 0);
    ck_assert(!buffer_is_uniform(&byte, 0, &fill));
    ck_assert_int_eq(fill, 0x5c);
}
END_TEST

START_TEST(test_selected_impl_is_available)
{
    BufferUniformImpl selected = buffer_uniform_impl_selected();

    ck_assert(buffer_uniform_impl_available(selected));
    ck_assert(buffer_uniform_impl_available(BUFFER_UNIFORM_REF));
    ck_assert(!buffer_uniform_impl_available(BUFFER_UNIFORM__MAX));
    for (BufferUniformImpl impl = selected + 1; impl < BUFFER_UNIFORM__MAX;
         impl++) {
        ck_assert(!buffer_uniform_impl_available(impl));
    }
}
END_TEST

static Suite *bufferzero_suite(void)
{
    Suite *s = suite_create("bufferzero");
    TCase *tc = tcase_create("uniform");

    tcase_add_test(tc, test_zero_page_is_uniform);
    tcase_add_test(tc, test_ff_page_is_uniform);
    tcase_add_test(tc, test_any_fill_byte_is_reported);
    tcase_add_test(tc, test_odd_first_middle_or_last_byte_is_found);
    tcase_add_test(tc, test_odd_byte_anywhere_in_a_page_is_found);
    tcase_add_test(tc, test_small_and_odd_lengths);
    tcase_add_test(tc, test_unaligned_buffers);
    tcase_add_test(tc, test_bytes_outside_the_buffer_do_not_count);
    tcase_add_test(tc, test_empty_buffer_is_not_uniform);
    tcase_add_test(tc, test_selected_impl_is_available);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(bufferzero_suite());
    int failed;

    printf("buffer_is_uniform implementations tested:");
    FOR_EACH_IMPL(impl) {
        printf(" %s%s", buffer_uniform_impl_name(impl),
               impl == buffer_uniform_impl_selected() ? " (selected)" : "");
    }
    printf("\n");
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
