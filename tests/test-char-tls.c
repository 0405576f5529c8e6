/*
 * Specification of monitors over TLS: -chardev socket with tls-creds (and
 * tls-authz) and -mon, as a user reaches QMP and HMP with a client
 * certificate; who is refused and how it shows; the output queue's cap over
 * TLS; the handshake's time bound; and the errors of -chardev and -mon.
 *
 * Certificates come from tests/tlscerts.h (certtool at run time): the
 * emulator's server credentials "tls0" (verify-peer=on, so a client
 * certificate is required), and in this process the client credentials
 * "cli" (a certificate named TLS_CERTS_CLIENT_DN) and "bare" (none), used by
 * tests/tlsconn.h.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "authz/simple.h"
#include "crypto/tlscreds.h"
#include "libqmp.h"
#include "object.h"
#include "qemu-char.h"
#include "qemu-error.h"
#include "qemu-sockets.h"
#include "tlscerts.h"
#include "tlsconn.h"

#define OUTPUT_CAP (1024 * 1024)    /* qemu-char.h */
#define LABEL "mon0"

static TlsCerts *certs;

static void setup(void)
{
    certs = tls_certs_new();
}

static void teardown(void)
{
    object_delete_all();
    tls_certs_free(certs);
    certs = NULL;
}

/* ---------------------------------------------------------------------- */
/* Helpers: credentials in this process */

static void G_GNUC_PRINTF(1, 2) add_object(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autoptr(GError) err = NULL;

    ck_assert_msg(object_create_from_string(text, &err) == 0, "%s: %s", text,
                  err ? err->message : "");
}

/* "cli": a client certificate; "bare": none. */
static void add_client_creds(void)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);
    g_autofree char *bare = tls_certs_x509_dir(certs, "bare", TLS_CERT_CLIENT,
                                               "ca", NULL);

    add_object("tls-creds-x509,id=cli,endpoint=client,dir=%s", dir);
    add_object("tls-creds-x509,id=bare,endpoint=client,dir=%s", bare);
}

/* ---------------------------------------------------------------------- */
/* Helpers: the emulator with a monitor on a TLS chardev */

typedef struct TlsMonitor {
    QTestState *s;
    char *address;      /* tcp:127.0.0.1:PORT */
} TlsMonitor;

/*
 * The emulator (stopped, the idle guest) with server credentials tls0 and
 * a monitor of `mode` (control or readline) on chardev mon0, listening on
 * a free port; `chardev_extra` and `extra` go on -chardev and the command
 * line. The client credentials are made in this process.
 */
static TlsMonitor start_monitor(const char *mode, const char *chardev_extra,
                                const char *extra)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    int port = qtest_free_tcp_port();
    TlsMonitor m = { .address = g_strdup_printf("tcp:127.0.0.1:%d", port) };

    add_client_creds();
    m.s = qtest_start("-S -kernel guests/idle.elf "
                      "-object tls-creds-x509,id=tls0,endpoint=server,dir=%s,"
                      "verify-peer=on %s "
                      "-chardev socket,id=" LABEL ",host=127.0.0.1,port=%d,"
                      "server=on,wait=off,tls-creds=tls0%s "
                      "-mon chardev=" LABEL ",mode=%s",
                      dir, extra, port, chardev_extra, mode);
    return m;
}

static TlsMonitor start_qmp(void)
{
    return start_monitor("control", "", "");
}

/* tls-authz admitting only `identity`. */
static TlsMonitor start_qmp_with_authz(const char *identity)
{
    g_auto(GStrv) parts = g_strsplit(identity, ",", -1);
    g_autofree char *escaped = g_strjoinv(",,", parts);
    g_autofree char *object = g_strdup_printf("-object 'authz-simple,id=auth0,"
                                              "identity=%s'", escaped);

    return start_monitor("control", ",tls-authz=auth0", object);
}

static void stop_monitor(TlsMonitor *m)
{
    qtest_quit(m->s);
    g_free(m->address);
}

static TlsConn *connect_as(TlsMonitor *m, const char *creds)
{
    g_autoptr(GError) err = NULL;
    TlsConn *c = tls_conn_connect(m->address, creds, TLS_CERTS_HOSTNAME, &err);

    ck_assert_msg(c, "TLS client '%s': %s", creds, err ? err->message : "");
    return c;
}

/* Waits until the emulator's stderr holds `needle`. */
static void expect_stderr(QTestState *s, const char *needle)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    for (;;) {
        g_autofree char *err = qtest_stderr(s);
        if (strstr(err, needle)) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline,
                      "'%s' not on stderr: %s", needle, err);
        g_usleep(2000);
    }
}

