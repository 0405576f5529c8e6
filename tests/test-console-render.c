/*
 * Specification of how a text screen is drawn (ui/render.h): one 8x16 cell
 * per character in the palette's colours, the font's pixels exactly, the
 * cursor as an inverted cell, and the PPM file screendump writes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-host.h"

#ifdef CONFIG_SDL
#include "ui/font.h"
#include "ui/render.h"
#include "ui/vt.h"

/* ---------------------------------------------------------------------- */
/* Helpers */

#define COLS 20
#define ROWS 3

static Vt *screen_with(const char *text)
{
    Vt *vt = g_new(Vt, 1);

    vt_init(vt, COLS, ROWS);
    vt_write(vt, (const uint8_t *)text, strlen(text));
    return vt;
}

static void screen_free(Vt *vt)
{
    vt_destroy(vt);
    g_free(vt);
}

static uint32_t pixel(pixman_image_t *image, int x, int y)
{
    const uint32_t *data = pixman_image_get_data(image);
    int stride = pixman_image_get_stride(image) / 4;

    return data[y * stride + x] & 0xffffff;
}

/* Every pixel of cell (col, row) is `fg` where the font draws `ch` and
 * `bg` elsewhere. */
static void assert_cell(pixman_image_t *image, int col, int row, uint8_t ch,
                        uint32_t fg, uint32_t bg)
{
    for (int y = 0; y < FONT_HEIGHT; y++) {
        for (int x = 0; x < FONT_WIDTH; x++) {
            uint32_t want = font_pixel(ch, x, y) ? fg : bg;
            uint32_t got = pixel(image, col * FONT_WIDTH + x,
                                 row * FONT_HEIGHT + y);
            ck_assert_msg(got == want, "'%c' at (%d,%d) pixel (%d,%d): "
                          "%06x, expected %06x", ch, col, row, x, y, got, want);
        }
    }
}

#define FG render_palette_rgb(VT_DEFAULT_FG)
#define BG render_palette_rgb(VT_DEFAULT_BG)

/* ---------------------------------------------------------------------- */
/* Drawing */

