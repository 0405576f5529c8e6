/*
 * auto-converge: the capability and its three parameters as QEMU has them
 * (names, defaults, ranges, messages, over QMP and HMP), and what they do
 * to a running guest, seen as a user sees it: the guest's own output rate,
 * query-migrate, and the RAM of both sides.
 *
 * Two scenarios. A guest throttled at a fixed percentage: the seed guest
 * with a 1 MiB buffer ('.' every 1000 passes over it) migrated at 1 MiB/s
 * with a downtime limit of 0, which never converges and costs the source
 * little, with cpu-throttle-initial = max-cpu-throttle. And a migration
 * that needs the throttle: the dense guest rewriting 8 MiB of pages with
 * random data (XBZRLE cannot help) at the default 32 MiB/s and 30 ms,
 * which a full-speed guest never lets converge, and which converges once
 * the guest runs a few percent of the time.
 *
 * Rates are compared with the same guest's unthrottled rate measured just
 * before, with bounds far from the expected figures (a shared machine is
 * noisy): a throttled guest at 90% should make about a tenth of its
 * progress and is asked for less than half; an unthrottled one is asked
 * for a third.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"

#define SEED_GUEST_ARGS "-append \"buf=1M interval=1000\""
#define DENSE_GUEST_ARGS "-append \"wss=8M interval=4\""
/* Seconds a rate is measured over. */
#define RATE_WINDOW 1.5
/* With auto-converge the dense migration completes in about 9 s here
 * (KVM or soft); without it, it must still be running after this long. */
#define DENSE_NO_CONVERGENCE_SECONDS 12
/* A stop of a throttled guest does not wait for the guest's hold (990 ms
 * at 99%); it usually takes a few ms, printed. The test bounds it only
 * against "never" (the machine is shared: no tight timing here). */
#define STOP_NEVER_MS 10000
#define STOPS 5

/* ---------------------------------------------------------------------- */
/* Parameters */

static JsonObject *parameters(QTestState *s)
{
    g_autoptr(JsonNode) p = qtest_qmp_ok(s, "{'execute': 'query-migrate-parameters'}");
    return json_object_ref(json_node_get_object(p));
}

static int64_t parameter(QTestState *s, const char *name)
{
    g_autoptr(JsonObject) p = parameters(s);
    return json_object_get_int_member(p, name);
}

static void set_parameters(QTestState *s, const char *members)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-parameters', 'arguments': {%s}}",
                         members);
}

/* migrate-set-parameters with `members` fails with exactly `message`, and
 * no parameter changed. */
static void assert_refused(QTestState *s, const char *members, const char *message)
{
    g_autoptr(JsonObject) before = parameters(s);
    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'migrate-set-parameters', 'arguments': {%s}}", members);
    g_autoptr(JsonObject) after = parameters(s);
    g_autofree char *was = qtest_json_object_text(before);
    g_autofree char *is = qtest_json_object_text(after);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_str_eq(qtest_error_desc(err), message);
    ck_assert_str_eq(is, was);
}

static bool capability(QTestState *s, const char *name)
{
    g_autoptr(JsonNode) caps = qtest_qmp_ok(s, "{'execute': 'query-migrate-capabilities'}");
    JsonArray *a = json_node_get_array(caps);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        if (!strcmp(json_object_get_string_member(c, "capability"), name)) {
            return json_object_get_boolean_member(c, "state");
        }
    }
    ck_abort_msg("no capability '%s'", name);
    return false;
}

static QTestState *idle_machine(void)
{
    return qtest_start("-kernel guests/idle.elf");
}

START_TEST(test_throttle_parameters_default_to_qemus_20_10_99)
{
    QTestState *s = idle_machine();

    ck_assert_int_eq(parameter(s, "cpu-throttle-initial"), 20);
    ck_assert_int_eq(parameter(s, "cpu-throttle-increment"), 10);
    ck_assert_int_eq(parameter(s, "max-cpu-throttle"), 99);
    qtest_quit(s);
}
END_TEST

