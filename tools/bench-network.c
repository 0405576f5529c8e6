/*
 * make bench-network (root): live migrations of the built-in guests over
 * emulated links (tools/linkem: rate, delay, loss), in five modes: plain,
 * XBZRLE, XBZRLE + auto-converge, XBZRLE + post-copy, XBZRLE + the auto
 * policy. Writes a CSV, a Markdown table and gnuplot figures into OUTDIR
 * (default build/bench-network), and the timeline of one migration per
 * mode (scripts/migration-plot).
 *
 *   bench-network [default|full|targets] [OUTDIR]
 *   bench-network one GUEST MODE RATE_MBIT DELAY_MS LOSS_PCT [RUNS]
 *
 * "default" (about 15 minutes): two links, 1 Gbit/s with 1 ms and
 * 100 Mbit/s with 20 ms and 1% loss. "full": 100 Mbit/s, 1 and 10 Gbit/s
 * × 1 and 20 ms × 0 and 1% loss (about two hours). "targets": the issue's
 * targets, three runs each, judged on the medians (about 15 minutes).
 * "one": one cell of the matrix (MODE as in the CSV: plain, xbzrle,
 * xbzrle+auto-converge, ...; or "stopped", the reference), RUNS times,
 * into build/bench-network/one.
 *
 * Every guest has 256 MiB of RAM (sparse and dense rewrite half of it, the
 * seed guest 16 MiB, the a-b guest all of it); it runs 1 s before the
 * migration. The downtime limit is 30 ms, plus the closing handshake's
 * 1.5 round trips on far links (a pre-copy cannot stop the guest for less
 * there). A pre-copy still running at the cap is cancelled: not converged.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/libqmp.h"
#include "tests/linkem.h"
#include "tools/netbench-plot.h"
#include "tools/netbench-report.h"
#include "tools/netbench-run.h"

#define GUEST_RAM ((uint64_t)256 << 20)
#define BASE_DOWNTIME_MS 30
#define DEFAULT_CAP_S 30.0
#define FULL_CAP_S 60.0
/* The guest and the link whose migrations are drawn as timelines: the
 * a-b guest shows every panel (throttle, cache hits, post-copy requests:
 * its destination runs the guest, see netbench-run.c). */
#define TIMELINE_GUEST "a-b"

static const char *const guests[] = { "seed", "sparse", "dense", "a-b" };

static const NetbenchLink default_links[] = {
    { "1gbit", 1000, 1, 0 },
    { "100mbit", 100, 20, 1 },
};

static const NetbenchLink full_links[] = {
    { "100mbit", 100, 1, 0 },   { "100mbit", 100, 1, 1 },
    { "100mbit", 100, 20, 0 },  { "100mbit", 100, 20, 1 },
    { "1gbit", 1000, 1, 0 },    { "1gbit", 1000, 1, 1 },
    { "1gbit", 1000, 20, 0 },   { "1gbit", 1000, 20, 1 },
    { "10gbit", 10000, 1, 0 },  { "10gbit", 10000, 1, 1 },
    { "10gbit", 10000, 20, 0 }, { "10gbit", 10000, 20, 1 },
};

typedef struct Bench {
    const char *outdir;
    Linkem *link;
    NetbenchReport *report;
    bool plots;                 /* gnuplot and python3 are there */
} Bench;

static uint64_t downtime_limit_ms(const NetbenchLink *link)
{
    return link->delay_ms <= 1 ? BASE_DOWNTIME_MS : BASE_DOWNTIME_MS + 3 * link->delay_ms;
}

static char *out_path(const Bench *b, const char *name)
{
    return g_build_filename(b->outdir, name, NULL);
}

static void make_dirs(const Bench *b)
{
    g_autofree char *plots = out_path(b, "plots");
    ck_assert_msg(g_mkdir_with_parents(plots, 0755) == 0, "cannot create %s", plots);
}

/* Runs once and records the row; *res is the caller's to free (detail). */
static void run_and_report(Bench *b, const NetbenchRun *run, const NetbenchLink *link,
                           int repetition, NetbenchResult *res)
{
    netbench_run(run, res);
    NetbenchRow row = { run, link, repetition, res };
    netbench_report_add(b->report, &row);
}

/* --- the matrix -------------------------------------------------------------------- */

