/*
 * make bench-linkem: what TCP carries through an emulated link
 * (tools/linkem) at the settings the migration tests use: one connection
 * from namespace a to b, a sender writing for SECONDS, a receiver counting.
 * Prints a Markdown table (docs/performance.md) with the forwarder's CPU.
 * Needs root (network namespaces).
 *
 *   bench-linkem [SECONDS]     (default 10)
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/libqmp.h"
#include "tests/linkem.h"

#define PORT 5001
#define CHUNK (1 << 20)

typedef struct Setting {
    const char *label;
    LinkemParams params;
    const char *congestion;     /* the sender's; NULL: the host's default */
} Setting;

static const Setting settings[] = {
    { "unlimited", { 0 } },
    { "1 Gbit/s", { .rate = "1gbit" } },
    { "100 Mbit/s", { .rate = "100mbit" } },
    { "100 Mbit/s, 20 ms, 1% loss", { .rate = "100mbit", .delay = "20ms", .loss = "1%" } },
    { "1 Gbit/s, 20 ms, 1% loss", { .rate = "1gbit", .delay = "20ms", .loss = "1%" } },
    /* A loss-based sender for comparison, whatever the host's default. */
    { "1 Gbit/s, 20 ms, 1% loss, cubic", { .rate = "1gbit", .delay = "20ms", .loss = "1%" },
      "cubic" },
};

typedef struct Transfer {
    int fd;
    double seconds;     /* the sender's writing time */
    uint64_t bytes;     /* what the receiver got */
} Transfer;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The forwarder's user + system CPU seconds (it also pays for the
 * receiving stack's work, done in its writes to the tun device). */
static double process_cpu_s(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;
    unsigned long utime, stime;

    if (!g_file_get_contents(path, &stat, NULL, NULL)) {
        return 0;
    }
    /* The fields after the command name, which may hold spaces. */
    const char *after = strrchr(stat, ')');
    if (!after || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                         &utime, &stime) != 2) {
        return 0;
    }
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static void *send_for(void *opaque)
{
    Transfer *t = opaque;
    static char buf[CHUNK];
    double end = now_s() + t->seconds;

    while (now_s() < end) {
        if (send(t->fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0) {
            fprintf(stderr, "bench-linkem: send: %s\n", g_strerror(errno));
            break;
        }
    }
    shutdown(t->fd, SHUT_WR);
    return NULL;
}

static void *receive_all(void *opaque)
{
    Transfer *t = opaque;
    static char buf[CHUNK];
    ssize_t n;

    while ((n = recv(t->fd, buf, sizeof(buf), 0)) > 0) {
        t->bytes += n;
    }
    return NULL;
}

static void connect_pair(Linkem *l, int *a, int *b)
{
    struct sockaddr_in at_b = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    int listener = linkem_socket(l, LINKEM_B, SOCK_STREAM);

    inet_pton(AF_INET, linkem_addr_b(l), &at_b.sin_addr);
    *a = linkem_socket(l, LINKEM_A, SOCK_STREAM);
    if (bind(listener, (struct sockaddr *)&at_b, sizeof(at_b)) < 0 || listen(listener, 1) < 0 ||
        connect(*a, (struct sockaddr *)&at_b, sizeof(at_b)) < 0 ||
        (*b = accept(listener, NULL, NULL)) < 0) {
        fprintf(stderr, "bench-linkem: connection through the link: %s\n", g_strerror(errno));
        exit(1);
    }
    close(listener);
}

/* One row: goodput over the whole transfer (from the first write to the
 * last byte received), and the forwarder's share of a CPU meanwhile. */
static void measure(const Setting *s, double seconds)
{
    Linkem *l = linkem_start(&s->params);
    Transfer tx = { .seconds = seconds }, rx = { 0 };
    pthread_t sender, receiver;

    connect_pair(l, &tx.fd, &rx.fd);
    if (s->congestion && setsockopt(tx.fd, IPPROTO_TCP, TCP_CONGESTION, s->congestion,
                                    strlen(s->congestion)) < 0) {
        fprintf(stderr, "bench-linkem: %s: %s\n", s->congestion, g_strerror(errno));
        exit(1);
    }
    pid_t forwarder = linkem_forwarder_pid(l);
    double cpu0 = process_cpu_s(forwarder);
    double t0 = now_s();
    pthread_create(&receiver, NULL, receive_all, &rx);
    pthread_create(&sender, NULL, send_for, &tx);
    pthread_join(sender, NULL);
    pthread_join(receiver, NULL);
    double elapsed = now_s() - t0;
    double cpu = process_cpu_s(forwarder) - cpu0;
    uint64_t lost = linkem_stat(l, "a2b.lost") + linkem_stat(l, "b2a.lost");

    printf("| %s | %.0f | %.2f | %.0f%% | %" G_GUINT64_FORMAT " |\n", s->label,
           rx.bytes * 8 / elapsed / 1e6, elapsed, 100 * cpu / elapsed, lost);
    fflush(stdout);
    close(tx.fd);
    close(rx.fd);
    linkem_stop(l);
}

static void print_machine(void)
{
    g_autofree char *cpuinfo = NULL;
    g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL);
    const char *model = cpuinfo ? strstr(cpuinfo, "model name") : NULL;
    int len = model ? (int)strcspn(model, "\n") : 0;

    g_autofree char *cc = NULL;
    g_file_get_contents("/proc/sys/net/ipv4/tcp_congestion_control", &cc, NULL, NULL);

    printf("machine: %.*s, %ld CPUs online; TCP congestion control: %s\n", len,
           model ? model : "", sysconf(_SC_NPROCESSORS_ONLN), cc ? g_strstrip(cc) : "?");
}

static double bench_seconds = 10;

/* A Check test, so that a link that fails says why (tests/linkem.c
 * reports through Check). */
START_TEST(bench_linkem)
{
    print_machine();
    printf("one TCP connection a -> b for %.0f s; delay is one way (each direction), "
           "loss in each direction; MTU 1500, no queue limit\n\n", bench_seconds);
    printf("| link | goodput Mbit/s | s | forwarder CPU | packets lost |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < G_N_ELEMENTS(settings); i++) {
        measure(&settings[i], bench_seconds);
    }
}
END_TEST

int main(int argc, char **argv)
{
    g_autofree char *why = NULL;

    bench_seconds = argc > 1 ? atof(argv[1]) : 10;
    if (bench_seconds <= 0) {
        fprintf(stderr, "usage: bench-linkem [SECONDS]\n");
        return 2;
    }
    if (!linkem_available(&why)) {
        fprintf(stderr, "bench-linkem: %s\n", why);
        return 1;
    }
    return qtest_run_in_process("bench-linkem", bench_linkem, 3600);
}
