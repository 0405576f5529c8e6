/*
 * Outgoing migration: the parameters, the state machine (none, setup,
 * active, completed | failed | cancelled), the migration thread that sends
 * while the guest runs and decides when to stop it, and the QMP commands.
 * The incoming side is at the end.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch_init.h"
#include "main-loop.h"
#include "memory.h"
#include "migration.h"
#include "monitor.h"
#include "qmp-handlers.h"
#include "qemu-error.h"
#include "qemu-file.h"
#include "savevm.h"
#include "sysemu.h"

/*
 * The end of a migration over a socket, so that one guest never runs in
 * two places: the destination, having loaded everything, sends LOADED and
 * waits; the source, on LOADED, sends COMMIT and from then on never
 * resumes its guest; the destination runs the guest only on COMMIT. A
 * failure anywhere before leaves the source's guest the one that runs (or
 * none, if COMMIT is lost, which the operator can tell from both sides).
 * Over exec: and fd: pipes or files there is no reverse path.
 */
#define LOADED_TIMEOUT_MS 30000
#define MIGRATION_LOADED 0x01
#define MIGRATION_COMMIT 0x02

typedef struct MigrationState {
    GMutex lock;                /* parameters and the start/end of a migration */
    gint status;                /* MigrationStatus */
    /* parameters: speed, downtime and cache size also act on a running one */
    bool xbzrle_capability;
    uint64_t cache_size;
    uint64_t bandwidth_limit;   /* bytes per second; 0: none */
    double max_downtime;        /* seconds */
    /* the current (or last) migration */
    bool use_xbzrle;
    bool expect_ack;
    char *uri;
    QEMUFile *file;
    GThread *thread;
    gint cancel_requested;
    uint64_t start_ms;
    uint64_t end_ms;
    char *error_desc;
    MigrationStats stats;
} MigrationState;

static MigrationState current = {
    .status = MIG_STATE_NONE,
    .cache_size = MIGRATION_DEFAULT_CACHE_SIZE,
    .bandwidth_limit = MIGRATION_DEFAULT_BANDWIDTH,
    .max_downtime = MIGRATION_DEFAULT_DOWNTIME,
};

static const char *const status_names[] = {
    [MIG_STATE_NONE] = "none",
    [MIG_STATE_SETUP] = "setup",
    [MIG_STATE_ACTIVE] = "active",
    [MIG_STATE_COMPLETED] = "completed",
    [MIG_STATE_FAILED] = "failed",
    [MIG_STATE_CANCELLED] = "cancelled",
};

const char *migration_status_name(MigrationStatus status)
{
    return status_names[status];
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
    return now_ns() / 1000000;
}

MigrationStats *migrate_stats(void)
{
    return &current.stats;
}

bool migrate_use_xbzrle(void)
{
    return current.use_xbzrle;
}

uint64_t migrate_xbzrle_cache_size(void)
{
    return stat_get(&current.cache_size);
}

uint64_t migrate_bandwidth_limit(void)
{
    return stat_get(&current.bandwidth_limit);
}

static MigrationStatus migration_status(void)
{
    return (MigrationStatus)g_atomic_int_get(&current.status);
}

static void emit_migration_event(MigrationStatus status)
{
    JsonBuilder *b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, migration_status_name(status));
    json_builder_end_object(b);
    monitor_protocol_event("MIGRATION", json_builder_get_root(b));
    g_object_unref(b);
}

static void set_status(MigrationStatus status)
{
    g_atomic_int_set(&current.status, status);
    emit_migration_event(status);
}

static bool migration_is_active(void)
{
    MigrationStatus s = migration_status();
    return s == MIG_STATE_SETUP || s == MIG_STATE_ACTIVE;
}

/* --- the migration thread ------------------------------------------------------ */

/* Bytes per second the last pass achieved, never above the limit. */
static double pass_bandwidth(uint64_t bytes, uint64_t ns)
{
    uint64_t limit = stat_get(&current.bandwidth_limit);
    double bw = ns ? (double)bytes * 1e9 / (double)ns : 0;

    if (limit && (bw == 0 || bw > (double)limit)) {
        bw = (double)limit;
    }
    return bw;
}

/*
 * Called at the end of each pass: fetches the dirty log and decides whether
 * what is dirty can be sent within the maximum downtime, counting its cost
 * in bytes as it will go on the wire (see ram_save_expected_bytes).
 */
