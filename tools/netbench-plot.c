/*
 * The network benchmark's plots (netbench-plot.h): the scripts run as
 * child processes of the benchmark, from the top of the tree.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "tools/netbench-plot.h"

#define TIMELINE_SCRIPT "scripts/migration-plot"
#define SUMMARY_SCRIPT "scripts/network-plots"
/* The sampler connects within this long, or is given up. */
#define READY_TIMEOUT_MS 10000
/* It draws within this long of the migration's end. */
#define DRAW_TIMEOUT_MS 30000

struct TimelinePlot {
    GPid pid;
    char *png;
};

bool netbench_plot_available(char **why)
{
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    g_autofree char *python = g_find_program_in_path("python3");

    if (!gnuplot) {
        *why = g_strdup("gnuplot is missing (apt-get install gnuplot-nox)");
        return false;
    }
    if (!python) {
        *why = g_strdup("python3 is missing (apt-get install python3)");
        return false;
    }
    return true;
}

/* Reads the sampler's "ready" line from fd. */
static bool wait_ready(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    char line[16] = "";
    size_t len = 0;

    while (len < sizeof(line) - 1 && !strchr(line, '\n')) {
        if (poll(&pfd, 1, READY_TIMEOUT_MS) != 1) {
            return false;
        }
        ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
        if (n <= 0) {
            return false;
        }
        len += (size_t)n;
        line[len] = '\0';
    }
    return !strncmp(line, "ready\n", 6);
}

/* Waits for pid for up to timeout_ms; its exit status, or -1 (killed). */
static int wait_child(GPid pid, int timeout_ms)
{
    int status;

    for (int waited = 0; waited < timeout_ms; waited += 50) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        g_usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

TimelinePlot *timeline_plot_start(const char *qmp_socket, const char *png,
                                  const char *title)
{
    /* The samples are kept beside the picture (PNG.tsv), for a closer look. */
    g_autofree char *data = g_strdup_printf("%s.tsv", png);
    const char *argv[] = { TIMELINE_SCRIPT, "--ready", "--title", title, "--data", data,
                           qmp_socket, png, NULL };
    g_autoptr(GError) err = NULL;
    TimelinePlot *p = g_new0(TimelinePlot, 1);
    int out;

    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                  NULL, NULL, &p->pid, NULL, &out, NULL, &err)) {
        fprintf(stderr, "bench-network: %s: %s\n", TIMELINE_SCRIPT, err->message);
        g_free(p);
        return NULL;
    }
    bool ready = wait_ready(out);
    close(out);
    if (!ready) {
        fprintf(stderr, "bench-network: %s did not connect to %s\n", TIMELINE_SCRIPT,
                qmp_socket);
        kill(p->pid, SIGTERM);
        wait_child(p->pid, DRAW_TIMEOUT_MS);
        g_free(p);
        return NULL;
    }
    p->png = g_strdup(png);
    return p;
}

void timeline_plot_finish(TimelinePlot *p)
{
    if (!p) {
        return;
    }
    if (wait_child(p->pid, DRAW_TIMEOUT_MS) != 0) {
        fprintf(stderr, "bench-network: %s did not draw %s\n", TIMELINE_SCRIPT, p->png);
    }
    g_free(p->png);
    g_free(p);
}

bool summary_plots_draw(const char *csv, const char *dir)
{
    const char *argv[] = { SUMMARY_SCRIPT, csv, dir, NULL };
    g_autoptr(GError) err = NULL;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                      NULL, NULL, &status, &err)) {
        fprintf(stderr, "bench-network: %s: %s\n", SUMMARY_SCRIPT, err->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, &err)) {
        fprintf(stderr, "bench-network: %s: %s\n", SUMMARY_SCRIPT, err->message);
        return false;
    }
    return true;
}
