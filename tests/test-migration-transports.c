/*
 * The rule, transport by transport: after a completed migration exactly one
 * guest runs (the destination's, with all the memory); after a failed or
 * cancelled one the source's runs and the destination's does not. Sources
 * and destinations on tcp:, unix:, fd: (a socket, a pipe) and exec: (a
 * relay to or from a socket, the way operators put nc or ssh in the path,
 * and a file saved then restored). docs/migration.md has the table.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"

/* ---------------------------------------------------------------------- */
/* Endpoints */

static const char *relay_binary(void)
{
    const char *b = getenv("QTEST_RELAY_BINARY");
    return b ? b : "build/tools/migration-relay";
}

static char *tcp_uri(void)
{
    return g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
}

/* A destination reading through `migration-relay from ADDR`, once the
 * relay listens. */
static QTestState *start_relayed_destination(const char *addr)
{
    g_autofree char *uri = g_strdup_printf("\"exec:%s from %s\"", relay_binary(), addr);
    QTestState *dst = migtest_start_destination("a-b", uri);

    for (int i = 0; i < 600; i++) {
        g_autofree char *err = qtest_stderr(dst);
        if (strstr(err, "migration-relay: listening")) {
            return dst;
        }
        usleep(10000);
    }
    ck_abort_msg("the relay did not listen: %s", qtest_stderr(dst));
    return NULL;
}

static char *relay_to(const char *addr)
{
    return g_strdup_printf("\"exec:%s to %s\"", relay_binary(), addr);
}

/* Hands the source a descriptor (getfd), to migrate to with "fd:migfd". */
static void give_fd(QTestState *src, int fd)
{
    g_autoptr(JsonObject) r = qmp_client_cmd_fd(qtest_qmp_client(src), fd,
        "{'execute': 'getfd', 'arguments': {'fdname': 'migfd'}}");
    ck_assert(json_object_has_member(r, "return"));
    close(fd);
}

static void set_return_path(QTestState *s, bool on)
{
    g_free(qtest_hmp(s, "migrate_set_capability return-path %s", on ? "on" : "off"));
}

/* ---------------------------------------------------------------------- */
/* Outcomes */

/* Completed: checked by migtest_check_a_b_migration (RAM identical, the
 * destination runs on, the source stays in postmigrate). */

/* The source guest runs on: its run state, and more of its output. */
static void assert_source_runs(QTestState *src)
{
    migtest_assert_run_state(src, "running");
    qtest_expect_stdout(src, "B", qtest_stdout_len(src));
}

/* The destination's guest does not run: the program ended (exec:, fd:), or
 * it waits for another stream (tcp:, unix:). */
static void assert_destination_does_not_run(QTestState *dst, bool exits)
{
    if (exits) {
        int status = qtest_wait_exit(dst, -1);
        ck_assert_msg(status == 1, "the destination's exit status: %d; stderr: %s",
                      status, qtest_stderr(dst));
        return;
    }
    migtest_assert_run_state(dst, "inmigrate");
    g_autoptr(JsonObject) info = qtest_query_migrate(dst);
    const char *status = json_object_has_member(info, "status")
                         ? json_object_get_string_member(info, "status") : "none";
    ck_assert_msg(strcmp(status, "completed"), "the destination completed");
}

/* Starts a slow migration (1 MB/s: 100 KB per 100 ms window), waits until
 * it has sent some windows' worth, cancels it. */
static void cancel_while_active(QTestState *src, const char *uri)
{
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "1M", "0.03");
    migtest_hmp_migrate(src, false, uri);
    for (int i = 0; i < 600; i++) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        if (json_object_has_member(info, "ram") &&
            migtest_member(info, "ram", "transferred") > 300000) {
            break;
        }
        usleep(10000);
    }
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    assert_source_runs(src);
}

/* ---------------------------------------------------------------------- */
/* Completed */

