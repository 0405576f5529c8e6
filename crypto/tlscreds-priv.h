/*
 * What the three files of the TLS credentials module share (tlscreds.c:
 * the properties and files both kinds have; tlscreds-x509.c and
 * tlscreds-psk.c: loading each kind). Not for other modules: they use
 * crypto/tlscreds.h.
 */
#ifndef CRYPTO_TLSCREDS_PRIV_H
#define CRYPTO_TLSCREDS_PRIV_H

#include <gnutls/gnutls.h>

#include "crypto/tlscreds.h"
#include "object.h"

/* QEMU's file names. */
#define TLS_FILE_CA_CERT        "ca-cert.pem"
#define TLS_FILE_CA_CRL         "ca-crl.pem"
#define TLS_FILE_SERVER_CERT    "server-cert.pem"
#define TLS_FILE_SERVER_KEY     "server-key.pem"
#define TLS_FILE_CLIENT_CERT    "client-cert.pem"
#define TLS_FILE_CLIENT_KEY     "client-key.pem"
#define TLS_FILE_DH_PARAMS      "dh-params.pem"
#define TLS_FILE_PSK_KEYS       "keys.psk"

/* The properties every kind has, first in each type's table. */
extern const char *const tls_creds_endpoint_values[];
#define TLS_CREDS_COMMON_PROPS \
    { .name = "endpoint", .kind = OBJECT_PROP_ENUM, \
      .values = tls_creds_endpoint_values }, \
    { .name = "dir", .kind = OBJECT_PROP_STRING }, \
    { .name = "verify-peer", .kind = OBJECT_PROP_BOOL }, \
    { .name = "priority", .kind = OBJECT_PROP_STRING }

struct TlsCreds {
    Object *obj;
    TlsCredsKind kind;
    TlsCredsEndpoint endpoint;
    bool verify_peer;
    char *dir;
    gnutls_priority_t priority;
    gnutls_dh_params_t dh_params;                   /* servers, from a file */
    gnutls_certificate_credentials_t x509;
    gnutls_psk_client_credentials_t psk_client;
    gnutls_psk_server_credentials_t psk_server;
};

extern const ObjectType tls_creds_x509_type;
extern const ObjectType tls_creds_psk_type;

/*
 * The part of create() both kinds share: reads the common properties
 * (refusing a missing dir) and prepares the priority, `extra_priority`
 * appended to it (the PSK key exchanges). NULL with *errp set.
 */
TlsCreds *tls_creds_new(Object *obj, TlsCredsKind kind,
                        const ObjectProps *props, const char *extra_priority,
                        GError **errp);
/* The types' free(). */
void tls_creds_free(void *instance);

/*
 * The path of `file` in the credentials' dir in *path (g_free it). A
 * missing file is an error when `required`, otherwise *path is NULL.
 * Returns 0, or -1 with *errp set naming the path.
 */
int tls_creds_find_file(const TlsCreds *creds, const char *file,
                        bool required, char **path, GError **errp);

/* The whole of `path` for GnuTLS (g_free() data->data), or -1 with *errp. */
int tls_creds_read_file(const char *path, gnutls_datum_t *data, GError **errp);

/* Servers: dh-params.pem when there is one (into creds->dh_params), -1 with
 * *errp when it does not load. Without one, creds->dh_params stays NULL and
 * the kind uses GnuTLS's known parameters. */
int tls_creds_load_dh_params(TlsCreds *creds, GError **errp);

#endif
