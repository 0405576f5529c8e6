/*
 * TLS migration as QEMU sets it up (tls-creds objects, the tls-creds,
 * tls-hostname and tls-authz parameters), driven through the monitors:
 * the whole stream and its return path go through TLS (a post-copy's
 * recovery link too), and every refusal leaves the source running and a
 * listening destination waiting (one on exec: or fd:, which gets a single
 * stream, exits 1 as when a load fails).
 *
 * The destination always starts with -incoming defer, gets its objects and
 * parameters, then listens with migrate-incoming, as the documentation
 * tells users to do. Certificates are made at run time (tests/tlscerts.h):
 * a CA "ca", a server certificate for localhost (and 127.0.0.1), a client
 * certificate TLS_CERTS_CLIENT_DN; the refusals make what they need.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"
#include "proxy.h"
#include "qemu-sockets.h"
#include "tlscerts.h"

/* The source's stall bound in the test of that bound: short, so that the
 * test stays cheap. */
#define STALL_MS 1000

static TlsCerts *certs;

static void setup(void)
{
    certs = tls_certs_new();
}

static void teardown(void)
{
    tls_certs_free(certs);
    certs = NULL;
}

/* ---------------------------------------------------------------------- */
/* Objects and parameters, through HMP as a user types them */

static void add_object(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_object(QTestState *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *spec = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *out = qtest_hmp(s, "object_add %s", spec);
    ck_assert_msg(out[0] == '\0', "object_add %s: %s", spec, out);
}

static void set_param(QTestState *s, const char *name, const char *value)
{
    g_autofree char *out = qtest_hmp(s, "migrate_set_parameter %s %s", name, value);
    ck_assert_msg(out[0] == '\0', "migrate_set_parameter %s: %s", name, out);
}

/* HMP has no way to type an empty string: QMP's empty value turns TLS off. */
static void clear_param(QTestState *s, const char *name)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-parameters', "
                         "'arguments': {'%s': ''}}", name);
}

/* x509 credentials `id` for `endpoint` from the scratch directory `dir`. */
static void add_x509(QTestState *s, const char *id, const char *endpoint,
                     const char *dir, const char *extra)
{
    g_autofree char *path = tls_certs_path(certs, dir);

    add_object(s, "tls-creds-x509,id=%s,endpoint=%s,dir=%s%s", id, endpoint, path,
               extra ? extra : "");
}

/* An authz-simple letting `identity` in (a distinguished name's commas
 * doubled, as -object and object_add read them). */
static void add_authz(QTestState *s, const char *identity)
{
    g_auto(GStrv) parts = g_strsplit(identity, ",", -1);
    g_autofree char *escaped = g_strjoinv(",,", parts);

    add_object(s, "authz-simple,id=auth0,identity=%s", escaped);
    set_param(s, "tls-authz", "auth0");
}

/* ---------------------------------------------------------------------- */
/* The two ends */

static char *tcp_uri(void)
{
    return g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
}

static char *unix_uri(QTestState *dst)
{
    g_autofree char *path = qtest_path(dst, "mig.sock");
    return g_strdup_printf("unix:%s", path);
}

/* A destination that waits for its parameters (-incoming defer), paused
 * (-S) so that its RAM can be compared with the source's. */
static QTestState *start_destination(void)
{
    QTestState *dst = qtest_start("-kernel guests/seed.elf -m 64M -S -incoming defer");

    migtest_enable_events(dst);
    return dst;
}

static void listen_on(QTestState *dst, const char *uri)
{
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': '%s'}}", uri);
}

/* The x509 destination: its certificate from `dir`, checking the client's
 * certificate (verify-peer) and letting only `identity` in. */
static void x509_destination(QTestState *dst, const char *dir, const char *identity)
{
    add_x509(dst, "tls0", "server", dir, ",verify-peer=on");
    set_param(dst, "tls-creds", "tls0");
    add_authz(dst, identity);
}

static void x509_source(QTestState *src, const char *id, const char *dir)
{
    add_x509(src, id, "client", dir, NULL);
    set_param(src, "tls-creds", id);
}

/* The seed guest, running and printing. */
static QTestState *start_source(void)
{
    QTestState *src = migtest_start_source("seed", NULL);

    qtest_expect_stdout(src, ".", 0);
    return src;
}

