/*
 * Test certificates made with certtool (see tests/tlscerts.h): a template
 * per certificate, written next to it, and certtool run without a shell.
 * ECDSA P-256 keys, which certtool makes in a millisecond.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tlscerts.h"

#define DAY (24 * 3600)
#define YEAR (365 * DAY)

struct TlsCerts {
    char *dir;
};

/* ------------------------------------------------------------------------ */
/* Files */

char *tls_certs_path(const TlsCerts *c, const char *relpath)
{
    return g_build_filename(c->dir, relpath, NULL);
}

const char *tls_certs_dir(const TlsCerts *c)
{
    return c->dir;
}

void tls_certs_write(TlsCerts *c, const char *relpath, const char *text)
{
    g_autofree char *path = tls_certs_path(c, relpath);
    g_autoptr(GError) err = NULL;

    ck_assert_msg(g_file_set_contents(path, text, -1, &err), "%s", err ? err->message : "");
}

void tls_certs_copy(TlsCerts *c, const char *from, const char *to)
{
    g_autofree char *src = tls_certs_path(c, from);
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;

    ck_assert_msg(g_file_get_contents(src, &text, NULL, &err), "%s", err ? err->message : "");
    tls_certs_write(c, to, text);
}

static void remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);

    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_dir_close(dir);
        g_rmdir(path);
        return;
    }
    g_unlink(path);
}

static char *make_dir(TlsCerts *c, const char *dirname)
{
    char *path = tls_certs_path(c, dirname);

    remove_tree(path);
    ck_assert_msg(g_mkdir(path, 0700) == 0, "mkdir %s: %s", path, g_strerror(errno));
    return path;
}

/* ------------------------------------------------------------------------ */
/* certtool */

static void run_certtool(const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    g_ptr_array_add(argv, (char *)"certtool");
    for (int i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    bool ran = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, &out, &err, &status, &gerr);
    ck_assert_msg(ran, "cannot run certtool (apt-get install gnutls-bin): %s",
                  gerr ? gerr->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL),
                  "certtool %s failed: %s", args[0], err);
}

static void make_key(TlsCerts *c, const char *name)
{
    g_autofree char *rel = g_strdup_printf("%s-key.pem", name);
    g_autofree char *key = tls_certs_path(c, rel);
    const char *args[] = { "--generate-privkey", "--key-type=ecdsa",
                           "--outfile", key, NULL };

    run_certtool(args);
}

/* certtool's date format, `offset` seconds from now. */
static char *template_date(gint64 offset)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(g_get_real_time() /
                                                           G_USEC_PER_SEC + offset);
    return g_date_time_format(t, "\"%Y-%m-%d %H:%M:%S UTC\"");
}

static char *validity_lines(TlsCertValidity validity)
{
    static const struct { gint64 from, to; } spans[] = {
        [TLS_CERT_VALID] = { -DAY, YEAR },
        [TLS_CERT_EXPIRED] = { -2 * YEAR, -YEAR },
        [TLS_CERT_NOT_YET_VALID] = { YEAR, 2 * YEAR },
    };
    g_autofree char *from = template_date(spans[validity].from);
    g_autofree char *to = template_date(spans[validity].to);

    return g_strdup_printf("activation_date = %s\nexpiration_date = %s\n", from, to);
}

static char *write_template(TlsCerts *c, const char *name, const char *text)
{
    g_autofree char *rel = g_strdup_printf("%s.template", name);

    tls_certs_write(c, rel, text);
    return tls_certs_path(c, rel);
}

/* ------------------------------------------------------------------------ */
/* CAs, certificates, CRLs */

void tls_certs_make_ca(TlsCerts *c, const char *name)
{
    g_autofree char *dates = validity_lines(TLS_CERT_VALID);
    g_autofree char *text = g_strdup_printf("cn = QEMU test CA %s\n"
                                            "organization = QEMU test\n"
                                            "ca\ncert_signing_key\ncrl_signing_key\n%s",
                                            name, dates);
    g_autofree char *tmpl = write_template(c, name, text);
    g_autofree char *cert_rel = g_strdup_printf("%s-cert.pem", name);
    g_autofree char *key_rel = g_strdup_printf("%s-key.pem", name);
    g_autofree char *cert = tls_certs_path(c, cert_rel);
    g_autofree char *key = tls_certs_path(c, key_rel);

    make_key(c, name);
    const char *args[] = { "--generate-self-signed", "--load-privkey", key,
                           "--template", tmpl, "--outfile", cert, NULL };
    run_certtool(args);
}

static char *cert_template(TlsCertRole role, const char *cn,
                           TlsCertValidity validity)
{
    g_autofree char *dates = validity_lines(validity);

    if (role == TLS_CERT_SERVER) {
        return g_strdup_printf("organization = QEMU test\ncn = %s\n"
                               "dns_name = %s\nip_address = 127.0.0.1\n"
                               "ip_address = ::1\ntls_www_server\n"
                               "signing_key\nencryption_key\n%s", cn, cn, dates);
    }
    return g_strdup_printf("organization = QEMU test\ncn = %s\n"
                           "tls_www_client\nsigning_key\nencryption_key\n%s",
                           cn, dates);
}

