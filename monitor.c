/*
 * The monitor sessions: HMP lines and QMP messages read from a chardev,
 * dispatched through the tables generated from the .hx files, replies and
 * events written back; and the commands about the monitor itself (help,
 * qmp_capabilities, query-commands, human-monitor-command, getfd, closefd).
 */
#include <string.h>
#include <unistd.h>

#include "config-host.h"
#include "main-loop.h"
#include "monitor-args.h"
#include "monitor.h"
#include "qemu-error.h"
#include "readline.h"
#include "sysemu.h"

#include "hmp-handlers.h"
#include "qmp-handlers.h"
#include "hmp-commands.h"
#include "qmp-commands.h"

#define MONITOR_MAX_MESSAGE (64 * 1024) /* longest HMP line / QMP text */
#define QMP_MAX_NESTING 1024            /* json-glib's parser recurses */
#define MONITOR_READ_CHUNK 4096
#define HMP_PROMPT "(qemu) "

/* Where the JSON text at the start of a buffer ends (see json_split). */
typedef struct JsonSplitter {
    size_t pos;         /* next byte to look at */
    int depth;          /* open { and [ */
    char quote;         /* in a string: its quote (json-glib, like QEMU's
                           parser, also takes 'single-quoted' ones) */
    size_t string_start;    /* where that string began */
    bool escaped;       /* after a backslash in a string */
    bool in_bare;       /* in a number, literal or garbage at depth 0 */
    size_t stray_start; /* SPLIT_RESET: where the stray token began */
} JsonSplitter;

typedef enum {
    SPLIT_MORE,         /* the text goes on beyond the buffer */
    SPLIT_TEXT,         /* a whole text: the first *text_len bytes */
    SPLIT_TOO_DEEP,
    SPLIT_RESET,        /* a byte no JSON holds ends the first *text_len
                           bytes: what they began is dropped */
} SplitResult;

struct Monitor {
    CharDriverState *chr;   /* NULL: runs one human-monitor-command line */
    MonitorMode mode;
    int refcount;
    Monitor *parent;        /* human-monitor-command: the QMP monitor */
    GString *capture;       /* human-monitor-command: what was printed */

    GByteArray *inbuf;      /* received, not processed yet */
    int suspend_count;
    bool connected;         /* a client is there */
    bool in_background;     /* mon:stdio while the console has the terminal */

    /* HMP */
    ReadLineState *rs;      /* line editing, on a terminal */
    bool banner_shown;
    bool skip_line;         /* dropping the rest of an over-long line */
    MonitorFormat fmt;      /* xp's defaults */

    /* QMP */
    bool pretty;            /* indented, multi-line JSON */
    bool negotiated;
    JsonSplitter split;
    bool resyncing;         /* after a reset: skipping to where a message
                               may start */

    GHashTable *fds;        /* getfd: name -> fd */
};

static GPtrArray *monitors;
static Monitor *cur_mon;

static void hmp_handle_line(Monitor *mon, const char *line);

/* ------------------------------------------------------------------------ */
/* Life cycle */

static Monitor *monitor_new(CharDriverState *chr, MonitorMode mode)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->chr = chr;
    mon->mode = mode;
    mon->refcount = 1;
    mon->inbuf = g_byte_array_new();
    mon->fmt = (MonitorFormat)MONITOR_FORMAT_INIT;
    mon->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return mon;
}

static void close_fd_value(gpointer key, gpointer value, gpointer opaque)
{
    close(GPOINTER_TO_INT(value));
}

static void monitor_unref(Monitor *mon)
{
    if (--mon->refcount > 0) {
        return;
    }
    g_hash_table_foreach(mon->fds, close_fd_value, NULL);
    g_hash_table_destroy(mon->fds);
    readline_free(mon->rs);
    if (mon->capture) {
        g_string_free(mon->capture, TRUE);
    }
    g_byte_array_unref(mon->inbuf);
    g_free(mon);
}

Monitor *monitor_current(void)
{
    return cur_mon;
}

bool monitor_is_tty(Monitor *mon)
{
    return mon->rs != NULL;
}

/* ------------------------------------------------------------------------ */
/* Output */

static void monitor_write(Monitor *mon, const char *buf, size_t len)
{
    if (mon->capture) {
        g_string_append_len(mon->capture, buf, len);
    } else if (mon->chr) {
        qemu_chr_write(mon->chr, (const uint8_t *)buf, len);
    }
}

static void monitor_puts(Monitor *mon, const char *text)
{
    g_autoptr(GString) out = g_string_sized_new(strlen(text) + 16);

    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            g_string_append_c(out, '\r');
        }
        g_string_append_c(out, *p);
    }
    monitor_write(mon, out->str, out->len);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    if (mon->mode != MONITOR_MODE_HMP) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    monitor_puts(mon, text);
}

void monitor_report_error(Monitor *mon, GError *err)
{
    monitor_printf(mon, "%s\n", err->message);
    g_error_free(err);
}

