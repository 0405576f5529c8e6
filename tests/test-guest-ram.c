/*
 * Guest RAM as a user of large guests sees it: a guest starts at once and
 * holds only what it touched, -mem-prealloc takes it all at start, and an
 * idle guest stays small on both sides of a migration (the destination
 * writes no zero pages into RAM it never touched).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libqmp.h"
#include "migration-helpers.h"

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)

static uint64_t rss_bytes(QTestState *s)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)qtest_pid(s));
    g_autofree char *text = NULL;
    unsigned long long kib = 0;

    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    const char *line = strstr(text, "VmRSS:");
    ck_assert(line && sscanf(line, "VmRSS: %llu kB", &kib) == 1);
    return (uint64_t)kib << 10;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The host must be able to hold the guest at all (-m beyond memory and
 * swap is refused). */
static bool host_has(uint64_t bytes)
{
    g_autofree char *text = NULL;
    unsigned long long kib = 0;

    ck_assert(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
    const char *line = strstr(text, "MemTotal:");
    ck_assert(line && sscanf(line, "MemTotal: %llu kB", &kib) == 1);
    if (((uint64_t)kib << 10) < bytes) {
        printf("SKIP: this host has %llu MiB of memory\n", kib >> 10);
        return false;
    }
    return true;
}

START_TEST(test_a_16g_guest_starts_holding_only_what_it_touched)
{
    if (!host_has(16 * GIB)) {
        return;
    }
    double t0 = now_s();
    QTestState *s = qtest_start("-m 16G -kernel guests/idle.elf");
    double started = now_s() - t0;

    qtest_expect_stdout(s, "halting", 0);
    uint64_t rss = rss_bytes(s);
    printf("16 GiB idle guest: QMP answered %.3f s after exec, RSS %" G_GUINT64_FORMAT
           " MiB\n", started, rss / MIB);
    ck_assert_msg(rss < GIB, "RSS %" G_GUINT64_FORMAT " MiB", rss / MIB);
    qtest_quit(s);
}
END_TEST

START_TEST(test_mem_prealloc_holds_all_guest_ram_at_start)
{
    QTestState *s = qtest_start("-m 256M -mem-prealloc -S -kernel guests/idle.elf");

    uint64_t rss = rss_bytes(s);
    ck_assert_msg(rss >= 256 * MIB, "RSS %" G_GUINT64_FORMAT " MiB", rss / MIB);
    qtest_quit(s);
}
END_TEST

START_TEST(test_without_mem_prealloc_an_unstarted_guest_holds_little)
{
    QTestState *s = qtest_start("-m 256M -S -kernel guests/idle.elf");

    uint64_t rss = rss_bytes(s);
    ck_assert_msg(rss < 128 * MIB, "RSS %" G_GUINT64_FORMAT " MiB", rss / MIB);
    qtest_quit(s);
}
END_TEST

/* Both sides of an idle 16 GiB guest's migration stay under 1 GiB. */
START_TEST(test_an_idle_16g_guest_migrates_and_stays_small_on_both_sides)
{
    if (!host_has(16 * GIB)) {
        return;
    }
    QTestState *src = qtest_start("-m 16G -kernel guests/idle.elf");
    g_autofree char *sock = qtest_path(src, "mig.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    QTestState *dst = qtest_start("-m 16G -S -kernel guests/idle.elf -incoming %s", uri);

    migtest_enable_events(src);
    migtest_enable_events(dst);
    qtest_expect_stdout(src, "halting", 0);
    uint64_t src_before = rss_bytes(src), dst_before = rss_bytes(dst);
    migtest_set_params(src, "0", "0.03");
    migtest_hmp_migrate(src, false, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    uint64_t src_after = rss_bytes(src), dst_after = rss_bytes(dst);
    printf("idle 16 GiB: RSS source %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
           " MiB, destination %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " MiB\n",
           src_before / MIB, src_after / MIB, dst_before / MIB, dst_after / MIB);
    ck_assert_uint_lt(src_before, GIB);
    ck_assert_uint_lt(dst_before, GIB);
    ck_assert_uint_lt(src_after, GIB);
    ck_assert_uint_lt(dst_after, GIB);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *guest_ram_suite(void)
{
    Suite *s = suite_create("guest-ram");
    TCase *tc = tcase_create("guest-ram");

    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_a_16g_guest_starts_holding_only_what_it_touched);
    tcase_add_test(tc, test_mem_prealloc_holds_all_guest_ram_at_start);
    tcase_add_test(tc, test_without_mem_prealloc_an_unstarted_guest_holds_little);
    tcase_add_test(tc, test_an_idle_16g_guest_migrates_and_stays_small_on_both_sides);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("accelerator: %s\n", qtest_accel());
    SRunner *sr = srunner_create(guest_ram_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
