/*
 * The promise under trouble: a failed or cancelled migration leaves the
 * source guest running and intact within a bounded time, whatever the
 * transport, the link or the peer does; after a completed migration exactly
 * one guest runs, with all its memory.
 *
 * The trouble: a link that goes silent (tests/proxy.h on loopback, and
 * tools/linkem's dead or unplugged links between network namespaces), a
 * peer that stops or dies, strangers and a second source on the incoming
 * port, exec: commands that never read, and a slow, distant, lossy link.
 *
 * Bounds are asserted only against "never" (the bound plus BOUND_SLACK_MS,
 * on a shared machine); every measured figure is printed ("bounds: ...")
 * so that it can be quoted.
 */
#include <check.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqmp.h"
#include "linkem.h"
#include "migration-helpers.h"
#include "proxy.h"
#include "qemu-sockets.h"

/* Short bounds where the test is about the bound, so that the suite stays
 * fast; the defaults (30 s, derived) only where a test says so. */
#define STALL_MS 2000
#define COMMIT_MS 2000
/* Only "never" (or "far too late") fails a test: a measured time may
 * exceed its bound by this much on a busy machine. */
#define BOUND_SLACK_MS 10000
/* A migration is in its iterative stage once this much RAM went out. */
#define SENT_BEFORE_TROUBLE 300000
/* The destination's wait for a stream header (migration-incoming.c). */
#define HEADER_TIMEOUT_MS 5000

/* ---------------------------------------------------------------------- */
/* Parameters, events, figures */

static void set_param(QTestState *s, const char *name, int64_t value)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'%s': %" PRId64 "}}", name, value);
}

static void set_stall_timeout(QTestState *s, int64_t ms)
{
    set_param(s, "x-stall-timeout", ms);
}

static int64_t now_us(void)
{
    return g_get_real_time();
}

/* An event's timestamp (the emulator's wall clock, like now_us()). */
static int64_t event_us(JsonObject *ev)
{
    JsonObject *ts = json_object_get_object_member(ev, "timestamp");
    return json_object_get_int_member(ts, "seconds") * G_USEC_PER_SEC +
           json_object_get_int_member(ts, "microseconds");
}

/* Prints a measured figure ("bounds: ..."), flushed: a failing test ends
 * without flushing. */
static void report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("bounds: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* Prints a measured time and fails only when it is far past its bound. */
static void assert_bounded(const char *what, int64_t ms, int64_t bound_ms)
{
    report("%s: %" PRId64 " ms (bound %" PRId64 " ms)", what, ms, bound_ms);
    ck_assert_msg(ms <= bound_ms + BOUND_SLACK_MS, "%s took %" PRId64 " ms, bound %"
                  PRId64 " ms", what, ms, bound_ms);
}

/* The next MIGRATION event with a final status. */
static JsonObject *wait_final_event(QTestState *s)
{
    for (;;) {
        JsonObject *ev = qtest_qmp_event(s, "MIGRATION");
        const char *status = json_object_get_string_member(
            json_object_get_object_member(ev, "data"), "status");
        if (strcmp(status, "setup") && strcmp(status, "active")) {
            return ev;
        }
        json_object_unref(ev);
    }
}

/* Waits for the migration to end `expected`; returns the ms from since_us
 * to the end's event. */
static int64_t ms_until_end(QTestState *s, int64_t since_us, const char *expected)
{
    g_autoptr(JsonObject) ev = wait_final_event(s);
    const char *status = json_object_get_string_member(
        json_object_get_object_member(ev, "data"), "status");

    ck_assert_msg(!strcmp(status, expected), "migration ended '%s', expected '%s'; "
                  "stderr: %s", status, expected, qtest_stderr(s));
    return (event_us(ev) - since_us) / 1000;
}

/* query-migrate says "failed" and why (g_free it). */
static char *failure_reason(QTestState *s)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(s);

    ck_assert_str_eq(json_object_get_string_member(info, "status"), "failed");
    ck_assert_msg(json_object_has_member(info, "error-desc"), "no error-desc");
    return g_strdup(json_object_get_string_member(info, "error-desc"));
}

static void assert_failed_because(QTestState *s, const char *cause)
{
    g_autofree char *why = failure_reason(s);

    report("error-desc: %s", why);
    ck_assert_msg(strstr(why, cause), "error-desc '%s' does not say '%s'", why, cause);
}

/* When the peer takes nothing, the source's wait for room to write ends
 * after the stall timeout, or the kernel gives up first on what it could
 * not deliver (TCP_USER_TIMEOUT, the same bound), saying why: it timed
 * out, or (an unplugged link) the network is unreachable. */
