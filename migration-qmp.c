/*
 * The migration's QMP commands (migrate, migrate-incoming, migrate_cancel,
 * query-migrate) and events (MIGRATION, MIGRATION_PASS, sent while the
 * "events" capability is on): the JSON face of migration.c and
 * migration-incoming.c, shaped like QEMU's MigrationInfo
 * (qapi/migration.json), with the proposal's extra statistics as extra
 * members.
 */
#include <string.h>
#include <unistd.h>

#include "memory.h"
#include "migration.h"
#include "migration-params.h"
#include "migration-qmp.h"
#include "monitor.h"
#include "qemu-error.h"
#include "qmp-handlers.h"

/* --- events ------------------------------------------------------------------- */

static void emit_status_event(MigrationStatus status, bool incoming, void *opaque)
{
    if (!migrate_cap_enabled(MIGRATION_CAP_EVENTS)) {
        return;
    }
    JsonObject *data = json_object_new();
    json_object_set_string_member(data, "status", migration_status_name(status));
    monitor_protocol_event("MIGRATION", monitor_result_object(data));
}

static void emit_pass_event(uint64_t pass, void *opaque)
{
    if (!migrate_cap_enabled(MIGRATION_CAP_EVENTS)) {
        return;
    }
    JsonObject *data = json_object_new();
    json_object_set_int_member(data, "pass", (gint64)pass);
    monitor_protocol_event("MIGRATION_PASS", monitor_result_object(data));
}

void migration_qmp_init(void)
{
    static const MigrationListener events = {
        .status_changed = emit_status_event,
        .pass_done = emit_pass_event,
    };
    migration_set_listener(&events);
}

/* --- commands -------------------------------------------------------------------- */

static bool optional_bool(JsonObject *args, const char *name)
{
    return json_object_has_member(args, name) &&
           json_object_get_boolean_member(args, name);
}

/* "fd:NAME" names a descriptor this monitor received with getfd. */
static int passed_fd(const char *uri, Monitor *mon, GError **errp)
{
    if (!g_str_has_prefix(uri, "fd:")) {
        return -1;
    }
    if (!mon) {
        error_setg(errp, "fd: migration needs a monitor that received the descriptor");
        return -1;
    }
    return monitor_get_fd(mon, uri + 3, errp);
}

