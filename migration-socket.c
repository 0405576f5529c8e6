/*
 * The socket transports' shared parts: the destination's listening socket
 * (every connection is handed over; migration-incoming.c decides which one
 * carries the stream), and the options of a migration connection.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <glib-unix.h>

#include "migration-socket.h"
#include "qemu-error.h"
#include "qemu-sockets.h"

struct MigrationListenSocket {
    int listen_fd;
    guint watch;
    IncomingReady *ready;
    void *opaque;
};

static gboolean accept_connection(gint fd, GIOCondition cond, gpointer opaque)
{
    MigrationListenSocket *ls = opaque;
    GError *err = NULL;
    int conn = socket_accept(ls->listen_fd, &err);

    if (conn < 0) {
        /* A client that went away before we took it: keep listening. */
        g_error_free(err);
        return G_SOURCE_CONTINUE;
    }
    ls->ready(conn, ls->opaque);
    return G_SOURCE_CONTINUE;
}

MigrationListenSocket *migration_listen(int listen_fd, IncomingReady *ready,
                                        void *opaque)
{
    MigrationListenSocket *ls = g_new0(MigrationListenSocket, 1);

    ls->listen_fd = listen_fd;
    ls->ready = ready;
    ls->opaque = opaque;
    socket_set_nonblock(listen_fd, TRUE);
    ls->watch = g_unix_fd_add(listen_fd, G_IO_IN, accept_connection, ls);
    return ls;
}

void migration_listener_close(MigrationListenSocket *ls)
{
    g_source_remove(ls->watch);
    close(ls->listen_fd);
    g_free(ls);
}

static bool is_tcp(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
           (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

/*
 * Keepalive probes start after a third of the bound and come every tenth;
 * TCP_USER_TIMEOUT makes the kernel give up on data (or probes) left
 * unacknowledged for the whole bound.
 */
void migration_socket_set_timeouts(int fd, unsigned timeout_ms)
{
    int on = 1;
    int idle = MAX((int)(timeout_ms / 3000), 1);
    int interval = MAX((int)(timeout_ms / 10000), 1);
    int count = 10;
    unsigned user_timeout = timeout_ms;

    if (!is_tcp(fd)) {
        return;
    }
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

bool migration_fd_is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

unsigned migration_socket_rtt_us(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);

    if (!is_tcp(fd) || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) {
        return 0;
    }
    return info.tcpi_rtt;
}