static void monitor_show_prompt(Monitor *mon)
{
    if (mon->rs) {
        readline_show_prompt(mon->rs);
    } else {
        monitor_write(mon, HMP_PROMPT, strlen(HMP_PROMPT));
    }
}

JsonNode *monitor_result_object(JsonObject *obj)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, obj);
    return node;
}

JsonNode *monitor_result_empty(void)
{
    return monitor_result_object(json_object_new());
}

JsonNode *hmp_call_qmp(Monitor *mon, QmpHandler *handler, JsonObject *args)
{
    GError *err = NULL;
    JsonNode *ret = handler(args, mon, &err);

    if (!ret) {
        monitor_report_error(mon, err);
    }
    return ret;
}

void hmp_run_qmp(Monitor *mon, QmpHandler *handler, JsonObject *args)
{
    JsonNode *ret = hmp_call_qmp(mon, handler, args);

    if (ret) {
        json_node_unref(ret);
    }
}

/* One QMP message and CR LF, as QEMU sends them: compact JSON, or with
 * pretty=on indented by 4 spaces, as QEMU indents it. */
static char *qmp_serialize(const Monitor *mon, JsonObject *msg)
{
    g_autoptr(JsonNode) node = monitor_result_object(json_object_ref(msg));
    g_autoptr(JsonGenerator) gen = json_generator_new();

    json_generator_set_root(gen, node);
    json_generator_set_pretty(gen, mon->pretty);
    json_generator_set_indent(gen, 4);
    g_autofree char *json = json_generator_to_data(gen, NULL);
    return g_strconcat(json, "\r\n", NULL);
}

static void qmp_send(Monitor *mon, JsonObject *msg)
{
    g_autofree char *text = qmp_serialize(mon, msg);
    monitor_write(mon, text, strlen(text));
}

static JsonObject *qmp_error_object(const GError *err)
{
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "class", error_class_name(err));
    json_object_set_string_member(e, "desc", err->message);
    return e;
}

/* Sends {"return": ret} or {"error": ...}, with the request's id if any. */
static void qmp_send_reply(Monitor *mon, JsonNode *ret, const GError *err,
                           JsonNode *id)
{
    g_autoptr(JsonObject) reply = json_object_new();

    if (ret) {
        json_object_set_member(reply, "return", json_node_ref(ret));
    } else {
        json_object_set_object_member(reply, "error", qmp_error_object(err));
    }
    if (id) {
        json_object_set_member(reply, "id", json_node_copy(id));
    }
    qmp_send(mon, reply);
}

/* ------------------------------------------------------------------------ */
/* Events */

static gboolean monitor_broadcast(gpointer opaque)
{
    JsonObject *event = opaque;

    for (guint i = 0; monitors && i < monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(monitors, i);
        if (mon->mode == MONITOR_MODE_QMP && mon->negotiated) {
            qmp_send(mon, event);
        }
    }
    json_object_unref(event);
    return G_SOURCE_REMOVE;
}

