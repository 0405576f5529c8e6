/*
 * Emulated links (tools/linkem through scripts/linkem-net and
 * tests/linkem.c): what passes, what does not, how long it takes, and
 * emulators talking across a link. Needs root for network namespaces and
 * skips, saying why, where they cannot be created.
 *
 * Times are only ever bounded from below: the machine is shared and a
 * link may be slower than set, never faster.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqmp.h"
#include "linkem.h"

#define PORT 5000
#define QUIET_MS 1000           /* "nothing arrives" means in this long */
#define DATAGRAM 1000
/* Sent into a link that passes nothing: small enough for the socket's
 * first send buffer, so that send() returns. */
#define STALLED 8000

/* ---------------------------------------------------------------------- */
/* Sockets across the link (all in this thread; setns is per thread) */

static struct sockaddr_in address(const char *ip, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return poll(&pfd, 1, timeout_ms) == 1;
}

static double seconds_since(gint64 start)
{
    return (g_get_monotonic_time() - start) / 1e6;
}

/* A connected TCP pair: *a in namespace a, *b accepted in namespace b. */
static void tcp_pair(Linkem *l, int *a, int *b)
{
    int listener = linkem_socket(l, LINKEM_B, SOCK_STREAM);
    struct sockaddr_in at_b = address(linkem_addr_b(l), PORT);
    int one = 1;

    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(listener, (struct sockaddr *)&at_b, sizeof(at_b)), 0);
    ck_assert_int_eq(listen(listener, 1), 0);
    *a = linkem_socket(l, LINKEM_A, SOCK_STREAM);
    ck_assert_msg(connect(*a, (struct sockaddr *)&at_b, sizeof(at_b)) == 0,
                  "connect through the link: %s", g_strerror(errno));
    *b = accept(listener, NULL, NULL);
    ck_assert_int_ge(*b, 0);
    setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    close(listener);
}

/* A UDP socket in a connected to one bound in b. */
static void udp_pair(Linkem *l, int *a, int *b)
{
    struct sockaddr_in at_b = address(linkem_addr_b(l), PORT);
    /* Room for every datagram of a burst (as root, past rmem_max): only
     * the link may drop them. */
    int room = 16 << 20;

    *b = linkem_socket(l, LINKEM_B, SOCK_DGRAM);
    ck_assert_int_eq(setsockopt(*b, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof(room)), 0);
    ck_assert_int_eq(bind(*b, (struct sockaddr *)&at_b, sizeof(at_b)), 0);
    *a = linkem_socket(l, LINKEM_A, SOCK_DGRAM);
    ck_assert_int_eq(connect(*a, (struct sockaddr *)&at_b, sizeof(at_b)), 0);
}

static void send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        ck_assert_msg(n > 0, "send: %s", g_strerror(errno));
        p += n;
        len -= n;
    }
}

/* Reads exactly len bytes, failing the test after the usual timeout. */
static void recv_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ck_assert_msg(wait_readable(fd, qtest_timeout_ms()), "no data through the link");
        ssize_t n = recv(fd, p, len, 0);
        ck_assert_msg(n > 0, "recv: %s", n < 0 ? g_strerror(errno) : "closed");
        p += n;
        len -= n;
    }
}

static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *buf = g_malloc(len);
    GRand *rand = g_rand_new_with_seed(seed);
    for (size_t i = 0; i < len; i++) {
        buf[i] = g_rand_int(rand);
    }
    g_rand_free(rand);
    return buf;
}

/* Moves len bytes of data from `from` to `to` (into got) as fast as both
 * go, in one thread: sending only what the sockets take, receiving
 * meanwhile. Returns the seconds it took. */
