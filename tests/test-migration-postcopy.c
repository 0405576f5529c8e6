/*
 * Post-copy, as QEMU's (capability postcopy-ram, migrate-start-postcopy,
 * migrate-recover, migrate -r), driven through the monitors: after the
 * switch the destination runs the guest at once and fetches what it
 * touches; RAM ends identical; a link cut after the switch pauses both
 * sides until a new one resumes them. Needs userfaultfd (root here): the
 * tests say so and skip where it is missing.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"
#include "linkem.h"
#include "migration-helpers.h"
#include "proxy.h"

/* How long the emulated link stays dead in the recovery test (the
 * issue's outage), and the stall timeout by which both sides notice a
 * cut link in every test that cuts one. */
#define LINK_CUT_SECONDS 10
#define RECOVERY_STALL_MS 2000

/* migration-postcopy.h's PASSES_BEFORE_AUTO: the policy never switches
 * before the first pass that could use XBZRLE's cache. */
#define PASSES_BEFORE_AUTO_SWITCH 3

/* Whether this process may use userfaultfd (as the emulators it starts). */
static bool userfaultfd_available(void)
{
    if (geteuid() != 0 && access("/dev/userfaultfd", R_OK | W_OK) != 0) {
        printf("SKIP: post-copy needs userfaultfd (root, or access to /dev/userfaultfd)\n");
        return false;
    }
    return true;
}

static void set_postcopy(QTestState *s)
{
    g_free(qtest_hmp(s, "migrate_set_capability postcopy-ram on"));
}

/* Waits for a MIGRATION event with this status. */
static void wait_status(QTestState *s, const char *want)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION");
        const char *status = json_object_get_string_member(
            json_object_get_object_member(ev, "data"), "status");
        if (!strcmp(status, want)) {
            return;
        }
        ck_assert_msg(strcmp(status, "failed") && strcmp(status, "completed"),
                      "migration %s while waiting for %s; stderr: %s", status, want,
                      qtest_stderr(s));
    }
}

/*
 * Source and destination of the a-b guest, post-copy on both, the source
 * slow enough that pre-copy is still busy when the switch comes. The
 * destination runs the guest as soon as it can unless `stopped` (-S: its
 * RAM can then be compared with the source's).
 */
static QTestState *postcopy_pair(const char *uri, bool stopped, QTestState **dst)
{
    *dst = qtest_start("-kernel guests/a-b.elf -m 64M %s -incoming %s",
                       stopped ? "-S" : "", uri);
    migtest_enable_events(*dst);
    set_postcopy(*dst);
    QTestState *src = migtest_start_source("a-b", NULL);
    set_postcopy(src);
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "16M", "0.03");
    return src;
}

/* Pre-copy for a moment, then the switch. */
static void migrate_then_switch(QTestState *src, const char *uri)
{
    migtest_hmp_migrate(src, false, uri);
    wait_status(src, "active");
    usleep(300000);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-start-postcopy'}");
    wait_status(src, "postcopy-active");
}

static int64_t postcopy_requests(QTestState *src)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t requests = migtest_member(info, "ram", "postcopy-requests");

    printf("post-copy: downtime of the switch %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT
           " pages asked for\n", migtest_member(info, NULL, "downtime"), requests);
    return requests;
}

/* The destination's guest, stopped: every page it has is consistent (a
 * page lost or stale would break the a-b sequence). */
static void assert_destination_consistent(QTestState *dst)
{
    qtest_qmp_ok_discard(dst, "{'execute': 'stop'}");
    g_autoptr(GBytes) ram = migtest_save_ram(dst);
    migtest_assert_a_b_invariant(ram);
}

START_TEST(test_postcopy_switch_completes_with_identical_ram)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst;
    QTestState *src = postcopy_pair(uri, true, &dst);

    migrate_then_switch(src, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    migtest_assert_run_state(src, "postmigrate");
    postcopy_requests(src);
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
END_TEST

/* Waits for the end of the first pass over RAM (the sync after it is
 * the second, as QEMU counts). */
static void wait_first_pass(QTestState *s)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION_PASS");
        if (json_object_get_int_member(json_object_get_object_member(ev, "data"), "pass") >= 2) {
            return;
        }
    }
}

