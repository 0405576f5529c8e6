/*
 * The migration's monitor commands as tools written against QEMU see them
 * (libvirt, qemu.qmp, scripts): every reply compared member by member with
 * QEMU's documentation (qapi/migration.json: MigrationInfo, MigrationStats,
 * XBZRLECacheStats, MigrationParameters, MigrationCapabilityStatus, the
 * MIGRATION and MIGRATION_PASS events, migrate-incoming): names, JSON types,
 * units, presence per state; every error message word for word. Members
 * beyond QEMU's are the extras docs/qmp.md documents, and nothing else.
 * Where libqmp would hide something (events of different names in their
 * order, bytes that must not be sent at all), a raw QMP socket reads what
 * the server sent.
 *
 * The a-b guest (tests/migration-helpers.h) has written every page it owns,
 * so none is a duplicate: at 4 MiB/s its first pass takes about 15 s, long
 * enough to look at an active migration, which the test then cancels.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "libqmp.h"
#include "migration-helpers.h"

#define SLOW_BANDWIDTH (4u << 20)

/* ---------------------------------------------------------------------- */
/* The schema: members, their JSON types, presence */

typedef enum JsonKind { J_INT, J_NUMBER, J_STRING, J_BOOL, J_OBJECT } JsonKind;

typedef struct Member {
    const char *name;
    JsonKind kind;
} Member;

typedef struct Members {
    Member m[32];
    size_t n;
} Members;

static void add(Members *s, const char *name, JsonKind kind)
{
    ck_assert_uint_lt(s->n, G_N_ELEMENTS(s->m));
    s->m[s->n++] = (Member){ name, kind };
}

static void add_all(Members *s, const Member *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        add(s, list[i].name, list[i].kind);
    }
}

/* QEMU's 'int', 'size' and 'uint64' are JSON integers (none is negative
 * here); 'number' is any JSON number. */
static bool kind_matches(JsonNode *n, JsonKind kind)
{
    if (kind == J_OBJECT) {
        return JSON_NODE_HOLDS_OBJECT(n);
    }
    if (!JSON_NODE_HOLDS_VALUE(n)) {
        return false;
    }
    GType t = json_node_get_value_type(n);
    switch (kind) {
    case J_INT:
        return t == G_TYPE_INT64 && json_node_get_int(n) >= 0;
    case J_NUMBER:
        return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
    case J_STRING:
        return t == G_TYPE_STRING;
    case J_BOOL:
        return t == G_TYPE_BOOLEAN;
    default:
        return false;
    }
}

static const char *const kind_names[] = {
    [J_INT] = "integer", [J_NUMBER] = "number", [J_STRING] = "string",
    [J_BOOL] = "boolean", [J_OBJECT] = "object",
};

/* `o` has exactly the members of `expected`, each of its JSON type. */
static void assert_members(JsonObject *o, const char *what, const Members *expected)
{
    g_autofree char *text = qtest_json_object_text(o);

    for (size_t i = 0; i < expected->n; i++) {
        const Member *m = &expected->m[i];
        JsonNode *n = json_object_get_member(o, m->name);
        ck_assert_msg(n, "%s lacks '%s': %s", what, m->name, text);
        ck_assert_msg(kind_matches(n, m->kind), "%s: '%s' is not a %s: %s", what,
                      m->name, kind_names[m->kind], text);
    }
    ck_assert_msg(json_object_get_size(o) == expected->n,
                  "%s has %u members, expected %zu: %s", what, json_object_get_size(o),
                  expected->n, text);
}

/* MigrationStats, then the documented extra. */
static const Member qemu_ram_members[] = {
    { "transferred", J_INT }, { "remaining", J_INT }, { "total", J_INT },
    { "duplicate", J_INT }, { "normal", J_INT }, { "normal-bytes", J_INT },
    { "dirty-pages-rate", J_INT }, { "mbps", J_NUMBER },
    { "dirty-sync-count", J_INT }, { "postcopy-requests", J_INT },
    { "page-size", J_INT }, { "multifd-bytes", J_INT },
    { "pages-per-second", J_INT }, { "precopy-bytes", J_INT },
    { "downtime-bytes", J_INT }, { "postcopy-bytes", J_INT },
    { "dirty-sync-missed-zero-copy", J_INT },
};
static const Member extra_ram_members[] = { { "duplicate-bytes", J_INT } };

/* XBZRLECacheStats, then the documented extras. */
static const Member qemu_xbzrle_members[] = {
    { "cache-size", J_INT }, { "bytes", J_INT }, { "pages", J_INT },
    { "cache-miss", J_INT }, { "cache-miss-rate", J_NUMBER },
    { "encoding-rate", J_NUMBER }, { "overflow", J_INT },
};
static const Member extra_xbzrle_members[] = {
    { "cache-hit", J_INT }, { "cache-lookup", J_INT },
};

static int64_t member(JsonObject *o, const char *group, const char *name)
{
    return migtest_member(o, group, name);
}

static double mbps(JsonObject *info)
{
    return json_object_get_double_member(json_object_get_object_member(info, "ram"),
                                         "mbps");
}

static const char *status_of(JsonObject *info)
{
    return json_object_has_member(info, "status") ?
           json_object_get_string_member(info, "status") : "none";
}

/* The members QEMU shows of an outgoing migration in each state. */
static Members source_members(const char *status, bool xbzrle)
{
    Members s = { .n = 0 };
    bool progress = !strcmp(status, "active") || !strcmp(status, "completed");

    add(&s, "status", J_STRING);
    if (!strcmp(status, "failed")) {
        add(&s, "error-desc", J_STRING);
    }
    if (!progress) {
        return s;
    }
    add(&s, "total-time", J_INT);
    add(&s, "setup-time", J_INT);
    add(&s, !strcmp(status, "active") ? "expected-downtime" : "downtime", J_INT);
    add(&s, "ram", J_OBJECT);
    if (xbzrle) {
        add(&s, "xbzrle-cache", J_OBJECT);
    }
    return s;
}

/* The whole reply of a source: its members, and those of its blocks. */
static void assert_source_reply(JsonObject *info, const char *status, bool xbzrle)
{
    Members top = source_members(status, xbzrle);

    ck_assert_str_eq(status_of(info), status);
    assert_members(info, "query-migrate", &top);
    if (json_object_has_member(info, "ram")) {
        Members ram = { .n = 0 };
        add_all(&ram, qemu_ram_members, G_N_ELEMENTS(qemu_ram_members));
        add_all(&ram, extra_ram_members, G_N_ELEMENTS(extra_ram_members));
        assert_members(json_object_get_object_member(info, "ram"), "ram", &ram);
    }
    if (json_object_has_member(info, "xbzrle-cache")) {
        Members xb = { .n = 0 };
        add_all(&xb, qemu_xbzrle_members, G_N_ELEMENTS(qemu_xbzrle_members));
        add_all(&xb, extra_xbzrle_members, G_N_ELEMENTS(extra_xbzrle_members));
        assert_members(json_object_get_object_member(info, "xbzrle-cache"),
                       "xbzrle-cache", &xb);
    }
}