void monitor_protocol_event(const char *name, JsonNode *data)
{
    gint64 now = g_get_real_time();
    g_autoptr(JsonObject) event = json_object_new();
    JsonObject *timestamp = json_object_new();

    json_object_set_int_member(timestamp, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(timestamp, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_string_member(event, "event", name);
    if (data) {
        json_object_set_member(event, "data", data);
    }
    json_object_set_object_member(event, "timestamp", timestamp);
    /* Sent from the main thread, which owns the list of monitors (the
     * timestamp is already in). */
    main_loop_invoke(monitor_broadcast, g_steal_pointer(&event));
}

/* ------------------------------------------------------------------------ */
/* Command tables */

const MonitorCommand *monitor_hmp_commands(void)
{
    return hmp_cmds;
}

const MonitorCommand *monitor_qmp_commands(void)
{
    return qmp_cmds;
}

static bool command_has_name(const MonitorCommand *cmd, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = cmd->name; p; p = strchr(p, '|')) {
        if (*p == '|') {
            p++;
        }
        if (!strncmp(p, name, n) && (p[n] == '\0' || p[n] == '|')) {
            return true;
        }
    }
    return false;
}

const MonitorCommand *monitor_find_command(const MonitorCommand *table,
                                           const char *name)
{
    for (const MonitorCommand *cmd = table; cmd->name; cmd++) {
        if (command_has_name(cmd, name)) {
            return cmd;
        }
    }
    return NULL;
}

/* "cont" of "cont|c". */
static char *command_primary_name(const MonitorCommand *cmd)
{
    return g_strndup(cmd->name, strcspn(cmd->name, "|"));
}

/* ------------------------------------------------------------------------ */
/* HMP: running a line */

static void hmp_run_command(Monitor *mon, const MonitorCommand *cmd,
                            const char *display_name, const char *rest)
{
    GError *err = NULL;
    JsonObject *args = monitor_parse_args(display_name, cmd->args_type, rest,
                                          &mon->fmt, &err);
    if (!args) {
        monitor_report_error(mon, err);
        return;
    }
    cmd->hmp_handler(mon, args);
    json_object_unref(args);
}

static void hmp_print_help(Monitor *mon, const MonitorCommand *cmd,
                           const char *prefix)
{
    monitor_printf(mon, "%s%s%s%s -- %s\n", prefix, cmd->name,
                   cmd->params[0] ? " " : "", cmd->params, cmd->help);
}

static void hmp_list_commands(Monitor *mon, const MonitorCommand *table,
                              const char *prefix)
{
    for (const MonitorCommand *cmd = table; cmd->name; cmd++) {
        hmp_print_help(mon, cmd, prefix);
    }
}

/* "info SUBCOMMAND ARGS": the subcommand is looked up in cmd's sub_table. */
static void hmp_run_sub_command(Monitor *mon, const MonitorCommand *cmd,
                                const char *rest)
{
    g_autofree char *name = command_primary_name(cmd);
    g_autofree char *prefix = g_strconcat(name, " ", NULL);
    g_autofree char *sub_name = NULL;
    GError *err = NULL;

    int rc = monitor_parse_word(&rest, false, &sub_name, &err);
    if (rc < 0) {
        error_prepend(&err, "%s", name);
        monitor_report_error(mon, err);
        return;
    }
    if (rc == 0) {
        hmp_list_commands(mon, cmd->sub_table, prefix);
        return;
    }
    const MonitorCommand *sub = monitor_find_command(cmd->sub_table, sub_name);
    if (!sub) {
        g_autofree char *shown = g_strescape(sub_name, NULL);
        monitor_printf(mon, "%s: unknown subcommand '%s' (try '%s' alone)\n",
                       name, shown, name);
        return;
    }
    g_autofree char *display = g_strconcat(prefix, sub_name, NULL);
    hmp_run_command(mon, sub, display, rest);
}

static void hmp_run_line(Monitor *mon, const char *line)
{
    g_autofree char *name = NULL;
    const char *p = line;
    GError *err = NULL;

    int rc = monitor_parse_word(&p, true, &name, &err);
    if (rc < 0) {
        monitor_report_error(mon, err);
        return;
    }
    if (rc == 0) {
        return;     /* an empty line */
    }
    const MonitorCommand *cmd = monitor_find_command(hmp_cmds, name);
    if (!cmd) {
        g_autofree char *shown = g_strescape(name, NULL);
        monitor_printf(mon, "unknown command '%s' (try 'help')\n", shown);
        return;
    }
    if (cmd->sub_table) {
        hmp_run_sub_command(mon, cmd, p);
        return;
    }
    g_autofree char *primary = command_primary_name(cmd);
    hmp_run_command(mon, cmd, primary, p);
}

static void hmp_handle_line(Monitor *mon, const char *line)
{
    Monitor *prev = cur_mon;

    cur_mon = mon;
    hmp_run_line(mon, line);
    cur_mon = prev;
    if (!mon->suspend_count && mon->connected) {
        monitor_show_prompt(mon);
    }
}

/* ------------------------------------------------------------------------ */
/* HMP: the commands about the monitor */

void hmp_help(Monitor *mon, JsonObject *args)
{
    const char *what = json_object_get_string_member_with_default(args, "name",
                                                                  NULL);
    g_autofree char *name = NULL;
    g_autofree char *sub_name = NULL;

    if (!what || monitor_parse_word(&what, false, &name, NULL) <= 0) {
        hmp_list_commands(mon, hmp_cmds, "");
        return;
    }
    const MonitorCommand *cmd = monitor_find_command(hmp_cmds, name);
    if (!cmd) {
        g_autofree char *shown = g_strescape(name, NULL);
        monitor_printf(mon, "help: unknown command '%s'\n", shown);
        return;
    }
    if (!cmd->sub_table || monitor_parse_word(&what, false, &sub_name, NULL) <= 0) {
        hmp_print_help(mon, cmd, "");
        if (cmd->sub_table) {
            hmp_run_sub_command(mon, cmd, "");
        }
        return;
    }
    g_autofree char *primary = command_primary_name(cmd);
    g_autofree char *prefix = g_strconcat(primary, " ", NULL);
    const MonitorCommand *sub = monitor_find_command(cmd->sub_table, sub_name);
    if (!sub) {
        g_autofree char *shown = g_strescape(sub_name, NULL);
        monitor_printf(mon, "help: unknown subcommand '%s%s'\n", prefix, shown);
        return;
    }
    hmp_print_help(mon, sub, prefix);
}

/* Tab completion: command names, then subcommand names. */
static void add_names(const MonitorCommand *table, const char *partial,
                      GPtrArray *matches)
{
    for (const MonitorCommand *cmd = table; cmd->name; cmd++) {
        g_auto(GStrv) names = g_strsplit(cmd->name, "|", -1);
        for (int i = 0; names[i]; i++) {
            if (g_str_has_prefix(names[i], partial)) {
                g_ptr_array_add(matches, g_strdup(names[i]));
            }
        }
    }
}

static void hmp_complete(void *opaque, const char *before, GPtrArray *matches)
{
    g_auto(GStrv) words = g_strsplit_set(before, " \t", -1);
    const char *partial = "";
    const char *first = NULL;
    int complete_words = 0;

    for (int i = 0; words[i]; i++) {
        if (!words[i][0]) {
            continue;
        }
        if (!words[i + 1]) {
            partial = words[i];     /* the word under the cursor */
            break;
        }
        first = first ? first : words[i];
        complete_words++;
    }
    if (complete_words == 0) {
        add_names(hmp_cmds, partial, matches);
        return;
    }
    const MonitorCommand *cmd = monitor_find_command(hmp_cmds, first);
    if (complete_words == 1 && cmd && cmd->sub_table) {
        add_names(cmd->sub_table, partial, matches);
    } else if (complete_words == 1 && cmd && cmd->hmp_handler == hmp_help) {
        add_names(hmp_cmds, partial, matches);
    }
}

/* ------------------------------------------------------------------------ */
/* QMP: requests */

static JsonNode *qmp_parse(const char *text, size_t len, GError **errp)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) jerr = NULL;

    /* Also refuses NUL bytes, which json-glib would take as the end. */
    if (!g_utf8_validate(text, len, NULL)) {
        error_setg(errp, "Invalid JSON syntax: the input is not UTF-8 text");
        return NULL;
    }
    if (!json_parser_load_from_data(parser, text, len, &jerr)) {
        error_setg(errp, "Invalid JSON syntax: %s", jerr->message);
        return NULL;
    }
    JsonNode *root = json_parser_steal_root(parser);
    if (!root) {
        error_setg(errp, "Invalid JSON syntax: empty input");
    }
    return root;
}

