/*
 * One migration of the network benchmark (netbench-run.h).
 *
 * The destination starts with -S, so that once the migration completed
 * its RAM can be compared with the source's byte for byte: nothing ran
 * there meanwhile. In the post-copy modes that has a price: with -S the
 * destination's guest does not run after the switch either, so it never
 * touches a page that has not arrived, and the source only streams the
 * rest in the background. The a-b guest is the exception: its destination
 * runs the guest at the switch (the pages it touches are fetched on
 * demand, postcopy-requests counts them), and its RAM is checked by the
 * a-b invariant instead. tests/test-migration-postcopy.c covers the guest
 * running during post-copy for correctness.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/libqmp.h"
#include "tests/migration-helpers.h"
#include "tools/netbench-plot.h"
#include "tools/netbench-run.h"

#define DEST_PORT 4444
/* The guest runs (dirtying memory) this long before the migration. */
#define WARMUP_S 1.0
#define POLL_US 20000
/* A post-copy cannot be cancelled; still running this many caps after
 * its start, it is counted as failed (and the emulators are killed). */
#define POSTCOPY_CAPS 4
/* The destination reports completed this soon after the source. */
#define DEST_COMPLETION_S 30.0
#define PAGE 4096

static const struct {
    const char *name;
    const char *title;
} modes[MODE_COUNT] = {
    [MODE_PLAIN] = { "plain", "plain" },
    [MODE_XBZRLE] = { "xbzrle", "XBZRLE" },
    [MODE_AUTO_CONVERGE] = { "xbzrle+auto-converge", "XBZRLE + auto-converge" },
    [MODE_POSTCOPY] = { "xbzrle+postcopy", "XBZRLE + post-copy" },
    [MODE_AUTO_POLICY] = { "xbzrle+auto-policy", "XBZRLE + auto policy" },
};

const char *netbench_mode_name(NetbenchMode mode)
{
    return modes[mode].name;
}

const char *netbench_mode_title(NetbenchMode mode)
{
    return modes[mode].title;
}

const char *netbench_outcome_name(NetbenchOutcome outcome)
{
    static const char *const names[] = {
        [OUTCOME_COMPLETED] = "completed",
        [OUTCOME_NOT_CONVERGED] = "not converged",
        [OUTCOME_FAILED] = "failed",
    };
    return names[outcome];
}

const char *netbench_ram_check_name(RamCheck check)
{
    static const char *const names[] = {
        [RAM_NOT_CHECKED] = "-",
        [RAM_IDENTICAL] = "identical",
        [RAM_A_B_CONSISTENT] = "a-b consistent",
        [RAM_DIFFERENT] = "DIFFERENT",
    };
    return names[check];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool uses_xbzrle(NetbenchMode mode)
{
    return mode != MODE_PLAIN;
}

static bool uses_postcopy(NetbenchMode mode)
{
    return mode == MODE_POSTCOPY || mode == MODE_AUTO_POLICY;
}

/* See the top of the file: only the a-b guest can be checked after
 * running at the destination. */
static bool destination_runs_guest(const NetbenchRun *r)
{
    return uses_postcopy(r->mode) && !r->stopped && !strcmp(r->guest, "a-b");
}

void netbench_link_apply(Linkem *l, const NetbenchLink *setting)
{
    linkem_set(l, "rate %s", setting->rate);
    linkem_set(l, "delay %ums", setting->delay_ms);
    linkem_set(l, "loss %g%%", setting->loss_pct);
}

char *netbench_link_title(const NetbenchLink *setting)
{
    if (setting->rate_mbit >= 1000) {
        return g_strdup_printf("%g Gbit/s, %u ms, %g%% loss", setting->rate_mbit / 1000,
                               setting->delay_ms, setting->loss_pct);
    }
    return g_strdup_printf("%g Mbit/s, %u ms, %g%% loss", setting->rate_mbit,
                           setting->delay_ms, setting->loss_pct);
}

/* --- query-migrate ------------------------------------------------------------ */

static JsonObject *group_of(JsonObject *info, const char *group)
{
    if (!group) {
        return info;
    }
    return json_object_has_member(info, group) ?
           json_object_get_object_member(info, group) : NULL;
}

static int64_t member(JsonObject *info, const char *group, const char *name)
{
    JsonObject *g = group_of(info, group);
    return g && json_object_has_member(g, name) ? json_object_get_int_member(g, name) : 0;
}

static const char *status_of(JsonObject *info)
{
    return json_object_has_member(info, "status") ?
           json_object_get_string_member(info, "status") : "none";
}

static bool is_precopy(const char *status)
{
    return !strcmp(status, "setup") || !strcmp(status, "active");
}

static bool has_ended(const char *status)
{
    return !strcmp(status, "completed") || !strcmp(status, "failed") ||
           !strcmp(status, "cancelled");
}

/* --- the emulators -------------------------------------------------------------- */

static char *ram_option(const NetbenchRun *r)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT "M", r->ram >> 20);
}

