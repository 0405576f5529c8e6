/*
 * Specification of TLS: the credentials objects tls-creds-x509 and
 * tls-creds-psk (crypto/tlscreds.h) and what their creation refuses, TLS
 * sessions (crypto/tlssession.h) between two threads over a socket pair,
 * what each side sees when a handshake is refused, and the objects through
 * the emulator's -object option and monitors.
 *
 * Every test gets its own certificates from tests/tlscerts.h (certtool at
 * run time): a CA "ca", a server certificate for localhost, a client one
 * named TLS_CERTS_CLIENT_DN, and QEMU-style directories for both ends.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz/simple.h"
#include "crypto/tlscreds.h"
#include "crypto/tlssession.h"
#include "libqmp.h"
#include "object.h"
#include "qemu-error.h"
#include "tlscerts.h"

/* A bound on every wait, so that a broken test fails instead of hanging;
 * no test expects to reach it. */
#define WAIT_MS 20000

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
/* Helpers: objects */

static char *scratch(const char *relpath)
{
    return tls_certs_path(certs, relpath);
}

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

/* The error creating the object; the object must not exist after it. */
static char * G_GNUC_PRINTF(1, 2) refused_object(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autoptr(GError) err = NULL;

    ck_assert_msg(object_create_from_string(text, &err) < 0, "%s was accepted", text);
    ck_assert_ptr_null(object_ref_by_id("tls0"));
    return g_strdup(err->message);
}

/* `value` for the text form, where ",," is a comma. */
static char *opt_value(const char *value)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    return g_strjoinv(",,", parts);
}

static void assert_contains(const char *text, const char *part)
{
    ck_assert_msg(text && strstr(text, part), "'%s' lacks '%s'", text, part);
}

/* The standard objects: x509 server "srv" (verify-peer on), x509 client
 * "cli", PSK server "psrv" and PSK client "pcli". */
static void add_x509_server(const char *extra)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    add_object("tls-creds-x509,id=srv,endpoint=server,dir=%s%s", dir, extra);
}

static void add_x509_client(const char *extra)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    add_object("tls-creds-x509,id=cli,endpoint=client,dir=%s%s", dir, extra);
}

static void add_psk_pair(const char *client_extra)
{
    g_autofree char *sdir = scratch(TLS_CERTS_PSK_SERVER);
    g_autofree char *cdir = scratch(TLS_CERTS_PSK_CLIENT);
    add_object("tls-creds-psk,id=psrv,endpoint=server,dir=%s", sdir);
    add_object("tls-creds-psk,id=pcli,endpoint=client,dir=%s%s", cdir, client_extra);
}

/* ---------------------------------------------------------------------- */
/* Helpers: blocking I/O on the non-blocking API, as a caller's loop does */

static int wait_fd(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    do {
        r = poll(&p, 1, WAIT_MS);
    } while (r < 0 && errno == EINTR);
    return r;
}

static int write_all(TlsSession *s, const void *buf, size_t len, GError **errp)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = tls_session_write(s, (const char *)buf + done, len - done, errp);
        if (n == TLS_SESSION_WANT_WRITE) {
            if (wait_fd(tls_session_fd(s), POLLOUT) <= 0) {
                error_setg(errp, "test: write timed out");
                return -1;
            }
            continue;
        }
        if (n < 0) {
            return -1;
        }
        done += n;
    }
    return 0;
}

/* Exactly len bytes; the end of the session before them is an error. */
static int read_exact(TlsSession *s, void *buf, size_t len, GError **errp)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = tls_session_read(s, (char *)buf + done, len - done, errp);
        if (n == TLS_SESSION_WANT_READ) {
            if (wait_fd(tls_session_fd(s), POLLIN) <= 0) {
                error_setg(errp, "test: read timed out");
                return -1;
            }
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            error_setg(errp, "test: the session ended after %zu of %zu bytes",
                       done, len);
            return -1;
        }
        done += n;
    }
    return 0;
}

/* What the next read sees: 0 at the end of the session, -1 on error. */
static ssize_t read_some(TlsSession *s, void *buf, size_t len, GError **errp)
{
    for (;;) {
        ssize_t n = tls_session_read(s, buf, len, errp);
        if (n != TLS_SESSION_WANT_READ) {
            return n;
        }
        if (wait_fd(tls_session_fd(s), POLLIN) <= 0) {
            error_setg(errp, "test: read timed out");
            return -1;
        }
    }
}

static int bye(TlsSession *s, GError **errp)
{
    for (;;) {
        int r = tls_session_bye(s, errp);
        if (r != TLS_SESSION_WANT_WRITE) {
            return r;
        }
        wait_fd(tls_session_fd(s), POLLOUT);
    }
}

/* ---------------------------------------------------------------------- */
/* Helpers: two peers over a socket pair */

typedef struct Peer {
    TlsCredsEndpoint endpoint;
    const char *creds;
    const char *hostname;       /* client */
    const char *authz;          /* server */
    int fd;
    char *error;                /* the first failure, or NULL */
    char *identity;             /* tls_session_peer_identity() */
} Peer;

static void peer_clear(Peer *p)
{
    g_free(p->error);
    g_free(p->identity);
}

/* After the handshake the client says "ping", the server answers "pong"
 * and ends the session: a refusal the client's handshake could not see
 * (TLS 1.3) shows there. */
static int talk(TlsSession *s, TlsCredsEndpoint endpoint, GError **errp)
{
    char buf[4];

    if (endpoint == TLS_CREDS_ENDPOINT_CLIENT) {
        g_autoptr(GError) write_err = NULL;
        write_all(s, "ping", 4, &write_err);
        /* A server that refused us said why in an alert, which a read gets
         * even after the write found the connection closed. */
        if (read_exact(s, buf, 4, errp) < 0) {
            return -1;
        }
        if (write_err) {
            g_propagate_error(errp, g_steal_pointer(&write_err));
            return -1;
        }
        ck_assert(!memcmp(buf, "pong", 4));
        return read_some(s, buf, sizeof(buf), errp) == 0 ? 0 : -1;
    }
    if (read_exact(s, buf, 4, errp) < 0 || write_all(s, "pong", 4, errp) < 0) {
        return -1;
    }
    ck_assert(!memcmp(buf, "ping", 4));
    return bye(s, errp) == TLS_SESSION_DONE ? 0 : -1;
}