static bool pass_converged(uint64_t pass_bytes, uint64_t pass_ns)
{
    MigrationStats *st = &current.stats;

    ram_save_sync();
    uint64_t expected = ram_save_expected_bytes();
    double bw = pass_bandwidth(pass_bytes, pass_ns);
    double max_downtime;

    g_mutex_lock(&current.lock);
    max_downtime = current.max_downtime;
    g_mutex_unlock(&current.lock);

    stat_set(&st->mbps_x1000, (uint64_t)(bw * 8 / 1e6 * 1000));
    if (expected == 0) {
        stat_set(&st->expected_downtime_ms, 0);
        return true;
    }
    if (bw <= 0) {
        return false;
    }
    double seconds = (double)expected / bw;
    stat_set(&st->expected_downtime_ms, (uint64_t)(seconds * 1000));
    return seconds <= max_downtime;
}

static bool cancel_requested(void)
{
    return g_atomic_int_get(&current.cancel_requested);
}

/* Stage 2 until the dirty set is small enough; false on error or cancel. */
static bool migration_iterate(QEMUFile *f, GError **errp)
{
    uint64_t pass_start_ns = now_ns();
    uint64_t pass_start_bytes = qemu_file_total_bytes(f);

    while (!cancel_requested()) {
        qemu_file_set_rate_limit(f, migrate_bandwidth_limit());
        int r = qemu_savevm_state_iterate(f, errp);
        if (r < 0) {
            return false;
        }
        if (r == 1) {
            uint64_t now = now_ns();
            uint64_t bytes = qemu_file_total_bytes(f);
            if (pass_converged(bytes - pass_start_bytes, now - pass_start_ns)) {
                return true;
            }
            pass_start_ns = now;
            pass_start_bytes = bytes;
        }
        if (qemu_file_rate_limit(f) && !qemu_file_rate_limit_wait(f)) {
            break;
        }
    }
    qemu_file_get_error(f, errp);
    return false;
}

/* Stage 3 with the guest stopped; returns whether the guest was running. */
static bool migration_complete(QEMUFile *f, GError **errp)
{
    uint64_t stop_ns = now_ns();
    bool was_running = vm_stop(RUN_STATE_FINISH_MIGRATE);

    if (qemu_savevm_state_complete(f, errp) == 0 && current.expect_ack) {
        int reply = qemu_file_wait_ack(f, LOADED_TIMEOUT_MS, errp);
        if (reply == MIGRATION_LOADED) {
            qemu_put_byte(f, MIGRATION_COMMIT);
            qemu_fflush(f);
            qemu_file_get_error(f, errp);
        } else if (reply >= 0) {
            error_setg(errp, "the destination failed to load the migration stream");
        }
    }
    stat_set(&current.stats.downtime_ms, (now_ns() - stop_ns) / 1000000);
    return was_running;
}

static void migration_finish(MigrationStatus status, bool was_running,
                             GError *err)
{
    GError *close_err = NULL;

    g_mutex_lock(&current.lock);
    QEMUFile *f = current.file;
    current.file = NULL;     /* migrate_cancel must not touch it any more */
    g_mutex_unlock(&current.lock);
    if (f) {
        qemu_fclose(f, status == MIG_STATE_COMPLETED ? &close_err : NULL);
    }
    if (close_err && status == MIG_STATE_COMPLETED) {
        status = MIG_STATE_FAILED;
        err = close_err;
    }
    g_mutex_lock(&current.lock);
    current.end_ms = now_ms();
    if (err) {
        g_free(current.error_desc);
        current.error_desc = g_strdup(err->message);
    }
    g_mutex_unlock(&current.lock);

    if (runstate_get() == RUN_STATE_FINISH_MIGRATE) {
        if (status == MIG_STATE_COMPLETED) {
            runstate_set(RUN_STATE_POSTMIGRATE);
        } else {
            /* Nothing is lost: the source guest runs on as before. */
            runstate_set(RUN_STATE_PAUSED);
            if (was_running) {
                vm_start(NULL);
            }
        }
    }
    set_status(status);
    if (err) {
        g_error_free(err);
    }
}