/* The members of a request: execute (a string), arguments (an object), id. */
static int qmp_check_request(JsonObject *req, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(req);

    for (GList *l = members; l; l = l->next) {
        const char *m = l->data;
        JsonNode *v = json_object_get_member(req, m);
        if (!strcmp(m, "execute")) {
            if (!JSON_NODE_HOLDS_VALUE(v) ||
                json_node_get_value_type(v) != G_TYPE_STRING) {
                error_setg(errp, "QMP input member 'execute' must be a string");
                return -1;
            }
        } else if (!strcmp(m, "arguments")) {
            if (!JSON_NODE_HOLDS_OBJECT(v)) {
                error_setg(errp, "QMP input member 'arguments' must be an object");
                return -1;
            }
        } else if (strcmp(m, "id")) {
            error_setg(errp, "QMP input member '%s' is unexpected", m);
            return -1;
        }
    }
    if (!json_object_has_member(req, "execute")) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return -1;
    }
    return 0;
}

static const MonitorCommand *qmp_lookup(Monitor *mon, const char *name,
                                        GError **errp)
{
    bool is_negotiation = !strcmp(name, "qmp_capabilities");

    if (!mon->negotiated && !is_negotiation) {
        error_set_class(errp, QEMU_ERROR_COMMAND_NOT_FOUND,
                        "Expecting capabilities negotiation with "
                        "'qmp_capabilities'");
        return NULL;
    }
    if (mon->negotiated && is_negotiation) {
        error_set_class(errp, QEMU_ERROR_COMMAND_NOT_FOUND,
                        "Capabilities negotiation is already complete, "
                        "command ignored");
        return NULL;
    }
    const MonitorCommand *cmd = monitor_find_command(qmp_cmds, name);
    if (!cmd) {
        error_set_class(errp, QEMU_ERROR_COMMAND_NOT_FOUND,
                        "The command %s has not been found", name);
    }
    return cmd;
}

static JsonNode *qmp_call(Monitor *mon, const MonitorCommand *cmd,
                          JsonObject *args, GError **errp)
{
    Monitor *prev = cur_mon;
    GError *err = NULL;

    cur_mon = mon;
    JsonNode *ret = cmd->qmp_handler(args, mon, &err);
    cur_mon = prev;
    if (!ret && !err) {
        error_setg(&err, "internal error: %s returned no result", cmd->name);
    }
    if (err) {
        g_propagate_error(errp, err);
        g_clear_pointer(&ret, json_node_unref);
    }
    return ret;
}

static JsonNode *qmp_dispatch(Monitor *mon, JsonNode *request, GError **errp)
{
    if (!JSON_NODE_HOLDS_OBJECT(request)) {
        error_setg(errp, "QMP input must be a JSON object");
        return NULL;
    }
    JsonObject *req = json_node_get_object(request);
    if (qmp_check_request(req, errp) < 0) {
        return NULL;
    }
    const char *name = json_object_get_string_member(req, "execute");
    const MonitorCommand *cmd = qmp_lookup(mon, name, errp);
    if (!cmd) {
        return NULL;
    }
    if (!json_object_has_member(req, "arguments")) {
        json_object_set_object_member(req, "arguments", json_object_new());
    }
    JsonObject *args = json_object_get_object_member(req, "arguments");
    if (monitor_check_args(cmd->args_type, args, errp) < 0) {
        return NULL;
    }
    return qmp_call(mon, cmd, args, errp);
}

