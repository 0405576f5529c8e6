/*
 * Live migration end to end: two emulator processes driven through their
 * monitors as a user would. The guest runs under KVM when /dev/kvm is
 * usable, else under the software accelerator (QTEST_ACCEL chooses).
 * The a-b guest's invariant is described in tests/migration-helpers.h.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"

#define GUEST_RAM MIGTEST_RAM
#define PAGE MIGTEST_PAGE
/* Downtime is measured from the guest's stop to the destination's
 * acknowledgement; on a shared, noisy machine allow this much on top of
 * the limit. */
#define DOWNTIME_MARGIN_MS 50

/* ---------------------------------------------------------------------- */
/* Helpers */

static void migrate_a_b_over_tcp(bool xbzrle)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = migtest_start_destination("a-b", uri);
    QTestState *src = migtest_start_source("a-b", NULL);

    migtest_check_a_b_migration(src, dst, xbzrle, uri);
    qtest_quit(src);
    qtest_quit(dst);
}

static void migrate_a_b_over_unix(bool xbzrle)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("a-b", uri);

    migtest_check_a_b_migration(src, dst, xbzrle, uri);
    qtest_quit(src);
    qtest_quit(dst);
}

/* exec: both ways through a file: the saved state restored later. */
static void migrate_a_b_through_a_file(bool xbzrle)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *file = qtest_path(src, "vm.state");
    g_autofree char *out_uri = g_strdup_printf("\"exec:cat > %s\"", file);

    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "0", xbzrle ? "0.03" : "5");
    migtest_hmp_migrate(src, xbzrle, out_uri);
    migtest_assert_ends(src, "completed");

    g_autofree char *in_uri = g_strdup_printf("\"exec:cat %s\"", file);
    QTestState *dst = migtest_start_destination("a-b", in_uri);
    migtest_assert_ends(dst, "completed");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    migtest_assert_a_b_invariant(dst_ram);
    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, "BB", before);
    qtest_quit(src);
    qtest_quit(dst);
}

/* fd: the source gets a connected socket with getfd; the destination
 * inherits the other end as a descriptor number. */
static void migrate_a_b_over_fds(bool xbzrle)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    g_autofree char *in_uri = g_strdup_printf("fd:%d", sv[1]);
    QTestState *dst = migtest_start_destination("a-b", in_uri);
    close(sv[1]);
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autoptr(JsonObject) r = qmp_client_cmd_fd(qtest_qmp_client(src), sv[0],
        "{'execute': 'getfd', 'arguments': {'fdname': 'migfd'}}");
    ck_assert(json_object_has_member(r, "return"));
    close(sv[0]);

    migtest_check_a_b_migration(src, dst, xbzrle, "fd:migfd");
    qtest_quit(src);
    qtest_quit(dst);
}

START_TEST(test_a_b_guest_migrates_over_tcp)
{
    migrate_a_b_over_tcp(false);
}
END_TEST

START_TEST(test_a_b_guest_migrates_over_tcp_with_xbzrle)
{
    migrate_a_b_over_tcp(true);
}
END_TEST

START_TEST(test_a_b_guest_migrates_over_unix)
{
    migrate_a_b_over_unix(false);
}
END_TEST

START_TEST(test_a_b_guest_migrates_over_unix_with_xbzrle)
{
    migrate_a_b_over_unix(true);
}
END_TEST

START_TEST(test_a_b_guest_saved_with_exec_restores)
{
    migrate_a_b_through_a_file(false);
}
END_TEST

START_TEST(test_a_b_guest_saved_with_exec_and_xbzrle_restores)
{
    migrate_a_b_through_a_file(true);
}
END_TEST

START_TEST(test_a_b_guest_migrates_over_fd)
{
    migrate_a_b_over_fds(false);
}
END_TEST

START_TEST(test_a_b_guest_migrates_over_fd_with_xbzrle)
{
    migrate_a_b_over_fds(true);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The proposal's seed guest at the defaults: 32 MiB/s, 30 ms */

static QTestState *seed_pair(QTestState **dst)
{
    QTestState *src = migtest_start_source("seed", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);

    *dst = migtest_start_destination("seed", uri);
    qtest_expect_stdout(src, ".", 0);
    return src;
}

static char *seed_uri(QTestState *src)
{
    g_autofree char *path = qtest_path(src, "mig.sock");
    return g_strdup_printf("unix:%s", path);
}

static void wait_iterations(QTestState *src, int64_t n)
{
    for (int i = 0; i < 600; i++) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        const char *status = json_object_get_string_member(info, "status");
        ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "active"),
                      "migration %s before %" G_GINT64_FORMAT " iterations", status, n);
        /* QEMU's query-migrate has no "ram" before the first pass starts. */
        if (json_object_has_member(info, "ram") &&
            migtest_member(info, "ram", "dirty-sync-count") >= n) {
            return;
        }
        usleep(50000);
    }
    ck_abort_msg("fewer than %" G_GINT64_FORMAT " iterations in 30 s", n);
}