static int count_occurrences(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------------- */
/* Helpers: QMP and HMP through a TLS client */

static JsonObject *parse_message(const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();

    ck_assert_msg(json_parser_load_from_data(parser, line, -1, NULL) &&
                  JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)),
                  "not a JSON object: %s", line);
    return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* The next QMP message (each ends with CR LF). */
static JsonObject *qmp_read(TlsConn *c)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = tls_conn_read_until(c, "\n", &err);

    ck_assert_msg(line, "reading a QMP message: %s", err ? err->message : "");
    return parse_message(line);
}

static void send_text(TlsConn *c, const char *text)
{
    g_autoptr(GError) err = NULL;

    ck_assert_msg(tls_conn_send(c, text, &err) == 0, "sending: %s",
                  err ? err->message : "");
}

/* A request's whole reply. */
static JsonObject *qmp_request(TlsConn *c, const char *request)
{
    g_autofree char *line = g_strconcat(request, "\n", NULL);

    send_text(c, line);
    return qmp_read(c);
}

static void assert_returns(JsonObject *reply)
{
    g_autofree char *text = qtest_json_object_text(reply);

    ck_assert_msg(json_object_has_member(reply, "return"), "%s", text);
}

/* Reads the greeting and negotiates capabilities, as every QMP client. */
static void qmp_negotiate(TlsConn *c)
{
    g_autoptr(JsonObject) greeting = qmp_read(c);
    ck_assert(json_object_has_member(greeting, "QMP"));
    g_autoptr(JsonObject) reply = qmp_request(c, "{\"execute\": \"qmp_capabilities\"}");
    assert_returns(reply);
}

static char *query_status(TlsConn *c)
{
    g_autoptr(JsonObject) reply = qmp_request(c, "{\"execute\": \"query-status\"}");

    assert_returns(reply);
    JsonObject *ret = json_object_get_object_member(reply, "return");
    return g_strdup(json_object_get_string_member(ret, "status"));
}

/* What the client reads first when the server refused it after its own
 * handshake completed (TLS 1.3): an error, never a greeting. */
static char *refusal_seen_by(TlsConn *c)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = tls_conn_read_until(c, "\n", &err);

    ck_assert_msg(!line, "a refused client read '%s'", line);
    return g_strdup(err->message);
}

/* ---------------------------------------------------------------------- */
/* Helpers: a TLS client in another thread, while this one waits for the
 * emulator or runs the main loop */

typedef struct Background {
    const char *address;        /* connect: there, as "cli" */
    TlsConn *conn;
    const char *until;          /* read: up to this */
    char *got;
    char *error;
    gint done;
} Background;

static gpointer connect_in_background(gpointer opaque)
{
    Background *bg = opaque;
    g_autoptr(GError) err = NULL;

    bg->conn = tls_conn_connect(bg->address, "cli", TLS_CERTS_HOSTNAME, &err);
    bg->error = err ? g_strdup(err->message) : NULL;
    g_atomic_int_set(&bg->done, 1);
    return NULL;
}

