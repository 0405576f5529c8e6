/*
 * -chardev (see qemu-char-opts.h): the option's text checked against the
 * keys of its backend, then turned into a chardev by qemu-char.c and kept
 * under its id.
 */
#include <string.h>

#include "qemu-char-opts.h"
#include "qemu-error.h"
#include "qemu-option.h"

struct ChardevOpts {
    QemuOpts *opts;
    const struct Backend *backend;
};

typedef struct Backend {
    const char *name;
    const QemuOptDesc *keys;
    CharDriverState *(*open)(const char *id, const QemuOpts *opts,
                             GError **errp);
} Backend;

static GHashTable *chardevs;    /* id -> CharDriverState */

/* ------------------------------------------------------------------------ */
/* The backends */

#define COMMON_KEYS \
    { "backend", QEMU_OPT_STRING }, \
    { "id", QEMU_OPT_STRING }

static const QemuOptDesc common_keys[] = {
    COMMON_KEYS,
    { NULL }
};

static const QemuOptDesc file_keys[] = {
    COMMON_KEYS,
    { "path", QEMU_OPT_STRING },
    { NULL }
};

static const QemuOptDesc socket_keys[] = {
    COMMON_KEYS,
    { "path", QEMU_OPT_STRING },
    { "host", QEMU_OPT_STRING },
    { "port", QEMU_OPT_STRING },
    { "server", QEMU_OPT_BOOL },
    { "wait", QEMU_OPT_BOOL },
    { "delay", QEMU_OPT_BOOL },
    { "tls-creds", QEMU_OPT_STRING },
    { "tls-authz", QEMU_OPT_STRING },
    { NULL }
};

/* The table the text is parsed with before its backend is known: the
 * socket's keys are every backend's. */
static const QemuOptDesc *all_keys = socket_keys;

static CharDriverState *open_stdio(const char *id, const QemuOpts *opts,
                                   GError **errp)
{
    return qemu_chr_new(id, "stdio", errp);
}

static CharDriverState *open_null(const char *id, const QemuOpts *opts,
                                  GError **errp)
{
    return qemu_chr_new(id, "null", errp);
}

static CharDriverState *open_pty(const char *id, const QemuOpts *opts,
                                 GError **errp)
{
    return qemu_chr_new(id, "pty", errp);
}

static CharDriverState *open_file(const char *id, const QemuOpts *opts,
                                  GError **errp)
{
    const char *path = qemu_opt_get(opts, "path");

    if (!path) {
        error_setg(errp, "chardev: file: no filename given");
        return NULL;
    }
    g_autofree char *spec = g_strconcat("file:", path, NULL);
    return qemu_chr_new(id, spec, errp);
}

/* The address: a Unix path, or a host and its port. */
static int check_socket_address(const QemuOpts *opts, GError **errp)
{
    const char *path = qemu_opt_get(opts, "path");
    const char *host = qemu_opt_get(opts, "host");

    if (!path == !host) {
        error_setg(errp, "Exactly one of 'path' or 'host' required");
        return -1;
    }
    if (host && !qemu_opt_get(opts, "port")) {
        error_setg(errp, "chardev: socket: no port given");
        return -1;
    }
    if (path && qemu_opt_get(opts, "port")) {
        error_setg(errp, "'port' goes with 'host', not with 'path'");
        return -1;
    }
    return 0;
}

static int check_socket_modes(const QemuOpts *opts, GError **errp)
{
    bool server = qemu_opt_get_bool(opts, "server", false);

    if (!server && qemu_opt_get_bool(opts, "wait", false)) {
        error_setg(errp, "'wait' option is incompatible with socket in "
                   "client connect mode");
        return -1;
    }
    /* Nagle's delay would hold a monitor's replies back: never used. */
    if (qemu_opt_get_bool(opts, "delay", false)) {
        error_setg(errp, "'delay=on' is not supported: chardev sockets "
                   "always send at once (nodelay)");
        return -1;
    }
    return 0;
}

static CharDriverState *open_socket(const char *id, const QemuOpts *opts,
                                    GError **errp)
{
    if (check_socket_address(opts, errp) < 0 ||
        check_socket_modes(opts, errp) < 0) {
        return NULL;
    }
    bool server = qemu_opt_get_bool(opts, "server", false);
    ChardevSocketOptions sock = {
        .path = qemu_opt_get(opts, "path"),
        .host = qemu_opt_get(opts, "host"),
        .port = qemu_opt_get(opts, "port"),
        .server = server,
        /* As QEMU: a server waits for its first client unless told not to. */
        .wait = server && qemu_opt_get_bool(opts, "wait", true),
        .tls_creds = qemu_opt_get(opts, "tls-creds"),
        .tls_authz = qemu_opt_get(opts, "tls-authz"),
    };
    return qemu_chr_new_socket(id, &sock, errp);
}

static const Backend backends[] = {
    { "socket", socket_keys, open_socket },
    { "stdio", common_keys, open_stdio },
    { "null", common_keys, open_null },
    { "file", file_keys, open_file },
    { "pty", common_keys, open_pty },
};

static const Backend *find_backend(const char *name, GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
        if (!strcmp(backends[i].name, name)) {
            return &backends[i];
        }
    }
    error_setg(errp, "'%s' is not a valid char driver name", name);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The option */

/* In QEMU's order: the backend given, the id, then the backend known. */
static const Backend *check_backend_and_id(const QemuOpts *opts, GError **errp)
{
    const char *name = qemu_opt_get(opts, "backend");
    const char *id = qemu_opt_get(opts, "id");

    if (!name) {
        error_setg(errp, "chardev: \"%s\" missing backend", id ? id : "");
        return NULL;
    }
    if (!id) {
        error_setg(errp, "chardev: no id specified");
        return NULL;
    }
    if (!qemu_opt_id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier (letters, "
                   "digits, '-', '.', '_', starting with a letter)");
        return NULL;
    }
    return find_backend(name, errp);
}

ChardevOpts *chardev_opts_parse(const char *text, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(text, "backend", all_keys, errp);
    if (!opts) {
        return NULL;
    }
    const Backend *backend = check_backend_and_id(opts, errp);
    if (!backend || qemu_opts_validate(opts, backend->keys, errp) < 0) {
        return NULL;
    }
    ChardevOpts *co = g_new0(ChardevOpts, 1);
    co->opts = g_steal_pointer(&opts);
    co->backend = backend;
    return co;
}

void chardev_opts_free(ChardevOpts *opts)
{
    if (!opts) {
        return;
    }
    qemu_opts_free(opts->opts);
    g_free(opts);
}

const char *chardev_opts_id(const ChardevOpts *opts)
{
    return qemu_opt_get(opts->opts, "id");
}

const char *chardev_opts_backend(const ChardevOpts *opts)
{
    return opts->backend->name;
}

CharDriverState *chardev_new(const ChardevOpts *opts, GError **errp)
{
    const char *id = chardev_opts_id(opts);

    if (chardev_find(id)) {
        error_setg(errp, "Chardev '%s' already exists", id);
        return NULL;
    }
    CharDriverState *chr = opts->backend->open(id, opts->opts, errp);
    if (!chr) {
        return NULL;
    }
    if (!chardevs) {
        chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    g_hash_table_insert(chardevs, g_strdup(id), chr);
    return chr;
}

CharDriverState *chardev_find(const char *id)
{
    return chardevs ? g_hash_table_lookup(chardevs, id) : NULL;
}
