/*
 * The monitors: HMP (the human "(qemu)" prompt) and QMP (JSON), both driven
 * by the command tables generated from hmp-commands.hx and qmp-commands.hx.
 * An HMP command calls the QMP handler of the same operation and prints its
 * result, so each operation has one implementation.
 */
#ifndef MONITOR_H
#define MONITOR_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "qemu-char.h"

typedef struct Monitor Monitor;

typedef enum {
    MONITOR_MODE_HMP,
    MONITOR_MODE_QMP,
} MonitorMode;

/*
 * Attaches a monitor to a chardev (main thread); several may exist at once.
 * It greets each client that connects (QMP: the greeting; HMP: the banner
 * and the prompt). On mon:stdio it leaves the terminal to the serial console
 * until C-a c, in whatever order the two are attached.
 */
Monitor *monitor_init(CharDriverState *chr, MonitorMode mode, GError **errp);

/* QMP: replies and events as indented, multi-line JSON (-mon pretty=on),
 * for people reading them; each still ends with CR LF. */
void monitor_set_pretty(Monitor *mon, bool pretty);

/*
 * A QMP handler: `args` holds the request's arguments, already checked
 * against the table (present, known, of the right JSON type; sizes and flags
 * as integers and booleans). Returns the "return" value (a new node; an empty
 * object for commands that return nothing), or NULL with *errp set.
 * Handlers run in the main thread.
 */
typedef JsonNode *QmpHandler(JsonObject *args, Monitor *mon, GError **errp);

/*
 * An HMP handler: `args` holds the line's arguments parsed with the table's
 * args_type, in the same JSON representation a QMP client would send.
 */
typedef void HmpHandler(Monitor *mon, JsonObject *args);

/*
 * One entry of a command table, generated from hmp-commands.hx or
 * qmp-commands.hx by scripts/hxtool (the generator also declares each
 * handler in build/hmp-handlers.h / build/qmp-handlers.h, which the file
 * defining it includes). A table ends with an entry whose name is NULL.
 */
typedef struct MonitorCommand MonitorCommand;
struct MonitorCommand {
    const char *name;           /* "cont|c": the name, then its aliases */
    const char *args_type;      /* see monitor-args.h */
    const char *params;         /* HMP synopsis of the arguments */
    const char *help;           /* one line */
    HmpHandler *hmp_handler;
    QmpHandler *qmp_handler;
    const MonitorCommand *sub_table;    /* HMP "info": its subcommands */
};

/* The tables: HMP commands (with "info" pointing to its subcommands) and
 * QMP commands. */
const MonitorCommand *monitor_hmp_commands(void);
const MonitorCommand *monitor_qmp_commands(void);

/* The entry of `table` called `name` (or with that alias), or NULL. */
const MonitorCommand *monitor_find_command(const MonitorCommand *table,
                                           const char *name);

/* Return values for QMP handlers: a node holding `obj` (whose reference
 * passes to the node), and the empty object of commands that return
 * nothing. */
JsonNode *monitor_result_object(JsonObject *obj);
JsonNode *monitor_result_empty(void);

/* What every HMP handler does with its QMP twin: runs it, prints its error,
 * and returns the result (to unref) or NULL; the second form drops the
 * result, for commands whose only output is an error. */
JsonNode *hmp_call_qmp(Monitor *mon, QmpHandler *handler, JsonObject *args);
void hmp_run_qmp(Monitor *mon, QmpHandler *handler, JsonObject *args);

/* Output to an HMP monitor (no-op for QMP); "\n" goes out as "\r\n", as
 * QEMU's monitor writes it. Main thread only. Like every monitor output it
 * never waits for the client: what the client does not read is queued, up
 * to the cap of qemu_chr_write. */
void monitor_printf(Monitor *mon, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints an error the way every HMP command reports one, then frees it. */
void monitor_report_error(Monitor *mon, GError *err);

/*
 * Stops reading commands until monitor_resume() (HMP "migrate" without -d);
 * calls nest. Main thread only. The monitor stays valid until the matching
 * resume, even the short-lived one that runs a human-monitor-command line
 * (which does not wait: its output ends when the command returns).
 */
void monitor_suspend(Monitor *mon);
void monitor_resume(Monitor *mon);

/* True for an HMP monitor on a terminal (progress display). */
bool monitor_is_tty(Monitor *mon);

/*
 * Broadcasts {"event": name, "data": data, "timestamp": ...} to every QMP
 * monitor that has negotiated capabilities. Callable from any thread; takes
 * ownership of data (may be NULL for no "data" member).
 */
void monitor_protocol_event(const char *name, JsonNode *data);

/* A file descriptor passed with QMP/HMP "getfd NAME"; ownership passes to
 * the caller (the name is forgotten). Returns -1 with *errp when unknown.
 * Descriptors belong to the monitor, not to one client connection. */
int monitor_get_fd(Monitor *mon, const char *fdname, GError **errp);

/* The monitor running the current command (for fd: migration), or NULL;
 * valid during the command only. */
Monitor *monitor_current(void);

#endif