START_TEST(test_seed_guest_without_xbzrle_never_converges)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    migtest_hmp_migrate(src, false, uri);
    wait_iterations(src, 10);
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    migtest_assert_run_state(src, "running");
    qtest_expect_stdout(src, ".", qtest_stdout_len(src));
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_seed_guest_with_xbzrle_converges_within_the_downtime)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    migtest_hmp_migrate(src, true, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);

    ck_assert_int_le(migtest_member(info, NULL, "downtime"), 30 + DOWNTIME_MARGIN_MS);
    ck_assert_int_gt(migtest_member(info, "xbzrle-cache", "pages"), 0);
    ck_assert_int_eq(migtest_member(info, "xbzrle-cache", "cache-lookup"),
                     migtest_member(info, "xbzrle-cache", "cache-hit") +
                     migtest_member(info, "xbzrle-cache", "cache-miss"));
    /* Bytes on the wire: those of duplicates and deltas, and the raw pages
     * (QEMU's normal-bytes: pages times the page size) with their headers. */
    int64_t counted = migtest_member(info, "ram", "duplicate-bytes") +
                      migtest_member(info, "ram", "normal-bytes") +
                      migtest_member(info, "xbzrle-cache", "bytes");
    int64_t normal = migtest_member(info, "ram", "normal");
    ck_assert_int_ge(migtest_member(info, "ram", "transferred"), counted + normal * 8);
    ck_assert_int_le(migtest_member(info, "ram", "transferred"), counted + normal * (8 + 1 + 255));
    ck_assert_int_ge(migtest_member(info, "ram", "duplicate") + migtest_member(info, "ram", "normal") +
                     migtest_member(info, "xbzrle-cache", "pages"), GUEST_RAM / PAGE);
    ck_assert_int_eq(migtest_member(info, "ram", "remaining"), 0);

    /* The proposal's statistics, through info migrate. */
    g_autofree char *text = qtest_hmp(src, "info migrate");
    ck_assert_ptr_nonnull(strstr(text, "Migration status: completed"));
    ck_assert_ptr_nonnull(strstr(text, "transferred ram-xbrle:"));
    ck_assert_ptr_nonnull(strstr(text, "cache-lookup ram-xbrle:"));

    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, ".", before);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Failures leave the source running */

START_TEST(test_cancelled_migration_can_be_started_again)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    migtest_hmp_migrate(src, false, uri);
    wait_iterations(src, 2);
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    migtest_assert_run_state(src, "running");
    /* The abandoned destination saw a truncated stream: it fails, and
     * waits for the next one on the same socket. */
    migtest_assert_ends(dst, "failed");
    migtest_assert_run_state(dst, "inmigrate");

    migtest_hmp_migrate(src, true, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_killed_destination_fails_the_migration_and_the_guest_runs_on)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    migtest_hmp_migrate(src, false, uri);
    wait_iterations(src, 1);
    qtest_kill(dst, SIGKILL);
    migtest_assert_ends(src, "failed");
    migtest_assert_run_state(src, "running");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert(json_object_has_member(info, "error-desc"));
    qtest_expect_stdout(src, ".", qtest_stdout_len(src));
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_cache_resized_during_migration)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    /* 4 MiB cannot hold the guest's 16 MiB working set. */
    g_free(qtest_hmp(src, "migrate_set_cachesize 4m"));
    migtest_hmp_migrate(src, true, uri);
    wait_iterations(src, 2);
    g_autoptr(JsonObject) before = qtest_query_migrate(src);
    ck_assert_int_eq(migtest_member(before, "xbzrle-cache", "cache-size"), 4 << 20);
    g_free(qtest_hmp(src, "migrate_set_cachesize 64m"));
    migtest_assert_ends(src, "completed");
    g_autoptr(JsonObject) after = qtest_query_migrate(src);
    ck_assert_int_eq(migtest_member(after, "xbzrle-cache", "cache-size"), 64 << 20);
    ck_assert_int_gt(migtest_member(after, "xbzrle-cache", "cache-hit"), 0);
    migtest_assert_ends(dst, "completed");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A tcp: connection is made by the migration thread, not the monitor (a
 * network can take long): a refused one fails the migration, not the
 * command, and says why. */