static void qmp_handle_text(Monitor *mon, const char *text, size_t len)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) request = qmp_parse(text, len, &err);
    g_autoptr(JsonNode) ret = NULL;
    JsonNode *id = NULL;

    if (request) {
        if (JSON_NODE_HOLDS_OBJECT(request)) {
            id = json_object_get_member(json_node_get_object(request), "id");
        }
        ret = qmp_dispatch(mon, request, &err);
    }
    qmp_send_reply(mon, ret, err, id);
}

static void qmp_send_greeting(Monitor *mon)
{
    g_autoptr(JsonObject) greeting = json_object_new();
    JsonObject *qmp = json_object_new();

    json_object_set_member(qmp, "version", qmp_query_version(NULL, mon, NULL));
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(greeting, "QMP", qmp);
    qmp_send(mon, greeting);
}

/* ------------------------------------------------------------------------ */
/* QMP: the commands about the monitor */

/* The capabilities QEMU knows; this server offers none of them (the
 * greeting's list is empty). */
static const char *const qmp_known_capabilities[] = { "oob", NULL };

/*
 * Checks "enable" as QEMU does: each element a known capability name (an
 * element's value is reported as QEMU's does, which names no parameter),
 * then all of them offered.
 */
static int qmp_check_enable(JsonArray *enable, GError **errp)
{
    g_autoptr(GString) unavailable = g_string_new(NULL);

    for (guint i = 0; i < json_array_get_length(enable); i++) {
        JsonNode *e = json_array_get_element(enable, i);
        if (!JSON_NODE_HOLDS_VALUE(e) ||
            json_node_get_value_type(e) != G_TYPE_STRING) {
            error_setg(errp, "Invalid parameter type for 'enable[%u]', "
                       "expected: string", i);
            return -1;
        }
        const char *name = json_node_get_string(e);
        if (!g_strv_contains(qmp_known_capabilities, name)) {
            error_setg(errp, "Parameter 'null' does not accept value '%s'",
                       name);
            return -1;
        }
        g_string_append_printf(unavailable, "%s%s",
                               unavailable->len ? ", " : "", name);
    }
    if (unavailable->len) {
        error_setg(errp, "Capability %s not available", unavailable->str);
        return -1;
    }
    return 0;
}

JsonNode *qmp_qmp_capabilities(JsonObject *args, Monitor *mon, GError **errp)
{
    if (json_object_has_member(args, "enable") &&
        qmp_check_enable(json_object_get_array_member(args, "enable"),
                         errp) < 0) {
        return NULL;
    }
    mon->negotiated = true;
    return monitor_result_empty();
}

JsonNode *qmp_query_commands(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonArray *list = json_array_new();

    for (const MonitorCommand *cmd = qmp_cmds; cmd->name; cmd++) {
        g_auto(GStrv) names = g_strsplit(cmd->name, "|", -1);
        for (int i = 0; names[i]; i++) {     /* an alias is a command too */
            JsonObject *entry = json_object_new();
            json_object_set_string_member(entry, "name", names[i]);
            json_array_add_object_element(list, entry);
        }
    }
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, list);
    return node;
}

/* The machine has one vCPU, index 0: the only CPU an HMP line can be run
 * for (qmp-shell -H names it). */
static int check_cpu_index(JsonObject *args, GError **errp)
{
    if (json_object_has_member(args, "cpu-index") &&
        json_object_get_int_member(args, "cpu-index") != 0) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
        return -1;
    }
    return 0;
}

JsonNode *qmp_human_monitor_command(JsonObject *args, Monitor *mon,
                                    GError **errp)
{
    if (check_cpu_index(args, errp) < 0) {
        return NULL;
    }
    const char *line = json_object_get_string_member(args, "command-line");
    Monitor *hmp = monitor_new(NULL, MONITOR_MODE_HMP);
    Monitor *prev = cur_mon;

    hmp->parent = mon;
    hmp->capture = g_string_new(NULL);
    hmp->fmt = mon->fmt;
    cur_mon = hmp;
    hmp_run_line(hmp, line);
    cur_mon = prev;
    mon->fmt = hmp->fmt;
    JsonNode *ret = json_node_init_string(json_node_alloc(), hmp->capture->str);
    monitor_unref(hmp);
    return ret;
}

/* The descriptors of a human-monitor-command line are its QMP monitor's. */
static Monitor *fd_owner(Monitor *mon)
{
    return mon->parent ? mon->parent : mon;
}

static void fd_forget(Monitor *mon, const char *name)
{
    gpointer fd;

    if (g_hash_table_lookup_extended(mon->fds, name, NULL, &fd)) {
        close(GPOINTER_TO_INT(fd));
        g_hash_table_remove(mon->fds, name);
    }
}