static void assert_failed_for_silence(QTestState *src)
{
    g_autofree char *why = failure_reason(src);

    report("error-desc: %s", why);
    ck_assert_msg(strstr(why, "took no data for 2 s") || strstr(why, "timed out") ||
                  strstr(why, "unreachable"),
                  "error-desc '%s' does not name the silence", why);
}

/* ---------------------------------------------------------------------- */
/* Migrations and outcomes */

static char *tcp_uri(int port)
{
    return g_strdup_printf("tcp:127.0.0.1:%d", port);
}

/* Waits until the source has sent `bytes`: it is in the iterative stage. */
static void wait_sent(QTestState *src, int64_t bytes)
{
    for (int i = 0; i < 3000; i++) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        const char *status = json_object_get_string_member(info, "status");
        ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "active"),
                      "the migration is %s before sending %" PRId64 " bytes: %s",
                      status, bytes, qtest_stderr(src));
        if (json_object_has_member(info, "ram") &&
            migtest_member(info, "ram", "transferred") >= bytes) {
            return;
        }
        usleep(10000);
    }
    ck_abort_msg("the source did not send %" PRId64 " bytes in 30 s", bytes);
}

/* At 1 MB/s the a-b guest's first pass alone takes a minute: the trouble
 * always comes during the iterative stage. */
static void start_slow_migration(QTestState *src, const char *uri)
{
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "1M", "0.03");
    migtest_hmp_migrate(src, false, uri);
    wait_sent(src, SENT_BEFORE_TROUBLE);
}

/* The first byte of the a-b guest's first page: every pass adds one. */
static uint8_t pass_counter(QTestState *s)
{
    g_autoptr(GBytes) b = qtest_pmemsave(s, MIGTEST_FREE_RAM_START, 1);
    return *(const uint8_t *)g_bytes_get_data(b, NULL);
}

/*
 * The source guest runs: its run state, its output, its RAM changing. Two
 * samples of a running guest's counter are equal one time in 256 (it
 * wraps), so a few are taken; a stopped guest's never change.
 */
static void assert_source_runs(QTestState *src)
{
    migtest_assert_run_state(src, "running");
    qtest_expect_stdout(src, "BB", qtest_stdout_len(src));
    uint8_t first = pass_counter(src);
    for (int i = 0; i < 100; i++) {
        usleep(10000);
        if (pass_counter(src) != first) {
            return;
        }
    }
    ck_abort_msg("the source guest's RAM stands still");
}

/* stderr says `text` (soon: the test reads it in a thread). */
static void assert_logged(QTestState *s, const char *text)
{
    for (int i = 0; i < 500; i++) {
        g_autofree char *err = qtest_stderr(s);
        if (strstr(err, text)) {
            return;
        }
        usleep(10000);
    }
    ck_abort_msg("stderr does not say '%s': %s", text, qtest_stderr(s));
}

/* A destination whose load failed reports it (query-migrate, stderr) and
 * waits for the next source, its guest not started. */
static void assert_destination_waits_again(QTestState *dst, const char *uri)
{
    g_autofree char *why = failure_reason(dst);
    g_autofree char *line = g_strdup_printf("load of migration failed: %s; waiting for "
                                            "a new connection on %s", why, uri);

    report("destination's error-desc: %s", why);
    assert_logged(dst, line);
    migtest_assert_run_state(dst, "inmigrate");
}

/* The stopped source and the paused destination hold the same RAM, which
 * the a-b guest left consistent. */
static void assert_same_a_b_ram(QTestState *src, QTestState *dst)
{
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);

    migtest_assert_same_ram(src_ram, dst_ram);
    migtest_assert_a_b_invariant(dst_ram);
}

/* A migration already under way is let go at full speed and completes. */
static void finish_at_full_speed(QTestState *src, QTestState *dst)
{
    migtest_set_params(src, "0", "5");
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    migtest_assert_run_state(src, "postmigrate");
    migtest_assert_run_state(dst, "paused");
    assert_same_a_b_ram(src, dst);
}

/* Both sides, each bounded by STALL_MS. */
static void set_stall_timeouts(QTestState *src, QTestState *dst)
{
    set_stall_timeout(src, STALL_MS);
    set_stall_timeout(dst, STALL_MS);
}

/* ---------------------------------------------------------------------- */
/* A link that goes silent (the proxy) */

/* Source -> proxy -> destination, all on loopback. */
typedef struct ProxiedPair {
    QTestState *src, *dst;
    TestProxy *proxy;
    char *dst_uri;      /* where the destination listens */
    char *uri;          /* where the source migrates to: the proxy */
} ProxiedPair;

