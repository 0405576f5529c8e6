/*
 * Certificates, keys and TLS credentials directories for tests, made at
 * run time with certtool (Debian's gnutls-bin) in a scratch directory, so
 * that no key is ever committed and validity dates are relative to now.
 *
 *   TlsCerts *c = tls_certs_new();
 *   g_autofree char *dir = tls_certs_path(c, TLS_CERTS_X509_SERVER);
 *   ... -object tls-creds-x509,id=tls0,endpoint=server,dir=DIR ...
 *   tls_certs_free(c);
 *
 * tls_certs_new() makes a CA "ca", a server certificate "server" for
 * TLS_CERTS_HOSTNAME (and 127.0.0.1, ::1), a client certificate "client"
 * with the name TLS_CERTS_CLIENT_DN, and four directories with QEMU's file
 * names: x509 for a server and a client, PSK for a server (users "qemu"
 * and "other") and a client (user "qemu"). The building blocks make more:
 * another CA, expired or not yet valid certificates, a CRL, corrupt files.
 * Names (of CAs and certificates) are files in the scratch directory:
 * NAME-cert.pem, NAME-key.pem.
 *
 * Every failure (certtool missing or failing) fails the running Check
 * test with certtool's message.
 */
#ifndef TESTS_TLSCERTS_H
#define TESTS_TLSCERTS_H

#include <glib.h>

typedef struct TlsCerts TlsCerts;

typedef enum {
    TLS_CERT_SERVER,        /* TLS server purpose; server-*.pem in a dir */
    TLS_CERT_CLIENT,        /* TLS client purpose; client-*.pem in a dir */
} TlsCertRole;

typedef enum {
    TLS_CERT_VALID,         /* from yesterday for a year */
    TLS_CERT_EXPIRED,       /* ended a year ago */
    TLS_CERT_NOT_YET_VALID, /* starts in a year */
} TlsCertValidity;

/* What the standard server certificate names, and the standard client's
 * distinguished name as GnuTLS prints it (an authz-simple identity). */
#define TLS_CERTS_HOSTNAME      "localhost"
#define TLS_CERTS_CLIENT_CN     "qemu-client"
#define TLS_CERTS_CLIENT_DN     "CN=qemu-client,O=QEMU test"

/* The standard directories (relative to the scratch directory). */
#define TLS_CERTS_X509_SERVER   "x509-server"
#define TLS_CERTS_X509_CLIENT   "x509-client"
#define TLS_CERTS_PSK_SERVER    "psk-server"
#define TLS_CERTS_PSK_CLIENT    "psk-client"
/* The keys of the standard PSK users. */
#define TLS_CERTS_PSK_KEY_QEMU  "9a1c4f0e2b7d63885fe0c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
#define TLS_CERTS_PSK_KEY_OTHER "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* A scratch directory with the standard set above. */
TlsCerts *tls_certs_new(void);
/* Removes the scratch directory and everything in it. NULL is fine. */
void tls_certs_free(TlsCerts *c);

const char *tls_certs_dir(const TlsCerts *c);
/* The scratch directory's `relpath` (g_free it). */
char *tls_certs_path(const TlsCerts *c, const char *relpath);

/* A self-signed CA: NAME-cert.pem, NAME-key.pem. */
void tls_certs_make_ca(TlsCerts *c, const char *name);
/*
 * A certificate signed by CA `ca` for `role`, with its own key, named
 * `cn` (a server's also has the DNS name `cn` and the addresses 127.0.0.1
 * and ::1; a client's subject is CN=cn,O=QEMU test).
 */
void tls_certs_make_cert(TlsCerts *c, const char *name, const char *ca,
                         TlsCertRole role, const char *cn,
                         TlsCertValidity validity);
/* Diffie-Hellman parameters (GnuTLS's known ones) in `relpath`. */
void tls_certs_make_dh_params(TlsCerts *c, const char *relpath);
/* CA `ca`'s CRL revoking certificate `revoked`: CA-crl.pem. */
void tls_certs_make_crl(TlsCerts *c, const char *ca, const char *revoked);

/*
 * A credentials directory `dirname` as QEMU reads it: ca-cert.pem from
 * CA `ca`, and, unless `cert` is NULL, that certificate and its key as
 * server-cert.pem and server-key.pem (or client-*.pem). Returns its path
 * (g_free it). An existing directory of that name is emptied first.
 */
char *tls_certs_x509_dir(TlsCerts *c, const char *dirname, TlsCertRole role,
                         const char *ca, const char *cert);
/* A PSK directory: keys.psk holding `keys` ("user:hexkey\n..."). */
char *tls_certs_psk_dir(TlsCerts *c, const char *dirname, const char *keys);

/* Copies the scratch file `from` to `to` (relative paths; the
 * credentials files are NAME-cert.pem, NAME-key.pem, CA-crl.pem). */
void tls_certs_copy(TlsCerts *c, const char *from, const char *to);
/* Writes `text` to `relpath` (a corrupt file, an extra one). */
void tls_certs_write(TlsCerts *c, const char *relpath, const char *text);

#endif