static gpointer read_in_background(gpointer opaque)
{
    Background *bg = opaque;
    g_autoptr(GError) err = NULL;

    bg->got = tls_conn_read_until(bg->conn, bg->until, &err);
    bg->error = err ? g_strdup(err->message) : NULL;
    g_atomic_int_set(&bg->done, 1);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* QMP and HMP over TLS */

START_TEST(test_qmp_over_tls_with_a_client_certificate_greets_and_answers_query_status)
{
    TlsMonitor m = start_qmp();
    TlsConn *c = connect_as(&m, "cli");

    g_autoptr(JsonObject) greeting = qmp_read(c);
    JsonObject *qmp = json_object_get_object_member(greeting, "QMP");
    ck_assert(json_object_has_member(qmp, "version"));
    g_autoptr(JsonObject) caps = qmp_request(c, "{\"execute\": \"qmp_capabilities\"}");
    assert_returns(caps);
    g_autofree char *status = query_status(c);
    ck_assert_str_eq(status, "prelaunch");
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_hmp_over_tls_answers_info_status)
{
    TlsMonitor m = start_monitor("readline", "", "");
    TlsConn *c = connect_as(&m, "cli");
    g_autoptr(GError) err = NULL;

    g_autofree char *banner = tls_conn_read_until(c, "(qemu) ", &err);
    ck_assert_msg(banner, "%s", err ? err->message : "");
    ck_assert(g_str_has_prefix(banner, "QEMU "));
    send_text(c, "info status\n");
    g_autofree char *out = tls_conn_read_until(c, "(qemu) ", &err);
    ck_assert_msg(out, "%s", err ? err->message : "");
    ck_assert_str_eq(out, "VM status: paused (prelaunch)\r\n(qemu) ");
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_requests_sent_in_one_tls_record_are_all_answered)
{
    /* 300 requests are about 13 KB: one TLS record, of which a read hands
     * the monitor 4 KB; the rest is already decrypted, and no byte more
     * comes on the socket to wake the server. */
    enum { REQUESTS = 300 };
    TlsMonitor m = start_qmp();
    TlsConn *c = connect_as(&m, "cli");
    g_autoptr(GString) batch = g_string_new(NULL);

    qmp_negotiate(c);
    for (int id = 0; id < REQUESTS; id++) {
        g_string_append_printf(batch, "{\"execute\": \"query-status\", \"id\": %d}\n", id);
    }
    ck_assert_uint_lt(batch->len, 16384);
    send_text(c, batch->str);
    for (int id = 0; id < REQUESTS; id++) {
        g_autoptr(JsonObject) reply = qmp_read(c);
        ck_assert_int_eq(json_object_get_int_member(reply, "id"), id);
        assert_returns(reply);
    }
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

typedef struct Acceptor {
    int listen_fd;
    TlsConn *conn;
    char *error;
} Acceptor;

static gpointer accept_in_background(gpointer opaque)
{
    Acceptor *a = opaque;
    g_autoptr(GError) err = NULL;

    a->conn = tls_conn_accept(a->listen_fd, "srv", &err);
    a->error = err ? g_strdup(err->message) : NULL;
    return NULL;
}

START_TEST(test_a_chardev_that_connects_out_serves_qmp_over_tls_to_its_server)
{
    g_autofree char *sdir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    g_autofree char *cdir = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);
    g_autoptr(GError) err = NULL;
    Acceptor a = { .listen_fd = inet_listen_any_port("127.0.0.1", &err) };

    ck_assert_msg(a.listen_fd >= 0, "%s", err ? err->message : "");
    int port = socket_local_port(a.listen_fd, NULL);
    add_object("tls-creds-x509,id=srv,endpoint=server,dir=%s", sdir);
    /* The emulator does its handshake at start-up: the test's server side
     * answers meanwhile. */
    GThread *t = g_thread_new("accept", accept_in_background, &a);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-object tls-creds-x509,id=tls1,endpoint=client,dir=%s "
                                "-chardev socket,id=" LABEL ",host=127.0.0.1,port=%d,"
                                "tls-creds=tls1 -mon chardev=" LABEL ",mode=control",
                                cdir, port);
    g_thread_join(t);
    ck_assert_msg(a.conn, "%s", a.error);
    qmp_negotiate(a.conn);
    g_autofree char *status = query_status(a.conn);
    ck_assert_str_eq(status, "prelaunch");
    tls_conn_close(a.conn);
    close(a.listen_fd);
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_server_with_wait_on_starts_once_its_first_tls_client_is_in)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    int port = qtest_free_tcp_port();
    g_autofree char *address = g_strdup_printf("tcp:127.0.0.1:%d", port);
    Background bg = { .address = address };

    add_client_creds();
    /* The client connects (retrying) while the emulator starts: start-up
     * goes on, and the QMP socket libqmp waits for appears, only once the
     * client's handshake is done. */
    GThread *t = g_thread_new("client", connect_in_background, &bg);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-object tls-creds-x509,id=tls0,endpoint=server,dir=%s "
                                "-chardev socket,id=" LABEL ",host=127.0.0.1,port=%d,"
                                "server=on,wait=on,tls-creds=tls0 "
                                "-mon chardev=" LABEL ",mode=control", dir, port);
    g_thread_join(t);
    ck_assert_msg(bg.conn, "%s", bg.error);
    qmp_negotiate(bg.conn);
    g_autofree char *status = query_status(bg.conn);
    ck_assert_str_eq(status, "prelaunch");
    tls_conn_close(bg.conn);
    qtest_quit(s);
}
END_TEST