static void run_setting(Bench *b, const NetbenchLink *link, bool timelines, double cap)
{
    netbench_link_apply(b->link, link);
    for (size_t g = 0; g < G_N_ELEMENTS(guests); g++) {
        for (int m = 0; m < MODE_COUNT; m++) {
            bool draw = b->plots && timelines && !strcmp(guests[g], TIMELINE_GUEST);
            g_autofree char *png_name = g_strdup_printf("plots/timeline-%s.png",
                                                        netbench_mode_name(m));
            g_autofree char *png = out_path(b, png_name);
            g_autofree char *where = netbench_link_title(link);
            g_autofree char *title = g_strdup_printf("%s guest, %s, %s", guests[g],
                                                     netbench_mode_title(m), where);
            NetbenchRun run = { .guest = guests[g], .ram = GUEST_RAM, .mode = m,
                                .link = b->link, .downtime_limit_ms = downtime_limit_ms(link),
                                .cap_s = cap, .plot_png = draw ? png : NULL,
                                .plot_title = title };
            NetbenchResult res;
            run_and_report(b, &run, link, 1, &res);
            g_free(res.detail);
        }
    }
}

static void run_matrix(Bench *b, const NetbenchLink *links, size_t n, double cap)
{
    g_autofree char *csv = out_path(b, "bench-network.csv");
    g_autofree char *md = out_path(b, "bench-network.md");

    b->report = netbench_report_open(csv, md);
    for (size_t i = 0; i < n; i++) {
        run_setting(b, &links[i], i == 0, cap);
    }
    netbench_report_close(b->report);
    b->report = NULL;
    if (b->plots) {
        g_autofree char *plots = out_path(b, "plots");
        summary_plots_draw(csv, plots);
    }
    printf("\nCSV: %s\ntable: %s\n", csv, md);
}

/* --- the targets ----------------------------------------------------------------- */

#define TARGET_REPS 3
#define TARGET_CAP_S 60.0
#define AUTO_CONVERGE_MAX_S 30.0
#define TARGET_DOWNTIME_MS 30
#define POSTCOPY_FACTOR 1.5

typedef struct Series {
    NetbenchResult runs[TARGET_REPS];
} Series;

static double median3(double a, double b, double c)
{
    return MAX(MIN(a, b), MIN(MAX(a, b), c));
}

static double median_total(const Series *s)
{
    return median3(s->runs[0].total_s, s->runs[1].total_s, s->runs[2].total_s);
}

static double median_downtime(const Series *s)
{
    return median3(s->runs[0].downtime_ms, s->runs[1].downtime_ms, s->runs[2].downtime_ms);
}

static double median_stream_mb(const Series *s)
{
    return median3(s->runs[0].stream_bytes, s->runs[1].stream_bytes,
                   s->runs[2].stream_bytes) / 1e6;
}

static int count_completed(const Series *s)
{
    int n = 0;
    for (int i = 0; i < TARGET_REPS; i++) {
        n += s->runs[i].outcome == OUTCOME_COMPLETED;
    }
    return n;
}

static int count_ram_identical(const Series *s)
{
    int n = 0;
    for (int i = 0; i < TARGET_REPS; i++) {
        n += s->runs[i].ram == RAM_IDENTICAL;
    }
    return n;
}

static int count_switched(const Series *s)
{
    int n = 0;
    for (int i = 0; i < TARGET_REPS; i++) {
        n += s->runs[i].switch_pass != 0;
    }
    return n;
}

static void run_series(Bench *b, const NetbenchRun *run, const NetbenchLink *link, Series *s)
{
    for (int i = 0; i < TARGET_REPS; i++) {
        run_and_report(b, run, link, i + 1, &s->runs[i]);
    }
}

static void free_series(Series *s)
{
    for (int i = 0; i < TARGET_REPS; i++) {
        g_free(s->runs[i].detail);
    }
}

static const char *verdict(bool met)
{
    return met ? "met" : "**not met**";
}

typedef struct GuestTargets {
    Series reference;           /* the guest stopped: its RAM sent once */
    Series modes[MODE_COUNT];   /* auto-converge, post-copy, auto policy */
    Series postcopy_at_once;    /* for comparison: the switch at the start */
} GuestTargets;

static void run_guest_targets(Bench *b, const char *guest, const NetbenchLink *link,
                              GuestTargets *t)
{
    static const NetbenchMode judged[] = { MODE_AUTO_CONVERGE, MODE_POSTCOPY,
                                           MODE_AUTO_POLICY };
    NetbenchRun run = { .guest = guest, .ram = GUEST_RAM, .mode = MODE_PLAIN,
                        .link = b->link, .downtime_limit_ms = TARGET_DOWNTIME_MS,
                        .cap_s = TARGET_CAP_S, .stopped = true };

    run_series(b, &run, link, &t->reference);
    run.stopped = false;
    for (size_t i = 0; i < G_N_ELEMENTS(judged); i++) {
        run.mode = judged[i];
        run_series(b, &run, link, &t->modes[judged[i]]);
    }
    run.mode = MODE_POSTCOPY;
    run.switch_at_sync = 1;
    run_series(b, &run, link, &t->postcopy_at_once);
}

