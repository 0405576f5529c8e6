/*
 * Option strings of the command line (see qemu-option.h): split at single
 * commas, each element checked against the option's table as it is read.
 */
#include <string.h>

#include "qemu-error.h"
#include "qemu-option.h"

typedef struct QemuOpt {
    char *key;
    char *value;
} QemuOpt;

struct QemuOpts {
    GPtrArray *opts;    /* QemuOpt, in the order of the text */
};

static void opt_free(gpointer p)
{
    QemuOpt *opt = p;

    g_free(opt->key);
    g_free(opt->value);
    g_free(opt);
}

void qemu_opts_free(QemuOpts *opts)
{
    if (!opts) {
        return;
    }
    g_ptr_array_unref(opts->opts);
    g_free(opts);
}

static const QemuOpt *find_opt(const QemuOpts *opts, const char *key)
{
    for (guint i = 0; i < opts->opts->len; i++) {
        const QemuOpt *opt = g_ptr_array_index(opts->opts, i);
        if (!strcmp(opt->key, key)) {
            return opt;
        }
    }
    return NULL;
}

static const QemuOptDesc *find_desc(const QemuOptDesc *desc, const char *key)
{
    for (; desc->name; desc++) {
        if (!strcmp(desc->name, key)) {
            return desc;
        }
    }
    return NULL;
}

int qemu_opt_parse_bool(const char *key, const char *text, bool *value,
                        GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (!strcmp(text, yes[i]) || !strcmp(text, no[i])) {
            *value = !strcmp(text, yes[i]);
            return 0;
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
    return -1;
}

bool qemu_opt_id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

char *qemu_opt_next_element(const char **pp)
{
    GString *elem = g_string_new(NULL);
    const char *p = *pp;

    for (; *p; p++) {
        if (*p == ',') {
            if (p[1] != ',') {
                p++;
                break;
            }
            p++;
        }
        g_string_append_c(elem, *p);
    }
    *pp = p;
    return g_string_free(elem, FALSE);
}

/* A bare word: "key" is key=on, "nokey" key=off (boolean keys only). */
static int split_flag(const char *word, const QemuOptDesc *desc, char **key,
                      char **value, GError **errp)
{
    const QemuOptDesc *d = find_desc(desc, word);
    bool negated = false;

    if (!d && g_str_has_prefix(word, "no")) {
        d = find_desc(desc, word + 2);
        negated = d != NULL;
    }
    if (!d) {
        error_setg(errp, "Invalid parameter '%s'", word);
        return -1;
    }
    if (d->type != QEMU_OPT_BOOL) {
        error_setg(errp, "Parameter '%s' expects a value ('%s=...')", d->name,
                   d->name);
        return -1;
    }
    *key = g_strdup(d->name);
    *value = g_strdup(negated ? "off" : "on");
    return 0;
}

static int split_element(const char *elem, bool first, const char *implied_key,
                         const QemuOptDesc *desc, char **key, char **value,
                         GError **errp)
{
    const char *eq = strchr(elem, '=');

    if (!eq && first && implied_key) {
        *key = g_strdup(implied_key);
        *value = g_strdup(elem);
        return 0;
    }
    if (!eq) {
        return split_flag(elem, desc, key, value, errp);
    }
    *key = g_strndup(elem, eq - elem);
    *value = g_strdup(eq + 1);
    return 0;
}

static int check_opt(const QemuOpts *opts, const char *key, const char *value,
                     const QemuOptDesc *desc, GError **errp)
{
    const QemuOptDesc *d = find_desc(desc, key);
    bool b;

    if (!d) {
        error_setg(errp, "Invalid parameter '%s'", key);
        return -1;
    }
    if (find_opt(opts, key)) {
        error_setg(errp, "Parameter '%s' is given more than once", key);
        return -1;
    }
    return d->type == QEMU_OPT_BOOL ? qemu_opt_parse_bool(key, value, &b, errp) : 0;
}

static int add_element(QemuOpts *opts, const char *elem, bool first,
                       const char *implied_key, const QemuOptDesc *desc,
                       GError **errp)
{
    g_autofree char *key = NULL;
    g_autofree char *value = NULL;

    if (split_element(elem, first, implied_key, desc, &key, &value, errp) < 0 ||
        check_opt(opts, key, value, desc, errp) < 0) {
        return -1;
    }
    QemuOpt *opt = g_new(QemuOpt, 1);
    opt->key = g_steal_pointer(&key);
    opt->value = g_steal_pointer(&value);
    g_ptr_array_add(opts->opts, opt);
    return 0;
}

QemuOpts *qemu_opts_parse(const char *text, const char *implied_key,
                          const QemuOptDesc *desc, GError **errp)
{
    g_autoptr(QemuOpts) opts = g_new0(QemuOpts, 1);
    const char *p = text;

    opts->opts = g_ptr_array_new_with_free_func(opt_free);
    for (bool first = true; *p; first = false) {
        g_autofree char *elem = qemu_opt_next_element(&p);
        /* Only a leading comma leaves an empty element: nothing to add. */
        if (!elem[0]) {
            continue;
        }
        if (add_element(opts, elem, first, implied_key, desc, errp) < 0) {
            return NULL;
        }
    }
    return g_steal_pointer(&opts);
}

const char *qemu_opt_get(const QemuOpts *opts, const char *key)
{
    const QemuOpt *opt = find_opt(opts, key);

    return opt ? opt->value : NULL;
}

bool qemu_opt_get_bool(const QemuOpts *opts, const char *key,
                       bool default_value)
{
    const char *text = qemu_opt_get(opts, key);
    bool value = default_value;

    if (text) {
        /* Checked when parsed: this cannot fail. */
        qemu_opt_parse_bool(key, text, &value, NULL);
    }
    return value;
}

int qemu_opts_validate(const QemuOpts *opts, const QemuOptDesc *desc,
                       GError **errp)
{
    for (guint i = 0; i < opts->opts->len; i++) {
        const QemuOpt *opt = g_ptr_array_index(opts->opts, i);
        if (!find_desc(desc, opt->key)) {
            error_setg(errp, "Invalid parameter '%s'", opt->key);
            return -1;
        }
    }
    return 0;
}
