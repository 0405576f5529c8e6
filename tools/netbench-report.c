/*
 * The network benchmark's records (netbench-report.h).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "tools/netbench-report.h"

struct NetbenchReport {
    FILE *csv;
    FILE *md;
};

static const char csv_header[] =
    "guest,ram_mib,rate_mbit,delay_ms,loss_pct,mode,stopped,downtime_limit_ms,repetition,"
    "result,total_s,downtime_ms,stream_mb,link_mb,link_lost_packets,passes,"
    "max_throttle_pct,switch_at_sync,postcopy_requests,ram,detail\n";

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f, "bench-network: cannot create %s", path);
    return f;
}

NetbenchReport *netbench_report_open(const char *csv_path, const char *md_path)
{
    NetbenchReport *rep = g_new0(NetbenchReport, 1);

    rep->csv = create(csv_path);
    rep->md = create(md_path);
    fputs(csv_header, rep->csv);
    netbench_report_print_header(rep->md);
    netbench_report_print_header(stdout);
    return rep;
}

/* A CSV field with no comma, quote or line break in it. */
static char *csv_text(const char *s)
{
    g_autofree char *copy = g_strdup(s ? s : "");
    return g_strdelimit(g_steal_pointer(&copy), ",\"\n\r", ';');
}

static void write_csv(FILE *f, const NetbenchRow *row)
{
    const NetbenchRun *r = row->run;
    const NetbenchResult *res = row->result;
    g_autofree char *detail = csv_text(res->detail);

    fprintf(f, "%s,%" G_GUINT64_FORMAT ",%g,%u,%g,%s,%d,%" G_GUINT64_FORMAT ",%d,%s,%.3f,",
            r->guest, r->ram >> 20, row->link->rate_mbit, row->link->delay_ms,
            row->link->loss_pct, netbench_mode_name(r->mode), r->stopped,
            r->downtime_limit_ms, row->repetition, netbench_outcome_name(res->outcome),
            res->total_s);
    if (res->outcome == OUTCOME_COMPLETED) {
        fprintf(f, "%" G_GINT64_FORMAT, res->downtime_ms);
    }
    fprintf(f, ",%.1f,%.1f,%" G_GUINT64_FORMAT ",%" G_GINT64_FORMAT ",%d,%" G_GINT64_FORMAT
            ",%" G_GINT64_FORMAT ",%s,%s\n",
            res->stream_bytes / 1e6, res->link_bytes / 1e6, res->link_lost, res->passes,
            res->max_throttle, res->switch_pass, res->postcopy_requests,
            netbench_ram_check_name(res->ram), detail);
    fflush(f);
}

void netbench_report_print_header(FILE *f)
{
    fprintf(f, "| guest | link | mode | result | total s | downtime ms | MB stream / link "
            "| passes | max throttle | post-copy | RAM |\n");
    fprintf(f, "|---|---|---|---|---:|---:|---:|---:|---:|---|---|\n");
    fflush(f);
}

/* "after sync 2, 35 pages asked for", or "-" */
static char *postcopy_text(const NetbenchResult *res)
{
    if (!res->switch_pass) {
        return g_strdup("-");
    }
    return g_strdup_printf("after sync %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                           " pages asked for", res->switch_pass, res->postcopy_requests);
}

static char *result_text(const NetbenchResult *res)
{
    if (res->outcome == OUTCOME_COMPLETED) {
        return g_strdup("completed");
    }
    if (res->outcome == OUTCOME_NOT_CONVERGED) {
        return g_strdup_printf("**not converged** (%s)", res->detail);
    }
    return g_strdup_printf("**failed**: %s", res->detail ? res->detail : "?");
}

static char *ram_text(const NetbenchResult *res)
{
    if (res->ram == RAM_DIFFERENT) {
        return g_strdup_printf("**DIFFERENT**: %s", res->detail ? res->detail : "?");
    }
    return g_strdup(netbench_ram_check_name(res->ram));
}

void netbench_report_print_row(FILE *f, const NetbenchRow *row)
{
    const NetbenchRun *r = row->run;
    const NetbenchResult *res = row->result;
    g_autofree char *link = netbench_link_title(row->link);
    g_autofree char *result = result_text(res);
    g_autofree char *postcopy = postcopy_text(res);
    g_autofree char *ram = ram_text(res);
    g_autofree char *downtime = res->outcome == OUTCOME_COMPLETED ?
        g_strdup_printf("%" G_GINT64_FORMAT, res->downtime_ms) : g_strdup("-");
    g_autofree char *throttle = res->max_throttle ?
        g_strdup_printf("%d%%", res->max_throttle) : g_strdup("-");

    fprintf(f, "| %s%s | %s | %s | %s | %.2f | %s | %.1f / %.1f | %" G_GINT64_FORMAT
            " | %s | %s | %s |\n",
            r->guest, r->stopped ? " (stopped)" : "", link, netbench_mode_title(r->mode),
            result, res->total_s, downtime, res->stream_bytes / 1e6, res->link_bytes / 1e6,
            res->passes, throttle, postcopy, ram);
    fflush(f);
}

void netbench_report_add(NetbenchReport *rep, const NetbenchRow *row)
{
    write_csv(rep->csv, row);
    netbench_report_print_row(rep->md, row);
    netbench_report_print_row(stdout, row);
}

void netbench_report_close(NetbenchReport *rep)
{
    if (!rep) {
        return;
    }
    fclose(rep->csv);
    fclose(rep->md);
    g_free(rep);
}
