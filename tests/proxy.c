/*
 * The test proxy (tests/proxy.h): one thread polls the listening socket,
 * every connection pair and a control pipe. A silent direction is simply
 * not read: bytes pile up in the kernel's buffers until the writer blocks,
 * as on a link that drops everything.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-sockets.h"
#include "tests/proxy.h"

#define MAX_PAIRS 8
#define CHUNK 65536

typedef struct Pair {
    int fd[2];          /* 0: the client (source), 1: the target */
} Pair;

struct TestProxy {
    int listen_fd;
    int port;
    char *target;
    int ctl[2];         /* wakes the thread after a change */
    GThread *thread;
    gint mode;          /* ProxyMode */
    gint cut_requested;
    gint stop_requested;
    uint64_t forwarded; /* atomic */
    Pair pairs[MAX_PAIRS];
    int npairs;
};

static void pair_close(TestProxy *p, int i)
{
    close(p->pairs[i].fd[0]);
    close(p->pairs[i].fd[1]);
    p->pairs[i] = p->pairs[--p->npairs];
}

static void accept_pair(TestProxy *p)
{
    int client = socket_accept(p->listen_fd, NULL);
    if (client < 0) {
        return;
    }
    int target = inet_connect(p->target, NULL);
    if (target < 0 || p->npairs == MAX_PAIRS) {
        close(client);
        if (target >= 0) {
            close(target);
        }
        return;
    }
    p->pairs[p->npairs++] = (Pair){ .fd = { client, target } };
}

static bool write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
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

/* Moves one chunk from side `from` of pair i; false when the pair ended. */
static bool pass_chunk(TestProxy *p, int i, int from)
{
    uint8_t buf[CHUNK];
    ssize_t n = recv(p->pairs[i].fd[from], buf, sizeof(buf), 0);

    if (n <= 0) {
        return false;
    }
    if (from == 0) {
        __atomic_add_fetch(&p->forwarded, (uint64_t)n, __ATOMIC_RELAXED);
    }
    return write_all(p->pairs[i].fd[1 - from], buf, (size_t)n);
}

static bool direction_open(ProxyMode mode, int from)
{
    return mode == PROXY_PASS || (mode == PROXY_SILENT_BACK && from == 0);
}

static void poll_once(TestProxy *p)
{
    struct pollfd fds[2 + 2 * MAX_PAIRS];
    ProxyMode mode = g_atomic_int_get(&p->mode);
    int polled = p->npairs;
    int n = 0;

    fds[n++] = (struct pollfd){ .fd = p->ctl[0], .events = POLLIN };
    fds[n++] = (struct pollfd){ .fd = p->listen_fd, .events = POLLIN };
    for (int i = 0; i < p->npairs; i++) {
        for (int side = 0; side < 2; side++) {
            /* A silent direction is not even polled: a hang-up waits too. */
            fds[n++] = (struct pollfd){
                .fd = direction_open(mode, side) ? p->pairs[i].fd[side] : -1,
                .events = POLLIN,
            };
        }
    }
    if (poll(fds, n, -1) < 0) {
        return;
    }
    if (fds[0].revents) {
        char c;
        (void)!read(p->ctl[0], &c, 1);
    }
    /* Only the pairs that were polled; a closed one's place is taken by
     * the last, already done. */
    for (int i = polled - 1; i >= 0; i--) {
        for (int side = 0; side < 2; side++) {
            short ev = fds[2 + 2 * i + side].revents;
            if (ev && direction_open(mode, side) && !pass_chunk(p, i, side)) {
                pair_close(p, i);
                break;
            }
        }
    }
    /* Last: a pair accepted now has no poll result yet (its sockets block,
     * and a read without data would stop the proxy). */
    if (fds[1].revents) {
        accept_pair(p);
    }
}

static gpointer proxy_thread(gpointer opaque)
{
    TestProxy *p = opaque;

    while (!g_atomic_int_get(&p->stop_requested)) {
        if (g_atomic_int_compare_and_exchange(&p->cut_requested, 1, 0)) {
            while (p->npairs) {
                pair_close(p, 0);
            }
        }
        poll_once(p);
    }
    while (p->npairs) {
        pair_close(p, 0);
    }
    return NULL;
}

static void wake(TestProxy *p)
{
    (void)!write(p->ctl[1], "x", 1);
}

TestProxy *test_proxy_start(const char *target)
{
    TestProxy *p = g_new0(TestProxy, 1);

    p->target = g_strdup(target);
    p->listen_fd = inet_listen_any_port("127.0.0.1", NULL);
    g_assert(p->listen_fd >= 0);
    p->port = socket_local_port(p->listen_fd, NULL);
    g_assert(pipe(p->ctl) == 0);
    p->thread = g_thread_new("test-proxy", proxy_thread, p);
    return p;
}

int test_proxy_port(TestProxy *p)
{
    return p->port;
}

void test_proxy_set_mode(TestProxy *p, ProxyMode mode)
{
    g_atomic_int_set(&p->mode, mode);
    wake(p);
}

void test_proxy_cut(TestProxy *p)
{
    g_atomic_int_set(&p->cut_requested, 1);
    wake(p);
}

uint64_t test_proxy_forwarded(TestProxy *p)
{
    return __atomic_load_n(&p->forwarded, __ATOMIC_RELAXED);
}

void test_proxy_stop(TestProxy *p)
{
    if (!p) {
        return;
    }
    g_atomic_int_set(&p->stop_requested, 1);
    wake(p);
    g_thread_join(p->thread);
    close(p->listen_fd);
    close(p->ctl[0]);
    close(p->ctl[1]);
    g_free(p->target);
    g_free(p);
}
