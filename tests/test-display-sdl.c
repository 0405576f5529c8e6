/*
 * Specification of the SDL display, end to end: the emulator runs with
 * -display sdl on SDL's "dummy" video driver (no screen needed), and what
 * the window shows is read back through screendump, each 8x16 cell of the
 * PPM matched against the font. Without SDL in the build, the display is
 * refused clearly and only the tests that need no display run.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"
#include "ui/font.h"

#define COLS 80
#define ROWS 25
#define IDLE_GUEST "-kernel guests/idle.elf"

/* ---------------------------------------------------------------------- */
/* Reading a screendump back as text */

typedef struct Picture {
    int width, height;
    uint8_t *rgb;
} Picture;

static void picture_free(Picture *p)
{
    g_free(p->rgb);
    g_free(p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Picture, picture_free)

/* Parses a P6 file as render_write_ppm writes it (no comments). */
static Picture *picture_load(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;
    int width, height, maxval, header_len;

    ck_assert_msg(g_file_get_contents(path, &data, &len, NULL),
                  "no screendump at %s", path);
    ck_assert_int_eq(sscanf(data, "P6\n%d %d\n%d\n%n", &width, &height,
                            &maxval, &header_len), 3);
    ck_assert_int_eq(maxval, 255);
    ck_assert_uint_eq(len, (gsize)header_len + (gsize)width * height * 3);

    Picture *p = g_new(Picture, 1);
    p->width = width;
    p->height = height;
    p->rgb = g_malloc((gsize)width * height * 3);
    memcpy(p->rgb, data + header_len, (gsize)width * height * 3);
    return p;
}

static uint32_t picture_pixel(const Picture *p, int x, int y)
{
    const uint8_t *px = p->rgb + ((size_t)y * p->width + x) * 3;
    return px[0] << 16 | px[1] << 8 | px[2];
}

/* A cell's background: its top-left pixel, which no glyph covers. */
static uint32_t cell_background(const Picture *p, int col, int row)
{
    return picture_pixel(p, col * FONT_WIDTH, row * FONT_HEIGHT);
}

static bool cell_shows(const Picture *p, int col, int row, uint8_t ch)
{
    uint32_t bg = cell_background(p, col, row);

    for (int y = 0; y < FONT_HEIGHT; y++) {
        for (int x = 0; x < FONT_WIDTH; x++) {
            bool lit = picture_pixel(p, col * FONT_WIDTH + x,
                                     row * FONT_HEIGHT + y) != bg;
            if (lit != font_pixel(ch, x, y)) {
                return false;
            }
        }
    }
    return true;
}

/* The character whose glyph the cell shows, '?' when none matches. */
static char cell_char(const Picture *p, int col, int row)
{
    for (int c = 0x20; c < 0x7f; c++) {
        if (cell_shows(p, col, row, c)) {
            return c;
        }
    }
    return '?';
}

/* Row `row` as text, without trailing blanks (g_free it). */
static char *picture_row_text(const Picture *p, int row)
{
    GString *text = g_string_new(NULL);

    for (int col = 0; col < p->width / FONT_WIDTH; col++) {
        g_string_append_c(text, cell_char(p, col, row));
    }
    while (text->len && text->str[text->len - 1] == ' ') {
        g_string_truncate(text, text->len - 1);
    }
    return g_string_free(text, FALSE);
}

static Picture *screendump(QTestState *s)
{
    g_autofree char *path = qtest_path(s, "screen.ppm");

    qtest_qmp_ok_discard(s, "{'execute': 'screendump', "
                         "'arguments': {'filename': '%s'}}", path);
    return picture_load(path);
}

/* Takes screendumps until row 0 starts with `text` (the guest prints when
 * it gets there); fails the test after the libqmp timeout. */
static Picture *wait_for_row0(QTestState *s, const char *text)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000ll;

    for (;;) {
        Picture *p = screendump(s);
        g_autofree char *row = picture_row_text(p, 0);
        if (g_str_has_prefix(row, text)) {
            return p;
        }
        picture_free(p);
        ck_assert_msg(g_get_monotonic_time() < deadline,
                      "the display never showed '%s' (row 0: '%s')", text, row);
        g_usleep(20 * 1000);
    }
}