static void proxied_pair_start(ProxiedPair *p)
{
    int port = qtest_free_tcp_port();
    g_autofree char *target = g_strdup_printf("127.0.0.1:%d", port);

    p->dst_uri = tcp_uri(port);
    p->dst = migtest_start_destination("a-b", p->dst_uri);
    p->src = migtest_start_source("a-b", NULL);
    p->proxy = test_proxy_start(target);
    p->uri = tcp_uri(test_proxy_port(p->proxy));
    set_stall_timeouts(p->src, p->dst);
}

static void proxied_pair_stop(ProxiedPair *p)
{
    qtest_quit(p->src);
    qtest_quit(p->dst);
    test_proxy_stop(p->proxy);
    g_free(p->dst_uri);
    g_free(p->uri);
}

START_TEST(test_link_silent_during_iteration_fails_both_sides_within_the_stall_timeout)
{
    ProxiedPair p;

    proxied_pair_start(&p);
    start_slow_migration(p.src, p.uri);
    int64_t silent_us = now_us();
    test_proxy_set_mode(p.proxy, PROXY_SILENT);

    /* The source's bound counts from its last progress: the socket buffers
     * fill first, then STALL_MS pass. */
    assert_bounded("source fails after the link went silent (proxy, iterative stage)",
                   ms_until_end(p.src, silent_us, "failed"), STALL_MS);
    assert_failed_for_silence(p.src);
    assert_source_runs(p.src);
    assert_bounded("destination fails after the link went silent (proxy)",
                   ms_until_end(p.dst, silent_us, "failed"), STALL_MS);
    assert_destination_waits_again(p.dst, p.dst_uri);

    test_proxy_set_mode(p.proxy, PROXY_PASS);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    proxied_pair_stop(&p);
}
END_TEST

/*
 * The only replies of a migration are the final stage's (LOADED, RESUMED):
 * a link silent back towards the source from the start loses exactly
 * LOADED. The source must give up within x-commit-timeout of stopping its
 * guest and resume it; the destination, never told COMMIT, must not run.
 */