/* The units and relations QEMU documents for the ram block. */
static void assert_ram_units(JsonObject *info)
{
    ck_assert_int_eq(member(info, "ram", "page-size"), MIGTEST_PAGE);
    ck_assert_int_eq(member(info, "ram", "total"), MIGTEST_RAM);
    ck_assert_int_eq(member(info, "ram", "normal-bytes"),
                     member(info, "ram", "normal") * MIGTEST_PAGE);
    ck_assert_int_eq(member(info, "ram", "remaining") % MIGTEST_PAGE, 0);
    ck_assert_int_eq(member(info, "ram", "precopy-bytes") +
                     member(info, "ram", "downtime-bytes"),
                     member(info, "ram", "transferred"));
    /* No postcopy, multifd or zero-copy here. */
    ck_assert_int_eq(member(info, "ram", "postcopy-requests"), 0);
    ck_assert_int_eq(member(info, "ram", "multifd-bytes"), 0);
    ck_assert_int_eq(member(info, "ram", "postcopy-bytes"), 0);
    ck_assert_int_eq(member(info, "ram", "dirty-sync-missed-zero-copy"), 0);
    ck_assert_int_le(member(info, NULL, "setup-time"), member(info, NULL, "total-time"));
}

/* ---------------------------------------------------------------------- */
/* Driving migrations */

static void set_parameter(QTestState *s, const char *name, int64_t value)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'%s': %" G_GINT64_FORMAT "}}", name, value);
}

static void migrate(QTestState *src, const char *uri, bool xbzrle)
{
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': '%s', 'xbzrle': %s}}", uri, xbzrle ? "true" : "false");
}

/* Polls query-migrate until `status` (the reply), failing on another end. */
static JsonObject *wait_for_status(QTestState *s, const char *status)
{
    for (int waited = 0; waited < qtest_timeout_ms(); waited += 20) {
        JsonObject *info = qtest_query_migrate(s);
        const char *now = status_of(info);
        if (!strcmp(now, status)) {
            return info;
        }
        bool ended = !strcmp(now, "completed") || !strcmp(now, "failed") ||
                     !strcmp(now, "cancelled");
        ck_assert_msg(!ended, "migration %s, expected %s; stderr: %s", now, status,
                      qtest_stderr(s));
        json_object_unref(info);
        usleep(20000);
    }
    ck_abort_msg("migration not %s within the timeout", status);
    return NULL;
}

static char *mig_uri(QTestState *src)
{
    g_autofree char *path = qtest_path(src, "mig.sock");
    return g_strdup_printf("unix:%s", path);
}

/* A migration of the a-b guest in its first pass, at SLOW_BANDWIDTH. */
static QTestState *start_slow_migration(QTestState **dst, bool xbzrle)
{
    QTestState *src = migtest_start_source("a-b", NULL);
    g_autofree char *uri = mig_uri(src);

    *dst = migtest_start_destination("a-b", uri);
    qtest_expect_stdout(src, "B", 0);
    set_parameter(src, "max-bandwidth", SLOW_BANDWIDTH);
    migrate(src, uri, xbzrle);
    json_object_unref(wait_for_status(src, "active"));
    return src;
}

static void cancel_and_quit(QTestState *src, QTestState *dst)
{
    qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
    migtest_assert_ends(src, "cancelled");
    qtest_quit(src);
    qtest_quit(dst);
}

/* The idle guest migrated to completion over a Unix socket. */
static QTestState *complete_idle_migration(QTestState **dst, bool xbzrle)
{
    QTestState *src = migtest_start_source("idle", NULL);
    g_autofree char *uri = mig_uri(src);

    *dst = migtest_start_destination("idle", uri);
    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, xbzrle);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(*dst, "completed");
    return src;
}

/*
 * A TCP port that takes no connection: its accept queue (a backlog of 1
 * holds 2) is full of connections nobody accepts, so the kernel drops a
 * new SYN and connect() waits, retrying, until the listener closes and
 * refuses it.
 */
typedef struct StuckPort {
    int listener;
    int fillers[2];
    int port;
} StuckPort;

static void stuck_port_open(StuckPort *p)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    p->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(p->listener, 0);
    ck_assert_int_eq(bind(p->listener, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(p->listener, 1), 0);
    ck_assert_int_eq(getsockname(p->listener, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
    for (size_t i = 0; i < G_N_ELEMENTS(p->fillers); i++) {
        p->fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(p->fillers[i], (struct sockaddr *)&a, sizeof(a)), 0);
    }
}

static void stuck_port_close(StuckPort *p)
{
    for (size_t i = 0; i < G_N_ELEMENTS(p->fillers); i++) {
        close(p->fillers[i]);
    }
    close(p->listener);
}

/* ---------------------------------------------------------------------- */
/* A raw QMP connection: every byte the server sends */

typedef struct RawQmp {
    int fd;
    GString *got;
} RawQmp;

/* Reads until `needle` shows up after `from`; fails on timeout or EOF. */
static void raw_read_until(RawQmp *r, size_t from, const char *needle)
{
    for (int waited = 0; !strstr(r->got->str + from, needle);) {
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        ck_assert_msg(waited < qtest_timeout_ms(), "no '%s' from the server: %s",
                      needle, r->got->str + from);
        if (poll(&pfd, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        char buf[4096];
        ssize_t n = read(r->fd, buf, sizeof(buf));
        ck_assert_msg(n > 0, "the server closed the connection");
        g_string_append_len(r->got, buf, n);
    }
}

static void raw_send(RawQmp *r, const char *text)
{
    ck_assert_int_eq(write(r->fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void raw_connect(RawQmp *r, QTestState *s, const char *name)
{
    g_autofree char *path = qtest_path(s, name);
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    r->got = g_string_new("");
    raw_read_until(r, 0, "\r\n");
    size_t from = r->got->len;
    raw_send(r, "{\"execute\": \"qmp_capabilities\"}\n");
    raw_read_until(r, from, "\"return\"");
}

static void raw_close(RawQmp *r)
{
    close(r->fd);
    g_string_free(r->got, TRUE);
}

/* ---------------------------------------------------------------------- */
/* query-migrate on the source, per state */

START_TEST(test_query_migrate_before_any_migration_is_empty)
{
    QTestState *s = migtest_start_source("idle", NULL);
    g_autoptr(JsonObject) info = qtest_query_migrate(s);

    ck_assert_uint_eq(json_object_get_size(info), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_migrate_in_setup_shows_only_the_status)
{
    StuckPort port;
    QTestState *src = migtest_start_source("idle", NULL);

    stuck_port_open(&port);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': 'tcp:127.0.0.1:%d'}}", port.port);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    assert_source_reply(info, "setup", false);
    /* A refused connection ends it. */
    stuck_port_close(&port);
    migtest_assert_ends(src, "failed");
    qtest_quit(src);
}
END_TEST

START_TEST(test_query_migrate_while_active_shows_times_and_ram)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);

    assert_source_reply(info, "active", false);
    assert_ram_units(info);
    ck_assert_int_le(member(info, "ram", "remaining"), MIGTEST_RAM);
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_query_migrate_while_active_with_xbzrle_adds_the_cache_block)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, true);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);

    assert_source_reply(info, "active", true);
    ck_assert_int_eq(member(info, "xbzrle-cache", "cache-size"),
                     64 << 20);
    cancel_and_quit(src, dst);
}
END_TEST

/* mbps and pages-per-second are measured over short windows: they are
 * there long before the first pass over RAM ends. */
START_TEST(test_mbps_is_measured_from_the_start_of_the_first_pass)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);

    for (;;) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        ck_assert_str_eq(status_of(info), "active");
        ck_assert_msg(member(info, "ram", "dirty-sync-count") == 1,
                      "the first pass ended before mbps said anything");
        if (mbps(info) > 0 && member(info, "ram", "pages-per-second") > 0) {
            break;
        }
        usleep(20000);
    }
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_query_migrate_after_completion_shows_downtime_and_final_ram)
{
    QTestState *dst;
    QTestState *src = complete_idle_migration(&dst, false);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);

    assert_source_reply(info, "completed", false);
    assert_ram_units(info);
    ck_assert_int_eq(member(info, "ram", "remaining"), 0);
    ck_assert_int_eq(member(info, "ram", "dirty-pages-rate"), 0);
    ck_assert(mbps(info) > 0);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* cache-size is the configured size, as in QEMU. */