START_TEST(test_throttle_parameters_are_set_and_read_back)
{
    QTestState *s = idle_machine();

    set_parameters(s, "'cpu-throttle-initial': 1, 'cpu-throttle-increment': 99, "
                      "'max-cpu-throttle': 1");
    ck_assert_int_eq(parameter(s, "cpu-throttle-initial"), 1);
    ck_assert_int_eq(parameter(s, "cpu-throttle-increment"), 99);
    ck_assert_int_eq(parameter(s, "max-cpu-throttle"), 1);
    set_parameters(s, "'max-cpu-throttle': 99, 'cpu-throttle-initial': 99");
    ck_assert_int_eq(parameter(s, "cpu-throttle-initial"), 99);
    ck_assert_int_eq(parameter(s, "max-cpu-throttle"), 99);
    qtest_quit(s);
}
END_TEST

START_TEST(test_cpu_throttle_initial_outside_1_to_99_is_refused_with_qemus_message)
{
    QTestState *s = idle_machine();
    const char *message = "Parameter 'cpu_throttle_initial' expects an integer in the "
                          "range of 1 to 99";

    assert_refused(s, "'cpu-throttle-initial': 0", message);
    assert_refused(s, "'cpu-throttle-initial': 100", message);
    qtest_quit(s);
}
END_TEST

START_TEST(test_cpu_throttle_increment_outside_1_to_99_is_refused_with_qemus_message)
{
    QTestState *s = idle_machine();
    const char *message = "Parameter 'cpu_throttle_increment' expects an integer in the "
                          "range of 1 to 99";

    assert_refused(s, "'cpu-throttle-increment': 0", message);
    assert_refused(s, "'cpu-throttle-increment': 100", message);
    qtest_quit(s);
}
END_TEST

START_TEST(test_max_cpu_throttle_below_the_initial_or_above_99_is_refused_with_qemus_message)
{
    QTestState *s = idle_machine();
    const char *message = "Parameter 'max_cpu_throttle' expects an integer in the range "
                          "of cpu_throttle_initial to 99";

    assert_refused(s, "'max-cpu-throttle': 19", message);
    assert_refused(s, "'max-cpu-throttle': 100", message);
    qtest_quit(s);
}
END_TEST

/* QEMU checks the parameters as they would be: an initial throttle above
 * the maximum is the maximum's error. */
START_TEST(test_cpu_throttle_initial_above_the_max_is_refused_with_the_max_message)
{
    QTestState *s = idle_machine();

    set_parameters(s, "'max-cpu-throttle': 50");
    assert_refused(s, "'cpu-throttle-initial': 60", "Parameter 'max_cpu_throttle' "
                   "expects an integer in the range of cpu_throttle_initial to 99");
    qtest_quit(s);
}
END_TEST

START_TEST(test_initial_and_max_set_together_are_checked_against_each_other)
{
    QTestState *s = idle_machine();

    set_parameters(s, "'cpu-throttle-initial': 70, 'max-cpu-throttle': 70");
    assert_refused(s, "'cpu-throttle-initial': 80, 'max-cpu-throttle': 75",
                   "Parameter 'max_cpu_throttle' expects an integer in the range of "
                   "cpu_throttle_initial to 99");
    qtest_quit(s);
}
END_TEST

/* QEMU's type for the three is uint8: its input visitor refuses a value
 * beyond it (a negative one wraps around) before any range is checked,
 * naming the member as the client spelt it. */