JsonNode *qmp_getfd(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *name = json_object_get_string_member(args, "fdname");
    Monitor *owner = fd_owner(mon);

    if (!name[0] || g_ascii_isdigit(name[0])) {
        error_setg(errp, "Parameter 'fdname' expects a name not starting "
                   "with a digit");
        return NULL;
    }
    int fd = owner->chr ? qemu_chr_get_msgfd(owner->chr) : -1;
    if (fd < 0) {
        error_setg(errp, "No file descriptor supplied via SCM_RIGHTS");
        return NULL;
    }
    fd_forget(owner, name);
    g_hash_table_insert(owner->fds, g_strdup(name), GINT_TO_POINTER(fd));
    return monitor_result_empty();
}

JsonNode *qmp_closefd(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *name = json_object_get_string_member(args, "fdname");
    Monitor *owner = fd_owner(mon);

    if (!g_hash_table_contains(owner->fds, name)) {
        error_setg(errp, "File descriptor named '%s' not found", name);
        return NULL;
    }
    fd_forget(owner, name);
    return monitor_result_empty();
}

int monitor_get_fd(Monitor *mon, const char *fdname, GError **errp)
{
    Monitor *owner = fd_owner(mon);
    gpointer fd;

    if (!g_hash_table_lookup_extended(owner->fds, fdname, NULL, &fd)) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   fdname);
        return -1;
    }
    g_hash_table_remove(owner->fds, fdname);
    return GPOINTER_TO_INT(fd);
}

/* ------------------------------------------------------------------------ */
/* Input: splitting the byte stream into lines and JSON texts */

/* One byte inside a string; true when it closes a text at depth 0. */
static bool split_string_byte(JsonSplitter *s, uint8_t c)
{
    if (s->escaped) {
        s->escaped = false;
    } else if (c == '\\') {
        s->escaped = true;
    } else if (c == s->quote) {
        s->quote = 0;
        return s->depth == 0;
    }
    return false;
}

/* One byte outside strings: SPLIT_TEXT when it closes a text (the byte is
 * part of it), SPLIT_TOO_DEEP, or SPLIT_MORE. */
static SplitResult split_structure_byte(JsonSplitter *s, uint8_t c)
{
    switch (c) {
    case '"':
    case '\'':
        s->quote = c;
        s->string_start = s->pos;
        return SPLIT_MORE;
    case '{':
    case '[':
        return ++s->depth > QMP_MAX_NESTING ? SPLIT_TOO_DEEP : SPLIT_MORE;
    case '}':
    case ']':
        /* A stray closer at depth 0 is a (bad) text of its own. */
        return s->depth == 0 || --s->depth == 0 ? SPLIT_TEXT : SPLIT_MORE;
    default:
        s->in_bare = s->depth == 0;
        return SPLIT_MORE;
    }
}

/* Blanks between JSON tokens: the other control characters reset. */
static bool is_json_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A bare word (number, literal, garbage) ends before a blank or bracket. */
static bool ends_bare_word(uint8_t c)
{
    return is_json_blank(c) || (c && strchr("{}[]\"'", c));
}

/*
 * A byte no JSON text holds, which resets the parser: the way the QMP
 * specification gives a client to resynchronise. An ASCII control
 * character (outside strings, all but the blanks \t \r \n), or 0xFE, 0xFF
 * (never in UTF-8).
 */
static bool is_reset_byte(uint8_t c, bool in_string)
{
    if (c == 0xFE || c == 0xFF) {
        return true;
    }
    if (c >= 0x20) {
        return false;
    }
    return in_string || (c != '\t' && c != '\r' && c != '\n');
}

/* Where input may start again after a reset: a structural character, a
 * control character (line ends included) or another reset byte. */
static bool is_resync_point(uint8_t c)
{
    return (c < 0x20 && c != '\t') || c >= 0xFE || (c && strchr("{}[]:,", c));
}

/* One byte; SPLIT_TEXT when it closes a text (the byte is part of it). */
static SplitResult split_byte(JsonSplitter *s, uint8_t c)
{
    if (s->quote) {
        return split_string_byte(s, c) ? SPLIT_TEXT : SPLIT_MORE;
    }
    if (s->in_bare) {
        return SPLIT_MORE;
    }
    return split_structure_byte(s, c);
}

/*
 * Finds where the JSON text at the start of `data` ends, by tracking {} []
 * nesting and strings (json-glib then parses it). A text at depth 0 that is
 * not an object or array (a number, a string, garbage) ends at a blank, a
 * bracket or a reset byte, so that it gets its own error reply. A reset
 * byte ends what came before it with SPLIT_RESET. The scan resumes where
 * the previous call stopped.
 */