START_TEST(test_query_migrate_after_completion_with_xbzrle_shows_the_configured_cache_size)
{
    QTestState *dst;
    QTestState *src = migtest_start_source("idle", NULL);
    g_autofree char *uri = mig_uri(src);

    dst = migtest_start_destination("idle", uri);
    set_parameter(src, "xbzrle-cache-size", 16 << 20);
    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, true);
    migtest_assert_ends(src, "completed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    assert_source_reply(info, "completed", true);
    ck_assert_int_eq(member(info, "xbzrle-cache", "cache-size"), 16 << 20);
    ck_assert_int_eq(member(info, "xbzrle-cache", "cache-lookup"),
                     member(info, "xbzrle-cache", "cache-hit") +
                     member(info, "xbzrle-cache", "cache-miss"));
    migtest_assert_ends(dst, "completed");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_query_migrate_after_cancel_shows_only_the_status)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, true);

    qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
    migtest_assert_ends(src, "cancelled");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    assert_source_reply(info, "cancelled", false);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_query_migrate_after_failure_shows_the_status_and_why)
{
    QTestState *src = migtest_start_source("idle", NULL);

    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': "
                         "{'uri': 'tcp:127.0.0.1:%d'}}", qtest_free_tcp_port());
    migtest_assert_ends(src, "failed");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    assert_source_reply(info, "failed", false);
    ck_assert_ptr_nonnull(strstr(json_object_get_string_member(info, "error-desc"),
                                 "refused"));
    qtest_quit(src);
}
END_TEST

START_TEST(test_migrate_during_a_migration_is_refused_with_qemus_message)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);
    g_autofree char *uri = mig_uri(src);
    g_autoptr(JsonObject) err = qtest_qmp_error(src, "{'execute': 'migrate', "
                                                "'arguments': {'uri': '%s'}}", uri);

    ck_assert_str_eq(qtest_error_desc(err), "There's a migration process in progress");
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_str_eq(status_of(info), "active");
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_migrate_from_a_waiting_destination_is_refused_with_qemus_message)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming defer");
    g_autoptr(JsonObject) err = qtest_qmp_error(dst, "{'execute': 'migrate', "
                                                "'arguments': {'uri': 'unix:%s/x.sock'}}",
                                                qtest_dir(dst));

    ck_assert_str_eq(qtest_error_desc(err), "Guest is waiting for an incoming migration");
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* query-migrate on the destination */

/* Its status as QEMU's, plus (documented) total-time from the start of
 * the load, and error-desc when it failed. */
static void assert_destination_reply(JsonObject *info, const char *status)
{
    Members expected = { .n = 0 };

    add(&expected, "status", J_STRING);
    if (strcmp(status, "setup")) {
        add(&expected, "total-time", J_INT);
    }
    if (!strcmp(status, "failed")) {
        add(&expected, "error-desc", J_STRING);
    }
    ck_assert_str_eq(status_of(info), status);
    assert_members(info, "query-migrate (destination)", &expected);
}

START_TEST(test_destination_waiting_for_the_source_is_in_setup)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming unix:{tmp}/mig.sock");
    g_autoptr(JsonObject) info = qtest_query_migrate(dst);

    assert_destination_reply(info, "setup");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_destination_loading_is_active_and_times_its_own_load)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);
    g_autoptr(JsonObject) in = wait_for_status(dst, "active");
    g_autoptr(JsonObject) out = qtest_query_migrate(src);

    assert_destination_reply(in, "active");
    /* The load started after the source did, and was asked about first. */
    ck_assert_int_le(member(in, NULL, "total-time"), member(out, NULL, "total-time"));
    cancel_and_quit(src, dst);
}
END_TEST

START_TEST(test_destination_after_completion_times_its_load)
{
    QTestState *dst;
    QTestState *src = complete_idle_migration(&dst, false);
    g_autoptr(JsonObject) in = qtest_query_migrate(dst);
    g_autoptr(JsonObject) out = qtest_query_migrate(src);

    assert_destination_reply(in, "completed");
    ck_assert_int_le(member(in, NULL, "total-time"), member(out, NULL, "total-time"));
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

START_TEST(test_destination_after_a_failed_load_says_why)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);

    qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
    migtest_assert_ends(src, "cancelled");
    qtest_quit(src);
    g_autoptr(JsonObject) info = wait_for_status(dst, "failed");
    assert_destination_reply(info, "failed");
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Parameters */

static JsonObject *parameters(QTestState *s)
{
    g_autoptr(JsonNode) p = qtest_qmp_ok(s, "{'execute': 'query-migrate-parameters'}");
    return json_object_ref(json_node_get_object(p));
}