START_TEST(test_clients_leaving_with_or_without_ending_the_session_are_not_logged)
{
    TlsMonitor m = start_qmp();
    TlsConn *polite = connect_as(&m, "cli");

    qmp_negotiate(polite);
    tls_conn_close(polite);
    TlsConn *abrupt = connect_as(&m, "cli");
    qmp_negotiate(abrupt);
    tls_conn_drop(abrupt);
    /* The next client is served once the server saw the last one go. */
    TlsConn *next = connect_as(&m, "cli");
    qmp_negotiate(next);
    tls_conn_close(next);
    g_autofree char *err = qtest_stderr(m.s);
    ck_assert_msg(!strstr(err, "chardev '" LABEL "'"), "%s", err);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_tls_creds_of_a_chardev_cannot_be_deleted)
{
    TlsMonitor m = start_qmp();
    g_autoptr(JsonObject) err = qtest_qmp_error(m.s, "{'execute': 'object-del', "
                                                "'arguments': {'id': 'tls0'}}");

    ck_assert_str_eq(qtest_error_desc(err), "object 'tls0' is in use, can not be deleted");
    stop_monitor(&m);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Who is refused */

START_TEST(test_a_client_without_certificate_is_refused_and_the_next_one_served)
{
    TlsMonitor m = start_qmp();
    TlsConn *bare = connect_as(&m, "bare");

    g_autofree char *seen = refusal_seen_by(bare);
    ck_assert_str_eq(seen, "TLS read failed: the server ended the session: "
                     "Certificate is required");
    expect_stderr(m.s, "chardev '" LABEL "': client dropped: TLS handshake failed: "
                  "the client sent no certificate, and 'tls0' has verify-peer=on");
    tls_conn_close(bare);
    TlsConn *good = connect_as(&m, "cli");
    qmp_negotiate(good);
    g_autofree char *status = query_status(good);
    ck_assert_str_eq(status, "prelaunch");
    tls_conn_close(good);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_a_client_whose_identity_tls_authz_does_not_allow_is_refused)
{
    TlsMonitor m = start_qmp_with_authz("CN=someone-else,O=QEMU test");
    TlsConn *c = connect_as(&m, "cli");

    g_autofree char *seen = refusal_seen_by(c);
    ck_assert_str_eq(seen, "TLS read failed: the server ended the session: "
                     "Access was denied");
    expect_stderr(m.s, "chardev '" LABEL "': client dropped: TLS x509 authz check "
                  "for " TLS_CERTS_CLIENT_DN " is denied\n");
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_a_client_whose_identity_tls_authz_allows_is_served)
{
    TlsMonitor m = start_qmp_with_authz(TLS_CERTS_CLIENT_DN);
    TlsConn *c = connect_as(&m, "cli");

    qmp_negotiate(c);
    g_autofree char *status = query_status(c);
    ck_assert_str_eq(status, "prelaunch");
    tls_conn_close(c);
    g_autofree char *err = qtest_stderr(m.s);
    ck_assert_ptr_null(strstr(err, "chardev '" LABEL "'"));
    stop_monitor(&m);
}
END_TEST

START_TEST(test_a_plaintext_client_on_the_tls_port_is_dropped_and_the_next_tls_conn_served)
{
    static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
    TlsMonitor m = start_qmp();
    QmpClient *plain = qmp_client_connect_only(m.s, m.address);

    ck_assert(qmp_client_send_raw(plain, caps, strlen(caps)));
    ck_assert(qmp_client_wait_closed(plain));
    expect_stderr(m.s, "chardev '" LABEL "': client dropped: TLS handshake failed: "
                  "the client did not start a TLS handshake (is it connecting "
                  "without TLS?); it sent \"{\\\"execute\\\": \\\"qmp\"\n");
    qmp_client_close(plain);
    TlsConn *c = connect_as(&m, "cli");
    qmp_negotiate(c);
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_a_tls_conn_on_a_plaintext_chardev_is_dropped_with_a_log_line)
{
    int port = qtest_free_tcp_port();
    g_autofree char *address = g_strdup_printf("tcp:127.0.0.1:%d", port);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-chardev socket,id=" LABEL ",host=127.0.0.1,port=%d,"
                                "server=on,wait=off -mon chardev=" LABEL ",mode=control",
                                port);
    g_autoptr(GError) err = NULL;

    add_client_creds();
    ck_assert_ptr_null(tls_conn_connect(address, "cli", TLS_CERTS_HOSTNAME, &err));
    ck_assert_msg(g_str_has_prefix(err->message, "TLS handshake failed: the server "
                                   "did not answer with TLS"), "%s", err->message);
    expect_stderr(s, "chardev '" LABEL "': client dropped: it started a TLS "
                  "handshake, and this socket has no tls-creds (plaintext)\n");
    QmpClient *next = qmp_client_connect(s, address, true);
    g_autoptr(JsonNode) st = qmp_client_ok(next, "{'execute': 'query-status'}");
    qmp_client_close(next);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A TLS client that stops reading (as tests/test-monitor-stuck.c, over TLS) */

/* How many human-monitor-command "help" replies make `bytes` of output. */
static int help_replies_for(QTestState *s, size_t bytes)
{
    g_autofree char *help = qtest_hmp(s, "help");
    return bytes / strlen(help) + 1;
}

/* Sends `count` "help" requests, ids from `first`; false once the server
 * has closed the connection. */
static bool send_help_requests(TlsConn *c, int first, int count)
{
    g_autoptr(GString) batch = g_string_new(NULL);
    g_autoptr(GError) err = NULL;

    for (int id = first; id < first + count; id++) {
        g_string_append_printf(batch, "{\"execute\": \"human-monitor-command\", "
                               "\"arguments\": {\"command-line\": \"help\"}, "
                               "\"id\": %d}\n", id);
    }
    return tls_conn_send(c, batch->str, &err) == 0;
}

/*
 * A running guest, and the TLS monitor on a Unix socket: loopback TCP
 * buffers grow to megabytes, which a client that stops reading would fill
 * before the server queued anything; a Unix socket's hold a few hundred KB,
 * as with the plaintext monitors of test-monitor-stuck.
 */
static TlsMonitor start_running_qmp(void)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    TlsMonitor m;

    add_client_creds();
    m.s = qtest_start("-kernel guests/idle.elf "
                      "-object tls-creds-x509,id=tls0,endpoint=server,dir=%s "
                      "-chardev socket,id=" LABEL ",path={tmp}/tls.sock,"
                      "server=on,wait=off,tls-creds=tls0 "
                      "-mon chardev=" LABEL ",mode=control", dir);
    m.address = qtest_path(m.s, "tls.sock");
    return m;
}

