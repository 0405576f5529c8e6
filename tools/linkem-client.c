/*
 * linkem: a one-shot control client. Blocking calls are fine here: the
 * forwarder answers at once, and a forwarder that does not is worth a
 * message rather than a hang (a receive timeout).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "linkem-client.h"

#define REPLY_MAX 4096
#define REPLY_TIMEOUT_S 5

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };

    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Reads up to the first newline (excluded); false on EOF or error. */
static bool read_line(int fd, char *buf, size_t size)
{
    size_t len = 0;

    while (len < size - 1) {
        ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
        if (n <= 0) {
            return false;
        }
        len += n;
        buf[len] = '\0';
        char *newline = strchr(buf, '\n');
        if (newline) {
            *newline = '\0';
            return true;
        }
    }
    return false;
}

int client_run(const char *path, const char *command)
{
    char reply[REPLY_MAX];

    int fd = connect_to(path);
    if (fd < 0) {
        fprintf(stderr, "linkem: %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t len = strlen(command);
    bool sent = send(fd, command, len, MSG_NOSIGNAL) == (ssize_t)len &&
                send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
    if (!sent || !read_line(fd, reply, sizeof(reply))) {
        fprintf(stderr, "linkem: %s: no reply: %s\n", path,
                errno ? strerror(errno) : "connection closed");
        close(fd);
        return 2;
    }
    close(fd);
    printf("%s\n", reply);
    return strncmp(reply, "ok", 2) ? 1 : 0;
}