START_TEST(test_query_migrate_parameters_reports_each_parameter_with_its_type)
{
    QTestState *s = migtest_start_source("idle", NULL);
    g_autoptr(JsonObject) p = parameters(s);
    Members expected = { .n = 0 };

    add(&expected, "cpu-throttle-initial", J_INT);
    add(&expected, "cpu-throttle-increment", J_INT);
    add(&expected, "max-bandwidth", J_INT);
    add(&expected, "downtime-limit", J_INT);
    add(&expected, "xbzrle-cache-size", J_INT);
    add(&expected, "max-cpu-throttle", J_INT);
    add(&expected, "x-stall-timeout", J_INT);
    add(&expected, "x-commit-timeout", J_INT);
    /* QEMU's TLS parameters: strings, empty when unset. */
    add(&expected, "tls-creds", J_STRING);
    add(&expected, "tls-hostname", J_STRING);
    add(&expected, "tls-authz", J_STRING);
    add(&expected, "x-postcopy-auto", J_BOOL);
    assert_members(p, "query-migrate-parameters", &expected);
    ck_assert_str_eq(json_object_get_string_member(p, "tls-creds"), "");
    ck_assert_int_eq(member(p, NULL, "cpu-throttle-initial"), 20);
    ck_assert_int_eq(member(p, NULL, "cpu-throttle-increment"), 10);
    ck_assert_int_eq(member(p, NULL, "max-bandwidth"), 32 << 20);
    ck_assert_int_eq(member(p, NULL, "downtime-limit"), 30);
    ck_assert_int_eq(member(p, NULL, "xbzrle-cache-size"), 64 << 20);
    ck_assert_int_eq(member(p, NULL, "max-cpu-throttle"), 99);
    ck_assert_int_eq(member(p, NULL, "x-stall-timeout"), 30000);
    ck_assert_int_eq(member(p, NULL, "x-commit-timeout"), 2000);
    qtest_quit(s);
}
END_TEST

START_TEST(test_set_parameters_changes_only_the_members_given)
{
    QTestState *s = migtest_start_source("idle", NULL);

    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'max-bandwidth': 1073741824, 'downtime-limit': 250}}");
    g_autoptr(JsonObject) p = parameters(s);
    ck_assert_int_eq(member(p, NULL, "max-bandwidth"), 1073741824);
    ck_assert_int_eq(member(p, NULL, "downtime-limit"), 250);
    ck_assert_int_eq(member(p, NULL, "xbzrle-cache-size"), 64 << 20);
    ck_assert_int_eq(member(p, NULL, "x-stall-timeout"), 30000);
    /* The derived final-stage bound follows the downtime limit. */
    ck_assert_int_eq(member(p, NULL, "x-commit-timeout"), 5000);
    qtest_quit(s);
}
END_TEST

/* The request fails with exactly `message`, and no parameter changed. */
static void assert_refused(QTestState *s, const char *request, const char *message)
{
    g_autoptr(JsonObject) before = parameters(s);
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "%s", request);
    g_autoptr(JsonObject) after = parameters(s);
    g_autofree char *was = qtest_json_object_text(before);
    g_autofree char *is = qtest_json_object_text(after);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_str_eq(qtest_error_desc(err), message);
    ck_assert_str_eq(is, was);
}

static void assert_parameter_refused(const char *name, int64_t value, const char *message)
{
    QTestState *s = migtest_start_source("idle", NULL);
    g_autofree char *request = g_strdup_printf(
        "{'execute': 'migrate-set-parameters', 'arguments': {'%s': %" G_GINT64_FORMAT "}}",
        name, value);

    assert_refused(s, request, message);
    qtest_quit(s);
}

START_TEST(test_negative_max_bandwidth_is_refused_with_qemus_message)
{
    assert_parameter_refused("max-bandwidth", -1, "Parameter 'max_bandwidth' expects an "
                             "integer in the range of 0 to 9223372036854775807 bytes/second");
}
END_TEST

START_TEST(test_downtime_limit_above_2000_s_is_refused_with_qemus_message)
{
    assert_parameter_refused("downtime-limit", 2000001, "Parameter 'downtime_limit' "
                             "expects an integer in the range of 0 to (2000 * 1000) ms");
}
END_TEST

START_TEST(test_cache_size_not_a_power_of_two_is_refused_with_qemus_message)
{
    assert_parameter_refused("xbzrle-cache-size", 3 << 20, "Parameter 'xbzrle_cache_size' "
                             "expects a power of two no less than the target page size");
}
END_TEST

START_TEST(test_cache_size_below_a_page_is_refused_with_qemus_message)
{
    assert_parameter_refused("xbzrle-cache-size", 2048, "Parameter 'xbzrle_cache_size' "
                             "expects a power of two no less than the target page size");
}
END_TEST

START_TEST(test_cache_size_above_guest_ram_is_refused_with_qemus_message)
{
    assert_parameter_refused("xbzrle-cache-size", 2 * MIGTEST_RAM,
                             "Parameter 'cache size' expects exceeds guest ram size");
}
END_TEST

START_TEST(test_stall_timeout_out_of_range_is_refused)
{
    assert_parameter_refused("x-stall-timeout", 99, "Parameter 'x-stall-timeout' "
                             "expects an integer in the range of 100 to 86400000 ms");
}
END_TEST

START_TEST(test_commit_timeout_out_of_range_is_refused)
{
    assert_parameter_refused("x-commit-timeout", 86400001, "Parameter 'x-commit-timeout' "
                             "expects an integer in the range of 0 to 86400000 ms");
}
END_TEST

START_TEST(test_set_parameters_is_all_or_nothing)
{
    QTestState *s = migtest_start_source("idle", NULL);

    assert_refused(s, "{'execute': 'migrate-set-parameters', 'arguments': "
                   "{'max-bandwidth': 1000, 'downtime-limit': 5000000}}",
                   "Parameter 'downtime_limit' expects an integer in the range of 0 to "
                   "(2000 * 1000) ms");
    qtest_quit(s);
}
END_TEST

/* migrate_set_speed, migrate_set_downtime, migrate_set_cachesize and the
 * parameters are the same values. */
START_TEST(test_1x_commands_set_what_query_migrate_parameters_reads)
{
    QTestState *s = migtest_start_source("idle", NULL);

    qtest_qmp_ok_discard(s, "{'execute': 'migrate_set_speed', 'arguments': {'value': 1048576}}");
    qtest_qmp_ok_discard(s, "{'execute': 'migrate_set_downtime', 'arguments': {'value': 0.5}}");
    qtest_qmp_ok_discard(s, "{'execute': 'migrate_set_cachesize', 'arguments': "
                         "{'value': 8388608}}");
    g_autoptr(JsonObject) p = parameters(s);
    ck_assert_int_eq(member(p, NULL, "max-bandwidth"), 1048576);
    ck_assert_int_eq(member(p, NULL, "downtime-limit"), 500);
    ck_assert_int_eq(member(p, NULL, "xbzrle-cache-size"), 8388608);
    qtest_quit(s);
}
END_TEST

