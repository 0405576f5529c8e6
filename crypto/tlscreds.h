/*
 * TLS credentials: QEMU's tls-creds-x509 and tls-creds-psk objects, made
 * with -object or object-add and used by TLS sessions (crypto/tlssession.h)
 * of migrations and chardevs.
 *
 *   -object tls-creds-x509,id=tls0,endpoint=server,dir=/etc/pki/qemu
 *   -object tls-creds-psk,id=tls1,endpoint=client,dir=/etc/qemu/psk,username=qemu
 *
 * Properties of both: endpoint (client, the default, or server), dir (the
 * directory of QEMU's file names, required), verify-peer (default on; x509:
 * a server requires and checks client certificates, a client checks the
 * server's), priority (a GnuTLS priority string, default NORMAL). x509 also
 * takes sanity-check (default on: the credentials' own certificate must
 * verify against their CA when they are made); PSK takes username (clients
 * only, default "qemu").
 *
 * Files in dir. x509: ca-cert.pem (required), ca-crl.pem (optional), for a
 * server server-cert.pem and server-key.pem (required) and dh-params.pem
 * (optional: GnuTLS's known parameters otherwise), for a client
 * client-cert.pem and client-key.pem (optional, both or neither). PSK:
 * keys.psk, lines USERNAME:HEXKEY (a server accepts every username in it;
 * GnuTLS reads it again at each handshake, as QEMU does, so keys can be
 * rotated in place), and dh-params.pem for a server (optional).
 *
 * Everything is loaded with GnuTLS when the object is made, and every
 * failure names its file ("Unable to access credentials DIR/ca-cert.pem: No
 * such file or directory"); the credentials are then only read, so sessions
 * in any thread share them.
 */
#ifndef CRYPTO_TLSCREDS_H
#define CRYPTO_TLSCREDS_H

#include <stdbool.h>
#include <glib.h>
#include <gnutls/gnutls.h>

/* In the order of QEMU's QCryptoTLSCredsEndpoint. */
typedef enum {
    TLS_CREDS_ENDPOINT_CLIENT,
    TLS_CREDS_ENDPOINT_SERVER,
} TlsCredsEndpoint;

typedef enum {
    TLS_CREDS_X509,
    TLS_CREDS_PSK,
} TlsCredsKind;

typedef struct TlsCreds TlsCreds;

/* Registers the object types tls-creds-x509 and tls-creds-psk. */
void tls_creds_register_types(void);

/*
 * The credentials object `id` with a new reference (tls_creds_unref() it;
 * meanwhile object-del refuses to delete it), or NULL with *errp set: "No
 * TLS credentials with id 'ID'", or an object of another type. Any thread.
 */
TlsCreds *tls_creds_ref(const char *id, GError **errp);
/* NULL is fine. */
void tls_creds_unref(TlsCreds *creds);

const char *tls_creds_id(const TlsCreds *creds);
TlsCredsKind tls_creds_kind(const TlsCreds *creds);
TlsCredsEndpoint tls_creds_endpoint(const TlsCreds *creds);
/* "client" or "server", for messages. */
const char *tls_creds_endpoint_name(TlsCredsEndpoint endpoint);
/* x509: whether the peer's certificate is required and verified. PSK:
 * always true (the handshake proves the peer has the key). */
bool tls_creds_verify_peer(const TlsCreds *creds);

/* Gives a new GnuTLS session (of the credentials' endpoint) their priority
 * and credentials; for an x509 server, the request for a client certificate
 * verify-peer implies. Returns 0, or -1 with *errp set. */
int tls_creds_apply(const TlsCreds *creds, gnutls_session_t session,
                    GError **errp);

/* A certificate verification status as GnuTLS's sentences ("The
 * certificate is NOT trusted. The certificate chain uses expired
 * certificate."), for error messages. */
char *tls_creds_verify_status_text(unsigned int status);

#endif
