/*
 * The human monitor's migration commands: each calls the QMP handler of the
 * same operation (migration.c) and prints its result; `migrate` without -d
 * holds the monitor until the migration ends, showing progress on a
 * terminal.
 */
#include <string.h>

#include "cutils.h"
#include "migration.h"
#include "migration-params.h"
#include "monitor.h"
#include "qemu-error.h"
#include "hmp-handlers.h"
#include "qmp-handlers.h"

#define PROGRESS_INTERVAL_MS 500

/* --- migrate, waiting for the end --------------------------------------------- */

typedef struct MigrateWait {
    Monitor *mon;
    bool tty;
} MigrateWait;

static uint64_t member_int(JsonObject *o, const char *name)
{
    return o && json_object_has_member(o, name) ?
           (uint64_t)json_object_get_int_member(o, name) : 0;
}

static gboolean migrate_poll(gpointer opaque)
{
    MigrateWait *w = opaque;
    JsonNode *info = qmp_query_migrate(NULL, w->mon, NULL);
    JsonObject *o = json_node_get_object(info);
    const char *status = json_object_has_member(o, "status") ?
                         json_object_get_string_member(o, "status") : "none";
    JsonObject *ram = json_object_has_member(o, "ram") ?
                      json_object_get_object_member(o, "ram") : NULL;

    if (!strcmp(status, "setup") || !strcmp(status, "active")) {
        if (w->tty) {
            monitor_printf(w->mon, "\rtransferred ram: %" G_GUINT64_FORMAT
                           " kbytes, remaining ram: %" G_GUINT64_FORMAT " kbytes   ",
                           member_int(ram, "transferred") >> 10,
                           member_int(ram, "remaining") >> 10);
        }
        json_node_unref(info);
        return G_SOURCE_CONTINUE;
    }
    if (w->tty) {
        monitor_printf(w->mon, "\n");
    }
    if (!strcmp(status, "failed") && json_object_has_member(o, "error-desc")) {
        monitor_printf(w->mon, "migration failed: %s\n",
                       json_object_get_string_member(o, "error-desc"));
    } else {
        monitor_printf(w->mon, "migration %s\n", status);
    }
    json_node_unref(info);
    monitor_resume(w->mon);
    g_free(w);
    return G_SOURCE_REMOVE;
}

void hmp_migrate(Monitor *mon, JsonObject *args)
{
    JsonNode *ret = hmp_call_qmp(mon, qmp_migrate, args);

    if (!ret) {
        return;
    }
    json_node_unref(ret);
    if (json_object_has_member(args, "detach") &&
        json_object_get_boolean_member(args, "detach")) {
        return;
    }
    MigrateWait *w = g_new0(MigrateWait, 1);
    w->mon = mon;
    w->tty = monitor_is_tty(mon);
    monitor_suspend(mon);
    g_timeout_add(PROGRESS_INTERVAL_MS, migrate_poll, w);
}

void hmp_migrate_incoming(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_incoming, args);
}

void hmp_migrate_start_postcopy(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_start_postcopy, args);
}

void hmp_migrate_recover(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_recover, args);
}

void hmp_migrate_cancel(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_cancel, args);
}

void hmp_migrate_set_speed(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_set_speed, args);
}

void hmp_migrate_set_downtime(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_set_downtime, args);
}

void hmp_migrate_set_cachesize(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_migrate_set_cachesize, args);
}

/* Whether query-migrate-capabilities lists `name`. */
static bool capability_exists(Monitor *mon, const char *name)
{
    g_autoptr(JsonNode) caps = qmp_query_migrate_capabilities(NULL, mon, NULL);
    JsonArray *a = json_node_get_array(caps);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        if (!strcmp(json_object_get_string_member(c, "capability"), name)) {
            return true;
        }
    }
    return false;
}

/* "migrate_set_capability xbzrle on" as QMP's list of one capability; an
 * unknown name gets the message of QEMU's HMP. */
void hmp_migrate_set_capability(Monitor *mon, JsonObject *args)
{
    const char *name = json_object_get_string_member(args, "capability");

    if (!capability_exists(mon, name)) {
        monitor_printf(mon, "invalid parameter value: %s\n", name);
        return;
    }
    JsonObject *cap = json_object_new();
    JsonArray *list = json_array_new();
    g_autoptr(JsonObject) qargs = json_object_new();

    json_object_set_string_member(cap, "capability", name);
    json_object_set_boolean_member(cap, "state",
                                   json_object_get_boolean_member(args, "state"));
    json_array_add_object_element(list, cap);
    json_object_set_array_member(qargs, "capabilities", list);
    hmp_run_qmp(mon, qmp_migrate_set_capabilities, qargs);
}

/*
 * "migrate_set_parameter NAME VALUE": the value read as QEMU's HMP reads it
 * (bandwidth in MiB/s and the cache size in bytes unless a suffix says
 * otherwise; times in ms; percentages as integers), then
 * migrate-set-parameters with that member.
 */