START_TEST(test_cache_size_parameter_is_what_query_migrate_cache_size_reads)
{
    QTestState *s = migtest_start_source("idle", NULL);

    set_parameter(s, "xbzrle-cache-size", 4 << 20);
    g_autoptr(JsonNode) size = qtest_qmp_ok(s, "{'execute': 'query-migrate-cache-size'}");
    ck_assert_int_eq(json_node_get_int(size), 4 << 20);
    g_autofree char *info = qtest_hmp(s, "info migrate_cache_size");
    ck_assert_str_eq(info, "xbzrle cache size: 4096 kbytes\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_1x_commands_out_of_range_get_qemus_messages)
{
    QTestState *s = migtest_start_source("idle", NULL);

    assert_refused(s, "{'execute': 'migrate_set_downtime', 'arguments': {'value': 2001}}",
                   "Parameter 'downtime_limit' expects an integer in the range of 0 to "
                   "2000 seconds");
    assert_refused(s, "{'execute': 'migrate_set_cachesize', 'arguments': {'value': 4095}}",
                   "Parameter 'xbzrle_cache_size' expects a power of two no less than "
                   "the target page size");
    assert_refused(s, "{'execute': 'migrate-set-cache-size', 'arguments': "
                   "{'value': 134217728}}",
                   "Parameter 'cache size' expects exceeds guest ram size");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Capabilities */

static bool capability(QTestState *s, const char *name)
{
    g_autoptr(JsonNode) caps = qtest_qmp_ok(s, "{'execute': 'query-migrate-capabilities'}");
    JsonArray *a = json_node_get_array(caps);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        if (!strcmp(json_object_get_string_member(c, "capability"), name)) {
            return json_object_get_boolean_member(c, "state");
        }
    }
    ck_abort_msg("no capability '%s'", name);
    return false;
}

START_TEST(test_query_migrate_capabilities_lists_each_once_in_qemus_order)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autoptr(JsonNode) caps = qtest_qmp_ok(s, "{'execute': 'query-migrate-capabilities'}");
    static const struct { const char *name; bool state; } expected[] = {
        { "xbzrle", false }, { "auto-converge", false }, { "events", false },
        { "postcopy-ram", false },
        { "return-path", true },
    };
    Members entry = { .n = 0 };

    add(&entry, "capability", J_STRING);
    add(&entry, "state", J_BOOL);
    JsonArray *a = json_node_get_array(caps);
    ck_assert_uint_eq(json_array_get_length(a), G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        assert_members(c, "a capability", &entry);
        ck_assert_str_eq(json_object_get_string_member(c, "capability"), expected[i].name);
        ck_assert(json_object_get_boolean_member(c, "state") == expected[i].state);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_set_capabilities_with_an_unknown_name_changes_none)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': "
        "[{'capability': 'xbzrle', 'state': true}, "
        "{'capability': 'compress', 'state': true}]}}");

    ck_assert_str_eq(qtest_error_desc(err),
                     "Parameter 'capability' does not accept value 'compress'");
    ck_assert(!capability(s, "xbzrle"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_malformed_capability_entries_get_qemus_messages)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    static const struct { const char *list; const char *message; } cases[] = {
        { "[1]", "Invalid parameter type for 'capabilities[0]', expected: object" },
        { "[{'capability': 'xbzrle', 'state': true}, {'state': true}]",
          "Parameter 'capabilities[1].capability' is missing" },
        { "[{'capability': 1, 'state': true}]",
          "Invalid parameter type for 'capabilities[0].capability', expected: string" },
        { "[{'capability': 'xbzrle'}]", "Parameter 'capabilities[0].state' is missing" },
        { "[{'capability': 'xbzrle', 'state': 'on'}]",
          "Invalid parameter type for 'capabilities[0].state', expected: boolean" },
        { "[{'capability': 'xbzrle', 'state': true, 'why': 1}]",
          "Parameter 'capabilities[0].why' is unexpected" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonObject) err = qtest_qmp_error(s,
            "{'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': %s}}",
            cases[i].list);
        ck_assert_str_eq(qtest_error_desc(err), cases[i].message);
    }
    ck_assert(!capability(s, "xbzrle"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_capabilities_cannot_change_during_a_migration)
{
    QTestState *dst;
    QTestState *src = start_slow_migration(&dst, false);
    g_autoptr(JsonObject) err = qtest_qmp_error(src,
        "{'execute': 'migrate-set-capabilities', 'arguments': {'capabilities': "
        "[{'capability': 'xbzrle', 'state': true}]}}");

    ck_assert_str_eq(qtest_error_desc(err), "There's a migration process in progress");
    ck_assert(!capability(src, "xbzrle"));
    cancel_and_quit(src, dst);
}
END_TEST

/* The raw connection shows every byte: with events off, no MIGRATION or
 * MIGRATION_PASS event is among them, on either side. */
START_TEST(test_no_migration_event_is_sent_while_events_is_off)
{
    QTestState *src = qtest_start("-kernel guests/idle.elf -m 64M "
                                  "-qmp unix:{tmp}/raw.sock,server,nowait");
    g_autofree char *uri = mig_uri(src);
    QTestState *dst = qtest_start("-kernel guests/idle.elf -m 64M -S -incoming %s "
                                  "-qmp unix:{tmp}/raw.sock,server,nowait", uri);
    RawQmp raw_src, raw_dst;

    raw_connect(&raw_src, src, "raw.sock");
    raw_connect(&raw_dst, dst, "raw.sock");
    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, false);
    json_object_unref(wait_for_status(src, "completed"));
    json_object_unref(wait_for_status(dst, "completed"));
    /* Everything sent before these replies has arrived. */
    size_t from_src = raw_src.got->len, from_dst = raw_dst.got->len;
    raw_send(&raw_src, "{\"execute\": \"query-status\", \"id\": \"last\"}\n");
    raw_send(&raw_dst, "{\"execute\": \"query-status\", \"id\": \"last\"}\n");
    raw_read_until(&raw_src, from_src, "last\"");
    raw_read_until(&raw_dst, from_dst, "last\"");
    ck_assert_msg(!strstr(raw_src.got->str, "MIGRATION"), "%s", raw_src.got->str);
    ck_assert_msg(!strstr(raw_dst.got->str, "MIGRATION"), "%s", raw_dst.got->str);
    raw_close(&raw_src);
    raw_close(&raw_dst);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static const char *event_status(JsonObject *ev)
{
    return json_object_get_string_member(json_object_get_object_member(ev, "data"),
                                         "status");
}

START_TEST(test_events_on_sends_each_status_change_of_the_source)
{
    QTestState *src = migtest_start_source("idle", NULL);
    g_autofree char *uri = mig_uri(src);
    QTestState *dst = migtest_start_destination("idle", uri);

    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, false);
    static const char *const order[] = { "setup", "active", "completed" };
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(src, "MIGRATION");
        Members data = { .n = 0 };
        add(&data, "status", J_STRING);
        assert_members(json_object_get_object_member(ev, "data"), "MIGRATION data", &data);
        ck_assert_str_eq(event_status(ev), order[i]);
    }
    /* The destination's own: it listened before events were on. */
    g_autoptr(JsonObject) active = qtest_qmp_event(dst, "MIGRATION");
    ck_assert_str_eq(event_status(active), "active");
    g_autoptr(JsonObject) completed = qtest_qmp_event(dst, "MIGRATION");
    ck_assert_str_eq(event_status(completed), "completed");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* MIGRATION_PASS: {"pass": N} at each dirty-log sync, 1 as the first pass
 * starts, up to the final dirty-sync-count. */
START_TEST(test_migration_pass_counts_dirty_syncs_from_one)
{
    QTestState *src = migtest_start_source("idle", NULL);
    g_autofree char *uri = mig_uri(src);
    QTestState *dst = migtest_start_destination("idle", uri);
    QmpClient *c = qtest_qmp_client(src);
    int64_t expected = 1;

    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, false);
    migtest_assert_ends(src, "completed");
    for (JsonObject *ev; (ev = qmp_client_take_event(c, "MIGRATION_PASS")); expected++) {
        JsonObject *data = json_object_get_object_member(ev, "data");
        Members pass = { .n = 0 };
        add(&pass, "pass", J_INT);
        assert_members(data, "MIGRATION_PASS data", &pass);
        ck_assert_int_eq(json_object_get_int_member(data, "pass"), expected);
        json_object_unref(ev);
    }
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_int_ge(expected - 1, 2);
    ck_assert_int_eq(expected - 1, member(info, "ram", "dirty-sync-count"));
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* The events of a raw connection, in the order they came, as
 * "MIGRATION setup", "MIGRATION_PASS 1", ... */
static GPtrArray *raw_migration_events(const char *bytes)
{
    g_auto(GStrv) lines = g_strsplit(bytes, "\r\n", -1);
    GPtrArray *events = g_ptr_array_new_with_free_func(g_free);

    for (size_t i = 0; lines[i]; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        if (!strstr(lines[i], "MIGRATION") || !json_parser_load_from_data(parser, lines[i],
                                                                        -1, NULL)) {
            continue;
        }
        JsonObject *o = json_node_get_object(json_parser_get_root(parser));
        JsonObject *data = json_object_get_object_member(o, "data");
        const char *name = json_object_get_string_member(o, "event");
        g_ptr_array_add(events, !strcmp(name, "MIGRATION") ?
            g_strdup_printf("MIGRATION %s", json_object_get_string_member(data, "status")) :
            g_strdup_printf("MIGRATION_PASS %" G_GINT64_FORMAT,
                            json_object_get_int_member(data, "pass")));
    }
    return events;
}

/* As in QEMU: setup, pass 1 (the setup's sync), active, the other passes,
 * completed. The raw connection keeps the order across event names. */
START_TEST(test_migration_events_come_in_qemus_order)
{
    QTestState *src = qtest_start("-kernel guests/idle.elf -m 64M "
                                  "-qmp unix:{tmp}/raw.sock,server,nowait");
    g_autofree char *uri = mig_uri(src);
    QTestState *dst = migtest_start_destination("idle", uri);
    RawQmp raw;

    migtest_enable_events(src);
    raw_connect(&raw, src, "raw.sock");
    qtest_expect_stdout(src, "halting", 0);
    migrate(src, uri, false);
    raw_read_until(&raw, 0, "\"completed\"");
    g_autoptr(GPtrArray) events = raw_migration_events(raw.got->str);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    int64_t passes = member(info, "ram", "dirty-sync-count");

    ck_assert_uint_eq(events->len, passes + 3);
    ck_assert_str_eq(g_ptr_array_index(events, 0), "MIGRATION setup");
    ck_assert_str_eq(g_ptr_array_index(events, 1), "MIGRATION_PASS 1");
    ck_assert_str_eq(g_ptr_array_index(events, 2), "MIGRATION active");
    for (int64_t pass = 2; pass <= passes; pass++) {
        g_autofree char *expected = g_strdup_printf("MIGRATION_PASS %" G_GINT64_FORMAT, pass);
        ck_assert_str_eq(g_ptr_array_index(events, pass + 1), expected);
    }
    ck_assert_str_eq(g_ptr_array_index(events, passes + 2), "MIGRATION completed");
    raw_close(&raw);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* -incoming defer and migrate-incoming */

START_TEST(test_incoming_defer_waits_in_inmigrate_without_listening)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming defer");
    g_autofree char *path = qtest_path(dst, "mig.sock");

    migtest_assert_run_state(dst, "inmigrate");
    g_autoptr(JsonObject) before = qtest_query_migrate(dst);
    ck_assert_uint_eq(json_object_get_size(before), 0);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': 'unix:%s'}}", path);
    ck_assert(g_file_test(path, G_FILE_TEST_EXISTS));
    g_autoptr(JsonObject) after = qtest_query_migrate(dst);
    assert_destination_reply(after, "setup");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_migrate_incoming_a_second_time_is_refused)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming defer");

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': 'unix:%s/a.sock'}}", qtest_dir(dst));
    g_autoptr(JsonObject) err = qtest_qmp_error(dst, "{'execute': 'migrate-incoming', "
                                                "'arguments': {'uri': 'unix:%s/b.sock'}}",
                                                qtest_dir(dst));
    ck_assert_str_eq(qtest_error_desc(err), "The incoming migration has already been started");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_migrate_incoming_after_incoming_uri_is_refused)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming unix:{tmp}/a.sock");
    g_autoptr(JsonObject) err = qtest_qmp_error(dst, "{'execute': 'migrate-incoming', "
                                                "'arguments': {'uri': 'unix:%s/b.sock'}}",
                                                qtest_dir(dst));

    ck_assert_str_eq(qtest_error_desc(err), "The incoming migration has already been started");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_migrate_incoming_without_incoming_is_refused)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'migrate-incoming', "
                                                "'arguments': {'uri': 'unix:%s/a.sock'}}",
                                                qtest_dir(s));

    ck_assert_str_eq(qtest_error_desc(err),
                     "'-incoming' was not specified on the command line");
    migtest_assert_run_state(s, "running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_migrate_incoming_that_fails_can_be_tried_again)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming defer");
    g_autoptr(JsonObject) err = qtest_qmp_error(dst, "{'execute': 'migrate-incoming', "
                                                "'arguments': {'uri': 'unix:%s/no/such/dir'}}",
                                                qtest_dir(dst));
    g_autoptr(JsonObject) none = qtest_query_migrate(dst);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_uint_eq(json_object_get_size(none), 0);
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': 'unix:%s/mig.sock'}}", qtest_dir(dst));
    g_autoptr(JsonObject) info = qtest_query_migrate(dst);
    assert_destination_reply(info, "setup");
    qtest_quit(dst);
}
END_TEST