/* The tcp: connection, made here rather than in the monitor. */
static QEMUFile *connect_outgoing(GError **errp)
{
    int fd = tcp_start_outgoing_migration(current.uri + strlen("tcp:"), errp);

    if (fd < 0) {
        return NULL;
    }
    g_mutex_lock(&current.lock);
    current.file = qemu_fopen_fd(fd, current.uri, true);
    current.expect_ack = true;
    g_mutex_unlock(&current.lock);
    if (cancel_requested()) {
        qemu_file_cancel(current.file);   /* migrate_cancel came meanwhile */
    }
    return current.file;
}

static gpointer migration_thread(gpointer opaque)
{
    GError *err = NULL;
    bool was_running = false;
    MigrationStatus result = MIG_STATE_FAILED;
    QEMUFile *f = current.file ? current.file : connect_outgoing(&err);

    if (!f && cancel_requested()) {
        g_clear_error(&err);
        migration_finish(MIG_STATE_CANCELLED, false, NULL);
        return NULL;
    }
    if (!f) {
        migration_finish(MIG_STATE_FAILED, false, err);
        return NULL;
    }
    set_status(MIG_STATE_ACTIVE);
    if (qemu_savevm_state_begin(f, &err) == 0 && migration_iterate(f, &err)) {
        was_running = migration_complete(f, &err);
        if (!err) {
            result = MIG_STATE_COMPLETED;
        }
    }
    qemu_savevm_state_cleanup(f);
    if (result != MIG_STATE_COMPLETED && cancel_requested()) {
        result = MIG_STATE_CANCELLED;
        g_clear_error(&err);
    }
    migration_finish(result, was_running, err);
    return NULL;
}

/* --- starting, cancelling ------------------------------------------------------------ */

/*
 * Opens the sending end, except for tcp: whose connection may take as long
 * as the network does: that one the migration thread makes (-1, no error).
 */
static int open_outgoing(const char *uri, GError **errp)
{
    const char *p;

    if (g_str_has_prefix(uri, "tcp:")) {
        return -1;
    }
    if ((p = g_str_has_prefix(uri, "unix:") ? uri + 5 : NULL)) {
        return unix_start_outgoing_migration(p, errp);
    }
    if ((p = g_str_has_prefix(uri, "exec:") ? uri + 5 : NULL)) {
        return exec_start_outgoing_migration(p, errp);
    }
    if ((p = g_str_has_prefix(uri, "fd:") ? uri + 3 : NULL)) {
        return fd_start_outgoing_migration(p, errp);
    }
    error_setg(errp, "unknown migration protocol: '%s' (tcp:, unix:, exec: or fd:)", uri);
    return -1;
}

static bool fd_is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void reset_stats(void)
{
    MigrationStats *st = &current.stats;

    memset(st, 0, sizeof(*st));
    stat_set(&st->total_ram, ram_total_size());
    stat_set(&st->remaining_pages, ram_total_size() / TARGET_PAGE_SIZE);
}

static int migrate_start(const char *uri, bool xbzrle, GError **errp)
{
    RunState rs = runstate_get();

    if (migration_is_active()) {
        error_setg(errp, "a migration is already in progress");
        return -1;
    }
    if (rs == RUN_STATE_INMIGRATE || rs == RUN_STATE_INTERNAL_ERROR ||
        rs == RUN_STATE_GUEST_PANICKED || rs == RUN_STATE_SHUTDOWN) {
        error_setg(errp, "cannot migrate a machine in state '%s'", runstate_name(rs));
        return -1;
    }
    GError *err = NULL;
    int fd = open_outgoing(uri, &err);
    if (err) {
        g_propagate_error(errp, err);
        return -1;
    }
    if (current.thread) {
        g_thread_join(current.thread);
        current.thread = NULL;
    }
    g_mutex_lock(&current.lock);
    reset_stats();
    g_clear_pointer(&current.error_desc, g_free);
    current.use_xbzrle = xbzrle || current.xbzrle_capability;
    current.start_ms = now_ms();
    current.end_ms = 0;
    g_atomic_int_set(&current.cancel_requested, 0);
    g_free(current.uri);
    current.uri = g_strdup(uri);
    current.file = fd >= 0 ? qemu_fopen_fd(fd, uri, true) : NULL;
    current.expect_ack = fd >= 0 && fd_is_socket(fd);
    g_mutex_unlock(&current.lock);

    set_status(MIG_STATE_SETUP);
    current.thread = g_thread_new("migration", migration_thread, NULL);
    return 0;
}

