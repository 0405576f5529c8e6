/*
 * Option strings as QEMU's command line writes them (-chardev, -mon):
 *
 *   VALUE,key=value,flag,noflag,...
 *
 * A first element without '=' is the value of the option's implied key (the
 * backend of -chardev, the chardev of -mon); ",," is a comma inside a value;
 * a bare "key" means key=on and "nokey" key=off (QEMU's older flag syntax,
 * as in "server,nowait").
 *
 * Keys are checked against a table while parsing, with QEMU's messages: an
 * unknown key is refused ("Invalid parameter 'x'"), a boolean must be on or
 * off (yes/no and true/false too), and a key may be given once.
 */
#ifndef QEMU_OPTION_H
#define QEMU_OPTION_H

#include <stdbool.h>
#include <glib.h>

typedef enum {
    QEMU_OPT_STRING,
    QEMU_OPT_BOOL,
} QemuOptType;

typedef struct QemuOptDesc {
    const char *name;
    QemuOptType type;
} QemuOptDesc;

typedef struct QemuOpts QemuOpts;

/*
 * Parses `text` against `desc` (ended by an entry whose name is NULL).
 * `implied_key` (may be NULL) names the key of a first element without '='.
 * Returns the options, or NULL with *errp set.
 */
QemuOpts *qemu_opts_parse(const char *text, const char *implied_key,
                          const QemuOptDesc *desc, GError **errp);
/* NULL is fine. */
void qemu_opts_free(QemuOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuOpts, qemu_opts_free)

/* The value given for `key`, or NULL when it was not given. */
const char *qemu_opt_get(const QemuOpts *opts, const char *key);
/* A boolean key's value (checked when parsing), or default_value. */
bool qemu_opt_get_bool(const QemuOpts *opts, const char *key,
                       bool default_value);

/* Checks that every key given is in `desc` too (a narrower table than the
 * one parsed with, e.g. one backend's keys): 0, or -1 with *errp naming the
 * first key that is not ("Invalid parameter 'x'"). */
int qemu_opts_validate(const QemuOpts *opts, const QemuOptDesc *desc,
                       GError **errp);

/* The next element of *pp up to a single comma, with ",," unescaped;
 * advances *pp past that comma (for other comma-separated syntaxes, such
 * as -object's). */
char *qemu_opt_next_element(const char **pp);

/* QEMU's identifiers (ids of objects, chardevs): letters, digits, '-',
 * '.', '_', starting with a letter. */
bool qemu_opt_id_wellformed(const char *id);

/* on|off (and yes|no, true|false, as -object takes them) into *value;
 * QEMU's message naming key otherwise. */
int qemu_opt_parse_bool(const char *key, const char *text, bool *value,
                        GError **errp);

#endif
