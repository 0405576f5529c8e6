/*
 * Specification of the monitor on a terminal: the emulator runs on a
 * pseudo-terminal (-monitor stdio, or -nographic's mon:stdio) and the test
 * types keys and reads the screen: line editing, history, completion, and
 * the C-a commands of the console/monitor multiplexer.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"

#define UP "\033[A"
#define LEFT "\033[D"
#define CTRL_A "\001"
#define CTRL_U "\025"
#define BACKSPACE "\177"

static QTestState *start_terminal(const char *args)
{
    QTestOptions o = { .pty = true };
    QTestState *s = qtest_start_opts(&o, "%s", args);

    qtest_expect_stdout(s, "(qemu) ", 0);
    return s;
}

static QTestState *start_monitor_on_terminal(void)
{
    return start_terminal("-monitor stdio -serial null -name term");
}

static void type(QTestState *s, const char *keys)
{
    qtest_write_stdin(s, keys, strlen(keys));
}

/* Types keys, then waits until `expect` appears on the screen after them. */
static void type_and_expect(QTestState *s, const char *keys, const char *expect)
{
    size_t mark = qtest_stdout_len(s);
    type(s, keys);
    qtest_expect_stdout(s, expect, mark);
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------------- */
/* Line editing */

START_TEST(test_banner_and_prompt_on_the_terminal)
{
    QTestState *s = start_monitor_on_terminal();

    qtest_expect_stdout(s, "QEMU 1.0.50 monitor - type 'help' for more information", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_typed_line_is_echoed_and_run)
{
    QTestState *s = start_monitor_on_terminal();
    size_t mark = qtest_stdout_len(s);

    type_and_expect(s, "info version\r", "1.0.50 (xbzrle)");
    qtest_expect_stdout(s, "info version", mark);
    qtest_quit(s);
}
END_TEST

START_TEST(test_up_arrow_recalls_the_previous_line)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info version\r", "1.0.50 (xbzrle)");
    type_and_expect(s, UP, "(qemu) info version");
    type_and_expect(s, "\r", "1.0.50 (xbzrle)");
    qtest_quit(s);
}
END_TEST

START_TEST(test_history_goes_back_several_lines)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info name\r", "term");
    type_and_expect(s, "info version\r", "1.0.50 (xbzrle)");
    type_and_expect(s, UP UP, "(qemu) info name");
    type_and_expect(s, "\r", "term");
    qtest_quit(s);
}
END_TEST

START_TEST(test_home_key_then_insert_at_the_start)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "nfo version" CTRL_A "i\r", "1.0.50 (xbzrle)");
    qtest_quit(s);
}
END_TEST

START_TEST(test_left_arrow_then_insert_in_the_middle)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info versin" LEFT "o\r", "1.0.50 (xbzrle)");
    qtest_quit(s);
}
END_TEST

START_TEST(test_backspace_deletes_the_last_character)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info versionn" BACKSPACE "\r", "1.0.50 (xbzrle)");
    qtest_quit(s);
}
END_TEST