START_TEST(test_link_silent_back_during_the_final_stage_resumes_the_source_within_the_commit_timeout)
{
    ProxiedPair p;

    proxied_pair_start(&p);
    set_param(p.src, "x-commit-timeout", COMMIT_MS);
    test_proxy_set_mode(p.proxy, PROXY_SILENT_BACK);
    qtest_expect_stdout(p.src, "B", 0);
    migtest_set_params(p.src, "0", "0.03");
    migtest_hmp_migrate(p.src, true, p.uri);

    g_autoptr(JsonObject) stop = qtest_qmp_event(p.src, "STOP");
    g_autoptr(JsonObject) resume = qtest_qmp_event(p.src, "RESUME");
    assert_bounded("source guest's pause when LOADED is lost (proxy, final stage)",
                   (event_us(resume) - event_us(stop)) / 1000, COMMIT_MS);
    migtest_assert_ends(p.src, "failed");
    assert_failed_because(p.src, "did not confirm");
    assert_source_runs(p.src);
    assert_bounded("destination fails after the source gave up (proxy, final stage)",
                   ms_until_end(p.dst, event_us(stop), "failed"), COMMIT_MS + STALL_MS);
    assert_destination_waits_again(p.dst, p.dst_uri);

    test_proxy_set_mode(p.proxy, PROXY_PASS);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    proxied_pair_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A peer that stops or dies */

typedef struct DirectPair {
    QTestState *src, *dst;
    char *uri;
} DirectPair;

static void direct_pair_start(DirectPair *p)
{
    p->uri = tcp_uri(qtest_free_tcp_port());
    p->dst = migtest_start_destination("a-b", p->uri);
    p->src = migtest_start_source("a-b", NULL);
    set_stall_timeouts(p->src, p->dst);
}

static void direct_pair_stop(DirectPair *p)
{
    qtest_quit(p->src);
    qtest_quit(p->dst);
    g_free(p->uri);
}

START_TEST(test_destination_that_stops_reading_fails_the_source_within_the_stall_timeout)
{
    DirectPair p;

    direct_pair_start(&p);
    start_slow_migration(p.src, p.uri);
    int64_t stopped_us = now_us();
    qtest_kill(p.dst, SIGSTOP);

    assert_bounded("source fails after the destination stopped reading",
                   ms_until_end(p.src, stopped_us, "failed"), STALL_MS);
    assert_failed_for_silence(p.src);
    assert_source_runs(p.src);

    /* Woken, it finds the stream cut short and waits for another. */
    qtest_kill(p.dst, SIGCONT);
    migtest_assert_ends(p.dst, "failed");
    assert_destination_waits_again(p.dst, p.uri);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    direct_pair_stop(&p);
}
END_TEST

START_TEST(test_source_that_stops_fails_the_destination_within_its_stall_timeout)
{
    DirectPair p;

    direct_pair_start(&p);
    start_slow_migration(p.src, p.uri);
    int64_t stopped_us = now_us();
    qtest_kill(p.src, SIGSTOP);

    assert_bounded("destination fails after the source stopped",
                   ms_until_end(p.dst, stopped_us, "failed"), STALL_MS);
    assert_failed_because(p.dst, "no data from");
    assert_destination_waits_again(p.dst, p.uri);

    /* Partly loaded RAM is overwritten by the next source's stream. */
    qtest_kill(p.src, SIGKILL);
    qtest_quit(p.src);
    p.src = migtest_start_source("a-b", NULL);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    direct_pair_stop(&p);
}
END_TEST

START_TEST(test_source_killed_mid_stream_sends_the_destination_back_to_waiting)
{
    DirectPair p;

    direct_pair_start(&p);
    start_slow_migration(p.src, p.uri);
    int64_t killed_us = now_us();
    qtest_kill(p.src, SIGKILL);

    assert_bounded("destination fails after the source was killed",
                   ms_until_end(p.dst, killed_us, "failed"), STALL_MS);
    assert_destination_waits_again(p.dst, p.uri);
    qtest_quit(p.src);
    p.src = migtest_start_source("a-b", NULL);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    direct_pair_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Strangers and a second source on the incoming port */

static int connect_stranger(const char *uri)
{
    int fd = inet_connect(uri + strlen("tcp:"), NULL);

    ck_assert_msg(fd >= 0, "cannot connect to %s", uri);
    return fd;
}

/* What the destination logs when it closes the stranger's connection. */
static void assert_refusal_logged(QTestState *dst, int stranger, const char *why)
{
    g_autofree char *line = g_strdup_printf("refused the connection from 127.0.0.1:%d: %s",
                                            socket_local_port(stranger, NULL), why);
    assert_logged(dst, line);
}

/* Waits until the destination closes the stranger's connection; the ms it
 * took from since_us. */
static int64_t ms_until_closed(int fd, int64_t since_us)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    char buf[256];

    for (;;) {
        int r = poll(&pfd, 1, HEADER_TIMEOUT_MS + BOUND_SLACK_MS);
        ck_assert_msg(r == 1, "the destination never closed the stranger's connection");
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            return (now_us() - since_us) / 1000;
        }
    }
}

START_TEST(test_stranger_that_sends_nothing_does_not_keep_the_source_out)
{
    DirectPair p;

    direct_pair_start(&p);
    int64_t connected_us = now_us();
    int stranger = connect_stranger(p.uri);

    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    assert_bounded("a silent stranger's connection closed",
                   ms_until_closed(stranger, connected_us), HEADER_TIMEOUT_MS);
    assert_refusal_logged(p.dst, stranger, "no stream header within 5 s");
    close(stranger);
    direct_pair_stop(&p);
}
END_TEST

START_TEST(test_stranger_that_sends_garbage_is_refused_and_the_source_succeeds)
{
    DirectPair p;
    static const char garbage[] = "GET / HTTP/1.1\r\nHost: migration\r\n\r\n";

    direct_pair_start(&p);
    int64_t connected_us = now_us();
    int stranger = connect_stranger(p.uri);
    ck_assert_int_eq(send(stranger, garbage, strlen(garbage), MSG_NOSIGNAL),
                     (ssize_t)strlen(garbage));
    assert_bounded("a garbage-sending stranger's connection closed",
                   ms_until_closed(stranger, connected_us), 0);
    assert_refusal_logged(p.dst, stranger, "not a migration stream");
    close(stranger);

    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    direct_pair_stop(&p);
}
END_TEST

START_TEST(test_stranger_with_a_truncated_header_does_not_keep_the_source_out)
{
    DirectPair p;
    static const uint8_t half_header[] = { 'Q', 'E', 'V', 'M' };

    direct_pair_start(&p);
    int64_t connected_us = now_us();
    int stranger = connect_stranger(p.uri);
    ck_assert_int_eq(send(stranger, half_header, sizeof(half_header), MSG_NOSIGNAL),
                     (ssize_t)sizeof(half_header));

    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    assert_bounded("a truncated header's connection closed",
                   ms_until_closed(stranger, connected_us), HEADER_TIMEOUT_MS);
    assert_refusal_logged(p.dst, stranger, "no stream header within 5 s");
    close(stranger);
    direct_pair_stop(&p);
}
END_TEST