START_TEST(test_tcp_to_tcp_completes_with_one_guest)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    migtest_check_a_b_migration(src, dst, true, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_unix_to_unix_completes_with_one_guest)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("a-b", uri);

    migtest_check_a_b_migration(src, dst, true, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/*
 * fds[0] for the source (passed with getfd), fds[1] for the destination to
 * inherit: only that one crosses exec, so that each end has one holder and
 * a closed end is seen as closed.
 */
static void fd_pair(bool socket, int fds[2])
{
    if (socket) {
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    } else {
        int p[2];
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        fds[0] = p[1];      /* the source writes */
        fds[1] = p[0];
    }
    fcntl(fds[1], F_SETFD, 0);
}

static void migrate_over_fds(bool socket)
{
    int fds[2];

    fd_pair(socket, fds);
    g_autofree char *in_uri = g_strdup_printf("fd:%d", fds[1]);
    QTestState *dst = migtest_start_destination("a-b", in_uri);
    close(fds[1]);
    QTestState *src = migtest_start_source("a-b", NULL);
    give_fd(src, fds[0]);

    migtest_check_a_b_migration(src, dst, true, "fd:migfd");
    qtest_quit(src);
    qtest_quit(dst);
}

START_TEST(test_fd_socket_to_fd_socket_completes_with_one_guest)
{
    migrate_over_fds(true);
}
END_TEST

/* No way back: QEMU's semantics, the destination runs at the end. */
START_TEST(test_fd_pipe_to_fd_pipe_completes_with_one_guest)
{
    migrate_over_fds(false);
}
END_TEST

START_TEST(test_exec_relay_to_tcp_completes_with_one_guest)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *relay = relay_to(uri);

    migtest_check_a_b_migration(src, dst, true, relay);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_exec_relay_to_unix_completes_with_one_guest)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("a-b", uri);
    g_autofree char *relay = relay_to(uri);

    migtest_check_a_b_migration(src, dst, true, relay);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A relay that carries the stream one way only: the source, told that the
 * return path is off, ends the QEMU way. */
START_TEST(test_tcp_to_exec_relay_completes_with_return_path_off)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = start_relayed_destination(uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    set_return_path(src, false);
    migtest_check_a_b_migration(src, dst, true, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* Two socket relays in the path, both ways: the handshake goes through. */
START_TEST(test_tcp_through_a_proxy_relay_to_tcp_completes_with_one_guest)
{
    g_autofree char *dst_uri = tcp_uri();
    g_autofree char *proxy_uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", dst_uri);
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *cmd = g_strdup_printf("%s proxy %s %s", relay_binary(),
                                           proxy_uri, dst_uri);
    GPid relay;
    gchar **argv = g_strsplit(cmd, " ", -1);

    ck_assert(g_spawn_async(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                            &relay, NULL));
    g_strfreev(argv);
    usleep(200000);     /* the relay prints nowhere we read: give it time */
    migtest_check_a_b_migration(src, dst, true, proxy_uri);
    kill(relay, SIGTERM);
    g_spawn_close_pid(relay);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* exec: both ways through a file: saved, then restored by another instance. */
START_TEST(test_exec_file_saved_then_restored_completes_with_one_guest)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *file = qtest_path(src, "vm.state");
    g_autofree char *out_uri = g_strdup_printf("\"exec:cat > %s\"", file);

    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "0", "0.03");
    migtest_hmp_migrate(src, true, out_uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_run_state(src, "postmigrate");

    g_autofree char *in_uri = g_strdup_printf("\"exec:cat %s\"", file);
    QTestState *dst = migtest_start_destination("a-b", in_uri);
    migtest_assert_ends(dst, "completed");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, "BB", before);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Refused: the source asks for the handshake, the destination cannot answer */

static void assert_refused_by_relayed_destination(const char *uri, QTestState *dst,
                                                  QTestState *src)
{
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "0", "0.03");
    migtest_hmp_migrate(src, true, uri);
    migtest_assert_ends(src, "failed");
    assert_source_runs(src);
    assert_destination_does_not_run(dst, true);
    g_autofree char *err = qtest_stderr(dst);
    ck_assert_msg(strstr(err, "cannot carry a reply"), "stderr: %s", err);
}

START_TEST(test_tcp_to_exec_relay_is_refused_and_the_source_runs)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = start_relayed_destination(uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    assert_refused_by_relayed_destination(uri, dst, src);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_unix_to_exec_relay_is_refused_and_the_source_runs)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = start_relayed_destination(uri);

    assert_refused_by_relayed_destination(uri, dst, src);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Cancelled and failed: the source's guest runs */

START_TEST(test_tcp_to_tcp_cancelled_leaves_the_source_running)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    cancel_while_active(src, uri);
    migtest_assert_ends(dst, "failed");
    assert_destination_does_not_run(dst, false);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_unix_to_unix_cancelled_leaves_the_source_running)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("a-b", uri);

    cancel_while_active(src, uri);
    migtest_assert_ends(dst, "failed");
    assert_destination_does_not_run(dst, false);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static void cancel_over_fds(bool socket)
{
    int fds[2];

    fd_pair(socket, fds);
    g_autofree char *in_uri = g_strdup_printf("fd:%d", fds[1]);
    QTestState *dst = migtest_start_destination("a-b", in_uri);
    close(fds[1]);
    QTestState *src = migtest_start_source("a-b", NULL);
    give_fd(src, fds[0]);

    cancel_while_active(src, "fd:migfd");
    assert_destination_does_not_run(dst, true);
    qtest_quit(src);
    qtest_quit(dst);
}