/* The standard pair: x509 with client verification and authz. */
static void start_x509_pair(QTestState **src, QTestState **dst)
{
    *dst = start_destination();
    x509_destination(*dst, TLS_CERTS_X509_SERVER, TLS_CERTS_CLIENT_DN);
    *src = start_source();
    x509_source(*src, "tls0", TLS_CERTS_X509_CLIENT);
}

/* ---------------------------------------------------------------------- */
/* Outcomes */

static char *error_desc(QTestState *s)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(s);

    return g_strdup(json_object_has_member(info, "error-desc")
                    ? json_object_get_string_member(info, "error-desc") : "");
}

/* The seed guest with XBZRLE migrates; one guest, the same RAM. */
static void assert_migrates(QTestState *src, QTestState *dst, const char *uri)
{
    migtest_hmp_migrate(src, true, uri);
    g_autofree char *end = migtest_wait_end(src);
    g_autofree char *why = error_desc(src);
    ck_assert_msg(!strcmp(end, "completed"), "source: %s (%s); destination stderr: %s",
                  end, why, qtest_stderr(dst));
    migtest_assert_ends(dst, "completed");
    migtest_assert_run_state(src, "postmigrate");
    migtest_assert_run_state(dst, "paused");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
}

/* XBZRLE did its work through TLS: pages went as deltas against the
 * cache, and the statistics say so. */
static void assert_xbzrle_counted(QTestState *src)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t pages = migtest_member(info, "xbzrle-cache", "pages");
    int64_t hits = migtest_member(info, "xbzrle-cache", "cache-hit");

    printf("source: %" G_GINT64_FORMAT " bytes, %" G_GINT64_FORMAT " XBZRLE pages, %"
           G_GINT64_FORMAT " cache hits, downtime %" G_GINT64_FORMAT " ms\n",
           migtest_member(info, "ram", "transferred"), pages, hits,
           migtest_member(info, NULL, "downtime"));
    ck_assert_int_gt(pages, 0);
    ck_assert_int_ge(hits, pages);
}

/* The source's guest runs on: its run state, and its output growing. */
static void assert_source_runs(QTestState *src)
{
    migtest_assert_run_state(src, "running");
    qtest_expect_stdout(src, ".", qtest_stdout_len(src));
}

/* A line of stderr that says all of `parts` (NULL-terminated), soon: the
 * test reads stderr in a thread, and a refusal may be logged after the
 * source has given up. */
static char *logged_line(QTestState *s, const char *const *parts)
{
    for (int tries = 0; tries < 500; tries++) {
        g_autofree char *err = qtest_stderr(s);
        g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
        for (char **l = lines; *l; l++) {
            bool all = true;
            for (const char *const *p = parts; *p && all; p++) {
                all = strstr(*l, *p) != NULL;
            }
            if (all) {
                return g_strdup(*l);
            }
        }
        usleep(10000);
    }
    g_autofree char *err = qtest_stderr(s);
    ck_abort_msg("no line of stderr says all of '%s'... ('%s'): %s", parts[0],
                 parts[1] ? parts[1] : "", err);
    return NULL;
}

/* The destination logged the TLS session of the migration it took: the
 * protocol, the cipher suite, and the client's verified identity. */
static void assert_tls_session_logged(QTestState *dst, const char *identity)
{
    g_autofree char *client = g_strdup_printf(", client %s", identity);
    const char *const parts[] = { "incoming migration: TLS session with ", ": (TLS1.",
                                  client, NULL };
    g_autofree char *line = logged_line(dst, parts);

    printf("destination: %s\n", line);
}

/* The destination logged that it refused a connection, and why; it has
 * not loaded anything and still waits. */
static void assert_destination_refused(QTestState *dst, const char *why)
{
    const char *const parts[] = { "incoming migration: refused the connection from ",
                                  why, NULL };
    g_autofree char *line = logged_line(dst, parts);
    g_autoptr(JsonObject) info = qtest_query_migrate(dst);
    const char *status = json_object_get_string_member(info, "status");

    printf("destination: %s\n", line);
    ck_assert_msg(strcmp(status, "completed") && strcmp(status, "active"),
                  "destination's migration is %s", status);
    migtest_assert_run_state(dst, "inmigrate");
}

/*
 * A migration the TLS layer refuses: the source fails saying `src_why`
 * (GnuTLS's reason, or ours) and its guest runs on; the destination
 * refuses the connection saying `dst_why` and keeps waiting.
 */