START_TEST(test_hmp_migrate_incoming_starts_listening)
{
    QTestState *dst = qtest_start("-kernel guests/idle.elf -S -incoming defer");
    g_autofree char *path = qtest_path(dst, "mig.sock");
    g_autofree char *out = qtest_hmp(dst, "migrate_incoming unix:%s", path);

    ck_assert_str_eq(out, "");
    ck_assert(g_file_test(path, G_FILE_TEST_EXISTS));
    g_autofree char *again = qtest_hmp(dst, "migrate_incoming unix:%s", path);
    ck_assert_str_eq(again, "The incoming migration has already been started\r\n");
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP */

START_TEST(test_hmp_info_migrate_parameters_prints_each_with_its_unit)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autofree char *out = qtest_hmp(s, "info migrate_parameters");

    ck_assert_str_eq(out, "cpu-throttle-initial: 20\r\n"
                          "cpu-throttle-increment: 10\r\n"
                          "max-bandwidth: 33554432 bytes/second\r\n"
                          "downtime-limit: 30 ms\r\n"
                          "xbzrle-cache-size: 67108864 bytes\r\n"
                          "max-cpu-throttle: 99\r\n"
                          "x-stall-timeout: 30000 ms\r\n"
                          "x-commit-timeout: 2000 ms\r\n"
                          "tls-creds: ''\r\n"
                          "tls-hostname: ''\r\n"
                          "tls-authz: ''\r\n"
                          "x-postcopy-auto: off\r\n");
    qtest_quit(s);
}
END_TEST