START_TEST(test_fd_socket_cancelled_leaves_the_source_running)
{
    cancel_over_fds(true);
}
END_TEST

START_TEST(test_fd_pipe_cancelled_leaves_the_source_running)
{
    cancel_over_fds(false);
}
END_TEST

START_TEST(test_exec_relay_to_tcp_cancelled_leaves_the_source_running)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *relay = relay_to(uri);

    cancel_while_active(src, relay);
    migtest_assert_ends(dst, "failed");
    assert_destination_does_not_run(dst, false);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_tcp_to_exec_relay_cancelled_leaves_the_source_running)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = start_relayed_destination(uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    set_return_path(src, false);
    cancel_while_active(src, uri);
    assert_destination_does_not_run(dst, true);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A killed destination: the source fails the migration and runs on; for a
 * listening destination a second try then completes. */
START_TEST(test_tcp_destination_killed_fails_the_migration_and_the_source_runs)
{
    g_autofree char *uri = tcp_uri();
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "1M", "0.03");
    migtest_hmp_migrate(src, false, uri);
    usleep(500000);
    qtest_kill(dst, SIGKILL);
    migtest_assert_ends(src, "failed");
    assert_source_runs(src);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *transports_suite(void)
{
    Suite *s = suite_create("migration-transports");
    TCase *done = tcase_create("completed");
    TCase *refused = tcase_create("refused");
    TCase *stopped = tcase_create("cancelled-or-failed");

    qtest_tcase_timeout(done, 8);
    qtest_tcase_timeout(refused, 6);
    qtest_tcase_timeout(stopped, 6);
    tcase_add_test(done, test_tcp_to_tcp_completes_with_one_guest);
    tcase_add_test(done, test_unix_to_unix_completes_with_one_guest);
    tcase_add_test(done, test_fd_socket_to_fd_socket_completes_with_one_guest);
    tcase_add_test(done, test_fd_pipe_to_fd_pipe_completes_with_one_guest);
    tcase_add_test(done, test_exec_relay_to_tcp_completes_with_one_guest);
    tcase_add_test(done, test_exec_relay_to_unix_completes_with_one_guest);
    tcase_add_test(done, test_tcp_to_exec_relay_completes_with_return_path_off);
    tcase_add_test(done, test_tcp_through_a_proxy_relay_to_tcp_completes_with_one_guest);
    tcase_add_test(done, test_exec_file_saved_then_restored_completes_with_one_guest);
    tcase_add_test(refused, test_tcp_to_exec_relay_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_unix_to_exec_relay_is_refused_and_the_source_runs);
    tcase_add_test(stopped, test_tcp_to_tcp_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_unix_to_unix_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_fd_socket_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_fd_pipe_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_exec_relay_to_tcp_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_tcp_to_exec_relay_cancelled_leaves_the_source_running);
    tcase_add_test(stopped, test_tcp_destination_killed_fails_the_migration_and_the_source_runs);
    suite_add_tcase(s, done);
    suite_add_tcase(s, refused);
    suite_add_tcase(s, stopped);
    return s;
}

int main(void)
{
    printf("accelerator: %s\n", qtest_accel());
    SRunner *sr = srunner_create(transports_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