JsonNode *qmp_migrate(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *uri = json_object_get_string_member(args, "uri");
    GError *err = NULL;
    int fd = passed_fd(uri, mon, &err);

    if (err) {
        g_propagate_error(errp, err);
        return NULL;
    }
    if (optional_bool(args, "resume")) {
        if (fd >= 0) {
            close(fd);
        }
        return migrate_resume(uri, errp) < 0 ? NULL : monitor_result_empty();
    }
    if (migrate_start(uri, fd, optional_bool(args, "xbzrle"), errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

JsonNode *qmp_migrate_start_postcopy(JsonObject *args, Monitor *mon, GError **errp)
{
    return migrate_start_postcopy(errp) < 0 ? NULL : monitor_result_empty();
}

JsonNode *qmp_migrate_recover(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *uri = json_object_get_string_member(args, "uri");

    return migration_incoming_recover(uri, errp) < 0 ? NULL : monitor_result_empty();
}

JsonNode *qmp_migrate_incoming(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *uri = json_object_get_string_member(args, "uri");

    if (migration_incoming_start_deferred(uri, errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

JsonNode *qmp_migrate_cancel(JsonObject *args, Monitor *mon, GError **errp)
{
    return migrate_cancel(errp) < 0 ? NULL : monitor_result_empty();
}

/* --- query-migrate ------------------------------------------------------------------ */

static void add_int(JsonObject *o, const char *name, uint64_t value)
{
    json_object_set_int_member(o, name, (gint64)value);
}

static bool has_ended(const MigrationInfo *info)
{
    return info->status == MIG_STATE_COMPLETED;
}

/*
 * QEMU's MigrationStats, every member of it (a strict client wants them
 * all): remaining and dirty-pages-rate read 0 once completed, as in QEMU;
 * the multifd and zero-copy figures are 0 because this emulator has none
 * of these. Then the proposal's extra, duplicate-bytes.
 */
static JsonObject *ram_stats(const MigrationInfo *info)
{
    const RamStats *st = &info->ram;
    JsonObject *o = json_object_new();

    add_int(o, "transferred", st->transferred);
    add_int(o, "remaining", has_ended(info) ? 0 : st->remaining_pages * TARGET_PAGE_SIZE);
    add_int(o, "total", st->total_ram);
    add_int(o, "duplicate", st->dup_pages);
    add_int(o, "normal", st->normal_pages);
    add_int(o, "normal-bytes", st->normal_pages * TARGET_PAGE_SIZE);
    add_int(o, "dirty-pages-rate", has_ended(info) ? 0 : st->dirty_pages_rate);
    json_object_set_double_member(o, "mbps", info->mbps_x1000 / 1000.0);
    add_int(o, "dirty-sync-count", st->iterations);
    add_int(o, "postcopy-requests", st->postcopy_requests);
    add_int(o, "page-size", TARGET_PAGE_SIZE);
    add_int(o, "multifd-bytes", 0);
    add_int(o, "pages-per-second", info->pages_per_second);
    add_int(o, "precopy-bytes", st->precopy_bytes);
    add_int(o, "downtime-bytes", st->downtime_bytes);
    add_int(o, "postcopy-bytes", st->postcopy_bytes);
    add_int(o, "dirty-sync-missed-zero-copy", 0);
    add_int(o, "duplicate-bytes", st->dup_bytes);
    return o;
}

/* QEMU's XBZRLECacheStats (cache-size: the configured size, as QEMU's),
 * then the proposal's extras, cache-hit and cache-lookup. */
static JsonObject *xbzrle_stats(const MigrationInfo *info)
{
    const RamStats *st = &info->ram;
    JsonObject *o = json_object_new();
    MigrationParams p;

    migrate_params_get(&p);
    add_int(o, "cache-size", p.xbzrle_cache_size);
    add_int(o, "bytes", st->xbzrle_bytes);
    add_int(o, "pages", st->xbzrle_pages);
    add_int(o, "cache-miss", st->xbzrle_cache_lookups - st->xbzrle_cache_hits);
    json_object_set_double_member(o, "cache-miss-rate", st->xbzrle_miss_rate_x1e6 / 1e6);
    json_object_set_double_member(o, "encoding-rate",
                                  st->xbzrle_encoding_rate_x1e6 / 1e6);
    add_int(o, "overflow", st->xbzrle_overflows);
    add_int(o, "cache-hit", st->xbzrle_cache_hits);
    add_int(o, "cache-lookup", st->xbzrle_cache_lookups);
    return o;
}

/* What QEMU shows of an active or completed migration. */
static void add_source_progress(JsonObject *o, const MigrationInfo *info)
{
    add_int(o, "total-time", info->total_time_ms);
    add_int(o, "setup-time", info->setup_time_ms);
    if (has_ended(info)) {
        add_int(o, "downtime", info->downtime_ms);
    } else {
        add_int(o, "expected-downtime", info->expected_downtime_ms);
    }
    json_object_set_object_member(o, "ram", ram_stats(info));
    if (info->postcopy_auto_pass) {
        /* This project's extra: the auto policy made the switch. */
        add_int(o, "x-postcopy-auto-pass", info->postcopy_auto_pass);
    }
    if (info->use_xbzrle) {
        json_object_set_object_member(o, "xbzrle-cache", xbzrle_stats(info));
    }
    /* As QEMU: only while auto-converge throttles the guest (never once
     * completed: the throttle ends first). */
    if (info->cpu_throttle_percentage) {
        add_int(o, "cpu-throttle-percentage", (uint64_t)info->cpu_throttle_percentage);
    }
}

static void add_common(JsonObject *o, const MigrationInfo *info)
{
    json_object_set_string_member(o, "status", migration_status_name(info->status));
    if (info->status == MIG_STATE_FAILED && info->error_desc) {
        json_object_set_string_member(o, "error-desc", info->error_desc);
    }
}

/* QEMU's members per state: none nothing; setup, failed and cancelled the
 * status (and error-desc); active and completed the figures too. */
static JsonObject *source_info(const MigrationInfo *info)
{
    JsonObject *o = json_object_new();

    if (info->status == MIG_STATE_NONE) {
        return o;
    }
    add_common(o, info);
    if (info->status == MIG_STATE_ACTIVE || info->status == MIG_STATE_COMPLETED ||
        info->status == MIG_STATE_POSTCOPY_ACTIVE ||
        info->status == MIG_STATE_POSTCOPY_PAUSED ||
        info->status == MIG_STATE_POSTCOPY_RECOVER) {
        add_source_progress(o, info);
    }
    return o;
}

/*
 * The destination: its own status, as QEMU's (setup while it listens).
 * Beyond QEMU, which shows nothing else here: total-time, ms from the
 * start of the load to its end (or now), and error-desc when it failed.
 */
static JsonObject *destination_info(const MigrationInfo *info)
{
    JsonObject *o = json_object_new();

    if (info->status == MIG_STATE_NONE) {
        return o;
    }
    add_common(o, info);
    if (info->status != MIG_STATE_SETUP) {
        add_int(o, "total-time", info->total_time_ms);
    }
    return o;
}

JsonNode *qmp_query_migrate(JsonObject *args, Monitor *mon, GError **errp)
{
    MigrationInfo info;
    JsonObject *o;

    /* As QEMU: the incoming side's status until this machine migrates out. */
    migration_get_info(&info);
    if (info.status == MIG_STATE_NONE) {
        g_free(info.error_desc);
        migration_incoming_get_info(&info);
        o = destination_info(&info);
    } else {
        o = source_info(&info);
    }
    g_free(info.error_desc);
    return monitor_result_object(o);
}