static double move_bytes(int from, int to, const uint8_t *data, uint8_t *got, size_t len)
{
    size_t sent = 0, received = 0;
    gint64 start = g_get_monotonic_time();

    while (received < len) {
        struct pollfd pfd[2] = {
            { .fd = from, .events = sent < len ? POLLOUT : 0 },
            { .fd = to, .events = POLLIN },
        };
        ck_assert_msg(poll(pfd, 2, qtest_timeout_ms()) > 0, "the transfer stalled");
        if (pfd[0].revents & POLLOUT) {
            ssize_t n = send(from, data + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            ck_assert_msg(n > 0 || errno == EAGAIN, "send: %s", g_strerror(errno));
            sent += n > 0 ? n : 0;
        }
        if (pfd[1].revents & POLLIN) {
            ssize_t n = recv(to, got + received, len - received, MSG_DONTWAIT);
            ck_assert_msg(n > 0 || (n < 0 && errno == EAGAIN), "recv: %s",
                          n ? g_strerror(errno) : "closed");
            received += n > 0 ? n : 0;
        }
    }
    return seconds_since(start);
}

/* Sends len patterned bytes from `from` and checks `to` gets them all. */
static void assert_bytes_pass(int from, int to, size_t len, unsigned seed)
{
    g_autofree uint8_t *sent = pattern(len, seed);
    g_autofree uint8_t *got = g_malloc(len);

    move_bytes(from, to, sent, got, len);
    ck_assert_msg(!memcmp(sent, got, len), "bytes changed on the way");
}

static double timed_transfer(int from, int to, size_t len)
{
    g_autofree uint8_t *data = g_malloc0(len);
    g_autofree uint8_t *got = g_malloc(len);

    return move_bytes(from, to, data, got, len);
}

/* Datagrams numbered 0..count-1 from a; which of them b got. */
static GArray *datagrams_through(int a, int b, int count)
{
    GArray *arrived = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    uint8_t buf[DATAGRAM] = { 0 };

    for (uint32_t i = 0; i < (uint32_t)count; i++) {
        memcpy(buf, &i, sizeof(i));
        ck_assert_int_eq(send(a, buf, sizeof(buf), 0), sizeof(buf));
    }
    while (wait_readable(b, QUIET_MS)) {
        uint32_t seq;
        ck_assert_int_eq(recv(b, buf, sizeof(buf), 0), sizeof(buf));
        memcpy(&seq, buf, sizeof(seq));
        g_array_append_val(arrived, seq);
    }
    return arrived;
}

static void assert_nothing_arrives(int fd)
{
    ck_assert_msg(!wait_readable(fd, QUIET_MS), "data crossed a link that should pass nothing");
}

static int socket_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    return err;
}

/* ---------------------------------------------------------------------- */
/* What passes */