START_TEST(test_output_a_tls_conn_does_not_read_below_the_cap_arrives_in_order)
{
    TlsMonitor m = start_running_qmp();
    TlsConn *c = connect_as(&m, "cli");
    g_autofree char *help = qtest_hmp(m.s, "help");
    int count = help_replies_for(m.s, OUTPUT_CAP / 2);

    qmp_negotiate(c);
    ck_assert(send_help_requests(c, 1, count));
    /* Once the STOP event reaches libqmp's own client, the server has
     * handled every earlier request and written or queued its reply. */
    send_text(c, "{\"execute\": \"stop\", \"id\": \"stop\"}\n");
    g_autoptr(JsonObject) ev = qtest_qmp_event(m.s, "STOP");
    for (int id = 1; id <= count; id++) {
        g_autoptr(JsonObject) reply = qmp_read(c);
        ck_assert_int_eq(json_object_get_int_member(reply, "id"), id);
        ck_assert_str_eq(json_object_get_string_member(reply, "return"), help);
    }
    g_autofree char *err = qtest_stderr(m.s);
    ck_assert_ptr_null(strstr(err, "chardev '" LABEL "'"));
    tls_conn_close(c);
    stop_monitor(&m);
}
END_TEST

START_TEST(test_a_tls_conn_over_the_cap_is_dropped_and_the_next_served)
{
    TlsMonitor m = start_running_qmp();
    TlsConn *stuck = connect_as(&m, "cli");
    int total = help_replies_for(m.s, 3 * OUTPUT_CAP);

    qmp_negotiate(stuck);
    for (int id = 1; id <= total; id += 64) {
        if (!send_help_requests(stuck, id, 64)) {
            break;      /* already dropped */
        }
    }
    /* Reading before the server dropped the client would take its output,
     * and a client that reads is not stuck. */
    expect_stderr(m.s, "chardev '" LABEL "': the client reads no output");
    ck_assert(tls_conn_wait_closed(stuck));
    TlsConn *next = connect_as(&m, "cli");
    qmp_negotiate(next);
    g_autofree char *status = query_status(next);
    ck_assert_str_eq(status, "running");
    g_autofree char *err = qtest_stderr(m.s);
    ck_assert_int_eq(count_occurrences(err, "chardev '" LABEL "'"), 1);
    tls_conn_close(next);
    tls_conn_close(stuck);
    stop_monitor(&m);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* In this process, through qemu-char.h: the handshake's time bound, and
 * non-blocking writes over TLS */

static bool opened;

static int fe_can_read(void *opaque) { return 4096; }
static void fe_read(void *opaque, const uint8_t *buf, int len) { }

static void fe_event(void *opaque, CharEvent event)
{
    if (event == CHR_EVENT_OPENED) {
        opened = true;
    }
}

/* A pipe in place of stderr; returns its (non-blocking) read end. */
static int redirect_stderr(void)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
    close(p[1]);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    return p[0];
}

static void run_until_opened(void)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;

    while (!opened) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "never opened");
        if (!g_main_context_iteration(NULL, FALSE)) {
            g_usleep(1000);
        }
    }
}

/* Runs the main loop until the peer of `fd` closed it. */
static bool run_until_closed(int fd)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;
    char buf[256];

    while (g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

START_TEST(test_a_client_that_never_finishes_its_handshake_is_dropped_when_time_is_up)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    g_autofree char *path = tls_certs_path(certs, "chr.sock");
    g_autoptr(GError) err = NULL;
    int saved_err = dup(STDERR_FILENO);
    int log = redirect_stderr();

    add_object("tls-creds-x509,id=tls0,endpoint=server,dir=%s", dir);
    ChardevSocketOptions opts = {
        .path = path, .server = true, .tls_creds = "tls0", .tls_handshake_ms = 200,
    };
    CharDriverState *chr = qemu_chr_new_socket("slow", &opts, &err);
    ck_assert_msg(chr, "%s", err ? err->message : "");
    qemu_chr_add_handlers(chr, fe_can_read, fe_read, fe_event, NULL);
    /* Connects, and says nothing: a plaintext client waiting for a greeting. */
    int fd = unix_connect(path, &err);
    ck_assert_int_ge(fd, 0);
    ck_assert(run_until_closed(fd));
    ck_assert(!opened);
    char line[256] = "";
    ck_assert_int_gt(read(log, line, sizeof(line) - 1), 0);
    ck_assert_str_eq(line, "qemu: chardev 'slow': client dropped: TLS handshake "
                     "timed out after 200 ms\n");
    close(fd);
    qemu_chr_delete(chr);
    dup2(saved_err, STDERR_FILENO);
    close(saved_err);
    close(log);
}
END_TEST

