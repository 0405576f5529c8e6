/*
 * The network benchmark's records: each run as a CSV line (for the plots
 * and for anyone's own analysis) and as a Markdown table row (for
 * docs/performance.md, and on stdout as the runs go).
 */
#ifndef TOOLS_NETBENCH_REPORT_H
#define TOOLS_NETBENCH_REPORT_H

#include <stdio.h>

#include "tools/netbench-run.h"

typedef struct NetbenchRow {
    const NetbenchRun *run;
    const NetbenchLink *link;
    int repetition;             /* 1, 2, 3 of a median */
    const NetbenchResult *result;
} NetbenchRow;

typedef struct NetbenchReport NetbenchReport;

/* Creates csv_path and md_path (and writes their headers); fails the
 * Check test if it cannot. */
NetbenchReport *netbench_report_open(const char *csv_path, const char *md_path);
/* Appends a row to both files, and prints it; every row is flushed, so
 * an interrupted run keeps what it measured. */
void netbench_report_add(NetbenchReport *rep, const NetbenchRow *row);
void netbench_report_close(NetbenchReport *rep);

/* The Markdown table's header (also for other tables of the same rows). */
void netbench_report_print_header(FILE *f);
void netbench_report_print_row(FILE *f, const NetbenchRow *row);

#endif