START_TEST(test_bytes_pass_unchanged_in_both_directions)
{
    Linkem *l = linkem_start(NULL);
    int a, b;

    tcp_pair(l, &a, &b);
    assert_bytes_pass(a, b, 4 << 20, 1);
    assert_bytes_pass(b, a, 4 << 20, 2);
    ck_assert_uint_gt(linkem_stat(l, "a2b.delivered_bytes"), 4 << 20);
    ck_assert_uint_gt(linkem_stat(l, "b2a.delivered_bytes"), 4 << 20);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

START_TEST(test_full_loss_passes_nothing_and_no_loss_passes_all)
{
    Linkem *l = linkem_start(&(LinkemParams){ .loss = "100%" });
    int a, b;

    udp_pair(l, &a, &b);
    g_autoptr(GArray) none = datagrams_through(a, b, 20);
    ck_assert_int_eq(none->len, 0);
    ck_assert_uint_eq(linkem_stat(l, "a2b.lost"), 20);

    linkem_set(l, "loss 0");
    g_autoptr(GArray) all = datagrams_through(a, b, 20);
    ck_assert_int_eq(all->len, 20);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* A given seed loses the same packets every time; about the share set. */
START_TEST(test_loss_drops_its_share_and_repeats_with_the_same_seed)
{
    Linkem *l = linkem_start(&(LinkemParams){ .loss = "10%", .seed = 7 });
    int a, b;

    udp_pair(l, &a, &b);
    g_autoptr(GArray) first = datagrams_through(a, b, 500);
    linkem_set(l, "seed 7");
    g_autoptr(GArray) again = datagrams_through(a, b, 500);

    ck_assert_int_ge(first->len, 500 * 80 / 100);
    ck_assert_int_le(first->len, 500 * 98 / 100);
    ck_assert_int_eq(again->len, first->len);
    ck_assert(!memcmp(again->data, first->data, first->len * sizeof(uint32_t)));
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Links that pass nothing, and come back */

/* Dead: silence both ways, no reset, no ICMP; the connection survives. */
START_TEST(test_dead_link_passes_nothing_and_dead_off_restores_the_connection)
{
    Linkem *l = linkem_start(NULL);
    int a, b;

    tcp_pair(l, &a, &b);
    linkem_set(l, "dead on");
    uint64_t back_before = linkem_stat(l, "b2a.delivered");
    g_autofree uint8_t *sent = pattern(STALLED, 3);
    send_all(a, sent, STALLED);
    assert_nothing_arrives(b);
    ck_assert_uint_gt(linkem_stat(l, "a2b.dead_drops"), 0);
    ck_assert_uint_eq(linkem_stat(l, "b2a.delivered"), back_before);
    ck_assert_int_eq(socket_error(a), 0);

    linkem_set(l, "dead off");
    g_autofree uint8_t *got = g_malloc(STALLED);
    recv_all(b, got, STALLED);
    ck_assert(!memcmp(sent, got, STALLED));
    assert_bytes_pass(b, a, 1 << 20, 4);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* Link down: the interfaces go down in both namespaces; up again, the
 * open connection carries on. */
START_TEST(test_link_down_passes_nothing_and_link_up_restores_the_connection)
{
    Linkem *l = linkem_start(NULL);
    int a, b;

    tcp_pair(l, &a, &b);
    linkem_link_down(l, true);
    g_autofree uint8_t *sent = pattern(STALLED, 5);
    send_all(a, sent, STALLED);
    assert_nothing_arrives(b);

    linkem_link_down(l, false);
    g_autofree uint8_t *got = g_malloc(STALLED);
    recv_all(b, got, STALLED);
    ck_assert(!memcmp(sent, got, STALLED));
    assert_bytes_pass(b, a, 1 << 20, 6);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Time on the link */

START_TEST(test_round_trip_takes_at_least_twice_the_delay)
{
    Linkem *l = linkem_start(&(LinkemParams){ .delay = "50ms" });
    int a, b;
    char byte = 'x';

    gint64 start = g_get_monotonic_time();
    tcp_pair(l, &a, &b);
    double handshake = seconds_since(start);
    ck_assert_msg(handshake >= 0.100, "connect took %.3f s over 2 x 50 ms", handshake);

    for (int i = 0; i < 3; i++) {
        start = g_get_monotonic_time();
        send_all(a, &byte, 1);
        recv_all(b, &byte, 1);
        send_all(b, &byte, 1);
        recv_all(a, &byte, 1);
        double rtt = seconds_since(start);
        ck_assert_msg(rtt >= 0.100, "a round trip took %.3f s over 2 x 50 ms", rtt);
    }
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* N bytes at R bit/s take N * 8 / R at least (headers make it longer). */
START_TEST(test_transfer_takes_at_least_its_size_over_the_rate)
{
    Linkem *l = linkem_start(&(LinkemParams){ .rate = "20mbit" });
    const size_t len = 4 << 20;
    int a, b;

    tcp_pair(l, &a, &b);
    double took = timed_transfer(a, b, len);
    double wire = len * 8 / 20e6;
    ck_assert_msg(took >= wire, "%zu bytes at 20 Mbit/s in %.3f s, under %.3f s",
                  len, took, wire);

    /* Each direction has its own rate: the way back is unlimited. */
    linkem_set(l, "a2b rate unlimited");
    linkem_set(l, "b2a rate 10mbit");
    took = timed_transfer(b, a, len / 2);
    ck_assert_msg(took >= len / 2 * 8 / 10e6, "%zu bytes at 10 Mbit/s in %.3f s",
                  len / 2, took);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The queue */

/* A burst into a slow link: what does not fit in the queue is dropped at
 * once, the rest arrives. Without a limit everything arrives. */
START_TEST(test_queue_limit_drops_what_does_not_fit)
{
    Linkem *l = linkem_start(&(LinkemParams){ .rate = "1mbit", .limit = "10p" });
    int a, b;

    udp_pair(l, &a, &b);
    g_autoptr(GArray) limited = datagrams_through(a, b, 100);
    uint64_t drops = linkem_stat(l, "a2b.queue_drops");
    ck_assert_uint_gt(drops, 0);
    ck_assert_uint_eq(limited->len + drops, 100);

    linkem_set(l, "limit 3000b");
    g_autoptr(GArray) bytes_limited = datagrams_through(a, b, 100);
    ck_assert_uint_gt(linkem_stat(l, "a2b.queue_drops"), drops);
    ck_assert_int_lt(bytes_limited->len, 100);

    linkem_set(l, "limit none");
    linkem_set(l, "rate 100mbit");
    g_autoptr(GArray) unlimited = datagrams_through(a, b, 100);
    ck_assert_int_eq(unlimited->len, 100);
    close(a);
    close(b);
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The control socket */

START_TEST(test_control_errors_are_explained_and_change_nothing)
{
    static const char *const bad[] = {
        "rate fast", "rate -5mbit", "rate 10 mbit", "rate 0.5bit", "delay 5",
        "delay 2h", "loss 150%", "loss 1", "loss nan%", "limit 10q", "limit 0.5p",
        "dead maybe", "seed x", "rate", "frobnicate", "a2b", "b2a warp 9",
        "show me", "help me",
    };
    Linkem *l = linkem_start(&(LinkemParams){ .rate = "10mbit", .delay = "1ms" });
    g_autofree char *before = linkem_command(l, "show");

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *reply = linkem_command(l, "%s", bad[i]);
        ck_assert_msg(g_str_has_prefix(reply, "error: ") && strlen(reply) > 12,
                      "'%s' got '%s'", bad[i], reply);
    }
    g_autofree char *empty = linkem_command(l, "%s", "");
    ck_assert_str_eq(empty, "error: empty command (try help)");
    g_autofree char *after = linkem_command(l, "show");
    ck_assert_str_eq(after, before);
    ck_assert_str_eq(before, "ok a2b rate=10mbit delay=1ms loss=0% limit=none dead=off "
                     "seed=1 b2a rate=10mbit delay=1ms loss=0% limit=none dead=off seed=2");
    linkem_stop(l);
}
END_TEST

START_TEST(test_control_commands_set_one_direction_or_both)
{
    Linkem *l = linkem_start(NULL);

    linkem_set(l, "rate 1gbit");
    linkem_set(l, "b2a delay 2.5ms");
    linkem_set(l, "a2b loss 0.5%%");
    linkem_set(l, "limit 64kb");
    g_autofree char *shown = linkem_command(l, "show");
    ck_assert_str_eq(shown, "ok a2b rate=1gbit delay=0 loss=0.5% limit=65536b dead=off "
                     "seed=1 b2a rate=1gbit delay=2500us loss=0% limit=65536b dead=off "
                     "seed=2");
    g_autofree char *one = linkem_command(l, "b2a show");
    ck_assert_str_eq(one, "ok b2a rate=1gbit delay=2500us loss=0% limit=65536b dead=off "
                     "seed=2");
    g_autofree char *help = linkem_command(l, "help");
    ck_assert_msg(g_str_has_prefix(help, "ok commands:"), "%s", help);
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Setting up and tearing down */

static bool netns_exists(const char *name)
{
    g_autofree char *path = g_strdup_printf("/run/netns/%s", name);
    return access(path, F_OK) == 0;
}

static bool process_exists(pid_t pid)
{
    return kill(pid, 0) == 0;
}

/* Polls for the link's namespaces and forwarder to be gone. */
static bool link_gone(const char *netns_a, const char *netns_b, pid_t forwarder)
{
    for (int waited = 0; waited < qtest_timeout_ms(); waited += 20) {
        if (!netns_exists(netns_a) && !netns_exists(netns_b) && !process_exists(forwarder)) {
            return true;
        }
        g_usleep(20000);
    }
    return false;
}

START_TEST(test_stop_removes_the_namespaces_and_the_forwarder)
{
    Linkem *l = linkem_start(NULL);
    g_autofree char *netns_a = g_strdup(linkem_netns_a(l));
    g_autofree char *netns_b = g_strdup(linkem_netns_b(l));
    pid_t forwarder = linkem_forwarder_pid(l);

    ck_assert(netns_exists(netns_a) && netns_exists(netns_b));
    ck_assert(process_exists(forwarder));
    linkem_stop(l);
    ck_assert(!netns_exists(netns_a) && !netns_exists(netns_b));
    ck_assert(link_gone(netns_a, netns_b, forwarder));
}
END_TEST

/* A forwarder stopped by a signal exits cleanly, and the script removes
 * the rest. */
START_TEST(test_forwarder_ended_by_a_signal_takes_the_link_with_it)
{
    Linkem *l = linkem_start(NULL);
    pid_t forwarder = linkem_forwarder_pid(l);

    ck_assert_int_eq(kill(forwarder, SIGINT), 0);
    ck_assert_msg(link_gone(linkem_netns_a(l), linkem_netns_b(l), forwarder),
                  "the link outlived its forwarder");
    linkem_stop(l);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Emulators on a link */

/* An emulator in b listening for a migration: QMP works from the test's
 * namespace, and a client in a reaches its port through the link. */
START_TEST(test_emulator_in_a_namespace_answers_qmp_and_its_listener_is_reachable)
{
    Linkem *l = linkem_start(&(LinkemParams){ .delay = "5ms" });
    QTestOptions in_b = { .netns = linkem_netns_b(l) };
    QTestState *dst = qtest_start_opts(&in_b, "-kernel guests/idle.elf -S -incoming tcp:%s:%d",
                                       linkem_addr_b(l), PORT);

    g_autoptr(JsonNode) status = qtest_qmp_ok(dst, "{'execute': 'query-status'}");
    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(status), "status"),
                     "inmigrate");
    struct sockaddr_in at_b = address(linkem_addr_b(l), PORT);
    int client = linkem_socket(l, LINKEM_A, SOCK_STREAM);
    int rc = -1;
    for (int tries = 0; tries < 100 && rc < 0; tries++) {
        rc = connect(client, (struct sockaddr *)&at_b, sizeof(at_b));
        if (rc < 0) {
            ck_assert_msg(errno == ECONNREFUSED, "connect: %s", g_strerror(errno));
            g_usleep(50000);    /* the listener may not be up yet */
        }
    }
    ck_assert_msg(rc == 0, "the emulator's listener in b is not reachable from a");
    ck_assert_uint_gt(linkem_stat(l, "a2b.delivered"), 0);
    close(client);
    qtest_quit(dst);
    linkem_stop(l);
}
END_TEST

/* The use the tool is for: a live migration from an emulator in a to one in
 * b over a slow, distant link. */
START_TEST(test_migration_crosses_the_link)
{
    Linkem *l = linkem_start(&(LinkemParams){ .rate = "100mbit", .delay = "10ms" });
    QTestOptions in_a = { .netns = linkem_netns_a(l) };
    QTestOptions in_b = { .netns = linkem_netns_b(l) };
    g_autofree char *uri = g_strdup_printf("tcp:%s:%d", linkem_addr_b(l), PORT);
    QTestState *dst = qtest_start_opts(&in_b, "-kernel guests/idle.elf -S -incoming %s", uri);
    QTestState *src = qtest_start_opts(&in_a, "-kernel guests/idle.elf");

    /* The MIGRATION events waited for below are sent only with this on;
     * the closing handshake's round trips (10 ms each way) must fit in the
     * downtime limit. */
    g_free(qtest_hmp(src, "migrate_set_capability events on"));
    g_free(qtest_hmp(src, "migrate_set_parameter downtime-limit 300"));
    qtest_expect_stdout(src, "halting", 0);
    /* The MIGRATION events waited for are sent only with "events" on. The
     * closing handshake alone takes one and a half round trips (30 ms
     * here): the default 30 ms limit could never be met. */
    g_free(qtest_hmp(src, "migrate_set_capability events on"));
    g_free(qtest_hmp(src, "migrate_set_downtime 0.3"));
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': '%s'}}", uri);
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(src, "MIGRATION");
        const char *st = json_object_get_string_member(
            json_object_get_object_member(ev, "data"), "status");
        if (strcmp(st, "setup") && strcmp(st, "active")) {
            ck_assert_msg(!strcmp(st, "completed"), "migration %s: %s", st,
                          qtest_stderr(src));
            break;
        }
    }
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t sent = json_object_get_int_member(json_object_get_object_member(info, "ram"),
                                              "transferred");
    ck_assert_uint_ge(linkem_stat(l, "a2b.delivered_bytes"), sent);
    g_autoptr(GBytes) src_ram = qtest_pmemsave(src, 0, 64 << 20);
    g_autoptr(GBytes) dst_ram = qtest_pmemsave(dst, 0, 64 << 20);
    ck_assert(g_bytes_equal(src_ram, dst_ram));
    qtest_quit(src);
    qtest_quit(dst);
    linkem_stop(l);
}
END_TEST

static Suite *linkem_suite(void)
{
    Suite *s = suite_create("linkem");
    TCase *passing = tcase_create("passing");
    TCase *timing = tcase_create("timing");
    TCase *control = tcase_create("control");
    TCase *lifetime = tcase_create("lifetime");
    TCase *emulators = tcase_create("emulators");

    qtest_tcase_timeout(passing, 2);
    qtest_tcase_timeout(timing, 2);
    qtest_tcase_timeout(control, 1);
    qtest_tcase_timeout(lifetime, 2);
    qtest_tcase_timeout(emulators, 4);
    tcase_add_test(passing, test_bytes_pass_unchanged_in_both_directions);
    tcase_add_test(passing, test_full_loss_passes_nothing_and_no_loss_passes_all);
    tcase_add_test(passing, test_loss_drops_its_share_and_repeats_with_the_same_seed);
    tcase_add_test(passing, test_dead_link_passes_nothing_and_dead_off_restores_the_connection);
    tcase_add_test(passing, test_link_down_passes_nothing_and_link_up_restores_the_connection);
    tcase_add_test(timing, test_round_trip_takes_at_least_twice_the_delay);
    tcase_add_test(timing, test_transfer_takes_at_least_its_size_over_the_rate);
    tcase_add_test(timing, test_queue_limit_drops_what_does_not_fit);
    tcase_add_test(control, test_control_errors_are_explained_and_change_nothing);
    tcase_add_test(control, test_control_commands_set_one_direction_or_both);
    tcase_add_test(lifetime, test_stop_removes_the_namespaces_and_the_forwarder);
    tcase_add_test(lifetime, test_forwarder_ended_by_a_signal_takes_the_link_with_it);
    tcase_add_test(emulators, test_emulator_in_a_namespace_answers_qmp_and_its_listener_is_reachable);
    tcase_add_test(emulators, test_migration_crosses_the_link);
    suite_add_tcase(s, passing);
    suite_add_tcase(s, timing);
    suite_add_tcase(s, control);
    suite_add_tcase(s, lifetime);
    suite_add_tcase(s, emulators);
    return s;
}

int main(void)
{
    g_autofree char *why = NULL;

    if (!linkem_available(&why)) {
        printf("SKIP: emulated links need network namespaces: %s\n", why);
        return EXIT_SUCCESS;
    }
    SRunner *runner = srunner_create(linkem_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
