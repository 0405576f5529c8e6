/*
 * A relay between a migration and a socket, the way operators put `nc` or
 * `ssh` in the path, for the transport tests (nc and socat may be absent):
 *
 *   migration-relay from ADDR      accepts one connection on ADDR, copies it
 *                                  to stdout (a destination's exec:)
 *   migration-relay to ADDR        copies stdin to a connection to ADDR
 *                                  (a source's exec:)
 *   migration-relay proxy LISTEN ADDR
 *                                  accepts one connection on LISTEN and
 *                                  relays both ways to ADDR
 *
 * ADDR is tcp:HOST:PORT or unix:PATH. Exits 0 once the copy ended at an
 * end of stream, 1 on an error.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu-error.h"
#include "qemu-sockets.h"

#define CHUNK 65536

static int listen_on(const char *addr, GError **errp)
{
    if (g_str_has_prefix(addr, "tcp:")) {
        return inet_listen(addr + 4, errp);
    }
    if (g_str_has_prefix(addr, "unix:")) {
        return unix_listen(addr + 5, errp);
    }
    error_setg(errp, "unknown address '%s' (tcp:HOST:PORT or unix:PATH)", addr);
    return -1;
}

static int connect_to(const char *addr, GError **errp)
{
    if (g_str_has_prefix(addr, "tcp:")) {
        return inet_connect(addr + 4, errp);
    }
    if (g_str_has_prefix(addr, "unix:")) {
        return unix_connect(addr + 5, errp);
    }
    error_setg(errp, "unknown address '%s' (tcp:HOST:PORT or unix:PATH)", addr);
    return -1;
}

/* Says when it listens, so that whoever waits for it knows when to connect. */
static int accept_one(const char *addr, GError **errp)
{
    int lfd = listen_on(addr, errp);

    if (lfd < 0) {
        return -1;
    }
    fprintf(stderr, "migration-relay: listening on %s\n", addr);
    int fd = socket_accept(lfd, errp);
    close(lfd);
    return fd;
}

static bool write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Copies in to out until in ends; false on an error. Half-closes a socket
 * out at the end, so that its reader sees the end too. */
static bool copy(int in, int out)
{
    uint8_t buf[CHUNK];

    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            shutdown(out, SHUT_WR);
            return true;
        }
        if (!write_all(out, buf, (size_t)n)) {
            return false;
        }
    }
}

/* Both directions until the first end of stream on each. */
static bool relay_both(int a, int b)
{
    struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    uint8_t buf[CHUNK];
    int open_dirs = 2;

    while (open_dirs) {
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            return false;
        }
        for (int i = 0; i < 2; i++) {
            if (!p[i].revents) {
                continue;
            }
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                shutdown(p[1 - i].fd, SHUT_WR);
                p[i].fd = -1;
                open_dirs--;
            } else if (!write_all(p[1 - i].fd, buf, (size_t)n)) {
                return false;
            }
        }
    }
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: migration-relay from ADDR | to ADDR | proxy LISTEN ADDR\n"
                    "  ADDR: tcp:HOST:PORT or unix:PATH\n");
    return 2;
}

static int fail(GError *err)
{
    fprintf(stderr, "migration-relay: %s\n", err->message);
    g_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    GError *err = NULL;

    if (argc == 3 && !strcmp(argv[1], "from")) {
        int fd = accept_one(argv[2], &err);
        return fd < 0 ? fail(err) : !copy(fd, STDOUT_FILENO);
    }
    if (argc == 3 && !strcmp(argv[1], "to")) {
        int fd = connect_to(argv[2], &err);
        return fd < 0 ? fail(err) : !copy(STDIN_FILENO, fd);
    }
    if (argc == 4 && !strcmp(argv[1], "proxy")) {
        int in = accept_one(argv[2], &err);
        int out = in < 0 ? -1 : connect_to(argv[3], &err);
        return out < 0 ? fail(err) : !relay_both(in, out);
    }
    return usage();
}