static SplitResult json_split(JsonSplitter *s, const uint8_t *data,
                              size_t len, size_t *text_len)
{
    for (; s->pos < len; s->pos++) {
        uint8_t c = data[s->pos];
        if (s->in_bare && (ends_bare_word(c) || is_reset_byte(c, false))) {
            *text_len = s->pos;
            return SPLIT_TEXT;
        }
        if (is_reset_byte(c, s->quote)) {
            /* QEMU names the string the byte fell in, or the byte alone. */
            s->stray_start = s->quote ? s->string_start : s->pos;
            *text_len = s->pos + 1;
            return SPLIT_RESET;
        }
        SplitResult r = split_byte(s, c);
        if (r == SPLIT_TEXT) {
            *text_len = s->pos + 1;
        }
        if (r != SPLIT_MORE) {
            return r;
        }
    }
    return SPLIT_MORE;
}

static void monitor_reset_input(Monitor *mon)
{
    g_byte_array_set_size(mon->inbuf, 0);
    mon->split = (JsonSplitter){ 0 };
    mon->resyncing = false;
}

static void monitor_consume(Monitor *mon, size_t n)
{
    g_byte_array_remove_range(mon->inbuf, 0, n);
}

/* Input over the limits: drop it, and the client if it is a socket. */
static void monitor_input_refused(Monitor *mon, const char *why)
{
    if (mon->mode == MONITOR_MODE_QMP) {
        g_autoptr(GError) err = NULL;
        error_setg(&err, "%s: disconnecting", why);
        qmp_send_reply(mon, NULL, err, NULL);
    } else {
        monitor_printf(mon, "%s: disconnecting\n", why);
        mon->skip_line = true;  /* stdio stays: skip the rest of the line */
    }
    monitor_reset_input(mon);
    qemu_chr_disconnect(mon->chr);
}

/*
 * A reset byte: the message it interrupted is dropped, with one error reply
 * naming the stray token as QEMU's parser does (the text made valid UTF-8,
 * as QEMU writes it); then input up to a point where a message may start is
 * skipped.
 */
static void qmp_reset_parser(Monitor *mon, size_t end)
{
    const char *stray = (const char *)mon->inbuf->data + mon->split.stray_start;
    g_autofree char *shown = g_utf8_make_valid(stray,
                                               end - mon->split.stray_start);
    g_autoptr(GError) err = NULL;

    error_setg(&err, "JSON parse error, stray '%s'", shown);
    monitor_consume(mon, end);
    mon->split = (JsonSplitter){ 0 };
    mon->resyncing = true;
    qmp_send_reply(mon, NULL, err, NULL);
}

/* Skips input after a reset; true once a message may start. */
static bool qmp_resync(Monitor *mon)
{
    size_t n = 0;

    while (n < mon->inbuf->len && !is_resync_point(mon->inbuf->data[n])) {
        n++;
    }
    monitor_consume(mon, n);
    mon->resyncing = mon->inbuf->len == 0;
    return !mon->resyncing;
}

static void qmp_handle_split_text(Monitor *mon, size_t len)
{
    g_autofree char *text = g_malloc(len + 1);

    memcpy(text, mon->inbuf->data, len);
    text[len] = '\0';
    monitor_consume(mon, len);
    mon->split = (JsonSplitter){ 0 };
    qmp_handle_text(mon, text, len);
}

static bool qmp_take_message(Monitor *mon)
{
    if (mon->resyncing && !qmp_resync(mon)) {
        return false;
    }
    size_t skip = 0;
    while (skip < mon->inbuf->len && is_json_blank(mon->inbuf->data[skip])) {
        skip++;
    }
    if (skip) {
        monitor_consume(mon, skip);
        return true;
    }
    size_t len = 0;
    switch (json_split(&mon->split, mon->inbuf->data, mon->inbuf->len, &len)) {
    case SPLIT_TEXT:
        qmp_handle_split_text(mon, len);
        return true;
    case SPLIT_RESET:
        qmp_reset_parser(mon, len);
        return true;
    case SPLIT_TOO_DEEP:
        monitor_input_refused(mon, "JSON nesting deeper than 1024 levels");
        return false;
    case SPLIT_MORE:
    default:
        if (mon->inbuf->len > MONITOR_MAX_MESSAGE) {
            monitor_input_refused(mon, "JSON message longer than 65536 bytes");
        }
        return false;
    }
}

static bool hmp_take_line(Monitor *mon)
{
    uint8_t *data = mon->inbuf->data;
    uint8_t *nl = memchr(data, '\n', mon->inbuf->len);

    if (!nl) {
        if (mon->skip_line) {
            monitor_reset_input(mon);
        } else if (mon->inbuf->len > MONITOR_MAX_MESSAGE) {
            monitor_input_refused(mon, "input line longer than 65536 bytes");
        }
        return false;
    }
    size_t n = nl - data;
    g_autofree char *line = g_strndup((const char *)data, n);
    monitor_consume(mon, n + 1);
    if (mon->skip_line) {
        mon->skip_line = false;
        return true;
    }
    g_strchomp(line);   /* the CR of CR LF, trailing blanks */
    hmp_handle_line(mon, line);
    return true;
}

