/*
 * Specification of the chardevs (qemu-char.h) and socket helpers
 * (qemu-sockets.h), in-process: a recording frontend, the glib main loop run
 * by the test, and plain sockets as the clients.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "main-loop.h"
#include "qemu-char.h"
#include "qemu-sockets.h"

#define WAIT_US (10 * G_USEC_PER_SEC)   /* a failure guard, not a measure */

/* ---------------------------------------------------------------------- */
/* A frontend that records what it gets */

typedef struct Frontend {
    GString *in;
    int room;           /* what can_read answers */
    int opened, closed, mux_in, mux_out;
} Frontend;

static int fe_can_read(void *opaque)
{
    return ((Frontend *)opaque)->room;
}

static void fe_read(void *opaque, const uint8_t *buf, int len)
{
    g_string_append_len(((Frontend *)opaque)->in, (const char *)buf, len);
}

static void fe_event(void *opaque, CharEvent event)
{
    Frontend *fe = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:  fe->opened++; break;
    case CHR_EVENT_CLOSED:  fe->closed++; break;
    case CHR_EVENT_MUX_IN:  fe->mux_in++; break;
    case CHR_EVENT_MUX_OUT: fe->mux_out++; break;
    }
}

static Frontend *fe_new(void)
{
    Frontend *fe = g_new0(Frontend, 1);
    fe->in = g_string_new(NULL);
    fe->room = 4096;
    return fe;
}

static void fe_free(Frontend *fe)
{
    g_string_free(fe->in, TRUE);
    g_free(fe);
}

static void attach(CharDriverState *chr, Frontend *fe)
{
    qemu_chr_add_handlers(chr, fe_can_read, fe_read, fe_event, fe);
}

/* ---------------------------------------------------------------------- */
/* Running the main loop until something happened */

typedef bool Condition(void *opaque);

static void run_until(Condition *cond, void *opaque)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    while (!cond(opaque)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "waited too long");
        if (!g_main_context_iteration(NULL, FALSE)) {
            g_usleep(1000);
        }
    }
}

static bool is_opened(void *fe) { return ((Frontend *)fe)->opened > 0; }
static bool is_closed(void *fe) { return ((Frontend *)fe)->closed > 0; }

typedef struct Expect {
    Frontend *fe;
    const char *text;
} Expect;

static bool has_input(void *opaque)
{
    Expect *e = opaque;
    return strstr(e->fe->in->str, e->text) != NULL;
}

static void run_until_input(Frontend *fe, const char *text)
{
    Expect e = { fe, text };
    run_until(has_input, &e);
}

/* Runs the loop a while without expecting anything (idle callbacks). */
static void run_pending(void)
{
    for (int i = 0; i < 100; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
}

/* ---------------------------------------------------------------------- */
/* Clients */

static char *temp_path(const char *name)
{
    g_autofree char *dir = g_dir_make_tmp("test-char-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    return g_build_filename(dir, name, NULL);
}

static void remove_temp(char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    unlink(path);
    rmdir(dir);
    g_free(path);
}

static int client(const char *path)
{
    GError *err = NULL;
    int fd = unix_connect(path, &err);
    ck_assert_msg(fd >= 0, "%s", err ? err->message : "");
    return fd;
}

static void client_send(int fd, const char *text)
{
    ck_assert_int_eq(send(fd, text, strlen(text), MSG_NOSIGNAL), strlen(text));
}

/* Reads until `text` has arrived (the main loop runs meanwhile). */
static void client_expect(int fd, const char *text)
{
    g_autoptr(GString) got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    while (!strstr(got->str, text)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "got '%s'", got->str);
        g_main_context_iteration(NULL, FALSE);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 1) > 0) {
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof(buf));
            ck_assert_int_gt(n, 0);
            g_string_append_len(got, buf, n);
        }
    }
}

/* Reads `total` bytes; the main loop runs meanwhile (it flushes what the
 * client did not take at once). */
static GString *client_read(int fd, size_t total)
{
    GString *got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    while (got->len < total) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "got %zu of %zu bytes",
                      got->len, total);
        g_main_context_iteration(NULL, FALSE);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 1) > 0) {
            char buf[65536];
            ssize_t n = read(fd, buf, MIN(sizeof(buf), total - got->len));
            ck_assert_int_gt(n, 0);
            g_string_append_len(got, buf, n);
        }
    }
    return got;
}

