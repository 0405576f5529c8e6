/*
 * Specification of monitors that no client can block: a QMP or HMP client
 * that stops reading has its output queued, up to the cap, then is dropped;
 * meanwhile the other monitors, the guest and a migration carry on.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"

#define OUTPUT_CAP (1024 * 1024)    /* qemu-char.h */

/* The first monitor of the command line; libqmp adds its own after. */
#define STUCK_LABEL "monitor0"
#define STUCK_SOCKET "-qmp unix:{tmp}/stuck.sock,server,nowait"

/* ---------------------------------------------------------------------- */
/* Helpers */

static QTestState *start_with_stuck_socket(const char *extra)
{
    QTestOptions o = { .hmp = true };
    return qtest_start_opts(&o, STUCK_SOCKET " %s", extra);
}

/* What HMP "help" prints: the reply the stuck client asks for, many times. */
static char *help_text(QTestState *s)
{
    return qtest_hmp(s, "help");
}

/* How many "help" replies make at least `bytes` of output. */
static int replies_for(QTestState *s, size_t bytes)
{
    g_autofree char *help = help_text(s);
    return bytes / strlen(help) + 1;
}

/* Sends `count` human-monitor-command "help" requests, ids from `first`,
 * and reads nothing. False once the server has closed the connection. */
static bool send_help_requests(QmpClient *c, int first, int count)
{
    g_autoptr(GString) batch = g_string_new(NULL);

    for (int id = first; id < first + count; id++) {
        g_string_append_printf(batch, "{\"execute\": \"human-monitor-command\", "
                               "\"arguments\": {\"command-line\": \"help\"}, "
                               "\"id\": %d}\n", id);
    }
    return qmp_client_send_raw(c, batch->str, batch->len);
}

/* The stuck client's last request stops the guest: once the STOP event
 * reaches another client, the server has handled every earlier request of
 * the stuck one, and written or queued its replies. */
static void send_stop_and_wait_for_it(QTestState *s, QmpClient *stuck)
{
    static const char stop[] = "{\"execute\": \"stop\", \"id\": \"stop\"}\n";

    ck_assert(qmp_client_send_raw(stuck, stop, strlen(stop)));
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
}

static void assert_qmp_answers(QTestState *s, const char *status)
{
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(st),
                                                   "status"), status);
}

static void assert_hmp_answers(QTestState *s, const char *status_line)
{
    g_autofree char *out = qtest_hmp_line(s, "info status");
    ck_assert_str_eq(out, status_line);
}

static int count_occurrences(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* Waits until stderr holds `needle` (the log is read by another thread). */
static void expect_stderr(QTestState *s, const char *needle)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    for (;;) {
        g_autofree char *err = qtest_stderr(s);
        if (strstr(err, needle)) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline,
                      "'%s' not on stderr: %s", needle, err);
        g_usleep(2000);
    }
}

/* ---------------------------------------------------------------------- */
/* A QMP client that stops reading */

START_TEST(test_a_qmp_client_that_stops_reading_blocks_no_other_monitor)
{
    QTestState *s = start_with_stuck_socket("");
    QmpClient *stuck = qmp_client_connect(s, "stuck.sock", true);

    ck_assert(send_help_requests(stuck, 1, replies_for(s, OUTPUT_CAP / 2)));
    send_stop_and_wait_for_it(s, stuck);
    assert_qmp_answers(s, "paused");
    assert_hmp_answers(s, "VM status: paused\r\n");
    qmp_client_close(stuck);
    qtest_quit(s);
}
END_TEST