/*
 * The sparse guest writes a few words in a random quarter of its pages per
 * pass: switched right after the first pass, the pages the destination
 * must drop are thousands of short ranges, sent as many discard commands
 * (each holds what fits).
 */
START_TEST(test_postcopy_switch_with_scattered_dirty_pages_completes_with_identical_ram)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = migtest_start_destination("sparse", uri);
    QTestState *src = migtest_start_source("sparse", NULL);

    set_postcopy(dst);
    set_postcopy(src);
    qtest_expect_stdout(src, ".", 0);
    migtest_set_params(src, "16M", "0.03");
    migtest_hmp_migrate(src, false, uri);
    wait_first_pass(src);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-start-postcopy'}");
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    migtest_assert_same_guest_ram(src, dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* Waits for the end of the fifth pass: the second pass puts in XBZRLE's
 * cache the pages it sends, and the guest does not rewrite every page in
 * each pass, so a few passes more catch the pages it rewrites later. */
static void wait_xbzrle_passes(QTestState *s)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION_PASS");
        if (json_object_get_int_member(json_object_get_object_member(ev, "data"), "pass") >= 6) {
            return;
        }
    }
}

/*
 * The seed guest with -x (it rewrites a few bytes of the same pages over
 * and over: its deltas stay small), switched after XBZRLE's passes. The
 * passes before run at full speed (a downtime limit of 0 keeps them from
 * converging), the switch at switch_speed, so that the dirty pages are
 * still to come when it is seen, and with a limit of 100 ms (the destination
 * keeps as many pages as it can copy in half of it: all of these); returns the bytes of the pages still to send
 * then. The destination has -S: its RAM is compared with the source's at
 * the end.
 */
static int64_t switch_after_xbzrle_passes(QTestState *src, QTestState *dst, const char *uri,
                                          const char *switch_speed)
{
    set_postcopy(dst);
    set_postcopy(src);
    qtest_expect_stdout(src, ".", 0);
    migtest_set_params(src, "0", "0");
    migtest_hmp_migrate(src, true, uri);
    wait_xbzrle_passes(src);
    migtest_set_params(src, switch_speed, "0.1");
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-start-postcopy'}");
    wait_status(src, "postcopy-active");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t remaining = migtest_member(info, "ram", "remaining");
    ck_assert_msg(remaining >= 64 * 4096, "only %" G_GINT64_FORMAT " bytes left to send "
                  "after the switch", remaining);
    return remaining;
}

/*
 * After the switch the dirty pages go as XBZRLE deltas against the copies
 * the destination kept of the pages it dropped: the seed guest rewrites a
 * few bytes of each, so post-copy sends far less than the pages whole.
 */
START_TEST(test_postcopy_after_xbzrle_passes_sends_deltas_and_ram_is_identical)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = migtest_start_destination("seed", uri);
    QTestState *src = migtest_start_source("seed", NULL);

    int64_t remaining = switch_after_xbzrle_passes(src, dst, uri, "256k");
    migtest_set_params(src, "0", "0.03");
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t sent = migtest_member(info, "ram", "postcopy-bytes");
    printf("post-copy with XBZRLE: %" G_GINT64_FORMAT " bytes of pages left at the switch, "
           "%" G_GINT64_FORMAT " bytes sent after it\n", remaining, sent);
    ck_assert_int_lt(sent, remaining / 4);
    migtest_assert_same_guest_ram(src, dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A link through a proxy that can be cut: the destination listens on
 * *dst_uri, the source migrates to *via. */
static TestProxy *proxied_link(char **dst_uri, char **via)
{
    int dst_port = qtest_free_tcp_port();
    g_autofree char *target = g_strdup_printf("127.0.0.1:%d", dst_port);
    TestProxy *proxy = test_proxy_start(target);

    *dst_uri = g_strdup_printf("tcp:127.0.0.1:%d", dst_port);
    *via = g_strdup_printf("tcp:127.0.0.1:%d", test_proxy_port(proxy));
    return proxy;
}

static void set_stall_timeout(QTestState *s, int ms)
{
    g_free(qtest_hmp(s, "migrate_set_parameter x-stall-timeout %d", ms));
}

/* The proxy cuts the link: both sides pause. */
static void cut_and_wait_paused(TestProxy *proxy, QTestState *src, QTestState *dst)
{
    test_proxy_cut(proxy);
    wait_status(src, "postcopy-paused");
    wait_status(dst, "postcopy-paused");
}

/* migrate-recover on a new port of the destination, migrate -r there at
 * full speed: both sides complete. */
static void recover_on_a_new_port(QTestState *src, QTestState *dst)
{
    int recover_port = qtest_free_tcp_port();

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-recover', 'arguments': "
                         "{'uri': 'tcp:127.0.0.1:%d'}}", recover_port);
    migtest_set_params(src, "0", "0.03");
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': 'tcp:127.0.0.1:%d', 'resume': true}}", recover_port);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
}