START_TEST(test_second_source_while_a_stream_loads_is_refused_and_the_first_completes)
{
    DirectPair p;

    direct_pair_start(&p);
    start_slow_migration(p.src, p.uri);

    QTestState *second = migtest_start_source("a-b", NULL);
    qtest_expect_stdout(second, "B", 0);
    migtest_hmp_migrate(second, false, p.uri);
    migtest_assert_ends(second, "failed");
    assert_failed_because(second, "another migration is being loaded here");
    assert_source_runs(second);
    assert_logged(p.dst, "another migration is being loaded here");

    finish_at_full_speed(p.src, p.dst);
    qtest_quit(second);
    direct_pair_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* exec: commands */

/* The fields of /proc/PID/stat after the command's name: state, ppid, pgrp. */
static bool proc_stat(const char *pid, char *state, pid_t *ppid, pid_t *pgrp)
{
    g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid);
    g_autofree char *text = NULL;
    int pp, pg;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return false;       /* gone meanwhile */
    }
    const char *after_name = strrchr(text, ')');
    if (!after_name || sscanf(after_name + 1, " %c %d %d", state, &pp, &pg) != 3) {
        return false;
    }
    *ppid = pp;
    *pgrp = pg;
    return true;
}

/*
 * What is left of an exec: command: the emulator's children in any state
 * (a zombie is a child it did not reap), and the live processes of the
 * command's group (a killed grandchild is a zombie of whoever inherited
 * it, init here, which reaps in its own time). The first one's pid in
 * *first.
 */
static int count_command_processes(pid_t emulator, pid_t group, pid_t *first)
{
    GDir *dir = g_dir_open("/proc", 0, NULL);
    const char *name;
    int n = 0;

    ck_assert(dir);
    while ((name = g_dir_read_name(dir))) {
        char state;
        pid_t pp, pg;
        if (!g_ascii_isdigit(name[0]) || !proc_stat(name, &state, &pp, &pg)) {
            continue;
        }
        if (pp == emulator || (group > 0 && pg == group && state != 'Z')) {
            if (first && n == 0) {
                *first = atoi(name);
            }
            n++;
        }
    }
    g_dir_close(dir);
    return n;
}

/* The exec: command's process group, once the shell (the emulator's
 * child, the group's leader) has started its own child. */
static pid_t wait_command_started(QTestState *src)
{
    for (int i = 0; i < 1000; i++) {
        pid_t shell;
        if (count_command_processes(qtest_pid(src), 0, &shell) > 0 &&
            count_command_processes(qtest_pid(src), shell, NULL) >= 2) {
            return shell;
        }
        usleep(10000);
    }
    ck_abort_msg("the exec: command never started");
    return -1;
}

/* Waits until nothing of the command is left; the ms it took from since_us. */
static int64_t ms_until_command_gone(QTestState *src, pid_t group, int64_t since_us)
{
    int64_t deadline = now_us() + (int64_t)BOUND_SLACK_MS * 2 * 1000;

    while (count_command_processes(qtest_pid(src), group, NULL) > 0) {
        ck_assert_msg(now_us() < deadline, "the exec: command's processes remain");
        usleep(10000);
    }
    return (now_us() - since_us) / 1000;
}

/* A command that never reads, with a child of its own ("; true" keeps the
 * shell waiting for sleep). */
#define DEAF_COMMAND "\"exec:sleep 3600; true\""
/* exec_finish_child: SIGTERM, SIGKILL a second later. */
#define KILL_GRACE_MS 1000

START_TEST(test_cancelled_exec_migration_kills_and_reaps_its_command)
{
    QTestState *src = migtest_start_source("a-b", NULL);

    qtest_expect_stdout(src, "B", 0);
    migtest_hmp_migrate(src, false, DEAF_COMMAND);
    pid_t group = wait_command_started(src);

    int64_t cancelled_us = now_us();
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    assert_bounded("a cancelled exec: command's processes gone",
                   ms_until_command_gone(src, group, cancelled_us), KILL_GRACE_MS);
    assert_source_runs(src);
    qtest_quit(src);
}
END_TEST