static bool hmp_take_input(Monitor *mon)
{
    if (!mon->rs) {
        return hmp_take_line(mon);
    }
    uint8_t c = mon->inbuf->data[0];
    monitor_consume(mon, 1);
    readline_handle_byte(mon->rs, c);
    return true;
}

static void monitor_drain(Monitor *mon)
{
    bool progress = true;

    while (progress && !mon->suspend_count && mon->inbuf->len) {
        progress = mon->mode == MONITOR_MODE_QMP ? qmp_take_message(mon)
                                                 : hmp_take_input(mon);
    }
}

static gboolean monitor_drain_later(gpointer opaque)
{
    monitor_drain(opaque);
    return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* The chardev frontend */

static int monitor_can_read(void *opaque)
{
    Monitor *mon = opaque;
    return mon->suspend_count ? 0 : MONITOR_READ_CHUNK;
}

static void monitor_read(void *opaque, const uint8_t *buf, int len)
{
    Monitor *mon = opaque;

    g_byte_array_append(mon->inbuf, buf, len);
    monitor_drain(mon);
}

static void hmp_greet(Monitor *mon)
{
    if (!mon->banner_shown) {
        monitor_printf(mon, "QEMU %s monitor - type 'help' for more "
                       "information\n", QEMU_VERSION);
        mon->banner_shown = true;
    }
    if (!mon->suspend_count) {
        monitor_show_prompt(mon);
    }
}

static void monitor_event(void *opaque, CharEvent event)
{
    Monitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        monitor_reset_input(mon);
        mon->connected = true;
        mon->negotiated = false;
        mon->banner_shown = false;
        if (mon->mode == MONITOR_MODE_QMP) {
            qmp_send_greeting(mon);
        } else if (!mon->in_background) {
            hmp_greet(mon);
        }
        break;
    case CHR_EVENT_CLOSED:
        monitor_reset_input(mon);
        mon->connected = false;
        mon->negotiated = false;
        mon->skip_line = false;
        break;
    case CHR_EVENT_MUX_IN:
        mon->in_background = false;
        if (mon->mode == MONITOR_MODE_HMP && mon->connected) {
            hmp_greet(mon);
        }
        break;
    case CHR_EVENT_MUX_OUT:
        mon->in_background = true;
        break;
    }
}

static void hmp_readline_print(void *opaque, const char *text, size_t len)
{
    monitor_write(opaque, text, len);
}

static void hmp_readline_line(void *opaque, const char *line)
{
    hmp_handle_line(opaque, line);
}

/* The machine's news, as QMP events of the same names. */
static void monitor_machine_event(MachineEvent event)
{
    static const char *const names[] = {
        [MACHINE_EVENT_STOP] = "STOP",
        [MACHINE_EVENT_RESUME] = "RESUME",
        [MACHINE_EVENT_RESET] = "RESET",
        [MACHINE_EVENT_SHUTDOWN] = "SHUTDOWN",
        [MACHINE_EVENT_GUEST_PANICKED] = "GUEST_PANICKED",
    };

    monitor_protocol_event(names[event], NULL);
}

Monitor *monitor_init(CharDriverState *chr, MonitorMode mode, GError **errp)
{
    if (!chr) {
        /* Usually qemu_chr_new() failed and already said why. */
        if (errp && !*errp) {
            error_setg(errp, "the monitor needs a chardev");
        }
        return NULL;
    }
    Monitor *mon = monitor_new(chr, mode);
    if (mode == MONITOR_MODE_HMP && qemu_chr_is_tty(chr)) {
        mon->rs = readline_new(HMP_PROMPT, hmp_readline_print,
                               hmp_readline_line, hmp_complete, mon);
    }
    if (!monitors) {
        monitors = g_ptr_array_new();
        machine_events_set_listener(monitor_machine_event);
    }
    g_ptr_array_add(monitors, mon);
    qemu_chr_add_handlers_background(chr, monitor_can_read, monitor_read,
                                     monitor_event, mon);
    return mon;
}

void monitor_set_pretty(Monitor *mon, bool pretty)
{
    mon->pretty = pretty;
}

void monitor_suspend(Monitor *mon)
{
    mon->suspend_count++;
    if (!mon->chr) {
        mon->refcount++;    /* outlive the human-monitor-command */
    }
}

void monitor_resume(Monitor *mon)
{
    if (mon->suspend_count == 0) {
        return;
    }
    if (--mon->suspend_count == 0 && mon->chr) {
        if (mon->mode == MONITOR_MODE_HMP && mon->connected &&
            !mon->in_background) {
            monitor_show_prompt(mon);
        }
        qemu_chr_accept_input(mon->chr);
        if (mon->inbuf->len) {
            main_loop_defer(monitor_drain_later, mon);
        }
    }
    if (!mon->chr) {
        monitor_unref(mon);
    }
}