START_TEST(test_throttle_percentages_beyond_uint8_are_refused_as_qemu_types_them)
{
    QTestState *s = idle_machine();
    static const char *const names[] = {
        "cpu-throttle-initial", "cpu-throttle-increment", "max-cpu-throttle",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *message = g_strdup_printf("Parameter '%s' expects uint8_t",
                                                   names[i]);
        g_autofree char *big = g_strdup_printf("'%s': 256", names[i]);
        g_autofree char *negative = g_strdup_printf("'%s': -1", names[i]);
        assert_refused(s, big, message);
        assert_refused(s, negative, message);
    }
    /* The type of every member first, then the ranges. */
    assert_refused(s, "'cpu-throttle-initial': 0, 'max-cpu-throttle': 300",
                   "Parameter 'max-cpu-throttle' expects uint8_t");
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_migrate_set_parameter_reads_percentages_as_integers)
{
    QTestState *s = idle_machine();
    static const struct { const char *line; const char *output; } cases[] = {
        { "cpu-throttle-initial 30", "" },
        { "cpu-throttle-increment 0x10", "" },
        { "max-cpu-throttle 90", "" },
        { "cpu-throttle-initial 30%", "Parameter 'cpu-throttle-initial' expects uint64\r\n" },
        { "max-cpu-throttle 100", "Parameter 'max_cpu_throttle' expects an integer in the "
          "range of cpu_throttle_initial to 99\r\n" },
        { "cpu-throttle-increment 256", "Parameter 'cpu-throttle-increment' expects "
          "uint8_t\r\n" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = qtest_hmp(s, "migrate_set_parameter %s", cases[i].line);
        ck_assert_str_eq(out, cases[i].output);
    }
    ck_assert_int_eq(parameter(s, "cpu-throttle-initial"), 30);
    ck_assert_int_eq(parameter(s, "cpu-throttle-increment"), 16);
    ck_assert_int_eq(parameter(s, "max-cpu-throttle"), 90);
    qtest_quit(s);
}
END_TEST

/* As QEMU prints them: a percentage has no unit. */
START_TEST(test_hmp_info_migrate_parameters_prints_percentages_without_a_unit)
{
    QTestState *s = idle_machine();

    set_parameters(s, "'cpu-throttle-initial': 35");
    g_autofree char *out = qtest_hmp(s, "info migrate_parameters");
    ck_assert_ptr_nonnull(strstr(out, "cpu-throttle-initial: 35\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "cpu-throttle-increment: 10\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "max-cpu-throttle: 99\r\n"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_auto_converge_is_off_until_set_over_qmp_or_hmp)
{
    QTestState *s = idle_machine();

    ck_assert(!capability(s, "auto-converge"));
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-capabilities', 'arguments': "
                         "{'capabilities': [{'capability': 'auto-converge', "
                         "'state': true}]}}");
    ck_assert(capability(s, "auto-converge"));
    g_autofree char *off = qtest_hmp(s, "migrate_set_capability auto-converge off");
    ck_assert_str_eq(off, "");
    ck_assert(!capability(s, "auto-converge"));
    g_autofree char *info = qtest_hmp(s, "info migrate_capabilities");
    ck_assert_ptr_nonnull(strstr(info, "auto-converge: off\r\n"));
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Driving migrations */

static char *mig_uri(QTestState *src)
{
    g_autofree char *path = qtest_path(src, "mig.sock");
    return g_strdup_printf("unix:%s", path);
}

static void enable_auto_converge(QTestState *s)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-capabilities', 'arguments': "
                         "{'capabilities': [{'capability': 'auto-converge', "
                         "'state': true}]}}");
}

static void migrate(QTestState *src)
{
    g_autofree char *uri = mig_uri(src);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': '%s'}}", uri);
}

static const char *status_of(JsonObject *info)
{
    return json_object_has_member(info, "status") ?
           json_object_get_string_member(info, "status") : "none";
}

static bool is_running(const char *status)
{
    return !strcmp(status, "setup") || !strcmp(status, "active");
}

/* query-migrate's cpu-throttle-percentage; 0 when it is absent. */
static int64_t throttle_in(JsonObject *info)
{
    JsonNode *n = json_object_get_member(info, "cpu-throttle-percentage");

    if (!n) {
        return 0;
    }
    ck_assert_msg(JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64,
                  "cpu-throttle-percentage is not an integer");
    return json_node_get_int(n);
}

/* Polls until the migration reports the throttle; fails if it ends first. */
static JsonObject *wait_for_throttle(QTestState *s)
{
    for (int waited = 0; waited < qtest_timeout_ms(); waited += 50) {
        JsonObject *info = qtest_query_migrate(s);
        ck_assert_msg(is_running(status_of(info)), "migration %s before any throttle",
                      status_of(info));
        if (throttle_in(info)) {
            return info;
        }
        json_object_unref(info);
        usleep(50000);
    }
    ck_abort_msg("no throttle within the timeout");
    return NULL;
}

/* The guest's output, in bytes per second over RATE_WINDOW. */
static double output_rate(QTestState *s)
{
    size_t before = qtest_stdout_len(s);
    gint64 start = g_get_monotonic_time();

    g_usleep((gulong)(RATE_WINDOW * 1e6));
    return (double)(qtest_stdout_len(s) - before) * 1e6 /
           (double)(g_get_monotonic_time() - start);
}

/* The first line is the guest's banner; from then on, only its dots. */
static void wait_for_dots(QTestState *s)
{
    qtest_expect_stdout(s, ".", 0);
}

/*
 * The seed guest migrating without end, auto-converge's throttle pinned at
 * `percent` and in force when this returns; *unthrottled is the guest's
 * rate just before the migration.
 */
static QTestState *start_pinned_throttle(QTestState **dst, int percent, double *unthrottled)
{
    QTestState *src = migtest_start_source("seed", SEED_GUEST_ARGS);
    g_autofree char *uri = mig_uri(src);

    *dst = migtest_start_destination("seed", uri);
    wait_for_dots(src);
    *unthrottled = output_rate(src);
    g_autofree char *members = g_strdup_printf(
        "'max-bandwidth': 1048576, 'downtime-limit': 0, 'cpu-throttle-initial': %d, "
        "'max-cpu-throttle': %d", percent, percent);
    set_parameters(src, members);
    enable_auto_converge(src);
    migrate(src);
    json_object_unref(wait_for_throttle(src));
    return src;
}

static void cancel_and_quit(QTestState *src, QTestState *dst)
{
    qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
    migtest_assert_ends(src, "cancelled");
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * The dense guest's migration that converges only once throttled, started
 * with the throttle's first step at `initial` percent, then 20 more (larger
 * steps than the defaults', so that the test takes seconds, not tens), and
 * auto-converge when asked; *unthrottled as above.
 */
static QTestState *start_dense_migration(QTestState **dst, bool auto_converge, int initial,
                                         double *unthrottled)
{
    QTestState *src = migtest_start_source("dense", DENSE_GUEST_ARGS);
    g_autofree char *uri = mig_uri(src);
    g_autofree char *steps = g_strdup_printf("'cpu-throttle-initial': %d, "
                                             "'cpu-throttle-increment': 20", initial);

    *dst = migtest_start_destination("dense", uri);
    wait_for_dots(src);
    *unthrottled = output_rate(src);
    set_parameters(src, steps);
    if (auto_converge) {
        enable_auto_converge(src);
    }
    migrate(src);
    return src;
}

/* ---------------------------------------------------------------------- */
/* A guest throttled at a fixed percentage */

START_TEST(test_a_guest_throttled_at_90_percent_makes_a_fraction_of_its_progress)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_pinned_throttle(&dst, 90, &unthrottled);

    double throttled = output_rate(src);
    ck_assert_msg(throttled < unthrottled / 2, "%.1f dots/s throttled at 90%%, %.1f "
                  "unthrottled", throttled, unthrottled);
    ck_assert_msg(throttled > 0, "the throttled guest made no progress at all");
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_query_migrate_shows_cpu_throttle_percentage_only_once_throttling)
{
    QTestState *src = migtest_start_source("seed", SEED_GUEST_ARGS);
    g_autofree char *uri = mig_uri(src);
    QTestState *dst = migtest_start_destination("seed", uri);

    set_parameters(src, "'max-bandwidth': 1048576, 'downtime-limit': 0, "
                        "'cpu-throttle-initial': 40");
    enable_auto_converge(src);
    migrate(src);
    /* QEMU looks at the dirty rate over periods of a second, and throttles
     * after the second high one: not at the start. */
    g_autoptr(JsonObject) early = qtest_query_migrate(src);
    ck_assert(is_running(status_of(early)));
    ck_assert(!json_object_has_member(early, "cpu-throttle-percentage"));
    g_autoptr(JsonObject) info = wait_for_throttle(src);
    ck_assert_str_eq(status_of(info), "active");
    ck_assert_int_eq(throttle_in(info), 40);
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_hmp_info_migrate_ends_with_the_cpu_throttle_percentage)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_pinned_throttle(&dst, 30, &unthrottled);
    g_autofree char *out = qtest_hmp(src, "info migrate");
    g_auto(GStrv) lines = g_strsplit(out, "\r\n", -1);
    guint n = g_strv_length(lines);

    ck_assert_uint_ge(n, 3);
    ck_assert_str_eq(lines[0], "Migration status: active");
    ck_assert(g_str_has_prefix(lines[n - 3], "throughput: "));
    ck_assert_str_eq(lines[n - 2], "cpu throttle percentage: 30");
    ck_assert_str_eq(lines[n - 1], "");
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_throttle_ends_when_the_migration_is_cancelled)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_pinned_throttle(&dst, 90, &unthrottled);

    qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
    migtest_assert_ends(src, "cancelled");
    migtest_assert_run_state(src, "running");
    double after = output_rate(src);
    ck_assert_msg(after > unthrottled / 3, "%.1f dots/s after the cancel, %.1f before "
                  "the migration", after, unthrottled);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The guest's output grows by nothing over a whole throttle cycle. */