static bool client_at_eof(int fd)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    char buf[256];

    while (g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 1) > 0 && read(fd, buf, sizeof(buf)) <= 0) {
            return true;
        }
    }
    return false;
}

static CharDriverState *new_chr(const char *spec)
{
    GError *err = NULL;
    CharDriverState *chr = qemu_chr_new("test", spec, &err);
    ck_assert_msg(chr != NULL, "%s: %s", spec, err ? err->message : "");
    return chr;
}

static CharDriverState *unix_server(const char *path)
{
    g_autofree char *spec = g_strdup_printf("unix:%s,server,nowait", path);
    return new_chr(spec);
}

static void write_text(CharDriverState *chr, const char *text)
{
    ck_assert_int_eq(qemu_chr_write(chr, (const uint8_t *)text, strlen(text)),
                     strlen(text));
}

/* ---------------------------------------------------------------------- */
/* qemu-sockets */

START_TEST(test_inet_parse_splits_host_and_port)
{
    char *host, *port;

    ck_assert_int_eq(inet_parse("localhost:4444", &host, &port, NULL), 0);
    ck_assert_str_eq(host, "localhost");
    ck_assert_str_eq(port, "4444");
    g_free(host), g_free(port);
    ck_assert_int_eq(inet_parse("[::1]:80", &host, &port, NULL), 0);
    ck_assert_str_eq(host, "::1");
    g_free(host), g_free(port);
    ck_assert_int_eq(inet_parse(":4444", &host, &port, NULL), 0);
    ck_assert_str_eq(host, "");
    g_free(host), g_free(port);
}
END_TEST

START_TEST(test_inet_parse_refuses_a_missing_port)
{
    g_autoptr(GError) err = NULL;
    char *host, *port;

    ck_assert_int_lt(inet_parse("localhost", &host, &port, &err), 0);
    ck_assert_ptr_nonnull(strstr(err->message, "'localhost'"));
    ck_assert_int_lt(inet_parse("localhost:", &host, &port, NULL), 0);
    ck_assert_int_lt(inet_parse("[::1]80", &host, &port, NULL), 0);
}
END_TEST

START_TEST(test_inet_parse_accepts_ports_1_and_65535)
{
    char *host, *port;

    ck_assert_int_eq(inet_parse("localhost:1", &host, &port, NULL), 0);
    ck_assert_str_eq(port, "1");
    g_free(host), g_free(port);
    ck_assert_int_eq(inet_parse("localhost:65535", &host, &port, NULL), 0);
    ck_assert_str_eq(port, "65535");
    g_free(host), g_free(port);
}
END_TEST

START_TEST(test_inet_parse_reads_leading_zeros_as_decimal)
{
    char *host, *port;

    ck_assert_int_eq(inet_parse("localhost:04444", &host, &port, NULL), 0);
    ck_assert_str_eq(port, "4444");
    g_free(host), g_free(port);
}
END_TEST

/* Parses `host_port`, expecting it refused with the port's error. */
static void assert_port_refused(const char *host_port, const char *port)
{
    g_autoptr(GError) err = NULL;
    char *host = NULL, *parsed = NULL;
    g_autofree char *want = g_strdup_printf("invalid port '%s' in '%s' (1-65535)",
                                            port, host_port);

    ck_assert_int_lt(inet_parse(host_port, &host, &parsed, &err), 0);
    ck_assert_str_eq(err->message, want);
    ck_assert_ptr_null(host);
    ck_assert_ptr_null(parsed);
}

START_TEST(test_inet_parse_refuses_port_0)
{
    assert_port_refused("127.0.0.1:0", "0");
}
END_TEST

START_TEST(test_inet_parse_refuses_a_port_above_65535)
{
    assert_port_refused("127.0.0.1:65536", "65536");
    assert_port_refused("[::1]:99999", "99999");
    assert_port_refused("127.0.0.1:99999999999999999999", "99999999999999999999");
}
END_TEST

START_TEST(test_inet_parse_refuses_a_signed_port)
{
    assert_port_refused("127.0.0.1:-1", "-1");
    assert_port_refused("127.0.0.1:+80", "+80");
}
END_TEST