/* Runs the main loop (the chardev's handshake and output) until the
 * background thread is done. */
static void run_until_done(Background *bg, GThread *t)
{
    gint64 deadline = g_get_monotonic_time() + 2 * qtest_timeout_ms() * 1000LL;

    while (!g_atomic_int_get(&bg->done)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the thread never ended");
        if (!g_main_context_iteration(NULL, FALSE)) {
            g_usleep(1000);
        }
    }
    g_thread_join(t);
}

static char pattern_char(size_t i)
{
    return 'a' + i % 26;
}

START_TEST(test_bytes_a_nonblocking_write_reports_taken_arrive_once_and_in_order)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    g_autofree char *path = tls_certs_path(certs, "chr.sock");
    g_autoptr(GError) err = NULL;
    Background bg = { .address = path };

    add_client_creds();
    add_object("tls-creds-x509,id=tls0,endpoint=server,dir=%s", dir);
    ChardevSocketOptions opts = { .path = path, .server = true, .tls_creds = "tls0" };
    CharDriverState *chr = qemu_chr_new_socket("tls", &opts, &err);
    ck_assert_msg(chr, "%s", err ? err->message : "");
    qemu_chr_add_handlers(chr, fe_can_read, fe_read, fe_event, NULL);
    run_until_done(&bg, g_thread_new("connect", connect_in_background, &bg));
    ck_assert_msg(bg.conn, "%s", bg.error);
    /* With TLS 1.3 the client is done first: the chardev's client is there
     * once it says so. */
    run_until_opened();

    /* Nobody reads: writes fill the socket until one takes nothing. The
     * one that finds it full still takes its bytes (GnuTLS made their
     * record), and says so. */
    size_t taken = 0;
    for (;;) {
        uint8_t block[1000];
        for (size_t i = 0; i < sizeof(block); i++) {
            block[i] = pattern_char(taken + i);
        }
        int n = qemu_chr_write_nonblock(chr, block, sizeof(block));
        ck_assert_int_ge(n, 0);
        if (n == 0) {
            break;
        }
        taken += n;
        ck_assert_uint_lt(taken, 64 << 20);
    }
    /* Other bytes next: what was reported not taken must never arrive. */
    ck_assert_int_eq(qemu_chr_write(chr, (const uint8_t *)"END", 3), 3);
    Background reader = { .conn = bg.conn, .until = "END" };
    run_until_done(&reader, g_thread_new("read", read_in_background, &reader));
    ck_assert_msg(reader.got, "%s", reader.error);
    ck_assert_uint_eq(strlen(reader.got), taken + 3);
    for (size_t i = 0; i < taken; i++) {
        ck_assert_msg(reader.got[i] == pattern_char(i), "byte %zu", i);
    }
    g_free(reader.got);
    tls_conn_close(bg.conn);
    qemu_chr_delete(chr);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* -chardev and -mon without TLS */

START_TEST(test_mon_control_on_a_unix_chardev_with_the_old_flags_serves_qmp)
{
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-chardev socket,id=q,path={tmp}/q.sock,server,nowait "
                                "-mon q,mode=control");
    QmpClient *c = qmp_client_connect(s, "q.sock", true);
    g_autoptr(JsonNode) st = qmp_client_ok(c, "{'execute': 'query-status'}");

    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(st), "status"),
                     "prelaunch");
    qmp_client_close(c);
    qtest_quit(s);
}
END_TEST

/* Reads a plain socket until `end` has arrived; returns all of it. */
static char *read_raw_until(int fd, const char *end)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;
    GString *got = g_string_new(NULL);

    while (!strstr(got->str, end)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "got '%s'", got->str);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char buf[4096];
        if (poll(&p, 1, 10) > 0) {
            ssize_t n = read(fd, buf, sizeof(buf));
            ck_assert_msg(n > 0, "EOF after '%s'", got->str);
            g_string_append_len(got, buf, n);
        }
    }
    return g_string_free(got, FALSE);
}