/*
 * Deltas after the switch, and the link cut while they are on their way:
 * what the destination reports not received is sent again whole (the
 * source's cache already holds what was lost), and nothing is stale.
 */
START_TEST(test_postcopy_with_xbzrle_cut_link_resends_lost_pages_whole)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *dst_uri = NULL, *via = NULL;
    TestProxy *proxy = proxied_link(&dst_uri, &via);
    QTestState *dst = migtest_start_destination("seed", dst_uri);
    QTestState *src = migtest_start_source("seed", NULL);

    set_stall_timeout(src, RECOVERY_STALL_MS);
    set_stall_timeout(dst, RECOVERY_STALL_MS);
    /* 32 KB/s: the deltas (about 100 KB) are still on their way at the cut. */
    switch_after_xbzrle_passes(src, dst, via, "32k");
    cut_and_wait_paused(proxy, src, dst);
    recover_on_a_new_port(src, dst);
    migtest_assert_same_guest_ram(src, dst);
    test_proxy_stop(proxy);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The destination runs the guest at the switch: it touches pages that
 * have not come yet, which are fetched first. */
START_TEST(test_postcopy_guest_runs_at_once_and_fetches_what_it_touches)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst;
    QTestState *src = postcopy_pair(uri, false, &dst);

    migrate_then_switch(src, uri);
    size_t before = qtest_stdout_len(dst);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    ck_assert_int_gt(postcopy_requests(src), 0);
    qtest_expect_stdout(dst, "BB", before);
    assert_destination_consistent(dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_start_postcopy_without_the_capability_is_refused)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'migrate-start-postcopy'}");

    ck_assert_str_eq(qtest_error_desc(err), "Enable postcopy with migrate_set_capability "
                     "before the start of migration");
    qtest_quit(s);
}
END_TEST

START_TEST(test_start_postcopy_before_a_migration_is_refused)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");

    set_postcopy(s);
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'migrate-start-postcopy'}");
    ck_assert_str_eq(qtest_error_desc(err), "Postcopy must be started after migration "
                     "has been started");
    qtest_quit(s);
}
END_TEST

START_TEST(test_recover_without_a_paused_postcopy_is_refused)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'migrate-recover', "
                                                "'arguments': {'uri': 'tcp:127.0.0.1:1'}}");
    g_autoptr(JsonObject) err2 = qtest_qmp_error(s, "{'execute': 'migrate', 'arguments': "
                                                 "{'uri': 'tcp:127.0.0.1:1', 'resume': true}}");

    ck_assert_str_eq(qtest_error_desc(err), "Migrate recover can only be run when "
                     "postcopy is paused.");
    ck_assert_str_eq(qtest_error_desc(err2), "Cannot resume if there is no paused migration");
    qtest_quit(s);
}
END_TEST

/* The link is cut after the switch: both sides pause (the destination's
 * guest waits on what it lacks), a new link resumes, nothing is lost. */