START_TEST(test_inet_parse_refuses_a_port_with_trailing_garbage)
{
    assert_port_refused("127.0.0.1:12ab", "12ab");
    assert_port_refused("127.0.0.1:80 ", "80 ");
}
END_TEST

/* A service name depends on the host's /etc/services (qemu-sockets.h). */
START_TEST(test_inet_parse_refuses_a_service_name)
{
    assert_port_refused("localhost:http", "http");
}
END_TEST

START_TEST(test_inet_listen_refuses_port_0)
{
    g_autoptr(GError) err = NULL;

    ck_assert_int_lt(inet_listen("127.0.0.1:0", &err), 0);
    ck_assert_str_eq(err->message, "invalid port '0' in '127.0.0.1:0' (1-65535)");
}
END_TEST

START_TEST(test_inet_connect_refuses_port_65536)
{
    g_autoptr(GError) err = NULL;

    ck_assert_int_lt(inet_connect("127.0.0.1:65536", &err), 0);
    ck_assert_str_eq(err->message,
                     "invalid port '65536' in '127.0.0.1:65536' (1-65535)");
}
END_TEST

START_TEST(test_inet_listen_any_port_then_connect)
{
    int lfd = inet_listen_any_port("127.0.0.1", NULL);
    ck_assert_int_ge(lfd, 0);
    int port = socket_local_port(lfd, NULL);
    ck_assert_int_gt(port, 0);
    g_autofree char *addr = g_strdup_printf("127.0.0.1:%d", port);
    int cfd = inet_connect(addr, NULL);
    ck_assert_int_ge(cfd, 0);
    int sfd = socket_accept(lfd, NULL);
    ck_assert_int_ge(sfd, 0);
    ck_assert_int_eq(write(cfd, "x", 1), 1);
    char c;
    ck_assert_int_eq(read(sfd, &c, 1), 1);
    close(cfd), close(sfd), close(lfd);
}
END_TEST

START_TEST(test_inet_connect_refused_names_the_address)
{
    int lfd = inet_listen_any_port("127.0.0.1", NULL);
    int port = socket_local_port(lfd, NULL);
    close(lfd);     /* nobody listens there any more */
    g_autofree char *addr = g_strdup_printf("127.0.0.1:%d", port);
    g_autoptr(GError) err = NULL;

    ck_assert_int_lt(inet_connect(addr, &err), 0);
    g_autofree char *want = g_strdup_printf("cannot connect to %s: ", addr);
    ck_assert(g_str_has_prefix(err->message, want));
}
END_TEST

START_TEST(test_unix_listen_replaces_a_stale_socket)
{
    char *path = temp_path("s");
    int a = unix_listen(path, NULL);
    ck_assert_int_ge(a, 0);
    close(a);   /* leaves the socket file behind */
    int b = unix_listen(path, NULL);
    ck_assert_int_ge(b, 0);
    int c = client(path);
    close(c), close(b);
    remove_temp(path);
}
END_TEST