static void assert_no_progress(QTestState *s)
{
    size_t before = qtest_stdout_len(s);

    g_usleep(1200 * 1000);
    ck_assert_uint_eq(qtest_stdout_len(s), before);
}

/*
 * At 99% the guest spends 990 ms of each second held out of the guest: a
 * stop must not wait for the hold to end, the throttle must not run a
 * stopped guest, and cont must run it again.
 */
START_TEST(test_stop_and_cont_of_a_throttled_guest_stop_and_run_it)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_pinned_throttle(&dst, 99, &unthrottled);

    for (int i = 0; i < STOPS; i++) {
        gint64 start = g_get_monotonic_time();
        qtest_qmp_ok_discard(src, "{'execute': 'stop'}");
        gint64 ms = (g_get_monotonic_time() - start) / 1000;
        printf("stop of a guest throttled at 99%%: %" G_GINT64_FORMAT " ms\n", ms);
        ck_assert_msg(ms < STOP_NEVER_MS, "stop took %" G_GINT64_FORMAT " ms", ms);
        migtest_assert_run_state(src, "paused");
        qtest_qmp_ok_discard(src, "{'execute': 'cont'}");
        migtest_assert_run_state(src, "running");
        g_usleep(100 * 1000);
    }
    qtest_qmp_ok_discard(src, "{'execute': 'stop'}");
    g_usleep(100 * 1000);      /* a dot on its way out when stopped */
    assert_no_progress(src);
    qtest_qmp_ok_discard(src, "{'execute': 'cont'}");
    qtest_expect_stdout(src, ".", qtest_stdout_len(src));
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_int_eq(throttle_in(info), 99);
    cancel_and_quit(src, dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A migration that converges only with the throttle */

/* Follows the migration to its end; the throttle percentages it reported,
 * in order, without repeats. */
static GArray *follow_throttle(QTestState *src, const char **end)
{
    GArray *seen = g_array_new(FALSE, FALSE, sizeof(int64_t));

    for (int waited = 0; waited < 2 * qtest_timeout_ms(); waited += 50) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        if (!is_running(status_of(info))) {
            *end = g_intern_string(status_of(info));
            return seen;
        }
        int64_t now = throttle_in(info);
        if (now && (!seen->len || g_array_index(seen, int64_t, seen->len - 1) != now)) {
            g_array_append_val(seen, now);
        }
        usleep(50000);
    }
    ck_abort_msg("the migration did not end within the timeout");
    return seen;
}