static QTestState *start_destination(const NetbenchRun *r, const char *uri)
{
    QTestOptions in_b = { .netns = linkem_netns_b(r->link) };
    g_autofree char *ram = ram_option(r);

    return qtest_start_opts(&in_b, "-m %s -kernel guests/%s.elf %s -incoming %s", ram,
                            r->guest, destination_runs_guest(r) ? "" : "-S", uri);
}

/* With a second QMP socket for the timeline's sampler. */
static QTestState *start_source(const NetbenchRun *r)
{
    QTestOptions in_a = { .netns = linkem_netns_a(r->link) };
    g_autofree char *ram = ram_option(r);

    return qtest_start_opts(&in_a, "-m %s -kernel guests/%s.elf "
                            "-qmp unix:{tmp}/plot.sock,server,nowait", ram, r->guest);
}

static void set_capability(QTestState *s, const char *name)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-capabilities', 'arguments': "
                         "{'capabilities': [{'capability': '%s', 'state': true}]}}", name);
}

/* The link is the limit (no max-bandwidth); the cache holds all of RAM,
 * so that its size is not what a run measures. */
static void configure(QTestState *src, QTestState *dst, const NetbenchRun *r)
{
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'max-bandwidth': 0, 'downtime-limit': %" G_GUINT64_FORMAT
                         ", 'xbzrle-cache-size': %" G_GUINT64_FORMAT "}}",
                         r->downtime_limit_ms, r->ram);
    if (uses_xbzrle(r->mode)) {
        set_capability(src, "xbzrle");
    }
    if (r->mode == MODE_AUTO_CONVERGE) {
        set_capability(src, "auto-converge");
    }
    if (uses_postcopy(r->mode)) {
        set_capability(src, "postcopy-ram");
        set_capability(dst, "postcopy-ram");
    }
    if (r->mode == MODE_AUTO_POLICY) {
        qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                             "{'x-postcopy-auto': true}}");
    }
}

/* --- following the migration ------------------------------------------------------ */

/*
 * The post-copy mode switches once the first pass is over (the sync at its
 * end makes dirty-sync-count 2), as operators do: everything has been sent
 * once, and what the guest dirtied meanwhile follows on demand. A run may
 * ask for the switch at once instead (sync 1: the setup's).
 */
#define SWITCH_AT_SYNC 2

static void maybe_switch(QTestState *src, const NetbenchRun *r, JsonObject *info,
                         NetbenchResult *res)
{
    int at_sync = r->switch_at_sync ? r->switch_at_sync : SWITCH_AT_SYNC;

    if (r->mode != MODE_POSTCOPY || res->switch_pass ||
        strcmp(status_of(info), "active") ||
        member(info, "ram", "dirty-sync-count") < at_sync) {
        return;
    }
    /* It may have converged meanwhile: then the command is refused. */
    g_autoptr(JsonObject) reply = qtest_qmp(src, "{'execute': 'migrate-start-postcopy'}");
    if (json_object_has_member(reply, "return")) {
        res->switch_pass = member(info, "ram", "dirty-sync-count");
    }
}

