/*
 * TLS credentials: what both kinds share (the common properties, the files
 * of dir, the priority), the lookup by id, and handing the credentials to a
 * session (see crypto/tlscreds.h). Loading each kind is in tlscreds-x509.c
 * and tlscreds-psk.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/tlscreds-priv.h"
#include "qemu-error.h"

/* QEMU's default when no priority is given. */
#define TLS_DEFAULT_PRIORITY "NORMAL"

const char *const tls_creds_endpoint_values[] = { "client", "server", NULL };

void tls_creds_register_types(void)
{
    object_register_type(&tls_creds_x509_type);
    object_register_type(&tls_creds_psk_type);
}

/* ------------------------------------------------------------------------ */
/* Making and freeing */

static int init_priority(TlsCreds *creds, const char *priority,
                         const char *extra, GError **errp)
{
    g_autofree char *full = g_strconcat(priority ? priority : TLS_DEFAULT_PRIORITY,
                                        extra ? ":" : "", extra ? extra : "",
                                        NULL);
    const char *where = NULL;

    int ret = gnutls_priority_init(&creds->priority, full, &where);
    if (ret < 0) {
        creds->priority = NULL;
        error_setg(errp, "Unable to set TLS priority '%s' (at '%s'): %s",
                   full, where ? where : "", gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

TlsCreds *tls_creds_new(Object *obj, TlsCredsKind kind,
                        const ObjectProps *props, const char *extra_priority,
                        GError **errp)
{
    const char *dir = object_props_get_str(props, "dir");

    if (!dir) {
        error_setg(errp, "Missing 'dir' property value");
        return NULL;
    }
    TlsCreds *creds = g_new0(TlsCreds, 1);
    creds->obj = obj;
    creds->kind = kind;
    creds->endpoint = object_props_get_enum(props, "endpoint",
                                            TLS_CREDS_ENDPOINT_CLIENT);
    creds->verify_peer = object_props_get_bool(props, "verify-peer", true);
    creds->dir = g_strdup(dir);
    if (init_priority(creds, object_props_get_str(props, "priority"),
                      extra_priority, errp) < 0) {
        tls_creds_free(creds);
        return NULL;
    }
    return creds;
}

void tls_creds_free(void *instance)
{
    TlsCreds *creds = instance;

    if (creds->x509) {
        gnutls_certificate_free_credentials(creds->x509);
    }
    if (creds->psk_client) {
        gnutls_psk_free_client_credentials(creds->psk_client);
    }
    if (creds->psk_server) {
        gnutls_psk_free_server_credentials(creds->psk_server);
    }
    /* After the credentials, which point to them. */
    if (creds->dh_params) {
        gnutls_dh_params_deinit(creds->dh_params);
    }
    if (creds->priority) {
        gnutls_priority_deinit(creds->priority);
    }
    g_free(creds->dir);
    g_free(creds);
}

/* ------------------------------------------------------------------------ */
/* Files */

int tls_creds_find_file(const TlsCreds *creds, const char *file,
                        bool required, char **path, GError **errp)
{
    g_autofree char *p = g_build_filename(creds->dir, file, NULL);
    struct stat st;

    *path = NULL;
    if (stat(p, &st) < 0) {
        if (errno == ENOENT && !required) {
            return 0;
        }
        error_setg_errno(errp, errno, "Unable to access credentials %s", p);
        return -1;
    }
    *path = g_steal_pointer(&p);
    return 0;
}

int tls_creds_read_file(const char *path, gnutls_datum_t *data, GError **errp)
{
    g_autoptr(GError) err = NULL;
    char *contents;
    gsize len;

    if (!g_file_get_contents(path, &contents, &len, &err)) {
        /* GLib's message names the file already. */
        error_setg(errp, "Unable to read credentials: %s", err->message);
        return -1;
    }
    data->data = (unsigned char *)contents;
    data->size = len;
    return 0;
}

int tls_creds_load_dh_params(TlsCreds *creds, GError **errp)
{
    g_autofree char *path = NULL;
    gnutls_datum_t data;

    if (tls_creds_find_file(creds, TLS_FILE_DH_PARAMS, false, &path, errp) < 0) {
        return -1;
    }
    if (!path) {
        return 0;
    }
    if (tls_creds_read_file(path, &data, errp) < 0) {
        return -1;
    }
    int ret = gnutls_dh_params_init(&creds->dh_params);
    if (ret == 0) {
        ret = gnutls_dh_params_import_pkcs3(creds->dh_params, &data,
                                            GNUTLS_X509_FMT_PEM);
    }
    g_free(data.data);
    if (ret < 0) {
        error_setg(errp, "Unable to load DH parameters from %s: %s", path,
                   gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Users */

static bool is_tls_creds(const Object *obj)
{
    const char *type = object_type_name(obj);

    return !strcmp(type, tls_creds_x509_type.name) ||
           !strcmp(type, tls_creds_psk_type.name);
}

TlsCreds *tls_creds_ref(const char *id, GError **errp)
{
    Object *obj = object_ref_by_id(id);

    if (!obj) {
        error_setg(errp, "No TLS credentials with id '%s'", id);
        return NULL;
    }
    if (!is_tls_creds(obj)) {
        error_setg(errp, "Object '%s' (%s) is not TLS credentials", id,
                   object_type_name(obj));
        object_unref(obj);
        return NULL;
    }
    return object_instance(obj);
}

void tls_creds_unref(TlsCreds *creds)
{
    if (creds) {
        object_unref(creds->obj);
    }
}

const char *tls_creds_id(const TlsCreds *creds)
{
    return object_id(creds->obj);
}

TlsCredsKind tls_creds_kind(const TlsCreds *creds)
{
    return creds->kind;
}

TlsCredsEndpoint tls_creds_endpoint(const TlsCreds *creds)
{
    return creds->endpoint;
}

const char *tls_creds_endpoint_name(TlsCredsEndpoint endpoint)
{
    return tls_creds_endpoint_values[endpoint];
}

bool tls_creds_verify_peer(const TlsCreds *creds)
{
    return creds->kind == TLS_CREDS_PSK || creds->verify_peer;
}

static int set_credentials(const TlsCreds *creds, gnutls_session_t session)
{
    if (creds->kind == TLS_CREDS_X509) {
        return gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
                                      creds->x509);
    }
    if (creds->endpoint == TLS_CREDS_ENDPOINT_SERVER) {
        return gnutls_credentials_set(session, GNUTLS_CRD_PSK, creds->psk_server);
    }
    return gnutls_credentials_set(session, GNUTLS_CRD_PSK, creds->psk_client);
}

int tls_creds_apply(const TlsCreds *creds, gnutls_session_t session,
                    GError **errp)
{
    int ret = gnutls_priority_set(session, creds->priority);
    if (ret == 0) {
        ret = set_credentials(creds, session);
    }
    if (ret < 0) {
        error_setg(errp, "Cannot set session credentials: %s",
                   gnutls_strerror(ret));
        return -1;
    }
    /* Required rather than merely requested: a client without a
     * certificate then fails in the handshake, with a reason on both
     * sides, instead of passing it unverified. */
    if (creds->kind == TLS_CREDS_X509 &&
        creds->endpoint == TLS_CREDS_ENDPOINT_SERVER && creds->verify_peer) {
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    }
    return 0;
}