START_TEST(test_mon_pretty_on_indents_qmp_messages_by_four_spaces)
{
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-chardev socket,id=q,path={tmp}/q.sock,server=on,wait=off "
                                "-mon chardev=q,mode=control,pretty=on");
    g_autofree char *path = qtest_path(s, "q.sock");
    g_autoptr(GError) err = NULL;
    int fd = unix_connect(path, &err);

    ck_assert_msg(fd >= 0, "%s", err ? err->message : "");
    g_autofree char *greeting = read_raw_until(fd, "\r\n");
    /* json-glib's layout ("key" : value), with QEMU's 4-space indent. */
    ck_assert_msg(g_str_has_prefix(greeting, "{\n    \"QMP\" : {\n        \""), "%s",
                  greeting);
    g_autoptr(JsonObject) parsed = parse_message(greeting);
    ck_assert(json_object_has_member(parsed, "QMP"));
    close(fd);
    qtest_quit(s);
}
END_TEST

START_TEST(test_serial_on_a_chardev_writes_the_guests_output)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf "
                                "-chardev file,id=ser,path={tmp}/serial.txt "
                                "-serial chardev:ser");
    g_autofree char *path = qtest_path(s, "serial.txt");
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000LL;
    g_autofree char *text = NULL;

    while (!(g_file_get_contents(path, &text, NULL, NULL) &&
             strstr(text, "idle: halting\n"))) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "serial.txt: '%s'", text);
        g_clear_pointer(&text, g_free);
        g_usleep(10000);
    }
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Option errors: one line, exit status 1 */

START_TEST(test_chardev_with_an_unknown_backend_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev bogus,id=c0");

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev bogus,id=c0: 'bogus' is "
                     "not a valid char driver name");
}
END_TEST

START_TEST(test_chardev_without_id_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev socket,host=127.0.0.1,"
                                                 "port=4444,server=on,wait=off");

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev socket,host=127.0.0.1,"
                     "port=4444,server=on,wait=off: chardev: no id specified");
}
END_TEST

START_TEST(test_chardev_with_an_unknown_parameter_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev null,id=c0,port=4444");

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev null,id=c0,port=4444: "
                     "Invalid parameter 'port'");
}
END_TEST

START_TEST(test_chardev_naming_unknown_tls_creds_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev socket,id=c0,host=127.0.0.1,"
                                                 "port=4444,server=on,wait=off,"
                                                 "tls-creds=nope");

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev socket,id=c0,host=127.0.0.1,"
                     "port=4444,server=on,wait=off,tls-creds=nope: No TLS "
                     "credentials with id 'nope'");
}
END_TEST

START_TEST(test_listening_chardev_with_client_creds_is_refused)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);
    g_autofree char *line = qtest_start_up_error("-object tls-creds-x509,id=tls0,"
                                                 "endpoint=client,dir=%s -chardev "
                                                 "socket,id=c0,host=127.0.0.1,port=4444,"
                                                 "server=on,wait=off,tls-creds=tls0", dir);

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev socket,id=c0,host=127.0.0.1,"
                     "port=4444,server=on,wait=off,tls-creds=tls0: Expected TLS "
                     "credentials for a server endpoint ('tls0' is for a client)");
}
END_TEST

START_TEST(test_connecting_chardev_with_server_creds_is_refused)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    g_autofree char *line = qtest_start_up_error("-object tls-creds-x509,id=tls0,"
                                                 "endpoint=server,dir=%s -chardev "
                                                 "socket,id=c0,host=127.0.0.1,port=4444,"
                                                 "tls-creds=tls0", dir);

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev socket,id=c0,host=127.0.0.1,"
                     "port=4444,tls-creds=tls0: Expected TLS credentials for a "
                     "client endpoint ('tls0' is for a server)");
}
END_TEST

START_TEST(test_tls_authz_without_tls_creds_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-object authz-simple,id=auth0,"
                                                 "identity=CN=x -chardev socket,id=c0,"
                                                 "host=127.0.0.1,port=4444,server=on,"
                                                 "wait=off,tls-authz=auth0");

    ck_assert_str_eq(line, "qemu-system-x86_64: -chardev socket,id=c0,host=127.0.0.1,"
                     "port=4444,server=on,wait=off,tls-authz=auth0: 'tls-authz' "
                     "option requires 'tls-creds' option");
}
END_TEST

START_TEST(test_mon_without_chardev_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-mon mode=control");

    ck_assert_str_eq(line, "qemu-system-x86_64: -mon mode=control: Parameter "
                     "'chardev' is missing");
}
END_TEST

START_TEST(test_mon_naming_an_unknown_chardev_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-mon chardev=nope,mode=control");

    ck_assert_str_eq(line, "qemu-system-x86_64: -mon chardev=nope,mode=control: "
                     "chardev \"nope\" not found");
}
END_TEST