START_TEST(test_migrate_over_tcp_to_nobody_fails_the_migration)
{
    QTestState *src = migtest_start_source("seed", NULL);

    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': 'tcp:127.0.0.1:%d'}}", qtest_free_tcp_port());
    migtest_assert_ends(src, "failed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_msg(strstr(json_object_get_string_member(info, "error-desc"), "refused"),
                  "error-desc: %s", json_object_get_string_member(info, "error-desc"));
    migtest_assert_run_state(src, "running");
    qtest_quit(src);
}
END_TEST

START_TEST(test_second_migrate_while_active_is_refused)
{
    QTestState *dst;
    QTestState *src = seed_pair(&dst);
    g_autofree char *uri = seed_uri(src);

    migtest_hmp_migrate(src, false, uri);
    g_autoptr(JsonObject) err = qtest_qmp_error(src,
        "{'execute': 'migrate', 'arguments': {'uri': '%s'}}", uri);
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_migrate_to_nobody_fails_at_once)
{
    QTestState *src = migtest_start_source("seed", NULL);
    g_autofree char *path = qtest_path(src, "nobody.sock");
    g_autoptr(JsonObject) err = qtest_qmp_error(src,
        "{'execute': 'migrate', 'arguments': {'uri': 'unix:%s'}}", path);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    migtest_assert_run_state(src, "running");
    qtest_quit(src);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Parameters and their commands */

START_TEST(test_cache_size_limits_are_enforced)
{
    QTestState *s = migtest_start_source("idle", NULL);

    g_autoptr(JsonObject) small = qtest_qmp_error(s,
        "{'execute': 'migrate_set_cachesize', 'arguments': {'value': 4095}}");
    ck_assert_str_eq(qtest_error_class(small), "GenericError");
    g_autoptr(JsonObject) big = qtest_qmp_error(s,
        "{'execute': 'migrate-set-cache-size', 'arguments': {'value': %u}}",
        GUEST_RAM + PAGE);
    ck_assert_str_eq(qtest_error_class(big), "GenericError");
    g_autofree char *hmp = qtest_hmp(s, "migrate_set_cachesize 12Q");
    ck_assert_ptr_nonnull(strstr(hmp, "invalid size '12Q'"));

    qtest_qmp_ok_discard(s, "{'execute': 'migrate_set_cachesize', 'arguments': {'value': 8388608}}");
    g_autoptr(JsonNode) size = qtest_qmp_ok(s, "{'execute': 'query-migrate-cache-size'}");
    ck_assert_int_eq(json_node_get_int(size), 8 << 20);
    g_autofree char *info = qtest_hmp(s, "info migrate_cache_size");
    ck_assert_ptr_nonnull(strstr(info, "8192 kbytes"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_xbzrle_capability_is_set_and_reported)
{
    QTestState *s = migtest_start_source("idle", NULL);

    g_autoptr(JsonNode) off = qtest_qmp_ok(s, "{'execute': 'query-migrate-capabilities'}");
    JsonObject *cap = json_array_get_object_element(json_node_get_array(off), 0);
    ck_assert_str_eq(json_object_get_string_member(cap, "capability"), "xbzrle");
    ck_assert(!json_object_get_boolean_member(cap, "state"));
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-capabilities', 'arguments': "
                         "{'capabilities': [{'capability': 'xbzrle', 'state': true}]}}");
    g_autofree char *info = qtest_hmp(s, "info migrate_capabilities");
    ck_assert_ptr_nonnull(strstr(info, "xbzrle: on"));
    g_free(qtest_hmp(s, "migrate_set_capability xbzrle off"));
    g_autofree char *info2 = qtest_hmp(s, "info migrate_capabilities");
    ck_assert_ptr_nonnull(strstr(info2, "xbzrle: off"));
    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'migrate-set-capabilities', 'arguments': "
        "{'capabilities': [{'capability': 'compress', 'state': true}]}}");
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    qtest_quit(s);
}
END_TEST

/* The proposal's scenario, typed at the human monitor: without -d,
 * migrate holds the prompt until the end and says how it ended; then
 * info migrate prints the proposal's lines in its order. */
START_TEST(test_hmp_migrate_waits_for_the_end_and_info_migrate_prints_every_line)
{
    QTestOptions o = { .hmp = true };
    QTestState *src = qtest_start_opts(&o, "-kernel guests/seed.elf -m 64M");
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("seed", uri);
    static const char *const lines[] = {
        "Migration status: completed", "transferred ram: ", "remaining ram: 0 kbytes",
        "total ram: 65536 kbytes", "total time: ", "downtime: ",
        "transferred ram-duplicate: ", "transferred ram-duplicate: ",
        "transferred ram-normal: ", "transferred ram-normal: ",
        "transferred ram-xbrle: ", "transferred ram-xbrle: ",
        "overflow ram-xbrle: ", "cache-hit ram-xbrle: ", "cache-lookup ram-xbrle: ",
        "cache size: 33554432 bytes", "xbzrle cache miss rate: ",
        "xbzrle encoding rate: ", "dirty pages rate: ", "iterations: ",
    };

    qtest_expect_stdout(src, ".", 0);
    g_free(qtest_hmp_line(src, "migrate_set_cachesize 32m"));
    g_autofree char *out = qtest_hmp_line(src, "migrate -x %s", uri);
    ck_assert_msg(strstr(out, "migration completed"), "migrate printed: %s", out);
    g_autofree char *info = qtest_hmp_line(src, "info migrate");
    g_auto(GStrv) got = g_strsplit(info, "\r\n", -1);
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
        ck_assert_msg(got[i] && g_str_has_prefix(got[i], lines[i]),
                      "line %zu is '%s', expected '%s...'", i + 1, got[i] ? got[i] : "",
                      lines[i]);
    }
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_query_migrate_is_empty_before_any_migration)
{
    QTestState *s = migtest_start_source("idle", NULL);
    g_autoptr(JsonObject) info = qtest_query_migrate(s);

    ck_assert_uint_eq(json_object_get_size(info), 0);
    g_autofree char *text = qtest_hmp(s, "info migrate");
    ck_assert_str_eq(text, "");
    qtest_quit(s);
}
END_TEST