/* Bandwidth in MiB/s and the cache in bytes without a suffix, as QEMU's
 * HMP reads them; times in ms. */
START_TEST(test_hmp_migrate_set_parameter_reads_values_as_qemu)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    static const struct { const char *line; const char *name; int64_t value; } cases[] = {
        { "max-bandwidth 100M", "max-bandwidth", 100 << 20 },
        { "max-bandwidth 8", "max-bandwidth", 8 << 20 },
        { "xbzrle-cache-size 16m", "xbzrle-cache-size", 16 << 20 },
        { "xbzrle-cache-size 8388608", "xbzrle-cache-size", 8 << 20 },
        { "downtime-limit 50", "downtime-limit", 50 },
        { "x-stall-timeout 10000", "x-stall-timeout", 10000 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = qtest_hmp(s, "migrate_set_parameter %s", cases[i].line);
        ck_assert_str_eq(out, "");
        g_autoptr(JsonObject) p = parameters(s);
        ck_assert_int_eq(member(p, NULL, cases[i].name), cases[i].value);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_migrate_set_parameter_errors_are_qemus_and_change_nothing)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    static const struct { const char *line; const char *message; } cases[] = {
        { "speed 1", "invalid parameter value: speed\r\n" },
        { "max-bandwidth 12Q", "Invalid size 12Q\r\n" },
        { "downtime-limit 2000001", "Parameter 'downtime_limit' expects an integer in the "
          "range of 0 to (2000 * 1000) ms\r\n" },
        { "xbzrle-cache-size 3m", "Parameter 'xbzrle_cache_size' expects a power of two "
          "no less than the target page size\r\n" },
    };
    g_autoptr(JsonObject) before = parameters(s);
    g_autofree char *was = qtest_json_object_text(before);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = qtest_hmp(s, "migrate_set_parameter %s", cases[i].line);
        ck_assert_str_eq(out, cases[i].message);
    }
    g_autoptr(JsonObject) after = parameters(s);
    g_autofree char *is = qtest_json_object_text(after);
    ck_assert_str_eq(is, was);
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_info_migrate_capabilities_prints_on_and_off)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");

    g_free(qtest_hmp(s, "migrate_set_capability events on"));
    g_autofree char *out = qtest_hmp(s, "info migrate_capabilities");
    ck_assert_str_eq(out, "xbzrle: off\r\nauto-converge: off\r\nevents: on\r\n"
                          "postcopy-ram: off\r\n"
                          "return-path: on\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_migrate_set_capability_unknown_name_is_qemus_message)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf");
    g_autofree char *out = qtest_hmp(s, "migrate_set_capability compress on");

    ck_assert_str_eq(out, "invalid parameter value: compress\r\n");
    qtest_quit(s);
}
END_TEST

/* The proposal's lines in their order, then QEMU's setup and throughput. */
START_TEST(test_hmp_info_migrate_ends_with_setup_and_throughput)
{
    QTestState *dst;
    QTestState *src = complete_idle_migration(&dst, true);
    g_autofree char *out = qtest_hmp(src, "info migrate");
    g_auto(GStrv) lines = g_strsplit(out, "\r\n", -1);
    guint n = g_strv_length(lines);

    ck_assert_uint_ge(n, 4);
    ck_assert(g_str_has_prefix(lines[0], "Migration status: completed"));
    ck_assert(g_str_has_prefix(lines[n - 4], "iterations: "));
    ck_assert(g_str_has_prefix(lines[n - 3], "setup: "));
    ck_assert(g_str_has_suffix(lines[n - 3], " milliseconds"));
    ck_assert(g_str_has_prefix(lines[n - 2], "throughput: "));
    ck_assert(g_str_has_suffix(lines[n - 2], " mbps"));
    ck_assert_str_eq(lines[n - 1], "");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* End to end, as a QEMU 2.x+ client drives it */

static void enable_capabilities(QTestState *s, bool xbzrle)
{
    qtest_qmp_ok_discard(s, "{'execute': 'migrate-set-capabilities', 'arguments': "
                         "{'capabilities': [{'capability': 'events', 'state': true}, "
                         "{'capability': 'xbzrle', 'state': %s}]}}",
                         xbzrle ? "true" : "false");
}

static void wait_for_event_status(QTestState *s, const char *status)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION");
        const char *now = event_status(ev);
        if (!strcmp(now, status)) {
            return;
        }
        ck_assert_msg(!strcmp(now, "setup") || !strcmp(now, "active"),
                      "migration %s, expected %s", now, status);
    }
}

