/*
 * linkem: the control socket's connections. Input is gathered per client
 * until a newline; every complete line gets its reply at once. A client
 * that sends an endless line or does not read its replies is dropped: the
 * forwarder never waits for one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "linkem-control.h"

#define MAX_CLIENTS (CONTROL_MAX_FDS - 1)
#define INPUT_MAX 1024
#define REPLY_MAX 4096

typedef struct Client {
    int fd;                 /* -1: free */
    size_t len;
    char input[INPUT_MAX];
} Client;

struct ControlServer {
    int listen_fd;
    char *path;
    ControlHandler *handler;
    void *opaque;
    Client clients[MAX_CLIENTS];
};

static int fill_address(struct sockaddr_un *addr, const char *path)
{
    *addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr->sun_path)) {
        return -1;
    }
    memcpy(addr->sun_path, path, strlen(path) + 1);
    return 0;
}

/* A socket file nobody listens on any more may go; anything else stays. */
static int remove_stale_socket(const char *path, const struct sockaddr_un *addr,
                               char *err, size_t err_size)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        return 0;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, err_size, "%s exists and is not a socket", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    int saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    if (rc == 0 || saved != ECONNREFUSED) {
        snprintf(err, err_size, "%s is in use by another forwarder", path);
        return -1;
    }
    unlink(path);
    return 0;
}

ControlServer *control_open(const char *path, ControlHandler *handler, void *opaque,
                            char *err, size_t err_size)
{
    struct sockaddr_un addr;

    if (fill_address(&addr, path) < 0) {
        snprintf(err, err_size, "%s: path too long for a Unix socket", path);
        return NULL;
    }
    if (remove_stale_socket(path, &addr, err, err_size) < 0) {
        return NULL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, MAX_CLIENTS) < 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    ControlServer *c = calloc(1, sizeof(*c));
    c->listen_fd = fd;
    c->path = strdup(path);
    c->handler = handler;
    c->opaque = opaque;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        c->clients[i].fd = -1;
    }
    return c;
}

static void drop_client(Client *client)
{
    close(client->fd);
    client->fd = -1;
    client->len = 0;
}

void control_close(ControlServer *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (c->clients[i].fd >= 0) {
            drop_client(&c->clients[i]);
        }
    }
    close(c->listen_fd);
    unlink(c->path);
    free(c->path);
    free(c);
}

int control_pollfds(const ControlServer *c, struct pollfd *fds)
{
    int n = 0;

    fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (c->clients[i].fd >= 0) {
            fds[n++] = (struct pollfd){ .fd = c->clients[i].fd, .events = POLLIN };
        }
    }
    return n;
}

/* The whole reply or nothing: a client whose socket is full is dropped. */
static bool send_line(int fd, const char *text)
{
    char line[REPLY_MAX + 1];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    if (n < 0 || n >= (int)sizeof(line)) {
        return false;
    }
    return send(fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) == n;
}

static void accept_client(ControlServer *c)
{
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (c->clients[i].fd < 0) {
            c->clients[i].fd = fd;
            return;
        }
    }
    send_line(fd, "error: too many control connections");
    close(fd);
}

/* Runs every complete line in the client's input; false if it must go. */
static bool serve_lines(ControlServer *c, Client *client)
{
    char reply[REPLY_MAX];
    char *newline;

    while ((newline = memchr(client->input, '\n', client->len))) {
        *newline = '\0';
        c->handler(client->input, reply, sizeof(reply), c->opaque);
        if (!send_line(client->fd, reply)) {
            return false;
        }
        size_t used = newline + 1 - client->input;
        memmove(client->input, newline + 1, client->len - used);
        client->len -= used;
    }
    if (client->len == sizeof(client->input)) {
        send_line(client->fd, "error: line too long");
        return false;
    }
    return true;
}

static void read_client(ControlServer *c, Client *client)
{
    ssize_t n = recv(client->fd, client->input + client->len,
                     sizeof(client->input) - client->len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        drop_client(client);
        return;
    }
    client->len += n;
    if (!serve_lines(c, client)) {
        drop_client(client);
    }
}

static Client *client_of(ControlServer *c, int fd)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (c->clients[i].fd == fd) {
            return &c->clients[i];
        }
    }
    return NULL;
}

void control_dispatch(ControlServer *c, const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents) {
            continue;
        }
        if (fds[i].fd == c->listen_fd) {
            accept_client(c);
            continue;
        }
        Client *client = client_of(c, fds[i].fd);
        if (client) {
            read_client(c, client);
        }
    }
}
