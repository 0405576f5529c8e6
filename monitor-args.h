/*
 * The argument types of monitor commands (QEMU's args_type mini-language):
 * one description per command, used both to parse an HMP command line into
 * JSON arguments and to check the arguments of a QMP request, so that an HMP
 * handler can pass what it got straight to the QMP handler.
 *
 *   args_type := "" | arg ("," arg)*
 *   arg       := NAME ":" TYPE ["?"]          "?" = optional
 *   TYPE      HMP line                        QMP / JSON value
 *   s         a word or a "quoted string"     string
 *   S         the rest of the line            string
 *   i         an integer (12, -3, 0x1f)       integer
 *   o         a size: 12, 1.5G, 256m          integer, bytes
 *             (no suffix: MiB, as QEMU 1.x)
 *   T         seconds: 0.5, 30ms, 100us       number (integers become floats)
 *   b         on | off                        boolean
 *   A         (QMP only)                      array (the handler checks
 *                                             its elements)
 *   -C        a flag written -C (optional;    boolean
 *             consecutive flags in any order,
 *             also combined: -dx)
 *   /         /[COUNT][FORMAT][SIZE] (xp)     HMP only; sets "count" (integer),
 *             FORMAT x d u o c, SIZE b h w g  "format" (one-letter string) and
 *             (defaults: 1, then the last     "size" (1, 2, 4 or 8)
 *             format and size used)
 *
 * The item "*" (QMP only, no type) accepts every member the other items do
 * not name, whatever its JSON type: the handler checks them (object-add,
 * whose members after qom-type and id are the new object's properties).
 */
#ifndef MONITOR_ARGS_H
#define MONITOR_ARGS_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* The format and unit size a "/" argument defaults to (per monitor). */
typedef struct MonitorFormat {
    char format;    /* 'x' at first */
    int size;       /* 4 at first */
} MonitorFormat;

#define MONITOR_FORMAT_INIT { .format = 'x', .size = 4 }

/* Checks the syntax of an args_type string; `for_qmp` refuses "/" and "S"
 * (they only make sense on a command line), !for_qmp "A" and "*". */
int monitor_args_type_check(const char *args_type, bool for_qmp,
                            GError **errp);

/*
 * Parses `line` (what follows the command name) against `args_type` into a
 * new JsonObject. `fmt` holds the "/" defaults and is updated (may be NULL
 * when the command has no "/"). Errors are one line starting with
 * "CMDNAME: " ("migrate: missing argument 'uri'").
 */
JsonObject *monitor_parse_args(const char *cmdname, const char *args_type,
                               const char *line, MonitorFormat *fmt,
                               GError **errp);

/*
 * Checks a QMP request's arguments against `args_type`, as QEMU reports
 * them: "Invalid parameter 'foo'", "Invalid parameter type for 'value',
 * expected: integer", "Parameter 'uri' is missing". Integers given for "T"
 * become floats, so that handlers see one type.
 */
int monitor_check_args(const char *args_type, JsonObject *args,
                       GError **errp);

/*
 * Reads the next word of an HMP line at *p (skipping blanks; a "quoted
 * string" with \\ \" \n \t escapes is one word) and advances *p. A word
 * stops at '/' when `stop_at_slash` (command names: "xp/4x"). Returns 1 with
 * a new *word, 0 at the end of the line, -1 with *errp set.
 */
int monitor_parse_word(const char **p, bool stop_at_slash, char **word,
                       GError **errp);

#endif
