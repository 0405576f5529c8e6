/*
 * The network benchmark's plots: the timeline of one migration
 * (scripts/migration-plot, sampling the source's query-migrate while it
 * runs) and the summary figures of a whole run (scripts/network-plots,
 * from the CSV). Both draw with gnuplot.
 */
#ifndef TOOLS_NETBENCH_PLOT_H
#define TOOLS_NETBENCH_PLOT_H

#include <stdbool.h>

/* Whether the plots can be drawn here (gnuplot and python3); if not, *why
 * (g_free it) says what to install. */
bool netbench_plot_available(char **why);

typedef struct TimelinePlot TimelinePlot;

/* Starts sampling the migration of the emulator whose QMP socket is
 * qmp_socket, and returns once the sampler is connected, so that the
 * migration can start. NULL (said on stderr) if it could not start. */
TimelinePlot *timeline_plot_start(const char *qmp_socket, const char *png,
                                  const char *title);
/* Waits for the sampler, which stops when the migration ends, to draw.
 * NULL is fine. */
void timeline_plot_finish(TimelinePlot *p);

/* Draws the summary figures of csv into dir; false (said on stderr) if
 * that failed. */
bool summary_plots_draw(const char *csv, const char *dir);

#endif
