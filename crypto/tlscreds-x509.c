/*
 * tls-creds-x509: certificate credentials loaded from QEMU's files with
 * GnuTLS (see crypto/tlscreds.h). Each file is read and imported on its
 * own so that an error names the file at fault; GnuTLS then checks that
 * the certificate matches its key and, with sanity-check, that it verifies
 * against the CA (and CRL) of the same directory.
 */
#include <gnutls/x509.h>

#include "crypto/tlscreds-priv.h"
#include "qemu-error.h"

typedef struct CertChain {
    gnutls_x509_crt_t *certs;
    unsigned int n;
} CertChain;

static void cert_chain_clear(CertChain *chain)
{
    for (unsigned int i = 0; i < chain->n; i++) {
        gnutls_x509_crt_deinit(chain->certs[i]);
    }
    gnutls_free(chain->certs);
    chain->certs = NULL;
    chain->n = 0;
}

/* Every certificate of the PEM file `path` (its first one first). */
static int import_certs(const char *path, const char *what, CertChain *chain,
                        GError **errp)
{
    gnutls_datum_t data;

    if (tls_creds_read_file(path, &data, errp) < 0) {
        return -1;
    }
    int ret = gnutls_x509_crt_list_import2(&chain->certs, &chain->n, &data,
                                           GNUTLS_X509_FMT_PEM, 0);
    g_free(data.data);
    if (ret < 0) {
        error_setg(errp, "Unable to import %s %s: %s", what, path,
                   gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int import_key(const char *path, gnutls_x509_privkey_t *key,
                      GError **errp)
{
    gnutls_datum_t data;

    if (tls_creds_read_file(path, &data, errp) < 0) {
        return -1;
    }
    int ret = gnutls_x509_privkey_init(key);
    if (ret == 0) {
        ret = gnutls_x509_privkey_import2(*key, &data, GNUTLS_X509_FMT_PEM,
                                          NULL, 0);
        if (ret < 0) {
            gnutls_x509_privkey_deinit(*key);
        }
    }
    g_free(data.data);
    if (ret < 0) {
        *key = NULL;
        error_setg(errp, "Unable to import private key %s: %s", path,
                   gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The trust list: ca-cert.pem and ca-crl.pem */

/* Adds the CAs of `path`; the list owns them from then on. */
static int add_cas(gnutls_x509_trust_list_t tlist, const char *path,
                   GError **errp)
{
    CertChain cas = { 0 };

    if (import_certs(path, "CA certificate", &cas, errp) < 0) {
        return -1;
    }
    int ret = gnutls_x509_trust_list_add_cas(tlist, cas.certs, cas.n, 0);
    gnutls_free(cas.certs);
    if (ret < 0) {
        error_setg(errp, "Unable to use CA certificate %s: %s", path,
                   gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int add_crls(gnutls_x509_trust_list_t tlist, const char *path,
                    GError **errp)
{
    gnutls_x509_crl_t *crls;
    unsigned int n;
    gnutls_datum_t data;

    if (tls_creds_read_file(path, &data, errp) < 0) {
        return -1;
    }
    int ret = gnutls_x509_crl_list_import2(&crls, &n, &data,
                                           GNUTLS_X509_FMT_PEM, 0);
    g_free(data.data);
    if (ret >= 0) {
        ret = gnutls_x509_trust_list_add_crls(tlist, crls, n,
                                              GNUTLS_TL_VERIFY_CRL, 0);
        gnutls_free(crls);
    }
    if (ret < 0) {
        error_setg(errp, "Unable to load CRL %s: %s", path, gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static gnutls_x509_trust_list_t load_trust_list(const char *ca_path,
                                                const char *crl_path,
                                                GError **errp)
{
    gnutls_x509_trust_list_t tlist;

    int ret = gnutls_x509_trust_list_init(&tlist, 0);
    if (ret < 0) {
        error_setg(errp, "Cannot allocate a trust list: %s", gnutls_strerror(ret));
        return NULL;
    }
    if (add_cas(tlist, ca_path, errp) < 0 ||
        (crl_path && add_crls(tlist, crl_path, errp) < 0)) {
        gnutls_x509_trust_list_deinit(tlist, 1);
        return NULL;
    }
    return tlist;
}

/* ------------------------------------------------------------------------ */
/* The credentials' own certificate and key */

typedef struct OwnFiles {
    char *cert;
    char *key;
} OwnFiles;

static void own_files_clear(OwnFiles *own)
{
    g_free(own->cert);
    g_free(own->key);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(OwnFiles, own_files_clear)

/* A server needs both files; a client may have both or neither. */
static int find_own_files(const TlsCreds *creds, OwnFiles *own, GError **errp)
{
    bool server = creds->endpoint == TLS_CREDS_ENDPOINT_SERVER;
    const char *cert = server ? TLS_FILE_SERVER_CERT : TLS_FILE_CLIENT_CERT;
    const char *key = server ? TLS_FILE_SERVER_KEY : TLS_FILE_CLIENT_KEY;

    if (tls_creds_find_file(creds, cert, server, &own->cert, errp) < 0 ||
        tls_creds_find_file(creds, key, own->cert != NULL, &own->key, errp) < 0) {
        return -1;
    }
    if (own->key && !own->cert) {
        error_setg(errp, "%s has no certificate beside it (%s)", own->key, cert);
        return -1;
    }
    return 0;
}

char *tls_creds_verify_status_text(unsigned int status)
{
    gnutls_datum_t out;

    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &out, 0) < 0) {
        return g_strdup_printf("verification status 0x%x", status);
    }
    char *text = g_strndup((const char *)out.data, out.size);
    gnutls_free(out.data);
    return g_strchomp(text);
}

/* sanity-check: our certificate verifies against our own CA and CRL, for
 * our purpose, now. Catches the expired certificate or the one from
 * another CA when the object is made rather than at each handshake. */
static int check_own_chain(const TlsCreds *creds, gnutls_x509_trust_list_t tlist,
                           const CertChain *chain, const OwnFiles *own,
                           const char *ca_path, GError **errp)
{
    bool server = creds->endpoint == TLS_CREDS_ENDPOINT_SERVER;
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (void *)(server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT),
    };
    unsigned int status;

    int ret = gnutls_x509_trust_list_verify_crt2(tlist, chain->certs, chain->n,
                                                 &purpose, 1, 0, &status, NULL);
    if (ret < 0) {
        error_setg(errp, "Unable to verify certificate %s against %s: %s",
                   own->cert, ca_path, gnutls_strerror(ret));
        return -1;
    }
    if (status) {
        g_autofree char *why = tls_creds_verify_status_text(status);
        error_setg(errp, "The %s certificate %s does not verify against the CA "
                   "certificate %s (sanity-check=off skips this check): %s",
                   tls_creds_endpoint_name(creds->endpoint), own->cert,
                   ca_path, why);
        return -1;
    }
    return 0;
}

static int set_own_key(TlsCreds *creds, const CertChain *chain,
                       const OwnFiles *own, GError **errp)
{
    gnutls_x509_privkey_t key;

    if (import_key(own->key, &key, errp) < 0) {
        return -1;
    }
    /* GnuTLS copies both, and refuses a key that is not the certificate's. */
    int ret = gnutls_certificate_set_x509_key(creds->x509, chain->certs,
                                              chain->n, key);
    gnutls_x509_privkey_deinit(key);
    if (ret == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
        error_setg(errp, "The certificate %s does not match the private key %s",
                   own->cert, own->key);
        return -1;
    }
    if (ret < 0) {
        error_setg(errp, "Cannot load certificate %s and key %s: %s", own->cert,
                   own->key, gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int load_own(TlsCreds *creds, gnutls_x509_trust_list_t tlist,
                    const OwnFiles *own, const char *ca_path, bool sanity_check,
                    GError **errp)
{
    const char *what = creds->endpoint == TLS_CREDS_ENDPOINT_SERVER
                       ? "server certificate" : "client certificate";
    CertChain chain = { 0 };

    int ret = import_certs(own->cert, what, &chain, errp);
    if (ret == 0 && sanity_check) {
        ret = check_own_chain(creds, tlist, &chain, own, ca_path, errp);
    }
    if (ret == 0) {
        ret = set_own_key(creds, &chain, own, errp);
    }
    cert_chain_clear(&chain);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* Everything */

static int set_dh_params(TlsCreds *creds, GError **errp)
{
    if (tls_creds_load_dh_params(creds, errp) < 0) {
        return -1;
    }
    if (creds->dh_params) {
        gnutls_certificate_set_dh_params(creds->x509, creds->dh_params);
        return 0;
    }
    int ret = gnutls_certificate_set_known_dh_params(creds->x509,
                                                     GNUTLS_SEC_PARAM_MEDIUM);
    if (ret < 0) {
        error_setg(errp, "Cannot set DH parameters: %s", gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int x509_load(TlsCreds *creds, bool sanity_check, GError **errp)
{
    g_autofree char *ca = NULL;
    g_autofree char *crl = NULL;
    g_auto(OwnFiles) own = { 0 };

    if (tls_creds_find_file(creds, TLS_FILE_CA_CERT, true, &ca, errp) < 0 ||
        tls_creds_find_file(creds, TLS_FILE_CA_CRL, false, &crl, errp) < 0 ||
        find_own_files(creds, &own, errp) < 0) {
        return -1;
    }
    int ret = gnutls_certificate_allocate_credentials(&creds->x509);
    if (ret < 0) {
        creds->x509 = NULL;
        error_setg(errp, "Cannot allocate credentials: %s", gnutls_strerror(ret));
        return -1;
    }
    gnutls_x509_trust_list_t tlist = load_trust_list(ca, crl, errp);
    if (!tlist) {
        return -1;
    }
    /* The credentials own the list from here on. */
    gnutls_certificate_set_trust_list(creds->x509, tlist, 0);
    if (own.cert && load_own(creds, tlist, &own, ca, sanity_check, errp) < 0) {
        return -1;
    }
    if (creds->endpoint == TLS_CREDS_ENDPOINT_SERVER) {
        return set_dh_params(creds, errp);
    }
    return 0;
}

static void *x509_create(Object *obj, const ObjectProps *props, GError **errp)
{
    TlsCreds *creds = tls_creds_new(obj, TLS_CREDS_X509, props, NULL, errp);

    if (!creds) {
        return NULL;
    }
    if (x509_load(creds, object_props_get_bool(props, "sanity-check", true),
                  errp) < 0) {
        tls_creds_free(creds);
        return NULL;
    }
    return creds;
}

static const ObjectPropInfo x509_props[] = {
    TLS_CREDS_COMMON_PROPS,
    { .name = "sanity-check", .kind = OBJECT_PROP_BOOL },
    { .name = NULL },
};

const ObjectType tls_creds_x509_type = {
    .name = "tls-creds-x509",
    .props = x509_props,
    .create = x509_create,
    .free = tls_creds_free,
};