static gpointer peer_run(gpointer opaque)
{
    Peer *p = opaque;
    g_autoptr(GError) err = NULL;
    TlsSession *s = tls_session_new(p->fd, p->creds, p->endpoint, p->hostname,
                                    p->authz, &err);

    if (s && tls_session_handshake_wait(s, WAIT_MS, &err) == TLS_SESSION_DONE) {
        p->identity = g_strdup(tls_session_peer_identity(s));
        talk(s, p->endpoint, &err);
    }
    p->error = err ? g_strdup(err->message) : NULL;
    tls_session_free(s);
    /* The other side sees the end at once, whatever happened here. */
    close(p->fd);
    return NULL;
}

static void socket_pair(int fds[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
}

/* Runs the server in a thread and the client here, to the end of both. */
static void converse(Peer *client, Peer *server)
{
    int fds[2];

    socket_pair(fds);
    client->endpoint = TLS_CREDS_ENDPOINT_CLIENT;
    client->fd = fds[0];
    server->endpoint = TLS_CREDS_ENDPOINT_SERVER;
    server->fd = fds[1];
    GThread *t = g_thread_new("tls-server", peer_run, server);
    peer_run(client);
    g_thread_join(t);
}

static void assert_success(const Peer *p)
{
    ck_assert_msg(!p->error, "%s failed: %s",
                  p->endpoint == TLS_CREDS_ENDPOINT_SERVER ? "server" : "client",
                  p->error);
}

/* ---------------------------------------------------------------------- */
/* Credentials: what creation refuses */

START_TEST(test_x509_creds_without_dir_are_refused)
{
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server");

    ck_assert_str_eq(msg, "Missing 'dir' property value");
}
END_TEST

START_TEST(test_x509_creds_in_a_missing_dir_name_the_ca_certificate)
{
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,dir=/nonexistent");

    ck_assert_str_eq(msg, "Unable to access credentials /nonexistent/ca-cert.pem: "
                     "No such file or directory");
}
END_TEST

START_TEST(test_x509_server_creds_without_their_key_name_the_key_file)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    g_autofree char *key = g_build_filename(dir, "server-key.pem", NULL);

    ck_assert_int_eq(unlink(key), 0);
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    g_autofree char *want = g_strdup_printf("Unable to access credentials %s: "
                                            "No such file or directory", key);
    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_x509_creds_whose_key_cannot_be_read_name_the_key_file)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    g_autofree char *key = g_build_filename(dir, "server-key.pem", NULL);

    /* As root no permission stops a read: a directory in its place does. */
    ck_assert_int_eq(unlink(key), 0);
    ck_assert_int_eq(mkdir(key, 0700), 0);
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    assert_contains(msg, "Unable to read credentials");
    assert_contains(msg, key);
}
END_TEST

START_TEST(test_x509_creds_with_a_corrupt_key_name_the_key_file)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    g_autofree char *key = g_build_filename(dir, "server-key.pem", NULL);

    tls_certs_write(certs, TLS_CERTS_X509_SERVER "/server-key.pem",
                    "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
                    "-----END PRIVATE KEY-----\n");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    g_autofree char *want = g_strdup_printf("Unable to import private key %s: ", key);
    ck_assert_msg(g_str_has_prefix(msg, want), "%s", msg);
}
END_TEST

START_TEST(test_x509_creds_with_a_corrupt_ca_certificate_name_it)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    g_autofree char *ca = g_build_filename(dir, "ca-cert.pem", NULL);

    tls_certs_write(certs, TLS_CERTS_X509_CLIENT "/ca-cert.pem", "not PEM at all\n");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,dir=%s", dir);
    g_autofree char *want = g_strdup_printf("Unable to import CA certificate %s: ", ca);
    ck_assert_msg(g_str_has_prefix(msg, want), "%s", msg);
}
END_TEST

START_TEST(test_x509_creds_whose_certificate_does_not_match_the_key_are_refused)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);

    /* The client certificate's key beside the server certificate. */
    tls_certs_copy(certs, "client-key.pem", TLS_CERTS_X509_SERVER "/server-key.pem");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    g_autofree char *want = g_strdup_printf("The certificate %s/server-cert.pem does "
                                            "not match the private key "
                                            "%s/server-key.pem", dir, dir);
    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_x509_client_key_without_its_certificate_is_refused)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    g_autofree char *cert = g_build_filename(dir, "client-cert.pem", NULL);

    ck_assert_int_eq(unlink(cert), 0);
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,dir=%s", dir);
    g_autofree char *want = g_strdup_printf("%s/client-key.pem has no certificate "
                                            "beside it (client-cert.pem)", dir);
    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_x509_client_creds_without_certificate_are_made)
{
    g_autofree char *dir = tls_certs_x509_dir(certs, "bare", TLS_CERT_CLIENT, "ca", NULL);

    add_object("tls-creds-x509,id=tls0,dir=%s", dir);
}
END_TEST

START_TEST(test_sanity_check_refuses_a_certificate_of_another_ca)
{
    tls_certs_make_ca(certs, "ca2");
    tls_certs_make_cert(certs, "stranger", "ca2", TLS_CERT_SERVER,
                        TLS_CERTS_HOSTNAME, TLS_CERT_VALID);
    g_autofree char *dir = tls_certs_x509_dir(certs, "mixed", TLS_CERT_SERVER,
                                              "ca", "stranger");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    g_autofree char *want = g_strdup_printf("The server certificate %s/server-cert.pem "
                                            "does not verify against the CA "
                                            "certificate %s/ca-cert.pem", dir, dir);

    ck_assert_msg(g_str_has_prefix(msg, want), "%s", msg);
    assert_contains(msg, "The certificate issuer is unknown.");
    add_object("tls-creds-x509,id=tls0,endpoint=server,dir=%s,sanity-check=off", dir);
}
END_TEST

START_TEST(test_sanity_check_refuses_an_expired_certificate)
{
    tls_certs_make_cert(certs, "old", "ca", TLS_CERT_SERVER, TLS_CERTS_HOSTNAME,
                        TLS_CERT_EXPIRED);
    g_autofree char *dir = tls_certs_x509_dir(certs, "old", TLS_CERT_SERVER, "ca", "old");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);

    assert_contains(msg, "does not verify against the CA certificate");
    assert_contains(msg, "expired");
}
END_TEST

START_TEST(test_x509_server_creds_take_dh_params_pem)
{
    tls_certs_make_dh_params(certs, TLS_CERTS_X509_SERVER "/dh-params.pem");
    add_x509_server("");
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    assert_success(&server);
    assert_success(&client);
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_server_creds_with_corrupt_dh_params_name_the_file)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);

    tls_certs_write(certs, TLS_CERTS_X509_SERVER "/dh-params.pem",
                    "-----BEGIN DH PARAMETERS-----\nAAAA\n"
                    "-----END DH PARAMETERS-----\n");
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,endpoint=server,"
                                          "dir=%s", dir);
    g_autofree char *want = g_strdup_printf("Unable to load DH parameters from "
                                            "%s/dh-params.pem: ", dir);
    ck_assert_msg(g_str_has_prefix(msg, want), "%s", msg);
}
END_TEST