/* ---------------------------------------------------------------------- */
/* Without a display (any build) */

static int run_to_exit(const char *args, char **err)
{
    QTestOptions o = { .no_qmp = true };
    QTestState *s = qtest_start_opts(&o, "%s", args);
    int status = qtest_wait_exit(s, -1);

    *err = qtest_stderr(s);
    qtest_quit(s);
    return status;
}

START_TEST(test_serial_vc_without_the_sdl_display_is_refused)
{
    g_autofree char *err = NULL;

    ck_assert_int_eq(run_to_exit("-serial vc " IDLE_GUEST, &err), 1);
    ck_assert_msg(strstr(err, "-serial: vc is the console of the SDL display: "
                         "it needs -display sdl\n"), "stderr: %s", err);
}
END_TEST

START_TEST(test_screendump_without_a_display_is_an_error)
{
    QTestState *s = qtest_start("%s", IDLE_GUEST);
    g_autofree char *path = qtest_path(s, "none.ppm");

    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'screendump', 'arguments': {'filename': '%s'}}", path);
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_str_eq(qtest_error_desc(err), "no display (start with -display sdl)");
    g_autofree char *out = qtest_hmp(s, "screendump %s", path);
    ck_assert_str_eq(out, "no display (start with -display sdl)\r\n");
    ck_assert_int_ne(access(path, F_OK), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_display_sdl_is_refused_by_a_build_without_sdl)
{
    g_autofree char *err = NULL;

    ck_assert_int_eq(run_to_exit("-display sdl " IDLE_GUEST, &err), 1);
    ck_assert_msg(strstr(err, "-display: this binary was built without SDL"),
                  "stderr: %s", err);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* With the display */

START_TEST(test_the_display_shows_what_the_guest_prints)
{
    QTestState *s = qtest_start("-display sdl -serial vc %s", IDLE_GUEST);
    g_autoptr(Picture) p = wait_for_row0(s, "idle: halting");

    ck_assert_int_eq(p->width, COLS * FONT_WIDTH);
    ck_assert_int_eq(p->height, ROWS * FONT_HEIGHT);
    g_autofree char *row0 = picture_row_text(p, 0);
    ck_assert_str_eq(row0, "idle: halting");
    for (int row = 1; row < ROWS; row++) {
        g_autofree char *text = picture_row_text(p, row);
        ck_assert_str_eq(text, "");
    }
    /* The guest printed "\n": the cursor, an inverted cell, starts row 1. */
    uint32_t bg = cell_background(p, 1, 1);
    ck_assert_uint_ne(cell_background(p, 0, 1), bg);
    ck_assert_uint_eq(cell_background(p, 0, 0), bg);
    qtest_quit(s);
}
END_TEST

START_TEST(test_with_the_display_the_serial_port_defaults_to_its_console)
{
    QTestOptions o = { .no_defaults = true };
    QTestState *s = qtest_start_opts(&o, "-display sdl -machine accel=%s "
                                     "-m 64M %s", qtest_accel(), IDLE_GUEST);
    g_autoptr(Picture) p = wait_for_row0(s, "idle: halting");

    g_autofree char *out = qtest_stdout(s);
    ck_assert_msg(!strstr(out, "idle"), "stdout: %s", out);
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_screendump_writes_the_same_picture)
{
    QTestState *s = qtest_start("-display sdl -serial vc %s", IDLE_GUEST);
    g_autoptr(Picture) by_qmp = wait_for_row0(s, "idle: halting");
    g_autofree char *path = qtest_path(s, "hmp.ppm");

    g_autofree char *out = qtest_hmp(s, "screendump %s", path);
    ck_assert_str_eq(out, "");
    g_autoptr(Picture) by_hmp = picture_load(path);
    ck_assert_int_eq(by_hmp->width, by_qmp->width);
    ck_assert_int_eq(by_hmp->height, by_qmp->height);
    ck_assert_mem_eq(by_hmp->rgb, by_qmp->rgb,
                     (size_t)by_qmp->width * by_qmp->height * 3);
    qtest_quit(s);
}
END_TEST

START_TEST(test_screendump_that_cannot_be_written_fails_and_the_display_goes_on)
{
    QTestState *s = qtest_start("-display sdl -serial vc %s", IDLE_GUEST);

    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'screendump', "
        "'arguments': {'filename': '/nonexistent/dir/s.ppm'}}");
    ck_assert_str_eq(qtest_error_desc(err), "could not open "
                     "'/nonexistent/dir/s.ppm': No such file or directory");
    g_autoptr(Picture) p = wait_for_row0(s, "idle: halting");
    qtest_quit(s);
}
END_TEST