START_TEST(test_failed_exec_migration_kills_and_reaps_its_command)
{
    QTestState *src = migtest_start_source("a-b", NULL);

    set_stall_timeout(src, STALL_MS);
    qtest_expect_stdout(src, "B", 0);
    int64_t started_us = now_us();
    migtest_hmp_migrate(src, false, DEAF_COMMAND);
    pid_t group = wait_command_started(src);

    assert_bounded("an exec: migration into a command that never reads fails",
                   ms_until_end(src, started_us, "failed"), STALL_MS);
    assert_failed_because(src, "took no data for 2 s");
    assert_bounded("a failed exec: command's processes gone (from the start)",
                   ms_until_command_gone(src, group, started_us), STALL_MS + KILL_GRACE_MS);
    assert_source_runs(src);
    qtest_quit(src);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Emulated links (tools/linkem): the source in namespace a, the
 * destination in b */

#define LINK_PORT 4444

typedef struct LinkedPair {
    Linkem *link;
    QTestState *src, *dst;
    char *uri;
} LinkedPair;

static void linked_pair_start(LinkedPair *p, const LinkemParams *params, const char *guest)
{
    p->link = linkem_start(params);
    p->uri = g_strdup_printf("tcp:%s:%d", linkem_addr_b(p->link), LINK_PORT);
    QTestOptions in_a = { .netns = linkem_netns_a(p->link) };
    QTestOptions in_b = { .netns = linkem_netns_b(p->link) };
    p->dst = qtest_start_opts(&in_b, "-kernel guests/%s.elf -m 64M -S -incoming %s",
                              guest, p->uri);
    p->src = qtest_start_opts(&in_a, "-kernel guests/%s.elf -m 64M", guest);
    migtest_enable_events(p->src);
    migtest_enable_events(p->dst);
}

static void linked_pair_stop(LinkedPair *p)
{
    qtest_quit(p->src);
    qtest_quit(p->dst);
    linkem_stop(p->link);
    g_free(p->uri);
}

/* Source fails within its bound and runs; destination waits again; the
 * link back, a new migration completes with identical RAM. */
static void assert_outage_handled(LinkedPair *p, int64_t since_us, const char *what,
                                  int64_t source_bound_ms)
{
    g_autofree char *src_what = g_strdup_printf("source fails after %s", what);
    g_autofree char *dst_what = g_strdup_printf("destination fails after %s", what);

    assert_bounded(src_what, ms_until_end(p->src, since_us, "failed"), source_bound_ms);
    assert_source_runs(p->src);
    assert_bounded(dst_what, ms_until_end(p->dst, since_us, "failed"),
                   source_bound_ms + STALL_MS);
    assert_destination_waits_again(p->dst, p->uri);
}

START_TEST(test_dead_link_during_iteration_fails_the_source_within_the_stall_timeout)
{
    LinkedPair p;

    linked_pair_start(&p, NULL, "a-b");
    set_stall_timeouts(p.src, p.dst);
    start_slow_migration(p.src, p.uri);
    int64_t dead_us = now_us();
    linkem_set(p.link, "dead on");

    assert_outage_handled(&p, dead_us, "the link died (iterative stage)", STALL_MS);
    assert_failed_for_silence(p.src);
    linkem_set(p.link, "dead off");
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    linked_pair_stop(&p);
}
END_TEST

START_TEST(test_link_down_during_iteration_fails_the_source_within_the_stall_timeout)
{
    LinkedPair p;

    linked_pair_start(&p, NULL, "a-b");
    set_stall_timeouts(p.src, p.dst);
    start_slow_migration(p.src, p.uri);
    int64_t down_us = now_us();
    linkem_link_down(p.link, true);

    assert_outage_handled(&p, down_us, "the link went down (iterative stage)", STALL_MS);
    assert_failed_for_silence(p.src);
    linkem_link_down(p.link, false);
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    linked_pair_stop(&p);
}
END_TEST

/*
 * The final stage lasts at least a round trip (the stream's end there,
 * LOADED back): with 100 ms each way the link is dead well before LOADED
 * can arrive, however late the test hears STOP. A 1 s downtime limit fits
 * the handshake's 300 ms and XBZRLE's small deltas. The source's stall
 * timeout is above x-commit-timeout, so that the final stage's own bound
 * is the one that ends it (otherwise the kernel's TCP_USER_TIMEOUT, the
 * stall timeout, may come first: a bound all the same).
 */
#define FINAL_STAGE_DELAY "100ms"
#define FINAL_STAGE_COMMIT_MS 3000
#define FINAL_STAGE_SOURCE_STALL_MS 10000

START_TEST(test_dead_link_during_the_final_stage_resumes_the_source_within_the_commit_timeout)
{
    LinkedPair p;

    linked_pair_start(&p, &(LinkemParams){ .delay = FINAL_STAGE_DELAY }, "a-b");
    set_stall_timeout(p.src, FINAL_STAGE_SOURCE_STALL_MS);
    set_stall_timeout(p.dst, STALL_MS);
    set_param(p.src, "x-commit-timeout", FINAL_STAGE_COMMIT_MS);
    qtest_expect_stdout(p.src, "B", 0);
    migtest_set_params(p.src, "0", "1");
    migtest_hmp_migrate(p.src, true, p.uri);
    g_autoptr(JsonObject) stop = qtest_qmp_event(p.src, "STOP");
    linkem_set(p.link, "dead on");
    report("link dead %" PRId64 " ms after the source stopped its guest",
           (now_us() - event_us(stop)) / 1000);

    g_autoptr(JsonObject) resume = qtest_qmp_event(p.src, "RESUME");
    assert_bounded("source guest's pause when the link dies in the final stage",
                   (event_us(resume) - event_us(stop)) / 1000, FINAL_STAGE_COMMIT_MS);
    assert_outage_handled(&p, event_us(stop), "the link died (final stage)",
                          FINAL_STAGE_COMMIT_MS);
    assert_failed_because(p.src, "did not confirm");

    linkem_set(p.link, "dead off");
    linkem_set(p.link, "delay 0");
    migtest_check_a_b_migration(p.src, p.dst, true, p.uri);
    linked_pair_stop(&p);
}
END_TEST

/* An outage shorter than the default stall timeout (30 s) is ridden out:
 * TCP retransmits once the link is back, and the migration completes. */
#define SHORT_OUTAGE_S 10

START_TEST(test_link_down_for_10_s_with_the_default_stall_timeout_completes)
{
    LinkedPair p;

    linked_pair_start(&p, NULL, "a-b");
    start_slow_migration(p.src, p.uri);
    linkem_link_down(p.link, true);
    sleep(SHORT_OUTAGE_S);
    g_autoptr(JsonObject) info = qtest_query_migrate(p.src);
    ck_assert_str_eq(json_object_get_string_member(info, "status"), "active");
    int64_t up_us = now_us();
    linkem_link_down(p.link, false);

    finish_at_full_speed(p.src, p.dst);
    report("migration completed %" PRId64 " ms after a %d s outage ended",
           (now_us() - up_us) / 1000, SHORT_OUTAGE_S);
    linked_pair_stop(&p);
}
END_TEST

/*
 * 100 Mbit/s, 20 ms each way, 1% loss each way. The downtime limit: the
 * handshake alone costs one and a half round trips (60 ms: the stream's
 * end there, LOADED back, COMMIT there), XBZRLE's last pass a few hundred
 * KB at the link's rate (tens of ms), and a lost packet in the final stage
 * costs a retransmission (a tail loss probe at two round trips, 80 ms):
 * 300 ms covers that with room, where 30 ms (the default) could never be
 * met on a 40 ms round trip. The measured downtime ends with the
 * destination's confirmation, so a shared, noisy machine gets the margin
 * tests/test-migration.c allows.
 */
#define FAR_DOWNTIME_MS 300
#define DOWNTIME_MARGIN_MS 50
/* No bandwidth limit, as a user would leave it: the estimate measures the
 * rate bytes leave the host, not how fast they fill socket buffers. */
#define FAR_BANDWIDTH 0
static const LinkemParams far_lossy_link = {
    .rate = "100mbit", .delay = "20ms", .loss = "1%",
};

/* Migrates with XBZRLE once the guest printed `output`; prints the
 * figures; returns the destination's RAM, the same as the source's. */
static GBytes *migrate_over_the_far_link(LinkedPair *p, const char *guest,
                                         const char *output)
{
    qtest_expect_stdout(p->src, output, 0);
    set_param(p->src, "max-bandwidth", FAR_BANDWIDTH);
    set_param(p->src, "downtime-limit", FAR_DOWNTIME_MS);
    migtest_hmp_migrate(p->src, true, p->uri);
    migtest_assert_ends(p->src, "completed");
    migtest_assert_ends(p->dst, "completed");
    migtest_assert_run_state(p->src, "postmigrate");
    migtest_assert_run_state(p->dst, "paused");

    g_autoptr(JsonObject) info = qtest_query_migrate(p->src);
    int64_t downtime = migtest_member(info, NULL, "downtime");
    report("%s guest with -x over 100 Mbit/s, 20 ms, 1%% loss: downtime %" PRId64
           " ms (limit %d), total %" PRId64 " ms, %" PRId64 " bytes, %" PRId64
           " passes, %" PRIu64 " packets lost", guest, downtime, FAR_DOWNTIME_MS,
           migtest_member(info, NULL, "total-time"),
           migtest_member(info, "ram", "transferred"),
           migtest_member(info, "ram", "dirty-sync-count"),
           linkem_stat(p->link, "a2b.lost") + linkem_stat(p->link, "b2a.lost"));
    ck_assert_int_le(downtime, FAR_DOWNTIME_MS + DOWNTIME_MARGIN_MS);

    g_autoptr(GBytes) src_ram = migtest_save_ram(p->src);
    GBytes *dst_ram = migtest_save_ram(p->dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    return dst_ram;
}

/* The seed guest prints '.' every 1000 passes over its 16 MiB buffer. */
START_TEST(test_seed_guest_with_xbzrle_completes_over_a_far_lossy_link)
{
    LinkedPair p;

    linked_pair_start(&p, &far_lossy_link, "seed");
    g_autoptr(GBytes) dst_ram = migrate_over_the_far_link(&p, "seed", ".");
    linked_pair_stop(&p);
}
END_TEST

START_TEST(test_a_b_guest_with_xbzrle_completes_over_a_far_lossy_link)
{
    LinkedPair p;

    linked_pair_start(&p, &far_lossy_link, "a-b");
    g_autoptr(GBytes) dst_ram = migrate_over_the_far_link(&p, "a-b", "B");
    migtest_assert_a_b_invariant(dst_ram);
    linked_pair_stop(&p);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *bounds_suite(bool with_links)
{
    Suite *s = suite_create("migration-bounds");
    TCase *silent = tcase_create("link-silent");
    TCase *peer = tcase_create("peer-stopped-or-killed");
    TCase *strangers = tcase_create("strangers");
    TCase *exec = tcase_create("exec-commands");

    qtest_tcase_timeout(silent, 6);
    qtest_tcase_timeout(peer, 6);
    qtest_tcase_timeout(strangers, 6);
    qtest_tcase_timeout(exec, 3);
    tcase_add_test(silent, test_link_silent_during_iteration_fails_both_sides_within_the_stall_timeout);
    tcase_add_test(silent, test_link_silent_back_during_the_final_stage_resumes_the_source_within_the_commit_timeout);
    tcase_add_test(peer, test_destination_that_stops_reading_fails_the_source_within_the_stall_timeout);
    tcase_add_test(peer, test_source_that_stops_fails_the_destination_within_its_stall_timeout);
    tcase_add_test(peer, test_source_killed_mid_stream_sends_the_destination_back_to_waiting);
    tcase_add_test(strangers, test_stranger_that_sends_nothing_does_not_keep_the_source_out);
    tcase_add_test(strangers, test_stranger_that_sends_garbage_is_refused_and_the_source_succeeds);
    tcase_add_test(strangers, test_stranger_with_a_truncated_header_does_not_keep_the_source_out);
    tcase_add_test(strangers, test_second_source_while_a_stream_loads_is_refused_and_the_first_completes);
    tcase_add_test(exec, test_cancelled_exec_migration_kills_and_reaps_its_command);
    tcase_add_test(exec, test_failed_exec_migration_kills_and_reaps_its_command);
    suite_add_tcase(s, silent);
    suite_add_tcase(s, peer);
    suite_add_tcase(s, strangers);
    suite_add_tcase(s, exec);
    if (!with_links) {
        return s;
    }

    TCase *dead = tcase_create("linkem-dead");
    TCase *outage = tcase_create("linkem-outage");
    TCase *far = tcase_create("linkem-far");
    qtest_tcase_timeout(dead, 8);
    qtest_tcase_timeout(outage, 6);
    qtest_tcase_timeout(far, 8);
    tcase_add_test(dead, test_dead_link_during_iteration_fails_the_source_within_the_stall_timeout);
    tcase_add_test(dead, test_link_down_during_iteration_fails_the_source_within_the_stall_timeout);
    tcase_add_test(dead, test_dead_link_during_the_final_stage_resumes_the_source_within_the_commit_timeout);
    tcase_add_test(outage, test_link_down_for_10_s_with_the_default_stall_timeout_completes);
    tcase_add_test(far, test_seed_guest_with_xbzrle_completes_over_a_far_lossy_link);
    tcase_add_test(far, test_a_b_guest_with_xbzrle_completes_over_a_far_lossy_link);
    suite_add_tcase(s, dead);
    suite_add_tcase(s, outage);
    suite_add_tcase(s, far);
    return s;
}

int main(void)
{
    g_autofree char *why = NULL;
    bool with_links = linkem_available(&why);

    printf("accelerator: %s\n", qtest_accel());
    if (!with_links) {
        printf("SKIP (emulated links): they need network namespaces: %s\n", why);
    }
    SRunner *sr = srunner_create(bounds_suite(with_links));
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