START_TEST(test_unix_listen_never_removes_a_regular_file)
{
    char *path = temp_path("file");
    g_autoptr(GError) err = NULL;

    ck_assert(g_file_set_contents(path, "keep", -1, NULL));
    ck_assert_int_lt(unix_listen(path, &err), 0);
    ck_assert(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    remove_temp(path);
}
END_TEST

START_TEST(test_unix_path_too_long_is_refused)
{
    g_autofree char *path = g_strnfill(200, 'p');
    g_autoptr(GError) err = NULL;

    ck_assert_int_lt(unix_listen(path, &err), 0);
    ck_assert_ptr_nonnull(strstr(err->message, "invalid Unix socket path"));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Specs */

START_TEST(test_bad_specs_are_refused_with_a_message)
{
    static const char *const specs[] = {
        "bogus", "unix:", "tcp:localhost", "unix:/tmp/x,server,frob", "file:",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
        g_autoptr(GError) err = NULL;
        ck_assert_msg(qemu_chr_new("t", specs[i], &err) == NULL, "%s", specs[i]);
        ck_assert_ptr_nonnull(err);
    }
}
END_TEST

START_TEST(test_file_backend_writes_the_file)
{
    char *path = temp_path("out");
    g_autofree char *spec = g_strdup_printf("file:%s", path);
    g_autofree char *data = NULL;
    CharDriverState *chr = new_chr(spec);

    write_text(chr, "hello ");
    write_text(chr, "world");
    qemu_chr_delete(chr);
    ck_assert(g_file_get_contents(path, &data, NULL, NULL));
    ck_assert_str_eq(data, "hello world");
    remove_temp(path);
}
END_TEST

START_TEST(test_null_backend_swallows_output)
{
    CharDriverState *chr = new_chr("null");

    write_text(chr, "lost");
    ck_assert_str_eq(qemu_chr_label(chr), "test");
    ck_assert(!qemu_chr_is_tty(chr));
    qemu_chr_delete(chr);
}
END_TEST

START_TEST(test_stdio_can_be_used_once)
{
    CharDriverState *a = new_chr("stdio");
    g_autoptr(GError) err = NULL;

    ck_assert_ptr_null(qemu_chr_new("b", "stdio", &err));
    ck_assert_str_eq(err->message, "stdio is already used by chardev 'test'");
    qemu_chr_delete(a);
    CharDriverState *again = new_chr("stdio");
    qemu_chr_delete(again);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Socket servers */

START_TEST(test_server_delivers_input_and_events)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    client_send(c, "hello");
    run_until_input(fe, "hello");
    close(c);
    run_until(is_closed, fe);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

START_TEST(test_server_output_reaches_the_client)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    write_text(chr, "to the client");
    client_expect(c, "to the client");
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

START_TEST(test_output_without_a_client_is_dropped)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);

    write_text(chr, "nobody listens");
    qemu_chr_delete(chr);
    remove_temp(path);
}
END_TEST

START_TEST(test_clients_are_served_one_at_a_time)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    attach(chr, fe);
    int first = client(path);
    run_until(is_opened, fe);
    int second = client(path);      /* waits in the backlog */
    client_send(second, "second");
    client_send(first, "first");
    run_until_input(fe, "first");
    write_text(chr, "for first");
    client_expect(first, "for first");
    ck_assert_ptr_null(strstr(fe->in->str, "second"));
    close(first);
    run_until_input(fe, "second");
    ck_assert_int_eq(fe->opened, 2);
    ck_assert_int_eq(fe->closed, 1);
    write_text(chr, "for second");
    client_expect(second, "for second");
    close(second);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

START_TEST(test_disconnect_drops_the_client_and_accepts_the_next)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    attach(chr, fe);
    int first = client(path);
    run_until(is_opened, fe);
    qemu_chr_disconnect(chr);
    ck_assert_int_eq(fe->closed, 1);
    ck_assert(client_at_eof(first));
    int second = client(path);
    client_send(second, "next");
    run_until_input(fe, "next");
    close(first), close(second);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

START_TEST(test_frontend_attached_later_gets_opened)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();
    int c = client(path);

    run_pending();      /* the server accepts with no frontend yet */
    attach(chr, fe);
    ck_assert_int_eq(fe->opened, 0);    /* deferred to the loop */
    run_until(is_opened, fe);
    run_pending();
    ck_assert_int_eq(fe->opened, 1);
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

typedef struct Connector {
    char *path;
    int fd;
} Connector;

static gpointer connect_later(gpointer opaque)
{
    Connector *c = opaque;
    for (int i = 0; i < 1000 && c->fd < 0; i++) {
        c->fd = unix_connect(c->path, NULL);
        if (c->fd < 0) {
            g_usleep(5000);
        }
    }
    return NULL;
}

START_TEST(test_server_without_nowait_waits_for_the_first_client)
{
    Connector conn = { .path = temp_path("s"), .fd = -1 };
    g_autofree char *spec = g_strdup_printf("unix:%s,server", conn.path);
    GThread *t = g_thread_new("connect", connect_later, &conn);
    CharDriverState *chr = new_chr(spec);
    Frontend *fe = fe_new();

    g_thread_join(t);
    ck_assert_int_ge(conn.fd, 0);
    attach(chr, fe);
    run_until(is_opened, fe);
    client_send(conn.fd, "first");
    run_until_input(fe, "first");
    close(conn.fd);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(conn.path);
}
END_TEST

START_TEST(test_tcp_client_connects_to_a_listener)
{
    int lfd = inet_listen_any_port("127.0.0.1", NULL);
    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%d",
                                            socket_local_port(lfd, NULL));
    CharDriverState *chr = new_chr(spec);
    Frontend *fe = fe_new();
    int peer = socket_accept(lfd, NULL);

    attach(chr, fe);
    run_until(is_opened, fe);
    client_send(peer, "over tcp");
    run_until_input(fe, "over tcp");
    write_text(chr, "back");
    client_expect(peer, "back");
    close(peer), close(lfd);
    qemu_chr_delete(chr);
    fe_free(fe);
}
END_TEST