START_TEST(test_dense_guest_converges_with_auto_converge_as_the_throttle_rises)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_dense_migration(&dst, true, 50, &unthrottled);
    const char *end = NULL;
    g_autoptr(GArray) seen = follow_throttle(src, &end);

    ck_assert_str_eq(end, "completed");
    migtest_assert_ends(dst, "completed");
    ck_assert_msg(seen->len >= 2, "the throttle never rose (%u value(s) seen)", seen->len);
    ck_assert_int_eq(g_array_index(seen, int64_t, 0), 50);
    for (guint i = 1; i < seen->len; i++) {
        ck_assert_int_gt(g_array_index(seen, int64_t, i),
                         g_array_index(seen, int64_t, i - 1));
        ck_assert_int_le(g_array_index(seen, int64_t, i), 99);
    }
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert(!json_object_has_member(info, "cpu-throttle-percentage"));
    migtest_assert_run_state(src, "postmigrate");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_dense_guest_without_auto_converge_is_still_migrating_when_it_would_be_done)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_dense_migration(&dst, false, 50, &unthrottled);

    g_usleep(DENSE_NO_CONVERGENCE_SECONDS * G_USEC_PER_SEC);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_str_eq(status_of(info), "active");
    ck_assert(!json_object_has_member(info, "cpu-throttle-percentage"));
    ck_assert_int_gt(migtest_member(info, NULL, "expected-downtime"), 30);
    cancel_and_quit(src, dst);
}
END_TEST