static void judge_guest(FILE *f, const char *guest, GuestTargets *t)
{
    static const NetbenchMode judged[] = { MODE_AUTO_CONVERGE, MODE_POSTCOPY,
                                           MODE_AUTO_POLICY };
    Series *ac = &t->modes[MODE_AUTO_CONVERGE];
    Series *pc = &t->modes[MODE_POSTCOPY];
    double once = median_total(&t->reference);

    for (size_t i = 0; i < G_N_ELEMENTS(judged); i++) {
        Series *s = &t->modes[judged[i]];
        fprintf(f, "- %s, %s: completed in %d of %d runs: %s; RAM identical after %d of "
                "%d: %s\n", guest, netbench_mode_title(judged[i]), count_completed(s),
                TARGET_REPS, verdict(count_completed(s) == TARGET_REPS),
                count_ram_identical(s), TARGET_REPS,
                verdict(count_ram_identical(s) == TARGET_REPS));
    }
    fprintf(f, "- %s, auto-converge within %.0f s and downtime <= %d ms: %.2f s, %.0f ms "
            "(medians): %s\n", guest, AUTO_CONVERGE_MAX_S, TARGET_DOWNTIME_MS,
            median_total(ac), median_downtime(ac),
            verdict(count_completed(ac) == TARGET_REPS &&
                    median_total(ac) <= AUTO_CONVERGE_MAX_S &&
                    median_downtime(ac) <= TARGET_DOWNTIME_MS));
    fprintf(f, "- %s, post-copy: switch downtime <= %d ms: %.0f ms: %s; total time within "
            "%.1fx of sending its RAM once (the guest stopped, migrated over the same "
            "link: %.2f s, %.1f MB): %.2f s = %.2fx: %s\n", guest, TARGET_DOWNTIME_MS,
            median_downtime(pc), verdict(median_downtime(pc) <= TARGET_DOWNTIME_MS),
            POSTCOPY_FACTOR, once, median_stream_mb(&t->reference), median_total(pc),
            median_total(pc) / once,
            verdict(count_completed(pc) == TARGET_REPS &&
                    median_total(pc) <= POSTCOPY_FACTOR * once));
    fprintf(f, "  - for comparison, switched at once (before the first pass): %.2f s = "
            "%.2fx, switch downtime %.0f ms, completed in %d of %d runs\n",
            median_total(&t->postcopy_at_once), median_total(&t->postcopy_at_once) / once,
            median_downtime(&t->postcopy_at_once), count_completed(&t->postcopy_at_once),
            TARGET_REPS);
}

/* The seed guest converges with XBZRLE: the auto policy must leave it
 * alone (no switch, the same figures). */
static void run_seed_targets(Bench *b, const NetbenchLink *link, FILE *f)
{
    NetbenchRun run = { .guest = "seed", .ram = GUEST_RAM, .mode = MODE_XBZRLE,
                        .link = b->link, .downtime_limit_ms = downtime_limit_ms(link),
                        .cap_s = TARGET_CAP_S };
    Series x, a;
    g_autofree char *where = netbench_link_title(link);

    netbench_link_apply(b->link, link);
    run_series(b, &run, link, &x);
    run.mode = MODE_AUTO_POLICY;
    run_series(b, &run, link, &a);
    fprintf(f, "- seed, %s: XBZRLE %.2f s, %.0f ms, %.1f MB (completed %d of %d); with the "
            "auto policy %.2f s, %.0f ms, %.1f MB (completed %d of %d), switched in %d of "
            "%d runs: %s\n", where, median_total(&x), median_downtime(&x),
            median_stream_mb(&x), count_completed(&x), TARGET_REPS, median_total(&a),
            median_downtime(&a), median_stream_mb(&a), count_completed(&a), TARGET_REPS,
            count_switched(&a), TARGET_REPS,
            verdict(count_switched(&a) == 0 && count_completed(&a) == count_completed(&x)));
    free_series(&x);
    free_series(&a);
}