START_TEST(test_tcp_server)
{
    int probe = inet_listen_any_port("127.0.0.1", NULL);
    int port = socket_local_port(probe, NULL);
    close(probe);
    g_autofree char *spec = g_strdup_printf("tcp:127.0.0.1:%d,server,nowait", port);
    g_autofree char *addr = g_strdup_printf("127.0.0.1:%d", port);
    CharDriverState *chr = new_chr(spec);
    Frontend *fe = fe_new();

    attach(chr, fe);
    int c = inet_connect(addr, NULL);
    ck_assert_int_ge(c, 0);
    client_send(c, "tcp in");
    run_until_input(fe, "tcp in");
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Flow control, fds, threads */

START_TEST(test_input_waits_while_the_frontend_has_no_room)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    fe->room = 0;
    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    client_send(c, "held back");
    run_pending();
    ck_assert_uint_eq(fe->in->len, 0);
    fe->room = 4096;
    qemu_chr_accept_input(chr);
    run_until_input(fe, "held back");
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

START_TEST(test_input_is_cut_to_the_room_announced)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();

    fe->room = 3;
    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    client_send(c, "abcdefgh");
    run_until_input(fe, "abcdefgh");    /* in pieces of at most 3 */
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

static void send_with_fd(int sock, const char *text, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ck_assert_int_eq(sendmsg(sock, &msg, 0), strlen(text));
}

START_TEST(test_descriptor_passed_with_scm_rights_is_kept_once)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();
    int p[2];

    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    ck_assert_int_eq(qemu_chr_get_msgfd(chr), -1);
    ck_assert_int_eq(pipe(p), 0);
    send_with_fd(c, "getfd x\n", p[1]);
    run_until_input(fe, "getfd x\n");
    int got = qemu_chr_get_msgfd(chr);
    ck_assert_int_ge(got, 0);
    ck_assert_int_eq(qemu_chr_get_msgfd(chr), -1);
    ck_assert_int_eq(write(got, "!", 1), 1);    /* the same pipe */
    char ch;
    ck_assert_int_eq(read(p[0], &ch, 1), 1);
    ck_assert_int_eq(ch, '!');
    close(got), close(p[0]), close(p[1]), close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

#define WRITERS 4
#define LINES_PER_WRITER 500

static gpointer write_lines(gpointer opaque)
{
    CharDriverState *chr = opaque;
    static gint next_id;
    int id = g_atomic_int_add(&next_id, 1);

    for (int i = 0; i < LINES_PER_WRITER; i++) {
        g_autofree char *line = g_strdup_printf("<writer %d line %04d %s>\n", id, i,
                                                "padding-padding-padding");
        qemu_chr_write(chr, (const uint8_t *)line, strlen(line));
    }
    return NULL;
}

START_TEST(test_writes_from_several_threads_never_interleave)
{
    char *path = temp_path("s");
    CharDriverState *chr = unix_server(path);
    Frontend *fe = fe_new();
    GThread *threads[WRITERS];

    attach(chr, fe);
    int c = client(path);
    run_until(is_opened, fe);
    for (int i = 0; i < WRITERS; i++) {
        threads[i] = g_thread_new("writer", write_lines, chr);
    }
    size_t line_len = strlen("<writer 0 line 0000 padding-padding-padding>\n");
    size_t total = WRITERS * LINES_PER_WRITER * line_len;
    g_autoptr(GString) got = client_read(c, total);
    for (int i = 0; i < WRITERS; i++) {
        g_thread_join(threads[i]);
    }
    g_auto(GStrv) lines = g_strsplit(got->str, "\n", -1);
    int complete = 0;
    for (int i = 0; lines[i]; i++) {
        if (lines[i][0]) {
            ck_assert_msg(g_regex_match_simple(
                "^<writer [0-9] line [0-9]{4} padding-padding-padding>$",
                lines[i], 0, 0), "mangled line: %s", lines[i]);
            complete++;
        }
    }
    ck_assert_int_eq(complete, WRITERS * LINES_PER_WRITER);
    close(c);
    qemu_chr_delete(chr);
    fe_free(fe);
    remove_temp(path);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Output a peer does not take: queued up to the cap, never waited for */

#define OUTPUT_CAP (1024 * 1024)    /* qemu-char.h */

/* Byte i of a test stream: a pattern whose every offset is recognisable. */
static char pattern_byte(size_t i)
{
    return 'a' + (i * 7 + i / 251) % 26;
}

static void write_pattern(CharDriverState *chr, size_t from, size_t len)
{
    char chunk[1024];

    for (size_t done = 0; done < len;) {
        size_t n = MIN(sizeof(chunk), len - done);
        for (size_t i = 0; i < n; i++) {
            chunk[i] = pattern_byte(from + done + i);
        }
        ck_assert_int_eq(qemu_chr_write(chr, (const uint8_t *)chunk, n), n);
        done += n;
    }
}

static void assert_pattern(const GString *got, size_t len)
{
    ck_assert_uint_ge(got->len, len);
    for (size_t i = 0; i < len; i++) {
        ck_assert_msg(got->str[i] == pattern_byte(i), "byte %zu differs", i);
    }
}

typedef struct Server {
    char *path;
    CharDriverState *chr;
    Frontend *fe;
    int client;
} Server;

static void server_start(Server *sv)
{
    sv->path = temp_path("s");
    sv->chr = unix_server(sv->path);
    sv->fe = fe_new();
    attach(sv->chr, sv->fe);
    sv->client = client(sv->path);
    run_until(is_opened, sv->fe);
}

static void server_stop(Server *sv)
{
    close(sv->client);
    qemu_chr_delete(sv->chr);
    fe_free(sv->fe);
    remove_temp(sv->path);
}

START_TEST(test_output_the_client_does_not_read_waits_and_arrives_in_order)
{
    Server sv;
    size_t total = OUTPUT_CAP / 2;

    server_start(&sv);
    /* No main loop runs here: a write waiting for the client never returns. */
    write_pattern(sv.chr, 0, total);
    g_autoptr(GString) got = client_read(sv.client, total);
    assert_pattern(got, total);
    ck_assert_int_eq(sv.fe->closed, 0);
    server_stop(&sv);
}
END_TEST

START_TEST(test_client_over_the_cap_is_dropped_and_the_next_is_served)
{
    Server sv;

    server_start(&sv);
    write_pattern(sv.chr, 0, 3 * OUTPUT_CAP);
    run_until(is_closed, sv.fe);
    ck_assert(client_at_eof(sv.client));
    int next = client(sv.path);
    client_send(next, "next");
    run_until_input(sv.fe, "next");
    ck_assert_int_eq(sv.fe->opened, 2);
    write_text(sv.chr, "for the next");
    client_expect(next, "for the next");
    close(next);
    server_stop(&sv);
}
END_TEST

static gboolean set_flag(gpointer opaque)
{
    *(bool *)opaque = true;
    return G_SOURCE_REMOVE;
}

static bool flag_is_set(void *opaque) { return *(bool *)opaque; }

START_TEST(test_nonblocking_writes_wait_behind_queued_output)
{
    Server sv;
    size_t total = OUTPUT_CAP / 2;
    bool writable = false;

    server_start(&sv);
    write_pattern(sv.chr, 0, total);
    ck_assert_int_eq(qemu_chr_write_nonblock(sv.chr, (const uint8_t *)"!", 1), 0);
    qemu_chr_notify_writable(sv.chr, set_flag, &writable);
    run_pending();
    ck_assert(!writable);
    g_autoptr(GString) got = client_read(sv.client, total);
    run_until(flag_is_set, &writable);
    ck_assert_int_eq(qemu_chr_write_nonblock(sv.chr, (const uint8_t *)"!", 1), 1);
    client_expect(sv.client, "!");
    assert_pattern(got, total);
    server_stop(&sv);
}
END_TEST

/* A pipe in place of stdout or stderr; returns its (non-blocking) read end. */
static int redirect(int fd)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_ge(dup2(p[1], fd), 0);
    close(p[1]);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    return p[0];
}

static void read_available(int fd, GString *into)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(into, buf, n);
    }
}