void tls_certs_make_cert(TlsCerts *c, const char *name, const char *ca,
                         TlsCertRole role, const char *cn,
                         TlsCertValidity validity)
{
    g_autofree char *text = cert_template(role, cn, validity);
    g_autofree char *tmpl = write_template(c, name, text);
    g_autofree char *cert_rel = g_strdup_printf("%s-cert.pem", name);
    g_autofree char *key_rel = g_strdup_printf("%s-key.pem", name);
    g_autofree char *ca_cert_rel = g_strdup_printf("%s-cert.pem", ca);
    g_autofree char *ca_key_rel = g_strdup_printf("%s-key.pem", ca);
    g_autofree char *cert = tls_certs_path(c, cert_rel);
    g_autofree char *key = tls_certs_path(c, key_rel);
    g_autofree char *ca_cert = tls_certs_path(c, ca_cert_rel);
    g_autofree char *ca_key = tls_certs_path(c, ca_key_rel);

    make_key(c, name);
    const char *args[] = { "--generate-certificate", "--load-privkey", key,
                           "--load-ca-certificate", ca_cert,
                           "--load-ca-privkey", ca_key, "--template", tmpl,
                           "--outfile", cert, NULL };
    run_certtool(args);
}

void tls_certs_make_crl(TlsCerts *c, const char *ca, const char *revoked)
{
    g_autofree char *tmpl_name = g_strdup_printf("%s-crl", ca);
    g_autofree char *tmpl = write_template(c, tmpl_name, "crl_next_update = 30\n"
                                                         "crl_number = 1\n");
    g_autofree char *crl_rel = g_strdup_printf("%s-crl.pem", ca);
    g_autofree char *ca_cert_rel = g_strdup_printf("%s-cert.pem", ca);
    g_autofree char *ca_key_rel = g_strdup_printf("%s-key.pem", ca);
    g_autofree char *revoked_rel = g_strdup_printf("%s-cert.pem", revoked);
    g_autofree char *crl = tls_certs_path(c, crl_rel);
    g_autofree char *ca_cert = tls_certs_path(c, ca_cert_rel);
    g_autofree char *ca_key = tls_certs_path(c, ca_key_rel);
    g_autofree char *revoked_cert = tls_certs_path(c, revoked_rel);
    const char *args[] = { "--generate-crl", "--load-ca-privkey", ca_key,
                           "--load-ca-certificate", ca_cert,
                           "--load-certificate", revoked_cert,
                           "--template", tmpl, "--outfile", crl, NULL };

    run_certtool(args);
}

void tls_certs_make_dh_params(TlsCerts *c, const char *relpath)
{
    g_autofree char *path = tls_certs_path(c, relpath);
    const char *args[] = { "--get-dh-params", "--sec-param=medium",
                           "--outfile", path, NULL };

    run_certtool(args);
}

/* ------------------------------------------------------------------------ */
/* Credentials directories */

char *tls_certs_x509_dir(TlsCerts *c, const char *dirname, TlsCertRole role,
                         const char *ca, const char *cert)
{
    const char *prefix = role == TLS_CERT_SERVER ? "server" : "client";
    char *path = make_dir(c, dirname);
    g_autofree char *ca_from = g_strdup_printf("%s-cert.pem", ca);
    g_autofree char *ca_to = g_build_filename(dirname, "ca-cert.pem", NULL);

    tls_certs_copy(c, ca_from, ca_to);
    if (cert) {
        g_autofree char *cert_from = g_strdup_printf("%s-cert.pem", cert);
        g_autofree char *key_from = g_strdup_printf("%s-key.pem", cert);
        g_autofree char *cert_to = g_strdup_printf("%s/%s-cert.pem", dirname, prefix);
        g_autofree char *key_to = g_strdup_printf("%s/%s-key.pem", dirname, prefix);
        tls_certs_copy(c, cert_from, cert_to);
        tls_certs_copy(c, key_from, key_to);
    }
    return path;
}

char *tls_certs_psk_dir(TlsCerts *c, const char *dirname, const char *keys)
{
    char *path = make_dir(c, dirname);
    g_autofree char *rel = g_build_filename(dirname, "keys.psk", NULL);

    tls_certs_write(c, rel, keys);
    return path;
}

/* ------------------------------------------------------------------------ */

TlsCerts *tls_certs_new(void)
{
    TlsCerts *c = g_new0(TlsCerts, 1);
    g_autoptr(GError) err = NULL;

    c->dir = g_dir_make_tmp("qemu-tls-XXXXXX", &err);
    ck_assert_msg(c->dir, "%s", err ? err->message : "");
    tls_certs_make_ca(c, "ca");
    tls_certs_make_cert(c, "server", "ca", TLS_CERT_SERVER, TLS_CERTS_HOSTNAME,
                        TLS_CERT_VALID);
    tls_certs_make_cert(c, "client", "ca", TLS_CERT_CLIENT, TLS_CERTS_CLIENT_CN,
                        TLS_CERT_VALID);
    g_free(tls_certs_x509_dir(c, TLS_CERTS_X509_SERVER, TLS_CERT_SERVER, "ca", "server"));
    g_free(tls_certs_x509_dir(c, TLS_CERTS_X509_CLIENT, TLS_CERT_CLIENT, "ca", "client"));
    g_free(tls_certs_psk_dir(c, TLS_CERTS_PSK_SERVER,
                             "qemu:" TLS_CERTS_PSK_KEY_QEMU "\n"
                             "other:" TLS_CERTS_PSK_KEY_OTHER "\n"));
    g_free(tls_certs_psk_dir(c, TLS_CERTS_PSK_CLIENT,
                             "qemu:" TLS_CERTS_PSK_KEY_QEMU "\n"));
    return c;
}

void tls_certs_free(TlsCerts *c)
{
    if (!c) {
        return;
    }
    remove_tree(c->dir);
    g_free(c->dir);
    g_free(c);
}