START_TEST(test_output_below_the_cap_arrives_in_full_and_in_order_once_read)
{
    QTestState *s = start_with_stuck_socket("");
    QmpClient *stuck = qmp_client_connect(s, "stuck.sock", true);
    g_autofree char *help = help_text(s);
    int count = replies_for(s, OUTPUT_CAP / 2);

    ck_assert(send_help_requests(stuck, 1, count));
    send_stop_and_wait_for_it(s, stuck);
    for (int id = 1; id <= count; id++) {
        g_autoptr(JsonObject) reply = qmp_client_receive(stuck);
        ck_assert_int_eq(json_object_get_int_member(reply, "id"), id);
        ck_assert_str_eq(json_object_get_string_member(reply, "return"), help);
    }
    g_autoptr(JsonObject) last = qmp_client_receive(stuck);
    ck_assert_str_eq(json_object_get_string_member(last, "id"), "stop");
    ck_assert(json_object_has_member(last, "return"));
    g_autofree char *err = qtest_stderr(s);
    ck_assert_ptr_null(strstr(err, STUCK_LABEL));
    qmp_client_close(stuck);
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_qmp_client_over_the_cap_is_disconnected_and_the_next_served)
{
    QTestState *s = start_with_stuck_socket("");
    QmpClient *stuck = qmp_client_connect(s, "stuck.sock", true);
    int total = replies_for(s, 3 * OUTPUT_CAP);

    for (int id = 1; id <= total; id += 64) {
        if (!send_help_requests(stuck, id, 64)) {
            break;      /* already dropped */
        }
    }
    /* The requests fit in the socket's buffer: sending them never fails.
     * Reading before the server dropped the client would take its output,
     * and a client that reads is not stuck. */
    expect_stderr(s, "chardev '" STUCK_LABEL "': the client reads no output");
    ck_assert(qmp_client_wait_closed(stuck));
    assert_qmp_answers(s, "running");
    assert_hmp_answers(s, "VM status: running\r\n");
    QmpClient *next = qmp_client_connect(s, "stuck.sock", true);
    g_autoptr(JsonNode) st = qmp_client_ok(next, "{'execute': 'query-status'}");
    g_autofree char *err = qtest_stderr(s);
    ck_assert_int_eq(count_occurrences(err, "chardev '" STUCK_LABEL "'"), 1);
    qmp_client_close(next);
    qmp_client_close(stuck);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP clients that stop reading */

#define XP_BYTES 100000     /* 8 per line: 12500 lines, about 740 KB */

START_TEST(test_an_hmp_client_that_stops_reading_blocks_no_qmp_client)
{
    QTestOptions o = { .hmp = true };
    QTestState *s = qtest_start_opts(&o, "%s", "");
    HmpClient *h = qtest_hmp_client(s);
    g_autofree char *lines = g_strdup_printf("xp /%dxb 0\nstop\n", XP_BYTES);

    ck_assert(hmp_client_send_raw(h, lines, strlen(lines)));
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
    assert_qmp_answers(s, "paused");
    /* Reading again, the HMP client gets all of it. */
    g_autofree char *dump = hmp_client_read_to_prompt(h);
    ck_assert_int_eq(count_occurrences(dump, "\r\n"), XP_BYTES / 8);
    ck_assert(g_str_has_prefix(dump, "0000000000000000:"));
    g_autofree char *after_stop = hmp_client_read_to_prompt(h);
    ck_assert_str_eq(after_stop, "");
    qtest_quit(s);
}
END_TEST

/* The pty the emulator announced on stderr, opened as a user's terminal
 * program would. */
static int open_announced_pty(QTestState *s)
{
    static const char announce[] = "char device redirected to ";

    expect_stderr(s, " (label " STUCK_LABEL ")");
    g_autofree char *err = qtest_stderr(s);
    const char *p = strstr(err, announce) + strlen(announce);
    g_autofree char *path = g_strndup(p, strcspn(p, " "));
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s", path);
    return fd;
}

/* Reads the terminal until `text` shows; whenever it has nothing more to
 * read, types `line` (output dropped earlier may have swallowed its
 * answer). */
static void pty_read_until(int fd, const char *line, const char *text)
{
    g_autoptr(GString) got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    while (!strstr(got->str, text)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "'%s' never shown",
                      text);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 50) == 0) {
            ck_assert_int_eq(write(fd, line, strlen(line)), strlen(line));
            continue;
        }
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        g_string_append_len(got, buf, n);
        if (got->len > 2 * strlen(text) + sizeof(buf)) {
            g_string_erase(got, 0, got->len - sizeof(buf));     /* keep the end */
        }
    }
}

START_TEST(test_a_pty_monitor_nobody_reads_drops_output_with_one_log_line)
{
    QTestState *s = qtest_start("-monitor pty");
    int fd = open_announced_pty(s);
    static const char lines[] = "xp /1000000xb 0\rstop\r";

    ck_assert_int_eq(write(fd, lines, strlen(lines)), strlen(lines));
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
    assert_qmp_answers(s, "paused");
    expect_stderr(s, "chardev '" STUCK_LABEL "': nothing reads the output");
    pty_read_until(fd, "info status\r", "VM status: paused");
    g_autofree char *err = qtest_stderr(s);
    ck_assert_int_eq(count_occurrences(err, "chardev '" STUCK_LABEL "':"), 1);
    close(fd);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A migration while a QMP client is stuck */

START_TEST(test_a_migration_completes_while_a_qmp_client_is_stuck)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = start_with_stuck_socket("-kernel guests/a-b.elf -m 64M");
    QmpClient *stuck = qmp_client_connect(src, "stuck.sock", true);

    ck_assert(send_help_requests(stuck, 1, replies_for(src, OUTPUT_CAP / 2)));
    send_stop_and_wait_for_it(src, stuck);
    qtest_qmp_ok_discard(src, "{'execute': 'cont'}");
    migtest_enable_events(src);
    migtest_set_params(src, "0", "5");
    migtest_hmp_migrate(src, false, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    assert_qmp_answers(src, "postmigrate");
    assert_hmp_answers(src, "VM status: paused (postmigrate)\r\n");
    qmp_client_close(stuck);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *stuck_suite(void)
{
    Suite *s = suite_create("monitor-stuck");
    TCase *tc = tcase_create("qmp");
    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_a_qmp_client_that_stops_reading_blocks_no_other_monitor);
    tcase_add_test(tc, test_output_below_the_cap_arrives_in_full_and_in_order_once_read);
    tcase_add_test(tc, test_a_qmp_client_over_the_cap_is_disconnected_and_the_next_served);
    suite_add_tcase(s, tc);

    tc = tcase_create("hmp");
    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_an_hmp_client_that_stops_reading_blocks_no_qmp_client);
    tcase_add_test(tc, test_a_pty_monitor_nobody_reads_drops_output_with_one_log_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("migration");
    qtest_tcase_timeout(tc, 10);
    tcase_add_test(tc, test_a_migration_completes_while_a_qmp_client_is_stuck);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(stuck_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