START_TEST(test_stdout_nobody_reads_drops_output_with_one_log_line)
{
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    int out = redirect(STDOUT_FILENO);
    int err = redirect(STDERR_FILENO);
    CharDriverState *chr = new_chr("stdio");
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GString) log = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    write_pattern(chr, 0, 3 * OUTPUT_CAP);
    /* Read again: what waited comes first, then new output gets through. */
    while (!strstr(got->str, "<resumed>")) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "output never resumed");
        write_text(chr, "<resumed>");
        g_main_context_iteration(NULL, FALSE);
        read_available(out, got);
    }
    assert_pattern(got, OUTPUT_CAP);
    read_available(err, log);
    g_auto(GStrv) lines = g_strsplit(g_strchomp(log->str), "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 1);
    ck_assert_ptr_nonnull(strstr(lines[0], "chardev 'test'"));
    qemu_chr_delete(chr);
    dup2(saved_out, STDOUT_FILENO), dup2(saved_err, STDERR_FILENO);
    close(saved_out), close(saved_err), close(out), close(err);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The mux (on a socket, so that the test can type into it) */

typedef struct Mux {
    char *path;
    CharDriverState *chr;
    Frontend *console;
    Frontend *monitor;
    int client;
} Mux;

static void mux_start(Mux *m, bool monitor_first)
{
    m->path = temp_path("mux");
    g_autofree char *spec = g_strdup_printf("mon:unix:%s,server,nowait", m->path);
    m->chr = new_chr(spec);
    m->console = fe_new();
    m->monitor = fe_new();
    if (monitor_first) {
        qemu_chr_add_handlers_background(m->chr, fe_can_read, fe_read, fe_event,
                                         m->monitor);
        attach(m->chr, m->console);
    } else {
        attach(m->chr, m->console);
        qemu_chr_add_handlers_background(m->chr, fe_can_read, fe_read, fe_event,
                                         m->monitor);
    }
    m->client = client(m->path);
    run_until(is_opened, m->console);
    run_until(is_opened, m->monitor);
}

static void mux_stop(Mux *m)
{
    close(m->client);
    qemu_chr_delete(m->chr);
    fe_free(m->console);
    fe_free(m->monitor);
    remove_temp(m->path);
}

START_TEST(test_mux_input_goes_to_the_console_first)
{
    for (int order = 0; order < 2; order++) {
        Mux m;
        mux_start(&m, order);
        client_send(m.client, "to the guest");
        run_until_input(m.console, "to the guest");
        ck_assert_uint_eq(m.monitor->in->len, 0);
        mux_stop(&m);
    }
}
END_TEST

START_TEST(test_mux_ctrl_a_c_switches_to_the_monitor_and_back)
{
    Mux m;

    mux_start(&m, false);
    client_send(m.client, "\001c" "info status\r");
    run_until_input(m.monitor, "info status\r");
    ck_assert_int_eq(m.monitor->mux_in, 1);
    ck_assert_int_ge(m.console->mux_out, 1);
    client_send(m.client, "\001c" "guest");
    run_until_input(m.console, "guest");
    ck_assert_ptr_null(strstr(m.monitor->in->str, "guest"));
    mux_stop(&m);
}
END_TEST

START_TEST(test_mux_ctrl_a_ctrl_a_sends_ctrl_a)
{
    Mux m;

    mux_start(&m, false);
    client_send(m.client, "x\001\001y");
    run_until_input(m.console, "x\001y");
    mux_stop(&m);
}
END_TEST

START_TEST(test_mux_ctrl_a_h_prints_help)
{
    Mux m;

    mux_start(&m, false);
    client_send(m.client, "\001h");
    client_expect(m.client, "C-a c    switch between the console and the monitor");
    ck_assert_uint_eq(m.console->in->len, 0);
    mux_stop(&m);
}
END_TEST

START_TEST(test_mux_ctrl_a_x_quits)
{
    Mux m;

    mux_start(&m, false);
    client_send(m.client, "\001x");
    client_expect(m.client, "QEMU: Terminated");
    ck_assert(main_loop_quitting());
    mux_stop(&m);
}
END_TEST

START_TEST(test_mux_output_of_both_frontends_reaches_the_terminal)
{
    Mux m;

    mux_start(&m, false);
    write_text(m.chr, "from the guest ");
    write_text(m.chr, "from the monitor");
    client_expect(m.client, "from the guest from the monitor");
    mux_stop(&m);
}
END_TEST

static Suite *char_suite(void)
{
    Suite *s = suite_create("char");
    TCase *tc = tcase_create("sockets");
    tcase_add_test(tc, test_inet_parse_splits_host_and_port);
    tcase_add_test(tc, test_inet_parse_refuses_a_missing_port);
    tcase_add_test(tc, test_inet_parse_accepts_ports_1_and_65535);
    tcase_add_test(tc, test_inet_parse_reads_leading_zeros_as_decimal);
    tcase_add_test(tc, test_inet_parse_refuses_port_0);
    tcase_add_test(tc, test_inet_parse_refuses_a_port_above_65535);
    tcase_add_test(tc, test_inet_parse_refuses_a_signed_port);
    tcase_add_test(tc, test_inet_parse_refuses_a_port_with_trailing_garbage);
    tcase_add_test(tc, test_inet_parse_refuses_a_service_name);
    tcase_add_test(tc, test_inet_listen_refuses_port_0);
    tcase_add_test(tc, test_inet_connect_refuses_port_65536);
    tcase_add_test(tc, test_inet_listen_any_port_then_connect);
    tcase_add_test(tc, test_inet_connect_refused_names_the_address);
    tcase_add_test(tc, test_unix_listen_replaces_a_stale_socket);
    tcase_add_test(tc, test_unix_listen_never_removes_a_regular_file);
    tcase_add_test(tc, test_unix_path_too_long_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("backends");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_bad_specs_are_refused_with_a_message);
    tcase_add_test(tc, test_file_backend_writes_the_file);
    tcase_add_test(tc, test_null_backend_swallows_output);
    tcase_add_test(tc, test_stdio_can_be_used_once);
    tcase_add_test(tc, test_server_delivers_input_and_events);
    tcase_add_test(tc, test_server_output_reaches_the_client);
    tcase_add_test(tc, test_output_without_a_client_is_dropped);
    tcase_add_test(tc, test_clients_are_served_one_at_a_time);
    tcase_add_test(tc, test_disconnect_drops_the_client_and_accepts_the_next);
    tcase_add_test(tc, test_frontend_attached_later_gets_opened);
    tcase_add_test(tc, test_server_without_nowait_waits_for_the_first_client);
    tcase_add_test(tc, test_tcp_client_connects_to_a_listener);
    tcase_add_test(tc, test_tcp_server);
    tcase_add_test(tc, test_input_waits_while_the_frontend_has_no_room);
    tcase_add_test(tc, test_input_is_cut_to_the_room_announced);
    tcase_add_test(tc, test_descriptor_passed_with_scm_rights_is_kept_once);
    tcase_add_test(tc, test_writes_from_several_threads_never_interleave);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_output_the_client_does_not_read_waits_and_arrives_in_order);
    tcase_add_test(tc, test_client_over_the_cap_is_dropped_and_the_next_is_served);
    tcase_add_test(tc, test_nonblocking_writes_wait_behind_queued_output);
    tcase_add_test(tc, test_stdout_nobody_reads_drops_output_with_one_log_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("mux");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_mux_input_goes_to_the_console_first);
    tcase_add_test(tc, test_mux_ctrl_a_c_switches_to_the_monitor_and_back);
    tcase_add_test(tc, test_mux_ctrl_a_ctrl_a_sends_ctrl_a);
    tcase_add_test(tc, test_mux_ctrl_a_h_prints_help);
    tcase_add_test(tc, test_mux_ctrl_a_x_quits);
    tcase_add_test(tc, test_mux_output_of_both_frontends_reaches_the_terminal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(char_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
