/*
 * TCP and Unix stream sockets from user-typed addresses (see
 * qemu-sockets.h). Errors name the address, so that a message like
 * "cannot connect to 127.0.0.1:4444: Connection refused" needs no context.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu-error.h"
#include "qemu-sockets.h"

#define PORT_MAX 65535

/*
 * `port` as a number from 1 to PORT_MAX, or -1 for anything else: empty, a
 * sign, trailing characters, a service name (qemu-sockets.h says why names
 * are refused).
 */
static int port_number(const char *port)
{
    int n = 0;

    if (!port[0]) {
        return -1;
    }
    for (const char *p = port; *p; p++) {
        if (!g_ascii_isdigit(*p)) {
            return -1;
        }
        n = n * 10 + (*p - '0');
        if (n > PORT_MAX) {
            return -1;      /* also keeps a long run of digits from overflowing */
        }
    }
    return n > 0 ? n : -1;
}

int inet_parse(const char *host_port, char **host, char **port, GError **errp)
{
    const char *colon;
    const char *host_start = host_port;
    const char *host_end;

    if (host_port[0] == '[') {
        /* "[v6 address]:port" */
        host_end = strchr(host_port, ']');
        if (!host_end || host_end[1] != ':') {
            error_setg(errp, "invalid address '%s' (expected [HOST]:PORT)",
                       host_port);
            return -1;
        }
        host_start = host_port + 1;
        colon = host_end + 1;
    } else {
        colon = strrchr(host_port, ':');
        if (!colon) {
            error_setg(errp, "invalid address '%s' (expected HOST:PORT)",
                       host_port);
            return -1;
        }
        host_end = colon;
    }
    if (colon[1] == '\0') {
        error_setg(errp, "invalid address '%s': the port is missing", host_port);
        return -1;
    }
    int number = port_number(colon + 1);
    if (number < 0) {
        error_setg(errp, "invalid port '%s' in '%s' (1-%d)", colon + 1,
                   host_port, PORT_MAX);
        return -1;
    }
    *host = g_strndup(host_start, host_end - host_start);
    *port = g_strdup_printf("%d", number);
    return 0;
}

/* `what` is the address as the user wrote it, for the error message. */
static struct addrinfo *inet_resolve(const char *host, const char *port,
                                     const char *what, bool passive,
                                     GError **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        /* The port is a number by now: no /etc/services lookup. */
        .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_ADDRCONFIG),
    };
    struct addrinfo *res;

    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        error_setg(errp, "cannot resolve '%s': %s", what, gai_strerror(rc));
        return NULL;
    }
    return res;
}

static int inet_listen_one(const struct addrinfo *ai)
{
    int on = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int inet_listen_at(const char *host, const char *port,
                          const char *what, GError **errp)
{
    struct addrinfo *res = inet_resolve(host, port, what, true, errp);
    if (!res) {
        return -1;
    }
    int fd = -1;
    int err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = inet_listen_one(ai);
        if (fd < 0) {
            err = errno;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "cannot listen on %s", what);
    }
    return fd;
}

int inet_listen(const char *host_port, GError **errp)
{
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;

    if (inet_parse(host_port, &host, &port, errp) < 0) {
        return -1;
    }
    return inet_listen_at(host, port, host_port, errp);
}

int inet_listen_any_port(const char *host, GError **errp)
{
    g_autofree char *what = g_strdup_printf("%s (any port)",
                                           host[0] ? host : "every address");

    return inet_listen_at(host, "0", what, errp);
}

static int inet_connect_one(const struct addrinfo *ai)
{
    int on = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    int rc;
    do {
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    /* Monitor replies and migration headers are small: send them now. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

int inet_connect(const char *host_port, GError **errp)
{
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;

    if (inet_parse(host_port, &host, &port, errp) < 0) {
        return -1;
    }
    struct addrinfo *res = inet_resolve(host, port, host_port, false, errp);
    if (!res) {
        return -1;
    }
    int fd = -1;
    int err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = inet_connect_one(ai);
        if (fd < 0) {
            err = errno;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "cannot connect to %s", host_port);
    }
    return fd;
}

static int unix_addr(const char *path, struct sockaddr_un *addr, GError **errp)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (path[0] == '\0' || strlen(path) >= sizeof(addr->sun_path)) {
        error_setg(errp, "invalid Unix socket path '%s' (empty or over %zu bytes)",
                   path, sizeof(addr->sun_path) - 1);
        return -1;
    }
    strcpy(addr->sun_path, path);
    return 0;
}

/* Removes `path` only when it is a socket: never a user's regular file. */
static void unlink_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
}

int unix_listen(const char *path, GError **errp)
{
    struct sockaddr_un addr;

    if (unix_addr(path, &addr, errp) < 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create a Unix socket");
        return -1;
    }
    unlink_stale_socket(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, 4) < 0) {
        error_setg_errno(errp, errno, "cannot listen on Unix socket '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

int unix_connect(const char *path, GError **errp)
{
    struct sockaddr_un addr;

    if (unix_addr(path, &addr, errp) < 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create a Unix socket");
        return -1;
    }
    int rc;
    do {
        rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        error_setg_errno(errp, errno, "cannot connect to Unix socket '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

int socket_accept(int listen_fd, GError **errp)
{
    int fd;
    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot accept a connection");
        return -1;
    }
    int on = 1;
    /* Fails harmlessly on Unix sockets. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

int socket_local_port(int fd, GError **errp)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        error_setg_errno(errp, errno, "cannot get the socket's address");
        return -1;
    }
    switch (ss.ss_family) {
    case AF_INET:
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    case AF_INET6:
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    default:
        error_setg(errp, "not a TCP socket");
        return -1;
    }
}

int socket_set_nonblock(int fd, gboolean nonblock)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        return -1;
    }
    flags = nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}