static bool parse_param_value(const char *name, const char *text, int64_t *value,
                              GError **errp)
{
    const char *unit = migrate_param_unit(name);
    uint64_t size;

    if (!unit) {
        error_setg(errp, "invalid parameter value: %s", name);
        return false;
    }
    if (!*unit) {
        /* A percentage: QEMU reads an unsigned integer, then checks it. */
        if (parse_int64(text, value, NULL) < 0) {
            error_setg(errp, "Parameter '%s' expects uint64", name);
            return false;
        }
        return true;
    }
    if (!strcmp(unit, "ms")) {
        return parse_int64(text, value, errp) == 0;
    }
    uint64_t default_unit = !strcmp(unit, "bytes/second") ? 1 << 20 : 1;
    if (parse_size(text, default_unit, &size, errp) < 0 || size > INT64_MAX) {
        g_clear_error(errp);
        error_setg(errp, "Invalid size %s", text);
        return false;
    }
    *value = (int64_t)size;
    return true;
}

void hmp_migrate_set_parameter(Monitor *mon, JsonObject *args)
{
    const char *name = json_object_get_string_member(args, "parameter");
    const char *text = json_object_get_string_member(args, "value");
    const char *unit = migrate_param_unit(name);
    g_autoptr(JsonObject) qargs = json_object_new();
    GError *err = NULL;
    int64_t value;

    if (unit && !strcmp(unit, "string")) {
        json_object_set_string_member(qargs, name, text);
    } else if (unit && !strcmp(unit, "on|off")) {
        if (strcmp(text, "on") && strcmp(text, "off")) {
            monitor_report_error(mon, g_error_new(QEMU_ERROR, QEMU_ERROR_GENERIC,
                                                  "'%s' expects on or off", name));
            return;
        }
        json_object_set_boolean_member(qargs, name, !strcmp(text, "on"));
    } else if (parse_param_value(name, text, &value, &err)) {
        json_object_set_int_member(qargs, name, value);
    } else {
        monitor_report_error(mon, err);
        return;
    }
    hmp_run_qmp(mon, qmp_migrate_set_parameters, qargs);
}

/* QEMU's format: a number with its unit, a string quoted, a flag on/off. */
static void print_parameter(Monitor *mon, JsonObject *o, const char *name)
{
    JsonNode *node = json_object_get_member(o, name);
    GType type = json_node_get_value_type(node);

    if (type == G_TYPE_STRING) {
        monitor_printf(mon, "%s: '%s'\n", name, json_node_get_string(node));
    } else if (type == G_TYPE_BOOLEAN) {
        monitor_printf(mon, "%s: %s\n", name, json_node_get_boolean(node) ? "on" : "off");
    } else {
        const char *unit = migrate_param_unit(name);
        monitor_printf(mon, "%s: %" G_GINT64_FORMAT "%s%s\n", name, json_node_get_int(node),
                       *unit ? " " : "", unit);
    }
}

void hmp_info_migrate_parameters(Monitor *mon, JsonObject *args)
{
    JsonNode *params = hmp_call_qmp(mon, qmp_query_migrate_parameters, args);

    if (!params) {
        return;
    }
    JsonObject *o = json_node_get_object(params);
    g_autoptr(GList) names = json_object_get_members(o);
    for (GList *l = names; l; l = l->next) {
        print_parameter(mon, o, l->data);
    }
    json_node_unref(params);
}

/* --- info ------------------------------------------------------------------------ */