static void assert_refused(QTestState *src, QTestState *dst, const char *uri,
                           const char *src_why, const char *dst_why)
{
    migtest_hmp_migrate(src, true, uri);
    migtest_assert_ends(src, "failed");
    g_autofree char *why = error_desc(src);
    printf("source: %s\n", why);
    ck_assert_msg(strstr(why, src_why), "the source's error '%s' does not say '%s'",
                  why, src_why);
    assert_source_runs(src);
    assert_destination_refused(dst, dst_why);
}

/* ---------------------------------------------------------------------- */
/* Migrations that complete */

START_TEST(test_x509_with_client_verification_over_tcp_completes)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    assert_migrates(src, dst, uri);
    assert_tls_session_logged(dst, TLS_CERTS_CLIENT_DN);
    assert_xbzrle_counted(src);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A unix: URI names no host: tls-hostname says what the destination's
 * certificate must name. */
START_TEST(test_x509_with_client_verification_over_unix_completes_with_tls_hostname)
{
    QTestState *src, *dst;

    start_x509_pair(&src, &dst);
    g_autofree char *uri = unix_uri(dst);
    listen_on(dst, uri);
    set_param(src, "tls-hostname", TLS_CERTS_HOSTNAME);
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_x509_over_unix_without_tls_hostname_fails_saying_so)
{
    QTestState *src, *dst;

    start_x509_pair(&src, &dst);
    g_autofree char *uri = unix_uri(dst);
    listen_on(dst, uri);
    assert_refused(src, dst, uri, "No hostname for certificate validation: unix:",
                   "TLS handshake failed: the client closed the connection");
    g_autofree char *why = error_desc(src);
    ck_assert_msg(strstr(why, "set tls-hostname"), "'%s' names no remedy", why);

    set_param(src, "tls-hostname", TLS_CERTS_HOSTNAME);
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* PSK: both ends hold the key of user "qemu"; the destination lets only
 * that username in. */
START_TEST(test_psk_with_authz_over_tcp_completes)
{
    g_autofree char *uri = tcp_uri();
    g_autofree char *server = tls_certs_path(certs, TLS_CERTS_PSK_SERVER);
    g_autofree char *client = tls_certs_path(certs, TLS_CERTS_PSK_CLIENT);
    QTestState *dst = start_destination();
    QTestState *src = start_source();

    add_object(dst, "tls-creds-psk,id=tls0,endpoint=server,dir=%s", server);
    set_param(dst, "tls-creds", "tls0");
    add_authz(dst, "qemu");
    listen_on(dst, uri);
    add_object(src, "tls-creds-psk,id=tls0,endpoint=client,dir=%s,username=qemu", client);
    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    assert_tls_session_logged(dst, "qemu");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/*
 * A connected socket pair: fds[0] for the source (passed with getfd as
 * "migfd"), fds[1] for the destination to inherit (the only one without
 * close-on-exec, so that each end has one holder).
 */
static void socket_pair_for_fd_uri(int fds[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    fcntl(fds[1], F_SETFD, 0);
}

static void give_fd(QTestState *src, int fd)
{
    g_autoptr(JsonObject) r = qmp_client_cmd_fd(qtest_qmp_client(src), fd,
        "{'execute': 'getfd', 'arguments': {'fdname': 'migfd'}}");
    ck_assert(json_object_has_member(r, "return"));
    close(fd);
}

/* fd: of a socket (how a management layer hands over its connection):
 * like unix:, it names no host. */
START_TEST(test_x509_with_client_verification_over_fd_sockets_completes_with_tls_hostname)
{
    int fds[2];

    socket_pair_for_fd_uri(fds);
    QTestState *dst = start_destination();
    close(fds[1]);
    QTestState *src = start_source();
    g_autofree char *in_uri = g_strdup_printf("fd:%d", fds[1]);

    x509_destination(dst, TLS_CERTS_X509_SERVER, TLS_CERTS_CLIENT_DN);
    listen_on(dst, in_uri);
    x509_source(src, "tls0", TLS_CERTS_X509_CLIENT);
    set_param(src, "tls-hostname", TLS_CERTS_HOSTNAME);
    give_fd(src, fds[0]);
    assert_migrates(src, dst, "fd:migfd");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Refusals: each leaves the source running and the destination waiting,
 * and a correct migration to the same destination then completes. */

/* The source trusts another CA only: the destination's certificate is
 * from a stranger. */
START_TEST(test_unknown_ca_is_refused_and_the_source_runs)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    tls_certs_make_ca(certs, "other-ca");
    tls_certs_make_cert(certs, "other-client", "other-ca", TLS_CERT_CLIENT,
                        TLS_CERTS_CLIENT_CN, TLS_CERT_VALID);
    g_free(tls_certs_x509_dir(certs, "x509-other-ca", TLS_CERT_CLIENT, "other-ca",
                              "other-client"));
    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    x509_source(src, "other", "x509-other-ca");
    assert_refused(src, dst, uri, "The certificate issuer is unknown",
                   "TLS handshake failed: the client refused it");

    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The destination's certificate names another host (and 127.0.0.1, which
 * the source does not check: tls-hostname says what to check). */
START_TEST(test_server_certificate_for_another_hostname_is_refused_and_the_source_runs)
{
    QTestState *src = start_source(), *dst = start_destination();
    g_autofree char *uri = tcp_uri();

    tls_certs_make_cert(certs, "other-server", "ca", TLS_CERT_SERVER,
                        "other.example", TLS_CERT_VALID);
    g_free(tls_certs_x509_dir(certs, "x509-other-server", TLS_CERT_SERVER, "ca",
                              "other-server"));
    x509_destination(dst, "x509-other-server", TLS_CERTS_CLIENT_DN);
    listen_on(dst, uri);
    x509_source(src, "tls0", TLS_CERTS_X509_CLIENT);
    set_param(src, "tls-hostname", TLS_CERTS_HOSTNAME);
    assert_refused(src, dst, uri, "does not match the hostname localhost",
                   "TLS handshake failed: the client refused it");

    set_param(src, "tls-hostname", "other.example");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A certificate from the right CA, for a client the authz does not
 * name. */
START_TEST(test_client_identity_not_in_the_authz_is_refused_and_the_source_runs)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    tls_certs_make_cert(certs, "intruder", "ca", TLS_CERT_CLIENT, "intruder",
                        TLS_CERT_VALID);
    g_free(tls_certs_x509_dir(certs, "x509-intruder", TLS_CERT_CLIENT, "ca", "intruder"));
    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    x509_source(src, "intruder", "x509-intruder");
    assert_refused(src, dst, uri, "the server ended the session: Access was denied",
                   "TLS x509 authz check for CN=intruder,O=QEMU test is denied");

    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The destination's certificate expired (loaded while it was valid, as
 * sanity-check=off stands for here); the operator then renews it. */
START_TEST(test_expired_server_certificate_is_refused_and_the_source_runs)
{
    QTestState *src = start_source(), *dst = start_destination();
    g_autofree char *uri = tcp_uri();

    tls_certs_make_cert(certs, "expired", "ca", TLS_CERT_SERVER, TLS_CERTS_HOSTNAME,
                        TLS_CERT_EXPIRED);
    g_free(tls_certs_x509_dir(certs, "x509-expired", TLS_CERT_SERVER, "ca", "expired"));
    add_x509(dst, "expired", "server", "x509-expired", ",sanity-check=off");
    add_x509(dst, "renewed", "server", TLS_CERTS_X509_SERVER, NULL);
    set_param(dst, "tls-creds", "expired");
    add_authz(dst, TLS_CERTS_CLIENT_DN);
    listen_on(dst, uri);
    x509_source(src, "tls0", TLS_CERTS_X509_CLIENT);
    assert_refused(src, dst, uri, "expired", "TLS handshake failed: the client refused it");

    set_param(dst, "tls-creds", "renewed");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The source's clock is behind, or its certificate was issued ahead of
 * time: the destination checks the client's certificate and refuses it
 * (after the source's TLS 1.3 handshake completed, which hears why at its
 * next read). */
START_TEST(test_not_yet_valid_client_certificate_is_refused_and_the_source_runs)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    tls_certs_make_cert(certs, "early", "ca", TLS_CERT_CLIENT, TLS_CERTS_CLIENT_CN,
                        TLS_CERT_NOT_YET_VALID);
    g_free(tls_certs_x509_dir(certs, "x509-early", TLS_CERT_CLIENT, "ca", "early"));
    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    add_x509(src, "early", "client", "x509-early", ",sanity-check=off");
    set_param(src, "tls-creds", "early");
    assert_refused(src, dst, uri, "the server ended the session: Certificate is bad",
                   "the client's certificate is not valid: The certificate is NOT "
                   "trusted. The certificate chain uses not yet valid certificate.");

    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* PSK: the username is known but the keys differ; nothing says which end
 * is wrong, so both say what to check. */
START_TEST(test_psk_with_another_key_is_refused_and_the_source_runs)
{
    g_autofree char *uri = tcp_uri();
    g_autofree char *server = tls_certs_path(certs, TLS_CERTS_PSK_SERVER);
    g_autofree char *client = tls_certs_path(certs, TLS_CERTS_PSK_CLIENT);
    g_autofree char *wrong = tls_certs_psk_dir(certs, "psk-wrong",
                                               "qemu:" TLS_CERTS_PSK_KEY_OTHER "\n");
    QTestState *dst = start_destination();
    QTestState *src = start_source();

    add_object(dst, "tls-creds-psk,id=tls0,endpoint=server,dir=%s", server);
    set_param(dst, "tls-creds", "tls0");
    listen_on(dst, uri);
    add_object(src, "tls-creds-psk,id=wrong,endpoint=client,dir=%s,username=qemu", wrong);
    add_object(src, "tls-creds-psk,id=tls0,endpoint=client,dir=%s,username=qemu", client);
    set_param(src, "tls-creds", "wrong");
    assert_refused(src, dst, uri, "(do both ends hold the same key for the username?)",
                   "(do both ends hold the same key for the username?)");

    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_plaintext_source_to_a_tls_destination_is_refused_and_the_source_runs)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    clear_param(src, "tls-creds");
    assert_refused(src, dst, uri, "this destination takes TLS migrations only "
                   "(set tls-creds on the source)",
                   "the client did not start a TLS handshake (is it connecting "
                   "without TLS?); it sent \"QEVM");

    set_param(src, "tls-creds", "tls0");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_tls_source_to_a_plaintext_destination_is_refused_and_the_source_runs)
{
    QTestState *src = start_source(), *dst = start_destination();
    g_autofree char *uri = tcp_uri();

    listen_on(dst, uri);
    x509_source(src, "tls0", TLS_CERTS_X509_CLIENT);
    assert_refused(src, dst, uri, "the server closed the connection (is it listening "
                   "without TLS?)",
                   "a TLS client connected to a plaintext migration port");

    clear_param(src, "tls-creds");
    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* Someone else's protocol on the TLS port, before the real source. */
START_TEST(test_stranger_sending_garbage_to_the_tls_port_is_refused)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();
    static const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    int fd = inet_connect(uri + strlen("tcp:"), NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send(fd, garbage, strlen(garbage), MSG_NOSIGNAL), strlen(garbage));
    assert_destination_refused(dst, "the client did not start a TLS handshake "
                               "(is it connecting without TLS?); it sent \"GET / HTTP/1.1");
    close(fd);

    assert_migrates(src, dst, uri);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* exec: and fd: bring one stream: when TLS refuses it, there will be no
 * other, and the destination ends as when a load fails (status 1). */
static void assert_destination_gives_up(QTestState *dst, const char *why)
{
    int status = qtest_wait_exit(dst, -1);
    g_autofree char *err = qtest_stderr(dst);
    g_autofree char *line = g_strdup_printf("load of migration failed: %s; not starting "
                                            "the guest", why);

    ck_assert_msg(status == 1, "exit status %d; stderr: %s", status, err);
    ck_assert_msg(strstr(err, line), "stderr lacks '%s': %s", line, err);
}

START_TEST(test_tls_destination_on_exec_fails_saying_tls_needs_a_socket)
{
    QTestState *dst = start_destination();

    x509_destination(dst, TLS_CERTS_X509_SERVER, TLS_CERTS_CLIENT_DN);
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': 'exec:cat /dev/null'}}");
    assert_destination_gives_up(dst, "TLS migration needs a socket (tcp:, unix:, or fd: of "
                                "a socket)");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_tls_destination_on_an_fd_socket_refusing_its_one_stream_exits)
{
    static const char plaintext[] = "QEVM\0\0\0\3";
    int fds[2];

    socket_pair_for_fd_uri(fds);
    QTestState *dst = start_destination();
    close(fds[1]);
    g_autofree char *in_uri = g_strdup_printf("fd:%d", fds[1]);

    x509_destination(dst, TLS_CERTS_X509_SERVER, TLS_CERTS_CLIENT_DN);
    listen_on(dst, in_uri);
    ck_assert_int_eq(write(fds[0], plaintext, 8), 8);
    assert_destination_gives_up(dst, "TLS handshake failed: the client did not start a TLS "
                                "handshake (is it connecting without TLS?); it sent "
                                "\"QEVM\\x00\\x00\\x00\\x03\"");
    close(fds[0]);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Cancel and the failure bounds work through TLS as without it */

/* The seed guest without XBZRLE at 1 MiB/s never converges: the migration
 * is in its iterative stage until the test acts. */
static void start_endless_migration(QTestState *src, const char *uri)
{
    migtest_set_params(src, "1M", "0.03");
    migtest_hmp_migrate(src, false, uri);
    for (;;) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        const char *status = json_object_get_string_member(info, "status");
        ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "active"),
                      "the migration is %s: %s", status, qtest_stderr(src));
        if (json_object_has_member(info, "ram") &&
            migtest_member(info, "ram", "transferred") > 0) {
            return;
        }
        usleep(10000);
    }
}

/* The destination's load failed; it waits for another source. */
static void assert_destination_waits_again(QTestState *dst)
{
    migtest_assert_ends(dst, "failed");
    migtest_assert_run_state(dst, "inmigrate");
    const char *const parts[] = { "load of migration failed: ",
                                  "waiting for a new connection", NULL };
    g_free(logged_line(dst, parts));
}

START_TEST(test_cancel_during_a_tls_migration_leaves_the_source_running)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    start_endless_migration(src, uri);
    g_free(qtest_hmp(src, "migrate_cancel"));
    migtest_assert_ends(src, "cancelled");
    assert_source_runs(src);
    assert_destination_waits_again(dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* A destination that stops reading (SIGSTOP) stalls the TLS writes: the
 * source gives up after its x-stall-timeout (once the socket buffers are
 * full), as without TLS. */
START_TEST(test_stall_bound_applies_to_a_tls_migration)
{
    QTestState *src, *dst;
    g_autofree char *uri = tcp_uri();

    start_x509_pair(&src, &dst);
    listen_on(dst, uri);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'x-stall-timeout': %d}}", STALL_MS);
    start_endless_migration(src, uri);
    qtest_kill(dst, SIGSTOP);
    migtest_assert_ends(src, "failed");
    g_autofree char *why = error_desc(src);
    printf("source: %s\n", why);
    ck_assert_msg(strstr(why, "took no data for 1 s") || strstr(why, "timed out"),
                  "the source's error '%s' does not name the stall", why);
    assert_source_runs(src);
    qtest_kill(dst, SIGCONT);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Post-copy: its recovery link is a TLS session too */

static bool userfaultfd_available(void)
{
    if (geteuid() != 0 && access("/dev/userfaultfd", R_OK | W_OK) != 0) {
        printf("SKIP: post-copy needs userfaultfd (root, or access to /dev/userfaultfd)\n");
        return false;
    }
    return true;
}

/* Waits for a MIGRATION event with this status. */
static void wait_status(QTestState *s, const char *want)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION");
        const char *status = json_object_get_string_member(
            json_object_get_object_member(ev, "data"), "status");
        if (!strcmp(status, want)) {
            return;
        }
        ck_assert_msg(strcmp(status, "failed") && strcmp(status, "completed"),
                      "migration %s while waiting for %s; stderr: %s", status, want,
                      qtest_stderr(s));
    }
}