START_TEST(test_postcopy_cut_link_pauses_both_sides_and_a_new_link_resumes)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *dst_uri = NULL, *via = NULL;
    TestProxy *proxy = proxied_link(&dst_uri, &via);
    QTestState *dst;
    QTestState *src = postcopy_pair(dst_uri, false, &dst);

    set_stall_timeout(src, RECOVERY_STALL_MS);
    set_stall_timeout(dst, RECOVERY_STALL_MS);
    migtest_set_params(src, "4M", "0.03");
    migtest_hmp_migrate(src, false, via);
    wait_status(src, "active");
    usleep(300000);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-start-postcopy'}");
    wait_status(src, "postcopy-active");
    usleep(300000);
    cut_and_wait_paused(proxy, src, dst);

    g_autoptr(JsonObject) refused = qtest_qmp_error(src, "{'execute': 'migrate_cancel'}");
    ck_assert_str_eq(qtest_error_desc(refused), "Postcopy migration in progress, cannot cancel.");
    recover_on_a_new_port(src, dst);
    assert_destination_consistent(dst);
    test_proxy_stop(proxy);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* Whether emulated links can be made here (root, ip, namespaces). */
static bool links_available(void)
{
    g_autofree char *why = NULL;

    if (!linkem_available(&why)) {
        printf("SKIP: the link-cut test needs emulated links: %s\n", why);
        return false;
    }
    return true;
}


/*
 * The recovery: a post-copy across an emulated link (source in
 * namespace a, destination in b) whose link goes dead for 10 s. Both sides
 * notice within their stall timeout and pause; once the link is back the
 * destination listens on a new port of its own side (migrate-recover) and
 * the source resumes there (migrate -r). The migration completes and the
 * destination, started with -S, holds the source's RAM: no page lost,
 * none stale. (The guest running there during a pause is the proxy cut's
 * test above.)
 */
START_TEST(test_postcopy_link_dead_for_10s_pauses_and_migrate_recover_completes)
{
    if (!userfaultfd_available() || !links_available()) {
        return;
    }
    LinkemParams params = { .rate = "100mbit", .delay = "1ms" };
    Linkem *l = linkem_start(&params);
    QTestOptions in_a = { .netns = linkem_netns_a(l) };
    QTestOptions in_b = { .netns = linkem_netns_b(l) };
    g_autofree char *uri = g_strdup_printf("tcp:%s:4444", linkem_addr_b(l));
    g_autofree char *recover_uri = g_strdup_printf("tcp:%s:4445", linkem_addr_b(l));
    QTestState *dst = qtest_start_opts(&in_b, "-kernel guests/a-b.elf -m 64M -S "
                                       "-incoming %s", uri);
    QTestState *src = qtest_start_opts(&in_a, "-kernel guests/a-b.elf -m 64M");

    migtest_enable_events(dst);
    migtest_enable_events(src);
    set_postcopy(dst);
    set_postcopy(src);
    set_stall_timeout(dst, RECOVERY_STALL_MS);
    set_stall_timeout(src, RECOVERY_STALL_MS);
    qtest_expect_stdout(src, "B", 0);
    /* Slow enough that the post-copy is still sending when the link dies. */
    migtest_set_params(src, "4M", "0.03");
    migrate_then_switch(src, uri);
    /* The cut comes once both sides are in post-copy (a RUN lost with the
     * link would leave the destination in pre-copy, failed). */
    wait_status(dst, "postcopy-active");

    gint64 cut = g_get_monotonic_time();
    linkem_set(l, "dead on");
    wait_status(src, "postcopy-paused");
    wait_status(dst, "postcopy-paused");
    double paused_s = (double)(g_get_monotonic_time() - cut) / G_USEC_PER_SEC;
    gint64 back = cut + LINK_CUT_SECONDS * G_USEC_PER_SEC;
    g_usleep((gulong)MAX(0, back - g_get_monotonic_time()));
    linkem_set(l, "dead off");

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-recover', 'arguments': {'uri': '%s'}}",
                         recover_uri);
    migtest_set_params(src, "0", "0.03");
    gint64 resumed = g_get_monotonic_time();
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': '%s', "
                         "'resume': true}}", recover_uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    printf("link dead for %d s: both sides paused %.1f s after the cut; completed %.1f s "
           "after migrate -r\n", LINK_CUT_SECONDS, paused_s,
           (double)(g_get_monotonic_time() - resumed) / G_USEC_PER_SEC);
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    migtest_assert_a_b_invariant(dst_ram);
    qtest_quit(src);
    qtest_quit(dst);
    linkem_stop(l);
}
END_TEST

