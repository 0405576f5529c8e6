/*
 * The exec: migration transport: the stream goes to the standard input of
 * a shell command (source) or comes from its standard output (destination),
 * e.g. "exec:gzip -c > vm.gz" and "exec:gzip -dc vm.gz".
 */
#include <unistd.h>

#include "migration.h"
#include "qemu-error.h"

typedef enum { PIPE_TO_CHILD, PIPE_FROM_CHILD } PipeDirection;

static void reap_child(GPid pid, gint status, gpointer opaque)
{
    g_spawn_close_pid(pid);
}

/* Runs `sh -c command` with one end of a pipe as its stdin or stdout;
 * returns our end. */
static int spawn_with_pipe(const char *command, PipeDirection dir, GError **errp)
{
    const char *argv[] = { "/bin/sh", "-c", command, NULL };
    GPid pid;
    int fd = -1;

    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                  dir == PIPE_TO_CHILD ? &fd : NULL,
                                  dir == PIPE_FROM_CHILD ? &fd : NULL,
                                  NULL, errp)) {
        error_prepend(errp, "cannot run '%s'", command);
        return -1;
    }
    g_child_watch_add(pid, reap_child, NULL);
    return fd;
}

int exec_start_outgoing_migration(const char *command, GError **errp)
{
    return spawn_with_pipe(command, PIPE_TO_CHILD, errp);
}

int exec_start_incoming_migration(const char *command, IncomingReady *ready,
                                  void *opaque, GError **errp)
{
    int fd = spawn_with_pipe(command, PIPE_FROM_CHILD, errp);

    if (fd < 0) {
        return -1;
    }
    ready(fd, opaque);
    return 0;
}