/* The a-b guest in post-copy over TLS, through a proxy that cuts the link
 * after the switch: migrate -r must resume over a new TLS session (the
 * destination, which checks every connection, takes nothing else). */
START_TEST(test_postcopy_over_tls_recovers_over_tls)
{
    if (!userfaultfd_available()) {
        return;
    }
    int port = qtest_free_tcp_port();
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", port);
    g_autofree char *target = g_strdup_printf("127.0.0.1:%d", port);
    g_autofree char *recover = tcp_uri();
    TestProxy *proxy = test_proxy_start(target);
    g_autofree char *via = g_strdup_printf("tcp:127.0.0.1:%d", test_proxy_port(proxy));
    QTestState *dst = qtest_start("-kernel guests/a-b.elf -m 64M -incoming defer");
    QTestState *src = migtest_start_source("a-b", NULL);

    migtest_enable_events(dst);
    x509_destination(dst, TLS_CERTS_X509_SERVER, TLS_CERTS_CLIENT_DN);
    x509_source(src, "tls0", TLS_CERTS_X509_CLIENT);
    for (QTestState **s = (QTestState *[]){ src, dst, NULL }; *s; s++) {
        g_free(qtest_hmp(*s, "migrate_set_capability postcopy-ram on"));
        set_param(*s, "x-stall-timeout", "2000");
    }
    listen_on(dst, uri);
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "4M", "0.03");
    migtest_hmp_migrate(src, false, via);
    wait_status(src, "active");
    usleep(300000);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-start-postcopy'}");
    wait_status(src, "postcopy-active");
    usleep(300000);
    test_proxy_cut(proxy);
    wait_status(src, "postcopy-paused");
    wait_status(dst, "postcopy-paused");

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-recover', 'arguments': {'uri': '%s'}}",
                         recover);
    migtest_set_params(src, "0", "0.03");
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': '%s', 'resume': true}}", recover);
    g_autofree char *end = migtest_wait_end(src);
    g_autofree char *why = error_desc(src);
    ck_assert_msg(!strcmp(end, "completed"), "source: %s (%s); destination stderr: %s",
                  end, why, qtest_stderr(dst));
    migtest_assert_ends(dst, "completed");
    qtest_qmp_ok_discard(dst, "{'execute': 'stop'}");
    g_autoptr(GBytes) ram = migtest_save_ram(dst);
    migtest_assert_a_b_invariant(ram);
    test_proxy_stop(proxy);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("migration-tls");
    TCase *completes = tcase_create("completes");
    TCase *refused = tcase_create("refused");
    TCase *bounds = tcase_create("cancel and bounds");

    tcase_add_checked_fixture(completes, setup, teardown);
    tcase_add_checked_fixture(refused, setup, teardown);
    tcase_add_checked_fixture(bounds, setup, teardown);
    qtest_tcase_timeout(completes, 6);
    qtest_tcase_timeout(refused, 8);
    qtest_tcase_timeout(bounds, 6);
    tcase_add_test(completes, test_x509_with_client_verification_over_tcp_completes);
    tcase_add_test(completes,
                   test_x509_with_client_verification_over_unix_completes_with_tls_hostname);
    tcase_add_test(completes, test_x509_over_unix_without_tls_hostname_fails_saying_so);
    tcase_add_test(completes, test_psk_with_authz_over_tcp_completes);
    tcase_add_test(completes,
                   test_x509_with_client_verification_over_fd_sockets_completes_with_tls_hostname);
    tcase_add_test(refused, test_unknown_ca_is_refused_and_the_source_runs);
    tcase_add_test(refused,
                   test_server_certificate_for_another_hostname_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_client_identity_not_in_the_authz_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_expired_server_certificate_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_not_yet_valid_client_certificate_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_psk_with_another_key_is_refused_and_the_source_runs);
    tcase_add_test(refused,
                   test_plaintext_source_to_a_tls_destination_is_refused_and_the_source_runs);
    tcase_add_test(refused,
                   test_tls_source_to_a_plaintext_destination_is_refused_and_the_source_runs);
    tcase_add_test(refused, test_stranger_sending_garbage_to_the_tls_port_is_refused);
    tcase_add_test(refused, test_tls_destination_on_exec_fails_saying_tls_needs_a_socket);
    tcase_add_test(refused, test_tls_destination_on_an_fd_socket_refusing_its_one_stream_exits);
    tcase_add_test(bounds, test_cancel_during_a_tls_migration_leaves_the_source_running);
    tcase_add_test(bounds, test_stall_bound_applies_to_a_tls_migration);
    tcase_add_test(bounds, test_postcopy_over_tls_recovers_over_tls);
    suite_add_tcase(s, completes);
    suite_add_tcase(s, refused);
    suite_add_tcase(s, bounds);
    return s;
}

int main(void)
{
    printf("accelerator: %s\n", qtest_accel());
    SRunner *sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