static void print_xbzrle_lines(Monitor *mon, JsonObject *xb)
{
    monitor_printf(mon, "transferred ram-xbrle: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(xb, "bytes") >> 10);
    monitor_printf(mon, "transferred ram-xbrle: %" G_GUINT64_FORMAT " pages\n",
                   member_int(xb, "pages"));
    monitor_printf(mon, "overflow ram-xbrle: %" G_GUINT64_FORMAT " pages\n",
                   member_int(xb, "overflow"));
    monitor_printf(mon, "cache-hit ram-xbrle: %" G_GUINT64_FORMAT " pages\n",
                   member_int(xb, "cache-hit"));
    monitor_printf(mon, "cache-lookup ram-xbrle: %" G_GUINT64_FORMAT " pages\n",
                   member_int(xb, "cache-lookup"));
}

static double member_double(JsonObject *o, const char *name)
{
    return o && json_object_has_member(o, name) ?
           json_object_get_double_member(o, name) : 0.0;
}

/* The proposal's lines, for a migration that has sent something. */
static void print_transfer_lines(Monitor *mon, JsonObject *o, JsonObject *ram,
                                 JsonObject *xb)
{
    monitor_printf(mon, "transferred ram: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(ram, "transferred") >> 10);
    monitor_printf(mon, "remaining ram: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(ram, "remaining") >> 10);
    monitor_printf(mon, "total ram: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(ram, "total") >> 10);
    monitor_printf(mon, "total time: %" G_GUINT64_FORMAT " milliseconds\n",
                   member_int(o, "total-time"));
    if (json_object_has_member(o, "downtime")) {
        monitor_printf(mon, "downtime: %" G_GUINT64_FORMAT " milliseconds\n",
                       member_int(o, "downtime"));
    } else {
        monitor_printf(mon, "expected downtime: %" G_GUINT64_FORMAT " milliseconds\n",
                       member_int(o, "expected-downtime"));
    }
    monitor_printf(mon, "transferred ram-duplicate: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(ram, "duplicate-bytes") >> 10);
    monitor_printf(mon, "transferred ram-duplicate: %" G_GUINT64_FORMAT " pages\n",
                   member_int(ram, "duplicate"));
    monitor_printf(mon, "transferred ram-normal: %" G_GUINT64_FORMAT " kbytes\n",
                   member_int(ram, "normal-bytes") >> 10);
    monitor_printf(mon, "transferred ram-normal: %" G_GUINT64_FORMAT " pages\n",
                   member_int(ram, "normal"));
    print_xbzrle_lines(mon, xb);
    monitor_printf(mon, "cache size: %" G_GUINT64_FORMAT " bytes\n",
                   member_int(xb, "cache-size"));
    monitor_printf(mon, "xbzrle cache miss rate: %.2f\n", member_double(xb, "cache-miss-rate"));
    monitor_printf(mon, "xbzrle encoding rate: %.2f\n", member_double(xb, "encoding-rate"));
    monitor_printf(mon, "dirty pages rate: %" G_GUINT64_FORMAT " pages\n",
                   member_int(ram, "dirty-pages-rate"));
    monitor_printf(mon, "iterations: %" G_GUINT64_FORMAT "\n",
                   member_int(ram, "dirty-sync-count"));
    /* After the proposal's lines, QEMU's. */
    monitor_printf(mon, "setup: %" G_GUINT64_FORMAT " milliseconds\n",
                   member_int(o, "setup-time"));
    monitor_printf(mon, "throughput: %0.2f mbps\n", member_double(ram, "mbps"));
    if (json_object_has_member(o, "cpu-throttle-percentage")) {
        monitor_printf(mon, "cpu throttle percentage: %" G_GUINT64_FORMAT "\n",
                       member_int(o, "cpu-throttle-percentage"));
    }
}

/* Post-copy's figures, once it switched (or could). */
static void print_postcopy_lines(Monitor *mon, JsonObject *o, JsonObject *ram)
{
    if (member_int(ram, "postcopy-requests") || member_int(ram, "postcopy-bytes")) {
        monitor_printf(mon, "postcopy request count: %" G_GUINT64_FORMAT "\n",
                       member_int(ram, "postcopy-requests"));
        monitor_printf(mon, "postcopy ram: %" G_GUINT64_FORMAT " kbytes\n",
                       member_int(ram, "postcopy-bytes") >> 10);
    }
    if (json_object_has_member(o, "x-postcopy-auto-pass")) {
        monitor_printf(mon, "postcopy switch: by x-postcopy-auto after pass %"
                       G_GUINT64_FORMAT "\n", member_int(o, "x-postcopy-auto-pass"));
    }
}

static JsonObject *member_object(JsonObject *o, const char *name)
{
    return json_object_has_member(o, name) ? json_object_get_object_member(o, name)
                                           : NULL;
}

void hmp_info_migrate(Monitor *mon, JsonObject *args)
{
    JsonNode *info = hmp_call_qmp(mon, qmp_query_migrate, args);

    if (!info) {
        return;
    }
    JsonObject *o = json_node_get_object(info);
    if (!json_object_has_member(o, "status")) {
        json_node_unref(info);
        return;
    }
    JsonObject *ram = member_object(o, "ram");

    monitor_printf(mon, "Migration status: %s\n", json_object_get_string_member(o, "status"));
    if (json_object_has_member(o, "error-desc")) {
        monitor_printf(mon, "error: %s\n", json_object_get_string_member(o, "error-desc"));
    }
    if (ram) {
        print_transfer_lines(mon, o, ram, member_object(o, "xbzrle-cache"));
        print_postcopy_lines(mon, o, ram);
    } else if (json_object_has_member(o, "total-time")) {
        monitor_printf(mon, "total time: %" G_GUINT64_FORMAT " milliseconds\n",
                       member_int(o, "total-time"));
    }
    json_node_unref(info);
}

void hmp_info_migrate_capabilities(Monitor *mon, JsonObject *args)
{
    JsonNode *caps = hmp_call_qmp(mon, qmp_query_migrate_capabilities, args);

    if (!caps) {
        return;
    }
    JsonArray *a = json_node_get_array(caps);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        monitor_printf(mon, "%s: %s\n", json_object_get_string_member(c, "capability"),
                       json_object_get_boolean_member(c, "state") ? "on" : "off");
    }
    json_node_unref(caps);
}

void hmp_info_migrate_cache_size(Monitor *mon, JsonObject *args)
{
    JsonNode *size = hmp_call_qmp(mon, qmp_query_migrate_cache_size, args);

    if (size) {
        monitor_printf(mon, "xbzrle cache size: %" G_GINT64_FORMAT " kbytes\n",
                       json_node_get_int(size) >> 10);
        json_node_unref(size);
    }
}