static void migrate_cancel(void)
{
    if (!migration_is_active()) {
        return;
    }
    g_atomic_int_set(&current.cancel_requested, 1);
    g_mutex_lock(&current.lock);
    if (current.file) {
        qemu_file_cancel(current.file);
    }
    g_mutex_unlock(&current.lock);
}

static void incoming_shutdown(void);

void migration_shutdown(void)
{
    migrate_cancel();
    if (current.thread) {
        g_thread_join(current.thread);
        current.thread = NULL;
    }
    incoming_shutdown();
}

/* --- QMP ---------------------------------------------------------------------------- */

static bool optional_bool(JsonObject *args, const char *name)
{
    return json_object_has_member(args, name) &&
           json_object_get_boolean_member(args, name);
}

JsonNode *qmp_migrate(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *uri = json_object_get_string_member(args, "uri");

    if (migrate_start(uri, optional_bool(args, "xbzrle"), errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

JsonNode *qmp_migrate_cancel(JsonObject *args, Monitor *mon, GError **errp)
{
    migrate_cancel();
    return monitor_result_empty();
}

JsonNode *qmp_migrate_set_speed(JsonObject *args, Monitor *mon, GError **errp)
{
    int64_t value = json_object_get_int_member(args, "value");

    if (value < 0) {
        error_setg(errp, "migration speed must not be negative");
        return NULL;
    }
    stat_set(&current.bandwidth_limit, (uint64_t)value);
    return monitor_result_empty();
}

JsonNode *qmp_migrate_set_downtime(JsonObject *args, Monitor *mon, GError **errp)
{
    double value = json_object_get_double_member(args, "value");

    if (!(value >= 0) || value > 2000) {
        error_setg(errp, "downtime must be between 0 and 2000 seconds");
        return NULL;
    }
    g_mutex_lock(&current.lock);
    current.max_downtime = value;
    g_mutex_unlock(&current.lock);
    return monitor_result_empty();
}

/* The cache size: at least a page, at most guest RAM; applied live. */
JsonNode *qmp_migrate_set_cachesize(JsonObject *args, Monitor *mon, GError **errp)
{
    int64_t value = json_object_get_int_member(args, "value");

    if (value < (int64_t)TARGET_PAGE_SIZE) {
        error_setg(errp, "cache size %" G_GINT64_FORMAT " is smaller than one page "
                   "(%u bytes)", value, TARGET_PAGE_SIZE);
        return NULL;
    }
    if ((uint64_t)value > ram_total_size()) {
        error_setg(errp, "cache size %" G_GINT64_FORMAT " exceeds guest RAM "
                   "(%" G_GUINT64_FORMAT " bytes)", value, ram_total_size());
        return NULL;
    }
    /* The cache holds whole pages: what it will hold is what it reports. */
    stat_set(&current.cache_size, (uint64_t)value & TARGET_PAGE_MASK);
    return monitor_result_empty();
}

JsonNode *qmp_query_migrate_cache_size(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonNode *node = json_node_new(JSON_NODE_VALUE);
    json_node_set_int(node, (gint64)stat_get(&current.cache_size));
    return node;
}

static JsonNode *capability_list(void)
{
    JsonBuilder *b = json_builder_new();

    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "capability");
    json_builder_add_string_value(b, "xbzrle");
    json_builder_set_member_name(b, "state");
    json_builder_add_boolean_value(b, current.xbzrle_capability);
    json_builder_end_object(b);
    json_builder_end_array(b);
    JsonNode *node = json_builder_get_root(b);
    g_object_unref(b);
    return node;
}

JsonNode *qmp_query_migrate_capabilities(JsonObject *args, Monitor *mon, GError **errp)
{
    return capability_list();
}

/* Checks one {"capability": NAME, "state": BOOL} entry. */
static bool parse_capability(JsonNode *item, bool *state, GError **errp)
{
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(item) ? json_node_get_object(item) : NULL;
    JsonNode *name = o ? json_object_get_member(o, "capability") : NULL;
    JsonNode *value = o ? json_object_get_member(o, "state") : NULL;

    if (!name || !value || json_node_get_value_type(name) != G_TYPE_STRING ||
        json_node_get_value_type(value) != G_TYPE_BOOLEAN) {
        error_setg(errp, "Invalid parameter type for 'capabilities', expected: "
                   "a list of {\"capability\": string, \"state\": bool}");
        return false;
    }
    if (strcmp(json_node_get_string(name), "xbzrle") != 0) {
        error_setg(errp, "Invalid parameter 'capability': unknown capability '%s'",
                   json_node_get_string(name));
        return false;
    }
    *state = json_node_get_boolean(value);
    return true;
}

JsonNode *qmp_migrate_set_capabilities(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonNode *list = json_object_get_member(args, "capabilities");
    bool xbzrle = current.xbzrle_capability;

    if (!JSON_NODE_HOLDS_ARRAY(list)) {
        error_setg(errp, "Invalid parameter type for 'capabilities', expected: array");
        return NULL;
    }
    if (migration_is_active()) {
        error_setg(errp, "there's a migration process in progress");
        return NULL;
    }
    JsonArray *a = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        if (!parse_capability(json_array_get_element(a, i), &xbzrle, errp)) {
            return NULL;
        }
    }
    current.xbzrle_capability = xbzrle;
    return monitor_result_empty();
}

static void add_int(JsonBuilder *b, const char *name, uint64_t value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)value);
}