START_TEST(test_with_the_serial_port_elsewhere_the_console_says_so)
{
    QTestState *s = qtest_start("-display sdl -serial stdio %s", IDLE_GUEST);
    g_autoptr(Picture) p = wait_for_row0(s, "Nothing is connected to this console");

    qtest_expect_stdout(s, "idle: halting", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_quit_with_the_display_open_exits_0)
{
    QTestState *s = qtest_start("-display sdl -serial vc %s", IDLE_GUEST);
    g_autoptr(Picture) p = wait_for_row0(s, "idle: halting");

    qtest_qmp_ok_discard(s, "{'execute': 'quit'}");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    g_autofree char *err = qtest_stderr(s);
    ck_assert_str_eq(err, "");
    qtest_quit(s);
}
END_TEST

START_TEST(test_sigterm_with_the_display_open_exits_0)
{
    QTestState *s = qtest_start("-display sdl -serial vc %s", IDLE_GUEST);
    g_autoptr(Picture) p = wait_for_row0(s, "idle: halting");

    qtest_kill(s, SIGTERM);
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

/* Whether the emulator was built with SDL: -display sdl is refused at
 * once otherwise, before the (failing) -pidfile is even looked at. */
static bool emulator_has_sdl(void)
{
    g_autofree char *err = NULL;

    run_to_exit("-display sdl -pidfile /nonexistent/dir/pid", &err);
    return !strstr(err, "built without SDL");
}

static Suite *display_suite(bool sdl)
{
    Suite *s = suite_create("display-sdl");
    TCase *tc = tcase_create("no-display");
    qtest_tcase_timeout(tc, 3);
    tcase_add_test(tc, test_serial_vc_without_the_sdl_display_is_refused);
    tcase_add_test(tc, test_screendump_without_a_display_is_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("sdl");
    qtest_tcase_timeout(tc, 4);
    if (sdl) {
        tcase_add_test(tc, test_the_display_shows_what_the_guest_prints);
        tcase_add_test(tc, test_with_the_display_the_serial_port_defaults_to_its_console);
        tcase_add_test(tc, test_hmp_screendump_writes_the_same_picture);
        tcase_add_test(tc, test_screendump_that_cannot_be_written_fails_and_the_display_goes_on);
        tcase_add_test(tc, test_with_the_serial_port_elsewhere_the_console_says_so);
        tcase_add_test(tc, test_quit_with_the_display_open_exits_0);
        tcase_add_test(tc, test_sigterm_with_the_display_open_exits_0);
    } else {
        tcase_add_test(tc, test_display_sdl_is_refused_by_a_build_without_sdl);
    }
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* No window on a developer's screen; the children inherit this. */
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    bool sdl = emulator_has_sdl();
    if (!sdl) {
        printf("SKIP: the emulator was built without SDL: only the tests "
               "without a display run\n");
    }

    SRunner *runner = srunner_create(display_suite(sdl));
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