START_TEST(test_the_image_has_one_8x16_cell_per_character)
{
    Vt *vt = screen_with("");
    pixman_image_t *image = render_screen(&vt->screen);

    ck_assert_int_eq(pixman_image_get_width(image), COLS * 8);
    ck_assert_int_eq(pixman_image_get_height(image), ROWS * 16);
    ck_assert_int_eq(pixman_image_get_format(image), PIXMAN_x8r8g8b8);
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

START_TEST(test_a_string_is_drawn_with_the_font_pixel_for_pixel)
{
    const char *text = "Hi! ~g@";
    Vt *vt = screen_with(text);
    vt->screen.cursor_visible = false;
    pixman_image_t *image = render_screen(&vt->screen);

    for (int i = 0; text[i]; i++) {
        assert_cell(image, i, 0, text[i], FG, BG);
    }
    assert_cell(image, strlen(text), 0, ' ', FG, BG);
    assert_cell(image, COLS - 1, ROWS - 1, ' ', FG, BG);
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

START_TEST(test_the_palette_is_the_usual_16_colours)
{
    ck_assert_uint_eq(render_palette_rgb(0), 0x000000);
    ck_assert_uint_eq(render_palette_rgb(1), 0xaa0000);
    ck_assert_uint_eq(render_palette_rgb(7), 0xaaaaaa);
    ck_assert_uint_eq(render_palette_rgb(9), 0xff5555);
    ck_assert_uint_eq(render_palette_rgb(15), 0xffffff);
}
END_TEST

START_TEST(test_cells_take_their_colours_from_the_palette)
{
    Vt *vt = screen_with("\x1b[31;44mR\x1b[1;42mB\x1b[0m");
    vt->screen.cursor_visible = false;
    pixman_image_t *image = render_screen(&vt->screen);

    assert_cell(image, 0, 0, 'R', render_palette_rgb(1), render_palette_rgb(4));
    assert_cell(image, 1, 0, 'B', render_palette_rgb(9), render_palette_rgb(2));
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

START_TEST(test_the_cursor_is_its_cell_inverted)
{
    Vt *vt = screen_with("ab\x1b[1;2H");
    pixman_image_t *image = render_screen(&vt->screen);

    assert_cell(image, 0, 0, 'a', FG, BG);
    assert_cell(image, 1, 0, 'b', BG, FG);
    pixman_image_unref(image);

    vt_write(vt, (const uint8_t *)"\x1b[?25l", 6);
    image = render_screen(&vt->screen);
    assert_cell(image, 1, 0, 'b', FG, BG);
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

START_TEST(test_bytes_the_font_lacks_are_drawn_as_its_box)
{
    Vt *vt = screen_with("\xe9");
    vt->screen.cursor_visible = false;
    pixman_image_t *image = render_screen(&vt->screen);

    assert_cell(image, 0, 0, 0xe9, FG, BG);
    ck_assert_uint_eq(pixel(image, 1, 0), FG);  /* the box's top edge */
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* PPM */

/* A file name of this test process (each test removes its file). */
static char *tmp_path(const char *name)
{
    return g_strdup_printf("%s/test-console-render-%d-%s", g_get_tmp_dir(),
                           (int)getpid(), name);
}

START_TEST(test_ppm_is_p6_with_the_image_pixels_row_by_row)
{
    Vt *vt = screen_with("\x1b[32mQ");
    pixman_image_t *image = render_screen(&vt->screen);
    g_autofree char *path = tmp_path("q.ppm");
    g_autofree char *data = NULL;
    gsize len;

    ck_assert_int_eq(render_write_ppm(image, path, NULL), 0);
    ck_assert(g_file_get_contents(path, &data, &len, NULL));
    const char *header = "P6\n160 48\n255\n";
    ck_assert_uint_eq(len, strlen(header) + 160 * 48 * 3);
    ck_assert_mem_eq(data, header, strlen(header));

    const uint8_t *rgb = (const uint8_t *)data + strlen(header);
    for (int y = 0; y < 48; y++) {
        for (int x = 0; x < 160; x++) {
            const uint8_t *p = rgb + (y * 160 + x) * 3;
            uint32_t got = p[0] << 16 | p[1] << 8 | p[2];
            ck_assert_uint_eq(got, pixel(image, x, y));
        }
    }
    pixman_image_unref(image);
    screen_free(vt);
    unlink(path);
}
END_TEST

START_TEST(test_ppm_replaces_an_existing_file)
{
    Vt *vt = screen_with("x");
    pixman_image_t *image = render_screen(&vt->screen);
    g_autofree char *path = tmp_path("old.ppm");
    g_autofree char *big = g_strnfill(1 << 20, 'o');
    struct stat st;

    ck_assert(g_file_set_contents(path, big, -1, NULL));
    ck_assert_int_eq(render_write_ppm(image, path, NULL), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, strlen("P6\n160 48\n255\n") + 160 * 48 * 3);
    pixman_image_unref(image);
    screen_free(vt);
    unlink(path);
}
END_TEST

START_TEST(test_ppm_where_it_cannot_be_created_fails_clearly)
{
    Vt *vt = screen_with("x");
    pixman_image_t *image = render_screen(&vt->screen);
    GError *err = NULL;

    ck_assert_int_lt(render_write_ppm(image, "/nonexistent/dir/s.ppm", &err), 0);
    ck_assert_str_eq(err->message, "could not open '/nonexistent/dir/s.ppm': "
                     "No such file or directory");
    g_error_free(err);
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

START_TEST(test_ppm_that_cannot_be_written_fails_and_spares_the_device)
{
    Vt *vt = screen_with("x");
    pixman_image_t *image = render_screen(&vt->screen);
    GError *err = NULL;

    if (access("/dev/full", W_OK) < 0) {
        printf("SKIP %s: no writable /dev/full\n", __func__);
    } else {
        ck_assert_int_lt(render_write_ppm(image, "/dev/full", &err), 0);
        ck_assert_str_eq(err->message,
                         "could not write '/dev/full': No space left on device");
        g_error_free(err);
        ck_assert_int_eq(access("/dev/full", F_OK), 0);
    }
    pixman_image_unref(image);
    screen_free(vt);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("console-render");
    TCase *tc = tcase_create("drawing");
    tcase_add_test(tc, test_the_image_has_one_8x16_cell_per_character);
    tcase_add_test(tc, test_a_string_is_drawn_with_the_font_pixel_for_pixel);
    tcase_add_test(tc, test_the_palette_is_the_usual_16_colours);
    tcase_add_test(tc, test_cells_take_their_colours_from_the_palette);
    tcase_add_test(tc, test_the_cursor_is_its_cell_inverted);
    tcase_add_test(tc, test_bytes_the_font_lacks_are_drawn_as_its_box);
    suite_add_tcase(s, tc);

    tc = tcase_create("ppm");
    tcase_add_test(tc, test_ppm_is_p6_with_the_image_pixels_row_by_row);
    tcase_add_test(tc, test_ppm_replaces_an_existing_file);
    tcase_add_test(tc, test_ppm_where_it_cannot_be_created_fails_clearly);
    tcase_add_test(tc, test_ppm_that_cannot_be_written_fails_and_spares_the_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(render_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else

int main(void)
{
    printf("SKIP: configured without SDL and pixman (./configure found no "
           "libsdl2-dev/libpixman-1-dev, or --disable-sdl): nothing draws "
           "the console\n");
    return EXIT_SUCCESS;
}

#endif