static void add_double(JsonBuilder *b, const char *name, double value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, value);
}

static void build_ram_stats(JsonBuilder *b, const MigrationStats *st)
{
    json_builder_set_member_name(b, "ram");
    json_builder_begin_object(b);
    add_int(b, "transferred", stat_get(&st->transferred));
    add_int(b, "remaining", stat_get(&st->remaining_pages) * TARGET_PAGE_SIZE);
    add_int(b, "total", stat_get(&st->total_ram));
    add_int(b, "duplicate", stat_get(&st->dup_pages));
    add_int(b, "duplicate-bytes", stat_get(&st->dup_bytes));
    add_int(b, "normal", stat_get(&st->normal_pages));
    add_int(b, "normal-bytes", stat_get(&st->normal_bytes));
    add_int(b, "dirty-pages-rate", stat_get(&st->dirty_pages_rate));
    add_double(b, "mbps", stat_get(&st->mbps_x1000) / 1000.0);
    add_int(b, "dirty-sync-count", stat_get(&st->iterations));
    json_builder_end_object(b);
}

static void build_xbzrle_stats(JsonBuilder *b, const MigrationStats *st)
{
    uint64_t lookups = stat_get(&st->xbzrle_cache_lookups);
    uint64_t hits = stat_get(&st->xbzrle_cache_hits);

    json_builder_set_member_name(b, "xbzrle-cache");
    json_builder_begin_object(b);
    add_int(b, "cache-size", stat_get(&st->cache_size));
    add_int(b, "bytes", stat_get(&st->xbzrle_bytes));
    add_int(b, "pages", stat_get(&st->xbzrle_pages));
    add_int(b, "cache-hit", hits);
    add_int(b, "cache-lookup", lookups);
    add_int(b, "cache-miss", lookups - hits);
    add_double(b, "cache-miss-rate", stat_get(&st->xbzrle_miss_rate_x1e6) / 1e6);
    add_double(b, "encoding-rate", stat_get(&st->xbzrle_encoding_rate_x1e6) / 1e6);
    add_int(b, "overflow", stat_get(&st->xbzrle_overflows));
    json_builder_end_object(b);
}

JsonNode *qmp_query_migrate(JsonObject *args, Monitor *mon, GError **errp)
{
    MigrationStatus status = migration_status();
    const MigrationStats *st = &current.stats;
    JsonBuilder *b = json_builder_new();

    json_builder_begin_object(b);
    if (status != MIG_STATE_NONE) {
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, migration_status_name(status));
        g_mutex_lock(&current.lock);
        uint64_t end = current.end_ms ? current.end_ms : now_ms();
        add_int(b, "total-time", end - current.start_ms);
        if (current.error_desc && status == MIG_STATE_FAILED) {
            json_builder_set_member_name(b, "error-desc");
            json_builder_add_string_value(b, current.error_desc);
        }
        g_mutex_unlock(&current.lock);
        if (status == MIG_STATE_COMPLETED) {
            add_int(b, "downtime", stat_get(&st->downtime_ms));
        } else {
            add_int(b, "expected-downtime", stat_get(&st->expected_downtime_ms));
        }
        build_ram_stats(b, st);
        if (current.use_xbzrle) {
            build_xbzrle_stats(b, st);
        }
    }
    json_builder_end_object(b);
    JsonNode *node = json_builder_get_root(b);
    g_object_unref(b);
    return node;
}