START_TEST(test_migration_driven_by_2x_commands_only_keeps_ram_identical)
{
    QTestState *dst = qtest_start("-kernel guests/a-b.elf -m 64M -S -incoming defer");
    QTestState *src = qtest_start("-kernel guests/a-b.elf -m 64M");
    g_autofree char *path = qtest_path(dst, "mig.sock");

    enable_capabilities(dst, true);
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'x-stall-timeout': 20000}}");
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': 'unix:%s'}}", path);
    wait_for_event_status(dst, "setup");

    enable_capabilities(src, true);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'max-bandwidth': 0, 'downtime-limit': 30, "
                         "'xbzrle-cache-size': 67108864}}");
    qtest_expect_stdout(src, "B", 0);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': 'unix:%s'}}",
                         path);
    wait_for_event_status(src, "completed");
    wait_for_event_status(dst, "completed");

    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    assert_source_reply(info, "completed", true);
    migtest_assert_run_state(src, "postmigrate");
    migtest_assert_run_state(dst, "paused");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    migtest_assert_a_b_invariant(dst_ram);
    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, "BB", before);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *qmp_migration_suite(void)
{
    Suite *s = suite_create("qmp-migration");
    TCase *source = tcase_create("query-migrate on the source");
    TCase *destination = tcase_create("query-migrate on the destination");
    TCase *params = tcase_create("parameters");
    TCase *caps = tcase_create("capabilities and events");
    TCase *defer = tcase_create("-incoming defer");
    TCase *hmp = tcase_create("hmp");
    TCase *e2e = tcase_create("end to end");

    qtest_tcase_timeout(source, 6);
    qtest_tcase_timeout(destination, 6);
    qtest_tcase_timeout(params, 2);
    qtest_tcase_timeout(caps, 6);
    qtest_tcase_timeout(defer, 2);
    qtest_tcase_timeout(hmp, 4);
    qtest_tcase_timeout(e2e, 8);

    tcase_add_test(source, test_query_migrate_before_any_migration_is_empty);
    tcase_add_test(source, test_query_migrate_in_setup_shows_only_the_status);
    tcase_add_test(source, test_query_migrate_while_active_shows_times_and_ram);
    tcase_add_test(source, test_query_migrate_while_active_with_xbzrle_adds_the_cache_block);
    tcase_add_test(source, test_mbps_is_measured_from_the_start_of_the_first_pass);
    tcase_add_test(source, test_query_migrate_after_completion_shows_downtime_and_final_ram);
    tcase_add_test(source,
        test_query_migrate_after_completion_with_xbzrle_shows_the_configured_cache_size);
    tcase_add_test(source, test_query_migrate_after_cancel_shows_only_the_status);
    tcase_add_test(source, test_query_migrate_after_failure_shows_the_status_and_why);
    tcase_add_test(source, test_migrate_during_a_migration_is_refused_with_qemus_message);
    tcase_add_test(source, test_migrate_from_a_waiting_destination_is_refused_with_qemus_message);

    tcase_add_test(destination, test_destination_waiting_for_the_source_is_in_setup);
    tcase_add_test(destination, test_destination_loading_is_active_and_times_its_own_load);
    tcase_add_test(destination, test_destination_after_completion_times_its_load);
    tcase_add_test(destination, test_destination_after_a_failed_load_says_why);

    tcase_add_test(params, test_query_migrate_parameters_reports_each_parameter_with_its_type);
    tcase_add_test(params, test_set_parameters_changes_only_the_members_given);
    tcase_add_test(params, test_negative_max_bandwidth_is_refused_with_qemus_message);
    tcase_add_test(params, test_downtime_limit_above_2000_s_is_refused_with_qemus_message);
    tcase_add_test(params, test_cache_size_not_a_power_of_two_is_refused_with_qemus_message);
    tcase_add_test(params, test_cache_size_below_a_page_is_refused_with_qemus_message);
    tcase_add_test(params, test_cache_size_above_guest_ram_is_refused_with_qemus_message);
    tcase_add_test(params, test_stall_timeout_out_of_range_is_refused);
    tcase_add_test(params, test_commit_timeout_out_of_range_is_refused);
    tcase_add_test(params, test_set_parameters_is_all_or_nothing);
    tcase_add_test(params, test_1x_commands_set_what_query_migrate_parameters_reads);
    tcase_add_test(params, test_cache_size_parameter_is_what_query_migrate_cache_size_reads);
    tcase_add_test(params, test_1x_commands_out_of_range_get_qemus_messages);

    tcase_add_test(caps, test_query_migrate_capabilities_lists_each_once_in_qemus_order);
    tcase_add_test(caps, test_set_capabilities_with_an_unknown_name_changes_none);
    tcase_add_test(caps, test_malformed_capability_entries_get_qemus_messages);
    tcase_add_test(caps, test_capabilities_cannot_change_during_a_migration);
    tcase_add_test(caps, test_no_migration_event_is_sent_while_events_is_off);
    tcase_add_test(caps, test_events_on_sends_each_status_change_of_the_source);
    tcase_add_test(caps, test_migration_pass_counts_dirty_syncs_from_one);
    tcase_add_test(caps, test_migration_events_come_in_qemus_order);

    tcase_add_test(defer, test_incoming_defer_waits_in_inmigrate_without_listening);
    tcase_add_test(defer, test_migrate_incoming_a_second_time_is_refused);
    tcase_add_test(defer, test_migrate_incoming_after_incoming_uri_is_refused);
    tcase_add_test(defer, test_migrate_incoming_without_incoming_is_refused);
    tcase_add_test(defer, test_migrate_incoming_that_fails_can_be_tried_again);
    tcase_add_test(defer, test_hmp_migrate_incoming_starts_listening);

    tcase_add_test(hmp, test_hmp_info_migrate_parameters_prints_each_with_its_unit);
    tcase_add_test(hmp, test_hmp_migrate_set_parameter_reads_values_as_qemu);
    tcase_add_test(hmp, test_hmp_migrate_set_parameter_errors_are_qemus_and_change_nothing);
    tcase_add_test(hmp, test_hmp_info_migrate_capabilities_prints_on_and_off);
    tcase_add_test(hmp, test_hmp_migrate_set_capability_unknown_name_is_qemus_message);
    tcase_add_test(hmp, test_hmp_info_migrate_ends_with_setup_and_throughput);

    tcase_add_test(e2e, test_migration_driven_by_2x_commands_only_keeps_ram_identical);

    suite_add_tcase(s, source);
    suite_add_tcase(s, destination);
    suite_add_tcase(s, params);
    suite_add_tcase(s, caps);
    suite_add_tcase(s, defer);
    suite_add_tcase(s, hmp);
    suite_add_tcase(s, e2e);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(qmp_migration_suite());

    printf("accelerator: %s\n", qtest_accel());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
