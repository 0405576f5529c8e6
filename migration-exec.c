/*
 * The exec: migration transport: the stream goes to the standard input of
 * a shell command (source) or comes from its standard output (destination),
 * e.g. "exec:gzip -c > vm.gz" and "exec:gzip -dc vm.gz". The command runs
 * in its own process group, so that ending it ends everything it started.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "migration.h"
#include "qemu-error.h"

#define KILL_GRACE_MS 1000
#define POLL_INTERVAL_US 10000

typedef enum { PIPE_TO_CHILD, PIPE_FROM_CHILD } PipeDirection;

static void child_setup(gpointer opaque)
{
    setpgid(0, 0);
}

/* Runs `sh -c command` with one end of a pipe as its stdin or stdout;
 * returns our end. */
static int spawn_with_pipe(const char *command, PipeDirection dir, GPid *child,
                           GError **errp)
{
    const char *argv[] = { "/bin/sh", "-c", command, NULL };
    int fd = -1;

    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, child,
                                  dir == PIPE_TO_CHILD ? &fd : NULL,
                                  dir == PIPE_FROM_CHILD ? &fd : NULL,
                                  NULL, errp)) {
        error_prepend(errp, "cannot run '%s'", command);
        return -1;
    }
    return fd;
}

int exec_start_outgoing_migration(const char *command, GPid *child, GError **errp)
{
    return spawn_with_pipe(command, PIPE_TO_CHILD, child, errp);
}

int exec_start_incoming_migration(const char *command, GPid *child,
                                  IncomingReady *ready, void *opaque,
                                  GError **errp)
{
    int fd = spawn_with_pipe(command, PIPE_FROM_CHILD, child, errp);

    if (fd < 0) {
        return -1;
    }
    ready(fd, opaque);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reaps the child if it has exited by deadline_ms; true with *status then. */
static bool wait_child(GPid child, uint64_t deadline_ms, int *status)
{
    for (;;) {
        pid_t r = waitpid(child, status, WNOHANG);
        if (r == child || (r < 0 && errno != EINTR)) {
            return true;
        }
        if (now_ms() >= deadline_ms) {
            return false;
        }
        g_usleep(POLL_INTERVAL_US);
    }
}

/* SIGTERM to the group, SIGKILL if it is still there after the grace. */
static void kill_child(GPid child, int *status)
{
    kill(-child, SIGTERM);
    if (!wait_child(child, now_ms() + KILL_GRACE_MS, status)) {
        kill(-child, SIGKILL);
        wait_child(child, UINT64_MAX, status);
    }
    /* What the command started and left behind in its group goes too. */
    kill(-child, SIGKILL);
}

int exec_finish_child(GPid child, bool force, unsigned timeout_ms, GError **errp)
{
    int status = 0;

    if (force) {
        kill_child(child, &status);
        return 0;
    }
    if (!wait_child(child, now_ms() + timeout_ms, &status)) {
        kill_child(child, &status);
        error_setg(errp, "the migration command did not exit within %u ms; killed",
                   timeout_ms);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }
    if (WIFSIGNALED(status)) {
        error_setg(errp, "the migration command was killed by signal %d",
                   WTERMSIG(status));
    } else {
        error_setg(errp, "the migration command exited with status %d",
                   WEXITSTATUS(status));
    }
    return -1;
}
