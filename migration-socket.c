/*
 * Accepting the incoming migration's connection from the main loop.
 */
#include <unistd.h>
#include <glib-unix.h>

#include "migration-socket.h"
#include "qemu-error.h"
#include "qemu-sockets.h"

typedef struct Acceptor {
    int listen_fd;
    IncomingReady *ready;
    void *opaque;
} Acceptor;

static gboolean accept_connection(gint fd, GIOCondition cond, gpointer opaque)
{
    Acceptor *a = opaque;
    GError *err = NULL;
    int conn = socket_accept(a->listen_fd, &err);

    if (conn < 0) {
        /* A client that went away before we took it: keep listening. */
        error_report("incoming migration: %s", err->message);
        g_error_free(err);
        return G_SOURCE_CONTINUE;
    }
    close(a->listen_fd);
    a->ready(conn, a->opaque);
    g_free(a);
    return G_SOURCE_REMOVE;
}

void migration_accept_one(int listen_fd, IncomingReady *ready, void *opaque)
{
    Acceptor *a = g_new0(Acceptor, 1);

    a->listen_fd = listen_fd;
    a->ready = ready;
    a->opaque = opaque;
    g_unix_fd_add(listen_fd, G_IO_IN, accept_connection, a);
}