static void run_targets(Bench *b)
{
    static const char *const judged[] = { "sparse", "dense" };
    const NetbenchLink *near = &default_links[0];
    g_autofree char *csv = out_path(b, "targets.csv");
    g_autofree char *md = out_path(b, "targets.md");
    g_autofree char *verdicts_path = out_path(b, "verdicts.md");
    g_autofree GuestTargets *t = g_new0(GuestTargets, G_N_ELEMENTS(judged));
    FILE *f = fopen(verdicts_path, "w");

    ck_assert_msg(f, "cannot create %s", verdicts_path);
    b->report = netbench_report_open(csv, md);
    netbench_link_apply(b->link, near);
    for (size_t g = 0; g < G_N_ELEMENTS(judged); g++) {
        run_guest_targets(b, judged[g], near, &t[g]);
    }
    for (size_t g = 0; g < G_N_ELEMENTS(judged); g++) {
        judge_guest(f, judged[g], &t[g]);
        free_series(&t[g].reference);
        free_series(&t[g].postcopy_at_once);
        for (int m = 0; m < MODE_COUNT; m++) {
            free_series(&t[g].modes[m]);
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(default_links); i++) {
        run_seed_targets(b, &default_links[i], f);
    }
    netbench_report_close(b->report);
    b->report = NULL;
    fclose(f);
    g_autofree char *text = NULL;
    g_file_get_contents(verdicts_path, &text, NULL, NULL);
    printf("\nTargets (medians of %d runs):\n\n%s\nCSV: %s\ntable: %s\n", TARGET_REPS,
           text ? text : "", csv, md);
}

/* --- one cell ------------------------------------------------------------------ */

static NetbenchMode mode_named(const char *name)
{
    for (int m = 0; m < MODE_COUNT; m++) {
        if (!strcmp(netbench_mode_name(m), name)) {
            return m;
        }
    }
    ck_abort_msg("no mode '%s'", name);
    return MODE_PLAIN;
}

static void run_one_cell(Bench *b, char **args, int nargs)
{
    ck_assert_msg(nargs >= 5, "usage: bench-network one GUEST MODE RATE_MBIT DELAY_MS "
                  "LOSS_PCT [RUNS]");
    g_autofree char *rate = g_strdup_printf("%smbit", args[2]);
    NetbenchLink link = { rate, g_ascii_strtod(args[2], NULL), (unsigned)atoi(args[3]),
                          g_ascii_strtod(args[4], NULL) };
    g_autofree char *csv = out_path(b, "one.csv");
    g_autofree char *md = out_path(b, "one.md");
    g_autofree char *png = out_path(b, "plots/timeline-one.png");
    int runs = nargs >= 6 ? atoi(args[5]) : 1;
    bool stopped = !strcmp(args[1], "stopped");
    NetbenchRun run = { .guest = args[0], .ram = GUEST_RAM,
                        .mode = stopped ? MODE_PLAIN : mode_named(args[1]),
                        .link = b->link, .downtime_limit_ms = downtime_limit_ms(&link),
                        .cap_s = FULL_CAP_S, .stopped = stopped,
                        .plot_png = b->plots ? png : NULL, .plot_title = "one" };

    b->report = netbench_report_open(csv, md);
    netbench_link_apply(b->link, &link);
    for (int i = 0; i < runs; i++) {
        NetbenchResult res;
        run_and_report(b, &run, &link, i + 1, &res);
        g_free(res.detail);
    }
    netbench_report_close(b->report);
    b->report = NULL;
}

/* --- main ------------------------------------------------------------------------ */

static int bench_argc;
static char **bench_argv;

static const char *what_to_run(void)
{
    return bench_argc >= 2 ? bench_argv[1] : "default";
}

START_TEST(bench_network)
{
    g_autofree char *why = NULL;
    const char *what = what_to_run();
    bool one = !strcmp(what, "one");
    Bench b = { .outdir = one ? "build/bench-network/one" :
                bench_argc >= 3 ? bench_argv[2] : "build/bench-network" };

    if (!linkem_available(&why)) {
        ck_abort_msg("bench-network needs emulated links: %s", why);
    }
    b.plots = netbench_plot_available(&why);
    if (!b.plots) {
        printf("bench-network: no plots: %s; the CSV and the table are written all "
               "the same\n", why);
    }
    make_dirs(&b);
    printf("accelerator: %s; results in %s\n\n", qtest_accel(), b.outdir);
    b.link = linkem_start(NULL);
    if (!strcmp(what, "full")) {
        run_matrix(&b, full_links, G_N_ELEMENTS(full_links), FULL_CAP_S);
    } else if (!strcmp(what, "targets")) {
        run_targets(&b);
    } else if (one) {
        run_one_cell(&b, bench_argv + 2, bench_argc - 2);
    } else if (!strcmp(what, "default")) {
        run_matrix(&b, default_links, G_N_ELEMENTS(default_links), DEFAULT_CAP_S);
    } else {
        ck_abort_msg("usage: bench-network [default|full|targets] [OUTDIR]");
    }
    linkem_stop(b.link);
}
END_TEST

int main(int argc, char **argv)
{
    bench_argc = argc;
    bench_argv = argv;
    return qtest_run_in_process("bench-network", bench_network, 6 * 3600);
}