/* The source, run again after the migration, is not throttled any more,
 * though it was at 90% or 99% when the migration completed. */
START_TEST(test_throttle_ends_when_the_migration_completes)
{
    QTestState *dst;
    double unthrottled;
    QTestState *src = start_dense_migration(&dst, true, 90, &unthrottled);
    const char *end = NULL;
    g_autoptr(GArray) seen = follow_throttle(src, &end);

    ck_assert_str_eq(end, "completed");
    ck_assert_uint_ge(seen->len, 1);
    ck_assert_int_ge(g_array_index(seen, int64_t, seen->len - 1), 90);
    qtest_qmp_ok_discard(src, "{'execute': 'cont'}");
    double after = output_rate(src);
    ck_assert_msg(after > unthrottled / 3, "%.1f dots/s after the migration, %.1f "
                  "before it", after, unthrottled);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *migration_throttle_suite(void)
{
    Suite *s = suite_create("migration-throttle");
    TCase *params = tcase_create("parameters and capability");
    TCase *pinned = tcase_create("a guest throttled at a fixed percentage");
    TCase *converge = tcase_create("a migration that needs the throttle");

    qtest_tcase_timeout(params, 2);
    qtest_tcase_timeout(pinned, 4);
    qtest_tcase_timeout(converge, 4);

    tcase_add_test(params, test_throttle_parameters_default_to_qemus_20_10_99);
    tcase_add_test(params, test_throttle_parameters_are_set_and_read_back);
    tcase_add_test(params, test_cpu_throttle_initial_outside_1_to_99_is_refused_with_qemus_message);
    tcase_add_test(params,
        test_cpu_throttle_increment_outside_1_to_99_is_refused_with_qemus_message);
    tcase_add_test(params,
        test_max_cpu_throttle_below_the_initial_or_above_99_is_refused_with_qemus_message);
    tcase_add_test(params, test_cpu_throttle_initial_above_the_max_is_refused_with_the_max_message);
    tcase_add_test(params, test_initial_and_max_set_together_are_checked_against_each_other);
    tcase_add_test(params, test_throttle_percentages_beyond_uint8_are_refused_as_qemu_types_them);
    tcase_add_test(params, test_hmp_migrate_set_parameter_reads_percentages_as_integers);
    tcase_add_test(params, test_hmp_info_migrate_parameters_prints_percentages_without_a_unit);
    tcase_add_test(params, test_auto_converge_is_off_until_set_over_qmp_or_hmp);

    tcase_add_test(pinned, test_a_guest_throttled_at_90_percent_makes_a_fraction_of_its_progress);
    tcase_add_test(pinned, test_query_migrate_shows_cpu_throttle_percentage_only_once_throttling);
    tcase_add_test(pinned, test_hmp_info_migrate_ends_with_the_cpu_throttle_percentage);
    tcase_add_test(pinned, test_throttle_ends_when_the_migration_is_cancelled);
    tcase_add_test(pinned, test_stop_and_cont_of_a_throttled_guest_stop_and_run_it);

    tcase_add_test(converge, test_dense_guest_converges_with_auto_converge_as_the_throttle_rises);
    tcase_add_test(converge,
        test_dense_guest_without_auto_converge_is_still_migrating_when_it_would_be_done);
    tcase_add_test(converge, test_throttle_ends_when_the_migration_completes);

    suite_add_tcase(s, params);
    suite_add_tcase(s, pinned);
    suite_add_tcase(s, converge);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(migration_throttle_suite());

    printf("accelerator: %s\n", qtest_accel());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
