/*
 * tls-creds-psk: pre-shared key credentials from keys.psk (see
 * crypto/tlscreds.h). The file is checked line by line when the object is
 * made, so that a malformed one fails then, naming the line; a server then
 * lets GnuTLS read it at each handshake (as QEMU does), a client keeps the
 * key of its username.
 */
#include <string.h>

#include "crypto/tlscreds-priv.h"
#include "qemu-error.h"

/* The key exchanges PSK needs beside the priority's (QEMU's list). */
#define PSK_EXTRA_PRIORITY "+ECDHE-PSK:+DHE-PSK:+PSK"
#define PSK_DEFAULT_USERNAME "qemu"

typedef struct PskLine {
    char *username;
    char *hexkey;
} PskLine;

static void psk_line_clear(gpointer p)
{
    PskLine *line = p;
    g_free(line->username);
    g_free(line->hexkey);
}

static bool is_hex_key(const char *hexkey)
{
    gnutls_datum_t hex = { (unsigned char *)hexkey, strlen(hexkey) };
    gnutls_datum_t raw;

    if (!hex.size || gnutls_hex_decode2(&hex, &raw) < 0) {
        return false;
    }
    gnutls_free(raw.data);
    return true;
}

/* One line, USERNAME:HEXKEY; blank lines are skipped. */
static int parse_line(const char *path, int lineno, char *text, GArray *lines,
                      GError **errp)
{
    g_strchomp(text);
    if (!text[0]) {
        return 0;
    }
    char *colon = strchr(text, ':');
    if (!colon || colon == text) {
        error_setg(errp, "%s line %d: expected USERNAME:HEXKEY", path, lineno);
        return -1;
    }
    *colon = '\0';
    if (!is_hex_key(colon + 1)) {
        error_setg(errp, "%s line %d: the key of '%s' is not an even number "
                   "of hexadecimal digits", path, lineno, text);
        return -1;
    }
    PskLine line = { g_strdup(text), g_strdup(colon + 1) };
    g_array_append_val(lines, line);
    return 0;
}

static GArray *read_keys(const char *path, GError **errp)
{
    gnutls_datum_t data;

    if (tls_creds_read_file(path, &data, errp) < 0) {
        return NULL;
    }
    g_auto(GStrv) texts = g_strsplit((const char *)data.data, "\n", -1);
    g_free(data.data);
    g_autoptr(GArray) lines = g_array_new(FALSE, TRUE, sizeof(PskLine));
    g_array_set_clear_func(lines, psk_line_clear);
    for (int i = 0; texts[i]; i++) {
        if (parse_line(path, i + 1, texts[i], lines, errp) < 0) {
            return NULL;
        }
    }
    if (!lines->len) {
        error_setg(errp, "%s holds no key (lines USERNAME:HEXKEY)", path);
        return NULL;
    }
    return g_steal_pointer(&lines);
}

static const PskLine *find_username(GArray *lines, const char *username)
{
    for (guint i = 0; i < lines->len; i++) {
        const PskLine *line = &g_array_index(lines, PskLine, i);
        if (!strcmp(line->username, username)) {
            return line;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */

static int load_server(TlsCreds *creds, const char *path, GError **errp)
{
    int ret = gnutls_psk_allocate_server_credentials(&creds->psk_server);
    if (ret < 0) {
        creds->psk_server = NULL;
        error_setg(errp, "Cannot allocate credentials: %s", gnutls_strerror(ret));
        return -1;
    }
    ret = gnutls_psk_set_server_credentials_file(creds->psk_server, path);
    if (ret < 0) {
        error_setg(errp, "Unable to use PSK file %s: %s", path,
                   gnutls_strerror(ret));
        return -1;
    }
    if (tls_creds_load_dh_params(creds, errp) < 0) {
        return -1;
    }
    if (creds->dh_params) {
        gnutls_psk_set_server_dh_params(creds->psk_server, creds->dh_params);
        return 0;
    }
    ret = gnutls_psk_set_server_known_dh_params(creds->psk_server,
                                                GNUTLS_SEC_PARAM_MEDIUM);
    if (ret < 0) {
        error_setg(errp, "Cannot set DH parameters: %s", gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int load_client(TlsCreds *creds, const char *path, GArray *lines,
                       const char *username, GError **errp)
{
    const PskLine *line = find_username(lines, username);

    if (!line) {
        error_setg(errp, "Username %s not found in PSK file %s", username, path);
        return -1;
    }
    int ret = gnutls_psk_allocate_client_credentials(&creds->psk_client);
    if (ret < 0) {
        creds->psk_client = NULL;
        error_setg(errp, "Cannot allocate credentials: %s", gnutls_strerror(ret));
        return -1;
    }
    gnutls_datum_t key = { (unsigned char *)line->hexkey, strlen(line->hexkey) };
    ret = gnutls_psk_set_client_credentials(creds->psk_client, username, &key,
                                            GNUTLS_PSK_KEY_HEX);
    if (ret < 0) {
        error_setg(errp, "Unable to use the key of %s in %s: %s", username,
                   path, gnutls_strerror(ret));
        return -1;
    }
    return 0;
}

static int psk_load(TlsCreds *creds, const char *username, GError **errp)
{
    bool server = creds->endpoint == TLS_CREDS_ENDPOINT_SERVER;
    g_autofree char *path = NULL;

    if (server && username) {
        error_setg(errp, "username should not be set when endpoint=server");
        return -1;
    }
    if (tls_creds_find_file(creds, TLS_FILE_PSK_KEYS, true, &path, errp) < 0) {
        return -1;
    }
    g_autoptr(GArray) lines = read_keys(path, errp);
    if (!lines) {
        return -1;
    }
    if (server) {
        return load_server(creds, path, errp);
    }
    return load_client(creds, path, lines,
                       username ? username : PSK_DEFAULT_USERNAME, errp);
}

static void *psk_create(Object *obj, const ObjectProps *props, GError **errp)
{
    TlsCreds *creds = tls_creds_new(obj, TLS_CREDS_PSK, props,
                                    PSK_EXTRA_PRIORITY, errp);

    if (!creds) {
        return NULL;
    }
    if (psk_load(creds, object_props_get_str(props, "username"), errp) < 0) {
        tls_creds_free(creds);
        return NULL;
    }
    return creds;
}

static const ObjectPropInfo psk_props[] = {
    TLS_CREDS_COMMON_PROPS,
    { .name = "username", .kind = OBJECT_PROP_STRING },
    { .name = NULL },
};

const ObjectType tls_creds_psk_type = {
    .name = "tls-creds-psk",
    .props = psk_props,
    .create = psk_create,
    .free = tls_creds_free,
};
