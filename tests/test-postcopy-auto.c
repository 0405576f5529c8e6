/*
 * The post-copy auto policy (migration-postcopy.h) as a pure function: fed
 * each pass's expected downtime against the limit, when does it switch?
 */
#include <check.h>
#include <stdlib.h>

#include "migration-postcopy.h"

#define MS 1000000ull
#define LIMIT (30 * MS)

/* Feeds passes 1..n with these expected downtimes; the first pass after
 * which it said to switch, or 0. */
static uint64_t first_switch(const uint64_t *expected_ms, int n)
{
    PostcopyAuto a;

    postcopy_auto_reset(&a);
    for (int i = 0; i < n; i++) {
        if (postcopy_auto_should_switch(&a, (uint64_t)i + 1, expected_ms[i] * MS, LIMIT)) {
            return (uint64_t)i + 1;
        }
    }
    return 0;
}

START_TEST(test_a_converging_migration_is_never_switched)
{
    static const uint64_t expected[] = { 900, 800, 200, 60, 20, 10 };
    ck_assert_uint_eq(first_switch(expected, 6), 0);
}
END_TEST

START_TEST(test_a_stalled_migration_is_switched_once_xbzrle_had_its_chance)
{
    static const uint64_t expected[] = { 500, 500, 500, 500, 500, 500 };
    ck_assert_uint_eq(first_switch(expected, 6), PASSES_BEFORE_AUTO + 1);
}
END_TEST

START_TEST(test_progress_of_a_tenth_or_more_resets_the_count)
{
    /* Each pass 15% better: still above the limit, but getting there. */
    static const uint64_t expected[] = { 1000, 850, 720, 610, 520, 440, 370, 315 };
    ck_assert_uint_eq(first_switch(expected, 8), 0);
}
END_TEST

START_TEST(test_a_pass_within_the_limit_is_never_switched)
{
    PostcopyAuto a;

    postcopy_auto_reset(&a);
    for (uint64_t pass = 1; pass < 10; pass++) {
        ck_assert(!postcopy_auto_should_switch(&a, pass, LIMIT, LIMIT));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("postcopy-auto");
    TCase *tc = tcase_create("policy");

    tcase_add_test(tc, test_a_converging_migration_is_never_switched);
    tcase_add_test(tc, test_a_stalled_migration_is_switched_once_xbzrle_had_its_chance);
    tcase_add_test(tc, test_progress_of_a_tenth_or_more_resets_the_count);
    tcase_add_test(tc, test_a_pass_within_the_limit_is_never_switched);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