/* --- the incoming side ------------------------------------------------------------- */

static struct {
    bool start_stopped;
    char *uri;
    QEMUFile *file;
    GThread *thread;
    GError *error;
} incoming;

static bool send_loaded(int fd)
{
    uint8_t loaded = MIGRATION_LOADED;
    ssize_t n;

    do {
        n = send(fd, &loaded, 1, MSG_NOSIGNAL);
    } while (n < 0 && (errno == EINTR || errno == EAGAIN));
    return n == 1;
}

/* The destination's half of the handshake above (socket transports). */
static int incoming_handshake(QEMUFile *f, GError **errp)
{
    if (!send_loaded(qemu_file_fd(f))) {
        error_setg_errno(errp, errno, "cannot tell the source the stream is loaded");
        return -1;
    }
    uint8_t reply = qemu_get_byte(f);
    if (qemu_file_get_error(f, errp) < 0) {
        error_prepend(errp, "the source did not commit the migration");
        return -1;
    }
    if (reply != MIGRATION_COMMIT) {
        error_setg(errp, "the source sent 0x%02x instead of committing the migration",
                   reply);
        return -1;
    }
    return 0;
}

static gboolean incoming_finished(gpointer opaque)
{
    g_thread_join(incoming.thread);
    incoming.thread = NULL;
    qemu_fclose(incoming.file, NULL);
    if (incoming.error) {
        error_report("load of migration failed: %s; not starting the guest",
                     incoming.error->message);
        set_status(MIG_STATE_FAILED);
        main_loop_quit(1);
        return G_SOURCE_REMOVE;
    }
    set_status(MIG_STATE_COMPLETED);
    runstate_set(RUN_STATE_PAUSED);
    if (!incoming.start_stopped) {
        GError *err = NULL;
        if (vm_start(&err) < 0) {
            error_report_err(err);
        }
    }
    return G_SOURCE_REMOVE;
}

static gpointer incoming_thread(gpointer opaque)
{
    if (qemu_loadvm_state(incoming.file, &incoming.error) == 0 &&
        fd_is_socket(qemu_file_fd(incoming.file))) {
        incoming_handshake(incoming.file, &incoming.error);
    }
    main_loop_invoke(incoming_finished, NULL);
    return NULL;
}

/* Program exit during an incoming migration: stop loading, and wait for
 * the thread (its completion, queued for the main loop, never runs). */
static void incoming_shutdown(void)
{
    if (!incoming.thread) {
        return;
    }
    qemu_file_cancel(incoming.file);
    g_thread_join(incoming.thread);
    incoming.thread = NULL;
}

static void incoming_ready(int fd, void *opaque)
{
    incoming.file = qemu_fopen_fd(fd, "the incoming migration", false);
    set_status(MIG_STATE_ACTIVE);
    incoming.thread = g_thread_new("migration-incoming", incoming_thread, NULL);
}

int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp)
{
    const char *p;

    incoming.start_stopped = start_stopped;
    if ((p = g_str_has_prefix(uri, "tcp:") ? uri + 4 : NULL)) {
        return tcp_start_incoming_migration(p, incoming_ready, NULL, errp);
    }
    if ((p = g_str_has_prefix(uri, "unix:") ? uri + 5 : NULL)) {
        return unix_start_incoming_migration(p, incoming_ready, NULL, errp);
    }
    if ((p = g_str_has_prefix(uri, "exec:") ? uri + 5 : NULL)) {
        return exec_start_incoming_migration(p, incoming_ready, NULL, errp);
    }
    if ((p = g_str_has_prefix(uri, "fd:") ? uri + 3 : NULL)) {
        return fd_start_incoming_migration(p, incoming_ready, NULL, errp);
    }
    error_setg(errp, "unknown migration protocol: '%s' (tcp:, unix:, exec: or fd:)", uri);
    return -1;
}