START_TEST(test_creds_with_a_bad_priority_are_refused)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,dir=%s,"
                                          "priority=NORMAL:+NOTHING", dir);

    assert_contains(msg, "Unable to set TLS priority 'NORMAL:+NOTHING' (at '+NOTHING')");
}
END_TEST

START_TEST(test_creds_with_an_unknown_property_are_refused)
{
    g_autofree char *msg = refused_object("tls-creds-x509,id=tls0,dir=/d,passwordid=s");

    ck_assert_str_eq(msg, "Property 'tls-creds-x509.passwordid' not found");
}
END_TEST

START_TEST(test_psk_creds_without_keys_file_name_it)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    g_autofree char *msg = refused_object("tls-creds-psk,id=tls0,dir=%s", dir);
    g_autofree char *want = g_strdup_printf("Unable to access credentials %s/keys.psk: "
                                            "No such file or directory", dir);

    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_psk_creds_with_a_malformed_line_name_the_line)
{
    g_autofree char *dir = tls_certs_psk_dir(certs, "bad", "qemu:00ff\n\nno colon here\n");
    g_autofree char *msg = refused_object("tls-creds-psk,id=tls0,endpoint=server,dir=%s",
                                          dir);
    g_autofree char *want = g_strdup_printf("%s/keys.psk line 3: expected "
                                            "USERNAME:HEXKEY", dir);

    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_psk_creds_with_a_key_that_is_not_hex_name_the_line)
{
    g_autofree char *dir = tls_certs_psk_dir(certs, "bad", "qemu:xyz1\n");
    g_autofree char *msg = refused_object("tls-creds-psk,id=tls0,dir=%s", dir);
    g_autofree char *want = g_strdup_printf("%s/keys.psk line 1: the key of 'qemu' is "
                                            "not an even number of hexadecimal "
                                            "digits", dir);

    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_psk_client_whose_username_is_not_in_the_file_is_refused)
{
    g_autofree char *dir = scratch(TLS_CERTS_PSK_CLIENT);
    g_autofree char *msg = refused_object("tls-creds-psk,id=tls0,dir=%s,username=bob",
                                          dir);
    g_autofree char *want = g_strdup_printf("Username bob not found in PSK file "
                                            "%s/keys.psk", dir);

    ck_assert_str_eq(msg, want);
}
END_TEST