static void note_progress(JsonObject *info, NetbenchResult *res)
{
    res->max_throttle = MAX(res->max_throttle,
                            (int)member(info, NULL, "cpu-throttle-percentage"));
}

/* What follow() saw: the last reply, and the last one with figures (a
 * cancelled migration shows only its status, as in QEMU). */
typedef struct Followed {
    JsonObject *last;
    JsonObject *figures;
} Followed;

static void followed_take(Followed *fw, JsonObject *info)
{
    if (json_object_has_member(info, "ram")) {
        g_clear_pointer(&fw->figures, json_object_unref);
        fw->figures = json_object_ref(info);
    }
    g_clear_pointer(&fw->last, json_object_unref);
    fw->last = info;
}

/* Polls until the migration ends; cancels a pre-copy still running at the
 * cap. */
static void follow(QTestState *src, const NetbenchRun *r, NetbenchResult *res, Followed *fw)
{
    double t0 = now_s();
    bool cancelled = false;

    for (;;) {
        followed_take(fw, qtest_query_migrate(src));
        const char *status = status_of(fw->last);
        double elapsed = now_s() - t0;

        note_progress(fw->last, res);
        if (has_ended(status)) {
            return;
        }
        if (elapsed > r->cap_s && is_precopy(status) && !cancelled) {
            qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
            cancelled = true;
        }
        if (elapsed > r->cap_s * POSTCOPY_CAPS) {
            res->detail = g_strdup_printf("still %s after %.0f s", status, elapsed);
            return;
        }
        maybe_switch(src, r, fw->last, res);
        usleep(POLL_US);
    }
}

static void collect(const Followed *fw, const NetbenchRun *r, NetbenchResult *res)
{
    const char *status = status_of(fw->last);
    JsonObject *info = fw->figures ? fw->figures : fw->last;

    res->outcome = !strcmp(status, "completed") ? OUTCOME_COMPLETED :
                   !strcmp(status, "cancelled") ? OUTCOME_NOT_CONVERGED : OUTCOME_FAILED;
    res->total_s = member(info, NULL, "total-time") / 1000.0;
    if (res->outcome == OUTCOME_NOT_CONVERGED) {
        res->total_s = r->cap_s;
    }
    res->downtime_ms = member(info, NULL, "downtime");
    res->stream_bytes = (uint64_t)member(info, "ram", "transferred");
    res->passes = member(info, "ram", "dirty-sync-count");
    res->postcopy_requests = member(info, "ram", "postcopy-requests");
    if (r->mode == MODE_AUTO_POLICY) {
        res->switch_pass = member(info, NULL, "x-postcopy-auto-pass");
    }
    if (res->outcome == OUTCOME_NOT_CONVERGED) {
        /* Why it did not stop the guest: what stopping it would have cost. */
        res->detail = g_strdup_printf("expected downtime %" G_GINT64_FORMAT " ms",
                                      member(info, NULL, "expected-downtime"));
    }
    if (res->outcome == OUTCOME_FAILED && !res->detail) {
        res->detail = g_strdup(json_object_has_member(fw->last, "error-desc") ?
                               json_object_get_string_member(fw->last, "error-desc") :
                               status);
    }
}

/* --- the RAM check -------------------------------------------------------------- */

static bool wait_destination_completed(QTestState *dst, NetbenchResult *res)
{
    double t0 = now_s();

    while (now_s() - t0 < DEST_COMPLETION_S) {
        g_autoptr(JsonObject) info = qtest_query_migrate(dst);
        const char *status = status_of(info);
        if (!strcmp(status, "completed")) {
            return true;
        }
        if (has_ended(status)) {
            res->detail = g_strdup_printf("the destination's migration %s", status);
            return false;
        }
        usleep(POLL_US);
    }
    res->detail = g_strdup("the destination did not complete");
    return false;
}