START_TEST(test_idle_guest_migrates_with_almost_only_duplicate_pages)
{
    QTestState *src = migtest_start_source("idle", NULL);
    g_autofree char *path = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    QTestState *dst = migtest_start_destination("idle", uri);

    qtest_expect_stdout(src, "halting", 0);
    migtest_hmp_migrate(src, true, uri);
    migtest_assert_ends(src, "completed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_int_gt(migtest_member(info, "ram", "duplicate"), (GUEST_RAM / PAGE) * 9 / 10);
    migtest_assert_ends(dst, "completed");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *migration_suite(void)
{
    Suite *s = suite_create("migration");
    TCase *transports = tcase_create("transports");
    TCase *seed = tcase_create("seed");
    TCase *failures = tcase_create("failures");
    TCase *params = tcase_create("parameters");

    qtest_tcase_timeout(transports, 8);
    qtest_tcase_timeout(seed, 8);
    qtest_tcase_timeout(failures, 8);
    qtest_tcase_timeout(params, 4);
    tcase_add_test(transports, test_a_b_guest_migrates_over_tcp);
    tcase_add_test(transports, test_a_b_guest_migrates_over_tcp_with_xbzrle);
    tcase_add_test(transports, test_a_b_guest_migrates_over_unix);
    tcase_add_test(transports, test_a_b_guest_migrates_over_unix_with_xbzrle);
    tcase_add_test(transports, test_a_b_guest_saved_with_exec_restores);
    tcase_add_test(transports, test_a_b_guest_saved_with_exec_and_xbzrle_restores);
    tcase_add_test(transports, test_a_b_guest_migrates_over_fd);
    tcase_add_test(transports, test_a_b_guest_migrates_over_fd_with_xbzrle);
    tcase_add_test(seed, test_seed_guest_without_xbzrle_never_converges);
    tcase_add_test(seed, test_seed_guest_with_xbzrle_converges_within_the_downtime);
    tcase_add_test(failures, test_cancelled_migration_can_be_started_again);
    tcase_add_test(failures, test_killed_destination_fails_the_migration_and_the_guest_runs_on);
    tcase_add_test(failures, test_cache_resized_during_migration);
    tcase_add_test(failures, test_second_migrate_while_active_is_refused);
    tcase_add_test(failures, test_migrate_over_tcp_to_nobody_fails_the_migration);
    tcase_add_test(failures, test_migrate_to_nobody_fails_at_once);
    tcase_add_test(params, test_cache_size_limits_are_enforced);
    tcase_add_test(params, test_xbzrle_capability_is_set_and_reported);
    tcase_add_test(params, test_query_migrate_is_empty_before_any_migration);
    tcase_add_test(params, test_hmp_migrate_waits_for_the_end_and_info_migrate_prints_every_line);
    tcase_add_test(params, test_idle_guest_migrates_with_almost_only_duplicate_pages);
    suite_add_tcase(s, transports);
    suite_add_tcase(s, seed);
    suite_add_tcase(s, failures);
    suite_add_tcase(s, params);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(migration_suite());

    printf("accelerator: %s\n", qtest_accel());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