START_TEST(test_psk_server_with_a_username_is_refused)
{
    g_autofree char *dir = scratch(TLS_CERTS_PSK_SERVER);
    g_autofree char *msg = refused_object("tls-creds-psk,id=tls0,endpoint=server,"
                                          "dir=%s,username=qemu", dir);

    ck_assert_str_eq(msg, "username should not be set when endpoint=server");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Sessions: what creation refuses */

static char *refused_session(const char *creds, TlsCredsEndpoint endpoint,
                             const char *hostname, const char *authz)
{
    int fds[2];
    g_autoptr(GError) err = NULL;

    socket_pair(fds);
    TlsSession *s = tls_session_new(fds[0], creds, endpoint, hostname, authz, &err);
    close(fds[0]);
    close(fds[1]);
    ck_assert_msg(!s, "the session was made");
    return g_strdup(err->message);
}

START_TEST(test_session_with_unknown_creds_is_refused)
{
    g_autofree char *msg = refused_session("nope", TLS_CREDS_ENDPOINT_CLIENT,
                                           TLS_CERTS_HOSTNAME, NULL);

    ck_assert_str_eq(msg, "No TLS credentials with id 'nope'");
}
END_TEST

START_TEST(test_session_with_an_object_that_is_not_creds_is_refused)
{
    add_object("authz-simple,id=auth0,identity=x");
    g_autofree char *msg = refused_session("auth0", TLS_CREDS_ENDPOINT_CLIENT,
                                           TLS_CERTS_HOSTNAME, NULL);

    ck_assert_str_eq(msg, "Object 'auth0' (authz-simple) is not TLS credentials");
}
END_TEST

START_TEST(test_session_with_creds_of_the_other_endpoint_is_refused)
{
    add_x509_server("");
    g_autofree char *msg = refused_session("srv", TLS_CREDS_ENDPOINT_CLIENT,
                                           TLS_CERTS_HOSTNAME, NULL);

    ck_assert_str_eq(msg, "Expected TLS credentials for a client endpoint "
                     "('srv' is for a server)");
}
END_TEST

START_TEST(test_x509_client_session_without_hostname_is_refused)
{
    add_x509_client("");
    g_autofree char *msg = refused_session("cli", TLS_CREDS_ENDPOINT_CLIENT, NULL, NULL);

    ck_assert_str_eq(msg, "No hostname for certificate validation");
}
END_TEST

START_TEST(test_authz_without_verify_peer_is_refused)
{
    add_x509_server(",verify-peer=off");
    g_autofree char *dn = opt_value(TLS_CERTS_CLIENT_DN);
    add_object("authz-simple,id=auth0,identity=%s", dn);
    g_autofree char *msg = refused_session("srv", TLS_CREDS_ENDPOINT_SERVER, NULL,
                                           "auth0");

    ck_assert_str_eq(msg, "Authorization 'auth0' needs TLS credentials with "
                     "verify-peer=on: 'srv' would let unverified clients claim "
                     "any identity");
}
END_TEST

START_TEST(test_session_on_a_descriptor_that_is_not_a_socket_is_refused)
{
    int fds[2];
    g_autoptr(GError) err = NULL;

    add_x509_client("");
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_ptr_null(tls_session_new(fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                       TLS_CERTS_HOSTNAME, NULL, &err));
    g_autofree char *want = g_strdup_printf("TLS needs a connected socket, and fd %d "
                                            "is not one: Socket operation on "
                                            "non-socket", fds[0]);
    ck_assert_str_eq(err->message, want);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_creds_used_by_a_session_cannot_be_deleted_until_it_ends)
{
    int fds[2];
    g_autoptr(GError) err = NULL;

    add_x509_client("");
    socket_pair(fds);
    TlsSession *s = tls_session_new(fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                    TLS_CERTS_HOSTNAME, NULL, NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(object_delete("cli", &err), -1);
    ck_assert_str_eq(err->message, "object 'cli' is in use, can not be deleted");
    tls_session_free(s);
    ck_assert_int_eq(object_delete("cli", NULL), 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Handshakes: x509 */

START_TEST(test_x509_handshake_verifies_both_ends_and_authz_lets_the_client_in)
{
    add_x509_server("");
    add_x509_client("");
    g_autofree char *dn = opt_value(TLS_CERTS_CLIENT_DN);
    add_object("authz-simple,id=auth0,identity=%s", dn);
    Peer server = { .creds = "srv", .authz = "auth0" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    assert_success(&server);
    assert_success(&client);
    ck_assert_str_eq(server.identity, TLS_CERTS_CLIENT_DN);
    ck_assert_str_eq(client.identity, "CN=" TLS_CERTS_HOSTNAME ",O=QEMU test");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_client_may_name_the_server_by_its_ip_address)
{
    add_x509_server("");
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = "127.0.0.1" };

    converse(&client, &server);
    assert_success(&server);
    assert_success(&client);
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_client_refuses_a_server_certificate_of_an_unknown_ca)
{
    tls_certs_make_ca(certs, "ca2");
    tls_certs_make_cert(certs, "stranger", "ca2", TLS_CERT_SERVER,
                        TLS_CERTS_HOSTNAME, TLS_CERT_VALID);
    g_autofree char *dir = tls_certs_x509_dir(certs, "stranger", TLS_CERT_SERVER,
                                              "ca2", "stranger");
    add_object("tls-creds-x509,id=srv,endpoint=server,dir=%s,verify-peer=off", dir);
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    ck_assert_str_eq(client.error, "TLS handshake failed: the server's certificate is "
                     "not valid: The certificate is NOT trusted. The certificate "
                     "issuer is unknown.");
    ck_assert_str_eq(server.error, "TLS handshake failed: the client refused it: "
                     "Certificate is bad");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_client_refuses_a_server_certificate_for_another_name)
{
    add_x509_server("");
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = "migration.example.com" };

    converse(&client, &server);
    ck_assert_str_eq(client.error, "TLS handshake failed: the server's certificate "
                     "does not match the hostname migration.example.com: The "
                     "certificate is NOT trusted. The name in the certificate does "
                     "not match the expected.");
    ck_assert_str_eq(server.error, "TLS handshake failed: the client refused it: "
                     "Certificate is bad");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

static void assert_client_refuses_server_cert(TlsCertValidity validity,
                                              const char *reason)
{
    tls_certs_make_cert(certs, "dated", "ca", TLS_CERT_SERVER, TLS_CERTS_HOSTNAME,
                        validity);
    g_autofree char *dir = tls_certs_x509_dir(certs, "dated", TLS_CERT_SERVER,
                                              "ca", "dated");
    /* Its own sanity check would refuse it first. */
    add_object("tls-creds-x509,id=srv,endpoint=server,dir=%s,sanity-check=off", dir);
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    g_autofree char *want = g_strdup_printf("TLS handshake failed: the server's "
                                            "certificate is not valid: The "
                                            "certificate is NOT trusted. %s", reason);
    ck_assert_str_eq(client.error, want);
    ck_assert_str_eq(server.error, "TLS handshake failed: the client refused it: "
                     "Certificate is bad");
    peer_clear(&server);
    peer_clear(&client);
}

START_TEST(test_x509_client_refuses_an_expired_server_certificate)
{
    assert_client_refuses_server_cert(TLS_CERT_EXPIRED,
                                      "The certificate chain uses expired certificate.");
}
END_TEST

START_TEST(test_x509_client_refuses_a_server_certificate_not_yet_valid)
{
    assert_client_refuses_server_cert(TLS_CERT_NOT_YET_VALID,
                                      "The certificate chain uses not yet valid "
                                      "certificate.");
}
END_TEST

START_TEST(test_x509_server_refuses_a_client_certificate_of_an_unknown_ca)
{
    tls_certs_make_ca(certs, "ca2");
    tls_certs_make_cert(certs, "stranger", "ca2", TLS_CERT_CLIENT,
                        TLS_CERTS_CLIENT_CN, TLS_CERT_VALID);
    /* It trusts the right CA, so only the server can object. */
    g_autofree char *dir = tls_certs_x509_dir(certs, "stranger", TLS_CERT_CLIENT,
                                              "ca", "stranger");
    add_x509_server("");
    add_object("tls-creds-x509,id=cli,dir=%s,sanity-check=off", dir);
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    ck_assert_str_eq(server.error, "TLS handshake failed: the client's certificate is "
                     "not valid: The certificate is NOT trusted. The certificate "
                     "issuer is unknown.");
    ck_assert_str_eq(client.error, "TLS read failed: the server ended the session: "
                     "Certificate is bad");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_server_refuses_a_revoked_client_certificate)
{
    tls_certs_make_crl(certs, "ca", "client");
    tls_certs_copy(certs, "ca-crl.pem", TLS_CERTS_X509_SERVER "/ca-crl.pem");
    add_x509_server("");
    add_x509_client("");
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    ck_assert_str_eq(server.error, "TLS handshake failed: the client's certificate is "
                     "not valid: The certificate is NOT trusted. The certificate "
                     "chain is revoked.");
    ck_assert_str_eq(client.error, "TLS read failed: the server ended the session: "
                     "Certificate is bad");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_server_with_verify_peer_refuses_a_client_without_certificate)
{
    g_autofree char *dir = tls_certs_x509_dir(certs, "bare", TLS_CERT_CLIENT, "ca", NULL);
    add_x509_server("");
    add_object("tls-creds-x509,id=cli,dir=%s", dir);
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    /* GnuTLS's reason is TLS 1.3's ("Certificate is required."). */
    assert_contains(server.error, "TLS handshake failed: the client sent no "
                    "certificate, and 'srv' has verify-peer=on: ");
    /* Its handshake was over (TLS 1.3): it learns at its first read. */
    ck_assert_str_eq(client.error, "TLS read failed: the server ended the session: "
                     "Certificate is required");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_server_without_verify_peer_takes_a_client_without_certificate)
{
    g_autofree char *dir = tls_certs_x509_dir(certs, "bare", TLS_CERT_CLIENT, "ca", NULL);
    add_x509_server(",verify-peer=off");
    add_object("tls-creds-x509,id=cli,dir=%s", dir);
    Peer server = { .creds = "srv" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    assert_success(&server);
    assert_success(&client);
    ck_assert_ptr_null(server.identity);
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_x509_server_refuses_a_client_identity_authz_does_not_allow)
{
    add_x509_server("");
    add_x509_client("");
    add_object("authz-simple,id=auth0,identity=CN=someone-else,,O=QEMU test");
    Peer server = { .creds = "srv", .authz = "auth0" };
    Peer client = { .creds = "cli", .hostname = TLS_CERTS_HOSTNAME };

    converse(&client, &server);
    ck_assert_str_eq(server.error, "TLS x509 authz check for " TLS_CERTS_CLIENT_DN
                     " is denied");
    /* The client's handshake was over (TLS 1.3): it learns at its read. */
    ck_assert_str_eq(client.error, "TLS read failed: the server ended the session: "
                     "Access was denied");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Handshakes: PSK */

START_TEST(test_psk_handshake_succeeds_and_the_server_sees_the_username)
{
    add_psk_pair("");
    add_object("authz-simple,id=auth0,identity=qemu");
    Peer server = { .creds = "psrv", .authz = "auth0" };
    Peer client = { .creds = "pcli" };

    converse(&client, &server);
    assert_success(&server);
    assert_success(&client);
    ck_assert_str_eq(server.identity, "qemu");
    ck_assert_ptr_null(client.identity);
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_psk_with_a_wrong_key_fails_on_both_sides)
{
    g_autofree char *dir = tls_certs_psk_dir(certs, "wrong", "qemu:00112233\n");
    g_autofree char *sdir = scratch(TLS_CERTS_PSK_SERVER);
    add_object("tls-creds-psk,id=psrv,endpoint=server,dir=%s", sdir);
    add_object("tls-creds-psk,id=pcli,dir=%s", dir);
    Peer server = { .creds = "psrv" };
    Peer client = { .creds = "pcli" };

    converse(&client, &server);
    ck_assert_str_eq(server.error, "TLS handshake failed: An illegal parameter has "
                     "been received. (do both ends hold the same key for the "
                     "username?)");
    ck_assert_str_eq(client.error, "TLS handshake failed: the server refused it: "
                     "Illegal parameter (do both ends hold the same key for the "
                     "username?)");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_psk_server_refuses_a_username_it_has_no_key_for)
{
    tls_certs_write(certs, TLS_CERTS_PSK_CLIENT "/keys.psk",
                    "bob:" TLS_CERTS_PSK_KEY_QEMU "\n");
    add_psk_pair(",username=bob");
    Peer server = { .creds = "psrv" };
    Peer client = { .creds = "pcli" };

    converse(&client, &server);
    /* GnuTLS does not tell an unknown user from a wrong key. */
    ck_assert_str_eq(server.error, "TLS handshake failed: An illegal parameter has "
                     "been received. (do both ends hold the same key for the "
                     "username?)");
    ck_assert_str_eq(client.error, "TLS handshake failed: the server refused it: "
                     "Illegal parameter (do both ends hold the same key for the "
                     "username?)");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

START_TEST(test_psk_server_refuses_a_username_authz_does_not_allow)
{
    /* A user the server knows, which authz does not allow. */
    tls_certs_write(certs, TLS_CERTS_PSK_CLIENT "/keys.psk",
                    "other:" TLS_CERTS_PSK_KEY_OTHER "\n");
    add_psk_pair(",username=other");
    add_object("authz-simple,id=auth0,identity=qemu");
    Peer server = { .creds = "psrv", .authz = "auth0" };
    Peer client = { .creds = "pcli" };

    converse(&client, &server);
    ck_assert_str_eq(server.error, "TLS PSK authz check for other is denied");
    ck_assert_str_eq(client.error, "TLS read failed: the server ended the session: "
                     "Access was denied");
    peer_clear(&server);
    peer_clear(&client);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Peers that do not speak TLS */

static gpointer plaintext_then_wait(gpointer opaque)
{
    int fd = GPOINTER_TO_INT(opaque);
    char buf[256];

    /* Says its piece, then waits for the other side to give up. */
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    return NULL;
}

static char *server_error_for_plaintext(const void *bytes, size_t len)
{
    int fds[2];
    g_autoptr(GError) err = NULL;

    add_x509_server("");
    socket_pair(fds);
    ck_assert_int_eq(write(fds[0], bytes, len), (ssize_t)len);
    GThread *t = g_thread_new("plaintext", plaintext_then_wait,
                              GINT_TO_POINTER(fds[0]));
    TlsSession *s = tls_session_new(fds[1], "srv", TLS_CREDS_ENDPOINT_SERVER,
                                    NULL, NULL, NULL);
    ck_assert_int_eq(tls_session_handshake_wait(s, WAIT_MS, &err), TLS_SESSION_ERROR);
    tls_session_free(s);
    close(fds[1]);
    g_thread_join(t);
    close(fds[0]);
    return g_strdup(err->message);
}

START_TEST(test_plaintext_client_on_a_tls_server_fails_showing_what_it_sent)
{
    static const char migration_header[] = "QEVM\0\0\0\3";
    g_autofree char *msg = server_error_for_plaintext(migration_header, 8);

    ck_assert_str_eq(msg, "TLS handshake failed: the client did not start a TLS "
                     "handshake (is it connecting without TLS?); it sent "
                     "\"QEVM\\x00\\x00\\x00\\x03\"");
}
END_TEST

START_TEST(test_one_plaintext_byte_is_enough_for_a_tls_server_to_fail)
{
    /* Less than a TLS record header: GnuTLS alone would wait for more. */
    g_autofree char *msg = server_error_for_plaintext("{", 1);

    ck_assert_str_eq(msg, "TLS handshake failed: the client did not start a TLS "
                     "handshake (is it connecting without TLS?); it sent \"{\"");
}
END_TEST

START_TEST(test_tls_client_on_a_plaintext_server_fails_showing_what_it_sent)
{
    static const char greeting[] = "{\"QMP\": {\"version\": {}}}\r\n";
    int fds[2];
    g_autoptr(GError) err = NULL;

    add_x509_client("");
    socket_pair(fds);
    ck_assert_int_eq(write(fds[1], greeting, strlen(greeting)), (ssize_t)strlen(greeting));
    GThread *t = g_thread_new("plaintext", plaintext_then_wait, GINT_TO_POINTER(fds[1]));
    TlsSession *s = tls_session_new(fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                    TLS_CERTS_HOSTNAME, NULL, NULL);
    ck_assert_int_eq(tls_session_handshake_wait(s, WAIT_MS, &err), TLS_SESSION_ERROR);
    ck_assert_str_eq(err->message, "TLS handshake failed: the server did not answer "
                     "with TLS (is it listening without TLS?); it sent "
                     "\"{\\\"QMP\\\": {\\\"versio\"");
    tls_session_free(s);
    close(fds[0]);
    g_thread_join(t);
    close(fds[1]);
}
END_TEST

START_TEST(test_a_plaintext_endpoint_recognises_a_tls_client_hello)
{
    int fds[2];
    uint8_t hello[64];

    add_x509_client("");
    socket_pair(fds);
    TlsSession *s = tls_session_new(fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                    TLS_CERTS_HOSTNAME, NULL, NULL);
    ck_assert_int_eq(tls_session_handshake(s, NULL), TLS_SESSION_WANT_READ);
    ssize_t n = read(fds[1], hello, sizeof(hello));
    ck_assert_int_ge(n, 6);
    ck_assert(tls_looks_like_client_hello(hello, n));
    ck_assert(tls_looks_like_client_hello(hello, 1));
    ck_assert(!tls_looks_like_client_hello("QEVM\0\0\0\3", 8));
    ck_assert(!tls_looks_like_client_hello("{\"execute\"", 10));
    tls_session_free(s);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The non-blocking API, data and the end of a session */

START_TEST(test_handshake_step_wants_read_while_the_server_has_not_answered)
{
    int fds[2];
    g_autoptr(GError) err = NULL;

    add_x509_client("");
    socket_pair(fds);
    TlsSession *s = tls_session_new(fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                    TLS_CERTS_HOSTNAME, NULL, NULL);
    ck_assert_int_eq(tls_session_handshake(s, NULL), TLS_SESSION_WANT_READ);
    ck_assert_int_eq(tls_session_handshake(s, NULL), TLS_SESSION_WANT_READ);
    ck_assert_int_eq(tls_session_handshake_wait(s, 50, &err), TLS_SESSION_ERROR);
    ck_assert_str_eq(err->message, "TLS handshake timed out after 50 ms");
    tls_session_free(s);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* Both ends with their handshake done: the server's in a thread, joined
 * before returning. */
typedef struct Ends {
    TlsSession *client;
    TlsSession *server;
    int fds[2];
} Ends;

static gpointer server_handshake(gpointer opaque)
{
    TlsSession *s = opaque;
    g_autoptr(GError) err = NULL;

    ck_assert_msg(tls_session_handshake_wait(s, WAIT_MS, &err) == TLS_SESSION_DONE,
                  "server: %s", err ? err->message : "");
    return NULL;
}

static void connect_ends(Ends *e)
{
    g_autoptr(GError) err = NULL;

    add_x509_server("");
    add_x509_client("");
    socket_pair(e->fds);
    e->client = tls_session_new(e->fds[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                TLS_CERTS_HOSTNAME, NULL, NULL);
    e->server = tls_session_new(e->fds[1], "srv", TLS_CREDS_ENDPOINT_SERVER,
                                NULL, NULL, NULL);
    GThread *t = g_thread_new("tls-server", server_handshake, e->server);
    ck_assert_msg(tls_session_handshake_wait(e->client, WAIT_MS, &err) ==
                  TLS_SESSION_DONE, "client: %s", err ? err->message : "");
    g_thread_join(t);
}

static void disconnect_ends(Ends *e)
{
    tls_session_free(e->client);
    tls_session_free(e->server);
    close(e->fds[0]);
    close(e->fds[1]);
}

static uint8_t pattern_byte(size_t i, uint8_t seed)
{
    return (uint8_t)(i ^ (i >> 8) ^ (i >> 16) ^ seed);
}

static uint8_t *pattern(size_t len, uint8_t seed)
{
    uint8_t *buf = g_malloc(len);

    for (size_t i = 0; i < len; i++) {
        buf[i] = pattern_byte(i, seed);
    }
    return buf;
}

START_TEST(test_pending_counts_decrypted_bytes_not_read_yet)
{
    Ends e;
    char buf[1000];
    g_autoptr(GError) err = NULL;

    connect_ends(&e);
    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(write_all(e.client, buf, sizeof(buf), &err), 0);
    ck_assert_int_eq(read_exact(e.server, buf, 10, &err), 0);
    ck_assert_uint_eq(tls_session_pending(e.server), sizeof(buf) - 10);
    ck_assert_int_eq(read_exact(e.server, buf, sizeof(buf) - 10, &err), 0);
    ck_assert_uint_eq(tls_session_pending(e.server), 0);
    disconnect_ends(&e);
}
END_TEST

typedef struct Drain {
    TlsSession *s;
    size_t len;
    uint8_t seed;
    GMutex lock;
    GCond cond;
    bool go;
    char *error;
} Drain;

/* Reads len bytes of the pattern once told to go. */
static gpointer drain_run(gpointer opaque)
{
    Drain *d = opaque;
    g_autofree uint8_t *got = g_malloc(d->len);
    g_autoptr(GError) err = NULL;

    g_mutex_lock(&d->lock);
    while (!d->go) {
        g_cond_wait(&d->cond, &d->lock);
    }
    g_mutex_unlock(&d->lock);
    if (read_exact(d->s, got, d->len, &err) < 0) {
        d->error = g_strdup(err->message);
        return NULL;
    }
    for (size_t i = 0; i < d->len; i++) {
        if (got[i] != pattern_byte(i, d->seed)) {
            d->error = g_strdup_printf("byte %zu is 0x%02x", i, got[i]);
            return NULL;
        }
    }
    return NULL;
}

static void drain_go(Drain *d)
{
    g_mutex_lock(&d->lock);
    d->go = true;
    g_cond_signal(&d->cond);
    g_mutex_unlock(&d->lock);
}

START_TEST(test_write_wants_write_when_the_socket_is_full_then_resumes_its_record)
{
    Ends e;
    const size_t len = 2 << 20;
    g_autofree uint8_t *data = pattern(len, 7);
    g_autoptr(GError) err = NULL;
    int want_write = 0;

    connect_ends(&e);
    Drain d = { .s = e.server, .len = len, .seed = 7 };
    GThread *t = g_thread_new("drain", drain_run, &d);
    /* Nobody reads until the socket is full; then the same bytes go on. */
    for (size_t done = 0; done < len;) {
        ssize_t n = tls_session_write(e.client, data + done, len - done, &err);
        ck_assert_msg(n != TLS_SESSION_ERROR, "%s", err ? err->message : "");
        if (n == TLS_SESSION_WANT_WRITE) {
            if (!want_write++) {
                drain_go(&d);
            }
            wait_fd(e.fds[0], POLLOUT);
            continue;
        }
        done += n;
    }
    drain_go(&d);
    g_thread_join(t);
    ck_assert_msg(!d.error, "%s", d.error);
    ck_assert_int_gt(want_write, 0);
    disconnect_ends(&e);
}
END_TEST

typedef struct Sender {
    TlsSession *s;
    const uint8_t *data;
    size_t len;
    char *error;
} Sender;

static gpointer sender_run(gpointer opaque)
{
    Sender *w = opaque;
    g_autoptr(GError) err = NULL;

    if (write_all(w->s, w->data, w->len, &err) < 0) {
        w->error = g_strdup(err->message);
    }
    return NULL;
}

START_TEST(test_one_thread_sends_while_another_receives_on_each_end)
{
    /* Four threads: each end sends its stream while it receives the
     * other's, as a migration and its return path do. */
    Ends e;
    const size_t len = 4 << 20;
    g_autofree uint8_t *up = pattern(len, 1);
    g_autofree uint8_t *down = pattern(len, 2);

    connect_ends(&e);
    Sender client_tx = { .s = e.client, .data = up, .len = len };
    Sender server_tx = { .s = e.server, .data = down, .len = len };
    Drain client_rx = { .s = e.client, .len = len, .seed = 2, .go = true };
    Drain server_rx = { .s = e.server, .len = len, .seed = 1, .go = true };
    GThread *threads[] = {
        g_thread_new("client-tx", sender_run, &client_tx),
        g_thread_new("server-tx", sender_run, &server_tx),
        g_thread_new("client-rx", drain_run, &client_rx),
        g_thread_new("server-rx", drain_run, &server_rx),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(threads); i++) {
        g_thread_join(threads[i]);
    }
    ck_assert_msg(!client_tx.error, "%s", client_tx.error);
    ck_assert_msg(!server_tx.error, "%s", server_tx.error);
    ck_assert_msg(!client_rx.error, "%s", client_rx.error);
    ck_assert_msg(!server_rx.error, "%s", server_rx.error);
    disconnect_ends(&e);
}
END_TEST

START_TEST(test_bye_ends_the_session_and_the_peer_reads_its_end)
{
    Ends e;
    char buf[16];
    g_autoptr(GError) err = NULL;

    connect_ends(&e);
    ck_assert_int_eq(bye(e.client, &err), TLS_SESSION_DONE);
    ck_assert_int_eq(read_some(e.server, buf, sizeof(buf), &err), 0);
    ck_assert(!tls_session_peer_cut(e.server));
    disconnect_ends(&e);
}
END_TEST

START_TEST(test_connection_closed_without_bye_is_an_error_not_an_end)
{
    Ends e;
    char buf[16];
    g_autoptr(GError) err = NULL;

    connect_ends(&e);
    shutdown(e.fds[1], SHUT_RDWR);
    ck_assert_int_eq(read_some(e.client, buf, sizeof(buf), &err), TLS_SESSION_ERROR);
    ck_assert_str_eq(err->message, "TLS read failed: the server closed the connection "
                     "without ending the TLS session");
    ck_assert(tls_session_peer_cut(e.client));
    disconnect_ends(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Through the emulator */

START_TEST(test_emulator_makes_tls_objects_given_with_object)
{
    g_autofree char *sdir = scratch(TLS_CERTS_X509_SERVER);
    g_autofree char *pdir = scratch(TLS_CERTS_PSK_CLIENT);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf "
                                "-object tls-creds-x509,id=tls0,endpoint=server,"
                                "dir=%s,verify-peer=on "
                                "-object tls-creds-psk,id=tls1,dir=%s,username=qemu "
                                "-object authz-simple,id=auth0,identity=%s",
                                sdir, pdir, "CN=x");

    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'tls0'}}");
    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'tls1'}}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_emulator_refuses_creds_naming_the_missing_file_in_one_line)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    g_autofree char *key = g_build_filename(dir, "server-key.pem", NULL);
    ck_assert_int_eq(unlink(key), 0);
    g_autofree char *line = qtest_start_up_error("-S -object tls-creds-x509,id=tls0,"
                                                 "endpoint=server,dir=%s", dir);
    g_autofree char *want = g_strdup_printf("qemu-system-x86_64: -object tls-creds-x509,"
                                            "id=tls0,endpoint=server,dir=%s: Unable to "
                                            "access credentials %s: No such file or "
                                            "directory", dir, key);

    ck_assert_str_eq(line, want);
}
END_TEST

START_TEST(test_qmp_object_add_and_del_of_x509_creds)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_CLIENT);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf");

    qtest_qmp_ok_discard(s, "{'execute': 'object-add', 'arguments': "
                         "{'qom-type': 'tls-creds-x509', 'id': 'tls0', "
                         "'endpoint': 'client', 'dir': '%s', 'verify-peer': true}}", dir);
    qtest_qmp_ok_discard(s, "{'execute': 'object-add', 'arguments': "
                         "{'qom-type': 'tls-creds-x509', 'id': 'tls1', "
                         "'props': {'dir': '%s', 'sanity-check': false}}}", dir);
    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'tls0'}}");
    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'tls1'}}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_qmp_object_add_of_creds_with_a_mismatched_key_names_both_files)
{
    g_autofree char *dir = scratch(TLS_CERTS_X509_SERVER);
    tls_certs_copy(certs, "client-key.pem", TLS_CERTS_X509_SERVER "/server-key.pem");
    QTestState *s = qtest_start("-S -kernel guests/idle.elf");
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'object-add', "
                                                "'arguments': {'qom-type': "
                                                "'tls-creds-x509', 'id': 'tls0', "
                                                "'endpoint': 'server', 'dir': '%s'}}",
                                                dir);
    g_autofree char *want = g_strdup_printf("The certificate %s/server-cert.pem does "
                                            "not match the private key "
                                            "%s/server-key.pem", dir, dir);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_str_eq(qtest_error_desc(err), want);
    /* Nothing was left behind: the id is free. */
    g_autoptr(JsonObject) del = qtest_qmp_error(s, "{'execute': 'object-del', "
                                                "'arguments': {'id': 'tls0'}}");
    ck_assert_str_eq(qtest_error_desc(del), "object 'tls0' not found");
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_object_add_and_object_del_of_psk_creds)
{
    g_autofree char *dir = scratch(TLS_CERTS_PSK_SERVER);
    QTestState *s = qtest_start("-S -kernel guests/idle.elf");
    g_autofree char *added = qtest_hmp(s, "object_add tls-creds-psk,id=tls0,"
                                       "endpoint=server,dir=%s", dir);
    g_autofree char *refused = qtest_hmp(s, "object_add tls-creds-psk,id=tls1,"
                                         "endpoint=server,dir=%s,username=qemu", dir);
    g_autofree char *deleted = qtest_hmp(s, "object_del tls0");

    ck_assert_str_eq(added, "");
    ck_assert_str_eq(refused, "username should not be set when endpoint=server\r\n");
    ck_assert_str_eq(deleted, "");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

static TCase *tls_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 2 * WAIT_MS / 1000 + 10);
    return tc;
}