static void compare_ram(QTestState *src, QTestState *dst, const NetbenchRun *r,
                        NetbenchResult *res)
{
    g_autoptr(GBytes) a = qtest_pmemsave(src, 0, r->ram);
    g_autoptr(GBytes) b = qtest_pmemsave(dst, 0, r->ram);
    const uint8_t *x = g_bytes_get_data(a, NULL);
    const uint8_t *y = g_bytes_get_data(b, NULL);

    res->ram = RAM_IDENTICAL;
    for (uint64_t off = 0; off < r->ram; off += PAGE) {
        if (memcmp(x + off, y + off, PAGE)) {
            res->ram = RAM_DIFFERENT;
            res->detail = g_strdup_printf("page at 0x%" G_GINT64_MODIFIER "x differs", off);
            return;
        }
    }
}

static void check_a_b(QTestState *dst, const NetbenchRun *r, NetbenchResult *res)
{
    qtest_qmp_ok_discard(dst, "{'execute': 'stop'}");
    g_autoptr(GBytes) ram = qtest_pmemsave(dst, 0, r->ram);
    res->detail = migtest_a_b_violation(ram);
    res->ram = res->detail ? RAM_DIFFERENT : RAM_A_B_CONSISTENT;
}

static void check_ram(QTestState *src, QTestState *dst, const NetbenchRun *r,
                      NetbenchResult *res)
{
    if (!wait_destination_completed(dst, res)) {
        res->ram = RAM_DIFFERENT;
        return;
    }
    if (destination_runs_guest(r)) {
        check_a_b(dst, r, res);
    } else {
        compare_ram(src, dst, r, res);
    }
}

/* --- one run ---------------------------------------------------------------------- */

static uint64_t link_counter(Linkem *l, const char *name)
{
    g_autofree char *a2b = g_strdup_printf("a2b.%s", name);
    g_autofree char *b2a = g_strdup_printf("b2a.%s", name);

    return linkem_stat(l, a2b) + linkem_stat(l, b2a);
}

static void warm_up(QTestState *src, const NetbenchRun *r)
{
    qtest_expect_stdout(src, "\n", 0);
    g_usleep((gulong)(WARMUP_S * 1e6));
    if (r->stopped) {
        qtest_qmp_ok_discard(src, "{'execute': 'stop'}");
    }
}

static TimelinePlot *start_plot(QTestState *src, const NetbenchRun *r)
{
    if (!r->plot_png) {
        return NULL;
    }
    g_autofree char *sock = qtest_path(src, "plot.sock");
    return timeline_plot_start(sock, r->plot_png, r->plot_title ? r->plot_title : "");
}

void netbench_run(const NetbenchRun *r, NetbenchResult *res)
{
    g_autofree char *uri = g_strdup_printf("tcp:%s:%d", linkem_addr_b(r->link), DEST_PORT);
    QTestState *dst = start_destination(r, uri);
    QTestState *src = start_source(r);

    memset(res, 0, sizeof(*res));
    configure(src, dst, r);
    warm_up(src, r);
    linkem_set(r->link, "seed 1");
    uint64_t bytes0 = link_counter(r->link, "delivered_bytes");
    uint64_t lost0 = link_counter(r->link, "lost");
    TimelinePlot *plot = start_plot(src, r);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': '%s'}}", uri);
    Followed fw = { NULL, NULL };
    follow(src, r, res, &fw);
    collect(&fw, r, res);
    g_clear_pointer(&fw.last, json_object_unref);
    g_clear_pointer(&fw.figures, json_object_unref);
    res->link_bytes = link_counter(r->link, "delivered_bytes") - bytes0;
    res->link_lost = link_counter(r->link, "lost") - lost0;
    timeline_plot_finish(plot);
    if (res->outcome == OUTCOME_COMPLETED) {
        check_ram(src, dst, r, res);
    }
    qtest_quit(src);
    qtest_quit(dst);
}