START_TEST(test_mon_with_an_unknown_mode_is_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev null,id=c0 "
                                                 "-mon chardev=c0,mode=json");

    ck_assert_str_eq(line, "qemu-system-x86_64: -mon chardev=c0,mode=json: Parameter "
                     "'mode' does not accept value 'json' (expected readline or "
                     "control)");
}
END_TEST

START_TEST(test_two_monitors_on_one_chardev_are_refused)
{
    g_autofree char *line = qtest_start_up_error("-chardev null,id=c0 -mon c0 "
                                                 "-mon c0,mode=control");

    ck_assert_str_eq(line, "qemu-system-x86_64: -mon c0,mode=control: Device 'c0' "
                     "is in use");
}
END_TEST

/* ---------------------------------------------------------------------- */

static TCase *tls_tcase(const char *name, int waits)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    qtest_tcase_timeout(tc, waits);
    return tc;
}

static Suite *char_tls_suite(void)
{
    Suite *s = suite_create("char-tls");
    TCase *monitors = tls_tcase("monitors-over-tls", 4);
    TCase *refusals = tls_tcase("refusals", 4);
    TCase *stuck = tls_tcase("stuck-clients", 6);
    TCase *in_process = tls_tcase("in-process", 3);
    TCase *options = tls_tcase("chardev-and-mon", 3);
    TCase *errors = tls_tcase("option-errors", 2);

    tcase_add_test(monitors, test_qmp_over_tls_with_a_client_certificate_greets_and_answers_query_status);
    tcase_add_test(monitors, test_hmp_over_tls_answers_info_status);
    tcase_add_test(monitors, test_requests_sent_in_one_tls_record_are_all_answered);
    tcase_add_test(monitors, test_a_chardev_that_connects_out_serves_qmp_over_tls_to_its_server);
    tcase_add_test(monitors, test_a_server_with_wait_on_starts_once_its_first_tls_client_is_in);
    tcase_add_test(monitors, test_clients_leaving_with_or_without_ending_the_session_are_not_logged);
    tcase_add_test(monitors, test_tls_creds_of_a_chardev_cannot_be_deleted);

    tcase_add_test(refusals, test_a_client_without_certificate_is_refused_and_the_next_one_served);
    tcase_add_test(refusals, test_a_client_whose_identity_tls_authz_does_not_allow_is_refused);
    tcase_add_test(refusals, test_a_client_whose_identity_tls_authz_allows_is_served);
    tcase_add_test(refusals, test_a_plaintext_client_on_the_tls_port_is_dropped_and_the_next_tls_conn_served);
    tcase_add_test(refusals, test_a_tls_conn_on_a_plaintext_chardev_is_dropped_with_a_log_line);

    tcase_add_test(stuck, test_output_a_tls_conn_does_not_read_below_the_cap_arrives_in_order);
    tcase_add_test(stuck, test_a_tls_conn_over_the_cap_is_dropped_and_the_next_served);

    tcase_add_test(in_process, test_a_client_that_never_finishes_its_handshake_is_dropped_when_time_is_up);
    tcase_add_test(in_process, test_bytes_a_nonblocking_write_reports_taken_arrive_once_and_in_order);

    tcase_add_test(options, test_mon_control_on_a_unix_chardev_with_the_old_flags_serves_qmp);
    tcase_add_test(options, test_mon_pretty_on_indents_qmp_messages_by_four_spaces);
    tcase_add_test(options, test_serial_on_a_chardev_writes_the_guests_output);

    tcase_add_test(errors, test_chardev_with_an_unknown_backend_is_refused);
    tcase_add_test(errors, test_chardev_without_id_is_refused);
    tcase_add_test(errors, test_chardev_with_an_unknown_parameter_is_refused);
    tcase_add_test(errors, test_chardev_naming_unknown_tls_creds_is_refused);
    tcase_add_test(errors, test_listening_chardev_with_client_creds_is_refused);
    tcase_add_test(errors, test_connecting_chardev_with_server_creds_is_refused);
    tcase_add_test(errors, test_tls_authz_without_tls_creds_is_refused);
    tcase_add_test(errors, test_mon_without_chardev_is_refused);
    tcase_add_test(errors, test_mon_naming_an_unknown_chardev_is_refused);
    tcase_add_test(errors, test_mon_with_an_unknown_mode_is_refused);
    tcase_add_test(errors, test_two_monitors_on_one_chardev_are_refused);

    suite_add_tcase(s, monitors);
    suite_add_tcase(s, refusals);
    suite_add_tcase(s, stuck);
    suite_add_tcase(s, in_process);
    suite_add_tcase(s, options);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    tls_creds_register_types();
    authz_simple_register_type();
    /* A server that drops us must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    SRunner *runner = srunner_create(char_tls_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