static Suite *tls_suite(void)
{
    Suite *s = suite_create("crypto-tls");
    TCase *creds = tls_tcase("creds");
    TCase *sessions = tls_tcase("session-creation");
    TCase *x509 = tls_tcase("x509-handshakes");
    TCase *psk = tls_tcase("psk-handshakes");
    TCase *plain = tls_tcase("plaintext-peers");
    TCase *io = tls_tcase("io");
    TCase *emulator = tls_tcase("emulator");

    qtest_tcase_timeout(emulator, 4);

    tcase_add_test(creds, test_x509_creds_without_dir_are_refused);
    tcase_add_test(creds, test_x509_creds_in_a_missing_dir_name_the_ca_certificate);
    tcase_add_test(creds, test_x509_server_creds_without_their_key_name_the_key_file);
    tcase_add_test(creds, test_x509_creds_whose_key_cannot_be_read_name_the_key_file);
    tcase_add_test(creds, test_x509_creds_with_a_corrupt_key_name_the_key_file);
    tcase_add_test(creds, test_x509_creds_with_a_corrupt_ca_certificate_name_it);
    tcase_add_test(creds, test_x509_creds_whose_certificate_does_not_match_the_key_are_refused);
    tcase_add_test(creds, test_x509_client_key_without_its_certificate_is_refused);
    tcase_add_test(creds, test_x509_client_creds_without_certificate_are_made);
    tcase_add_test(creds, test_sanity_check_refuses_a_certificate_of_another_ca);
    tcase_add_test(creds, test_sanity_check_refuses_an_expired_certificate);
    tcase_add_test(creds, test_x509_server_creds_take_dh_params_pem);
    tcase_add_test(creds, test_x509_server_creds_with_corrupt_dh_params_name_the_file);
    tcase_add_test(creds, test_creds_with_a_bad_priority_are_refused);
    tcase_add_test(creds, test_creds_with_an_unknown_property_are_refused);
    tcase_add_test(creds, test_psk_creds_without_keys_file_name_it);
    tcase_add_test(creds, test_psk_creds_with_a_malformed_line_name_the_line);
    tcase_add_test(creds, test_psk_creds_with_a_key_that_is_not_hex_name_the_line);
    tcase_add_test(creds, test_psk_client_whose_username_is_not_in_the_file_is_refused);
    tcase_add_test(creds, test_psk_server_with_a_username_is_refused);

    tcase_add_test(sessions, test_session_with_unknown_creds_is_refused);
    tcase_add_test(sessions, test_session_with_an_object_that_is_not_creds_is_refused);
    tcase_add_test(sessions, test_session_with_creds_of_the_other_endpoint_is_refused);
    tcase_add_test(sessions, test_x509_client_session_without_hostname_is_refused);
    tcase_add_test(sessions, test_authz_without_verify_peer_is_refused);
    tcase_add_test(sessions, test_session_on_a_descriptor_that_is_not_a_socket_is_refused);
    tcase_add_test(sessions, test_creds_used_by_a_session_cannot_be_deleted_until_it_ends);

    tcase_add_test(x509, test_x509_handshake_verifies_both_ends_and_authz_lets_the_client_in);
    tcase_add_test(x509, test_x509_client_may_name_the_server_by_its_ip_address);
    tcase_add_test(x509, test_x509_client_refuses_a_server_certificate_of_an_unknown_ca);
    tcase_add_test(x509, test_x509_client_refuses_a_server_certificate_for_another_name);
    tcase_add_test(x509, test_x509_client_refuses_an_expired_server_certificate);
    tcase_add_test(x509, test_x509_client_refuses_a_server_certificate_not_yet_valid);
    tcase_add_test(x509, test_x509_server_refuses_a_client_certificate_of_an_unknown_ca);
    tcase_add_test(x509, test_x509_server_refuses_a_revoked_client_certificate);
    tcase_add_test(x509, test_x509_server_with_verify_peer_refuses_a_client_without_certificate);
    tcase_add_test(x509, test_x509_server_without_verify_peer_takes_a_client_without_certificate);
    tcase_add_test(x509, test_x509_server_refuses_a_client_identity_authz_does_not_allow);

    tcase_add_test(psk, test_psk_handshake_succeeds_and_the_server_sees_the_username);
    tcase_add_test(psk, test_psk_with_a_wrong_key_fails_on_both_sides);
    tcase_add_test(psk, test_psk_server_refuses_a_username_it_has_no_key_for);
    tcase_add_test(psk, test_psk_server_refuses_a_username_authz_does_not_allow);

    tcase_add_test(plain, test_plaintext_client_on_a_tls_server_fails_showing_what_it_sent);
    tcase_add_test(plain, test_one_plaintext_byte_is_enough_for_a_tls_server_to_fail);
    tcase_add_test(plain, test_tls_client_on_a_plaintext_server_fails_showing_what_it_sent);
    tcase_add_test(plain, test_a_plaintext_endpoint_recognises_a_tls_client_hello);

    tcase_add_test(io, test_handshake_step_wants_read_while_the_server_has_not_answered);
    tcase_add_test(io, test_pending_counts_decrypted_bytes_not_read_yet);
    tcase_add_test(io, test_write_wants_write_when_the_socket_is_full_then_resumes_its_record);
    tcase_add_test(io, test_one_thread_sends_while_another_receives_on_each_end);
    tcase_add_test(io, test_bye_ends_the_session_and_the_peer_reads_its_end);
    tcase_add_test(io, test_connection_closed_without_bye_is_an_error_not_an_end);

    tcase_add_test(emulator, test_emulator_makes_tls_objects_given_with_object);
    tcase_add_test(emulator, test_emulator_refuses_creds_naming_the_missing_file_in_one_line);
    tcase_add_test(emulator, test_qmp_object_add_and_del_of_x509_creds);
    tcase_add_test(emulator, test_qmp_object_add_of_creds_with_a_mismatched_key_names_both_files);
    tcase_add_test(emulator, test_hmp_object_add_and_object_del_of_psk_creds);

    suite_add_tcase(s, creds);
    suite_add_tcase(s, sessions);
    suite_add_tcase(s, x509);
    suite_add_tcase(s, psk);
    suite_add_tcase(s, plain);
    suite_add_tcase(s, io);
    suite_add_tcase(s, emulator);
    return s;
}

int main(void)
{
    tls_creds_register_types();
    authz_simple_register_type();
    /* A peer that closes first must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    SRunner *runner = srunner_create(tls_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