/*
 * A pre-copy that cannot end: the dense guest rewrites 4 MiB of random
 * pages all the time, XBZRLE cannot shrink them, and 16 MB/s cannot send
 * them within 30 ms. The auto policy switches by itself, and says after
 * which pass; the destination (-S) ends with the source's RAM.
 */
START_TEST(test_auto_policy_switches_a_migration_that_cannot_converge)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = qtest_start("-kernel guests/dense.elf -append wss=4M -m 64M -S "
                                  "-incoming %s", uri);
    QTestState *src = qtest_start("-kernel guests/dense.elf -append wss=4M -m 64M");

    migtest_enable_events(dst);
    migtest_enable_events(src);
    set_postcopy(dst);
    set_postcopy(src);
    qtest_expect_stdout(src, ".", 0);
    migtest_set_params(src, "16M", "0.03");
    g_free(qtest_hmp(src, "migrate_set_parameter x-postcopy-auto on"));
    migtest_hmp_migrate(src, true, uri);
    wait_status(src, "postcopy-active");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t pass = migtest_member(info, NULL, "x-postcopy-auto-pass");
    printf("auto policy: switched after pass %" G_GINT64_FORMAT "\n", pass);
    ck_assert_int_gt(pass, PASSES_BEFORE_AUTO_SWITCH);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    migtest_assert_same_guest_ram(src, dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A migration that converges (the seed guest with XBZRLE) is left alone. */
START_TEST(test_auto_policy_leaves_a_converging_migration_alone)
{
    if (!userfaultfd_available()) {
        return;
    }
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = migtest_start_destination("seed", uri);
    QTestState *src = migtest_start_source("seed", NULL);

    set_postcopy(dst);
    set_postcopy(src);
    g_free(qtest_hmp(src, "migrate_set_parameter x-postcopy-auto on"));
    qtest_expect_stdout(src, ".", 0);
    migtest_hmp_migrate(src, true, uri);
    for (;;) {
        g_autofree char *status = migtest_wait_end(src);
        ck_assert_str_eq(status, "completed");
        break;
    }
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert(!json_object_has_member(info, "x-postcopy-auto-pass"));
    ck_assert_int_eq(migtest_member(info, "ram", "postcopy-bytes"), 0);
    migtest_assert_ends(dst, "completed");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *postcopy_suite(void)
{
    Suite *s = suite_create("migration-postcopy");
    TCase *tc = tcase_create("postcopy");

    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_start_postcopy_without_the_capability_is_refused);
    tcase_add_test(tc, test_start_postcopy_before_a_migration_is_refused);
    tcase_add_test(tc, test_recover_without_a_paused_postcopy_is_refused);
    tcase_add_test(tc, test_postcopy_switch_completes_with_identical_ram);
    tcase_add_test(tc, test_postcopy_switch_with_scattered_dirty_pages_completes_with_identical_ram);
    tcase_add_test(tc, test_postcopy_guest_runs_at_once_and_fetches_what_it_touches);
    tcase_add_test(tc, test_postcopy_after_xbzrle_passes_sends_deltas_and_ram_is_identical);
    tcase_add_test(tc, test_postcopy_with_xbzrle_cut_link_resends_lost_pages_whole);
    tcase_add_test(tc, test_postcopy_cut_link_pauses_both_sides_and_a_new_link_resumes);
    tcase_add_test(tc, test_postcopy_link_dead_for_10s_pauses_and_migrate_recover_completes);
    tcase_add_test(tc, test_auto_policy_switches_a_migration_that_cannot_converge);
    tcase_add_test(tc, test_auto_policy_leaves_a_converging_migration_alone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("accelerator: %s\n", qtest_accel());
    SRunner *sr = srunner_create(postcopy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