START_TEST(test_ctrl_u_erases_the_line)
{
    QTestState *s = start_monitor_on_terminal();
    size_t mark = qtest_stdout_len(s);

    type_and_expect(s, "bogus" CTRL_U "info version\r", "1.0.50 (xbzrle)");
    g_autofree char *screen = qtest_stdout(s);
    ck_assert_ptr_null(strstr(screen + mark, "unknown command"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_tab_completes_a_subcommand)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info vers\t\r", "1.0.50 (xbzrle)");
    qtest_quit(s);
}
END_TEST

START_TEST(test_tab_lists_the_candidates)
{
    QTestState *s = start_monitor_on_terminal();

    type_and_expect(s, "info \t", "status version name commands");
    qtest_quit(s);
}
END_TEST

/* The pty backend: the emulator names the terminal on stderr; a user opens
 * it (screen, minicom) and finds the line-editing monitor there. */
static int open_announced_pty(QTestState *s)
{
    static const char announce[] = "char device redirected to ";
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    for (;;) {
        g_autofree char *err = qtest_stderr(s);
        const char *p = strstr(err, announce);
        if (p && strstr(p, " (label")) {
            p += strlen(announce);
            g_autofree char *path = g_strndup(p, strcspn(p, " "));
            int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
            ck_assert_msg(fd >= 0, "open %s", path);
            return fd;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline, "no pty announced: %s", err);
        g_usleep(2000);
    }
}

static void pty_expect(int fd, const char *text)
{
    g_autoptr(GString) got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    while (!strstr(got->str, text)) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ck_assert_msg(left > 0 && poll(&pfd, 1, left) > 0, "got '%s'", got->str);
        char buf[512];
        ssize_t n = read(fd, buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        g_string_append_len(got, buf, n);
    }
}

START_TEST(test_monitor_on_a_pty)
{
    QTestState *s = qtest_start("-monitor pty");
    int fd = open_announced_pty(s);

    ck_assert_int_eq(write(fd, "\r", 1), 1);       /* a fresh prompt */
    pty_expect(fd, "(qemu) ");
    ck_assert_int_eq(write(fd, "info version\r", 13), 13);
    pty_expect(fd, "1.0.50 (xbzrle)");
    close(fd);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* -nographic: the serial console and the monitor share the terminal */

static QTestState *start_nographic(void)
{
    QTestOptions o = { .pty = true };
    QTestState *s = qtest_start_opts(&o, "-nographic");

    qtest_expect_stdout(s, "seed:", 0);     /* the console has the terminal */
    return s;
}

START_TEST(test_nographic_starts_on_the_serial_console)
{
    QTestState *s = start_nographic();
    /* A QMP round trip: the main loop is past its start-up work. */
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    g_autofree char *screen = qtest_stdout(s);

    ck_assert_ptr_null(strstr(screen, "(qemu)"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_ctrl_a_c_switches_to_the_monitor)
{
    QTestState *s = start_nographic();

    type_and_expect(s, CTRL_A "c", "(qemu) ");
    type_and_expect(s, "info status\r", "VM status: running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_monitor_banner_shows_once)
{
    QTestState *s = start_nographic();

    type_and_expect(s, CTRL_A "c", "(qemu) ");
    type(s, CTRL_A "c");                 /* back to the console */
    type_and_expect(s, CTRL_A "c", "(qemu) ");
    type_and_expect(s, "info version\r", "1.0.50 (xbzrle)");
    g_autofree char *screen = qtest_stdout(s);
    ck_assert_int_eq(count(screen, "QEMU 1.0.50 monitor"), 1);
    qtest_quit(s);
}
END_TEST

START_TEST(test_ctrl_a_h_prints_the_escape_help)
{
    QTestState *s = start_nographic();

    type_and_expect(s, CTRL_A "h", "C-a x    exit the emulator");
    qtest_quit(s);
}
END_TEST

START_TEST(test_ctrl_a_x_exits_with_status_0)
{
    QTestState *s = start_nographic();

    type_and_expect(s, CTRL_A "x", "QEMU: Terminated");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    qtest_quit(s);
}
END_TEST

static Suite *terminal_suite(void)
{
    Suite *s = suite_create("monitor-terminal");
    TCase *tc = tcase_create("readline");
    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_banner_and_prompt_on_the_terminal);
    tcase_add_test(tc, test_typed_line_is_echoed_and_run);
    tcase_add_test(tc, test_up_arrow_recalls_the_previous_line);
    tcase_add_test(tc, test_history_goes_back_several_lines);
    tcase_add_test(tc, test_home_key_then_insert_at_the_start);
    tcase_add_test(tc, test_left_arrow_then_insert_in_the_middle);
    tcase_add_test(tc, test_backspace_deletes_the_last_character);
    tcase_add_test(tc, test_ctrl_u_erases_the_line);
    tcase_add_test(tc, test_tab_completes_a_subcommand);
    tcase_add_test(tc, test_tab_lists_the_candidates);
    tcase_add_test(tc, test_monitor_on_a_pty);
    suite_add_tcase(s, tc);

    tc = tcase_create("mux");
    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_nographic_starts_on_the_serial_console);
    tcase_add_test(tc, test_ctrl_a_c_switches_to_the_monitor);
    tcase_add_test(tc, test_monitor_banner_shows_once);
    tcase_add_test(tc, test_ctrl_a_h_prints_the_escape_help);
    tcase_add_test(tc, test_ctrl_a_x_exits_with_status_0);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(terminal_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
