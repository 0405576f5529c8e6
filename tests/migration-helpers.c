/*
 * What the migration tests share (tests/migration-helpers.h): starting a
 * source and a destination of the built-in guests, waiting for a
 * migration's end, and checking that the destination got all the memory.
 */
#include <check.h>
#include <string.h>

#include "migration-helpers.h"

/* The MIGRATION events the tests wait for are sent while this is on. */
void migtest_enable_events(QTestState *s)
{
    g_free(qtest_hmp(s, "migrate_set_capability events on"));
}

QTestState *migtest_start_source(const char *guest, const char *extra)
{
    QTestState *s = qtest_start("-kernel guests/%s.elf -m 64M %s", guest,
                                extra ? extra : "");
    migtest_enable_events(s);
    return s;
}

/* The destination waits for the stream with -S, so that its RAM can be
 * compared with the source's before it runs. */
QTestState *migtest_start_destination(const char *guest, const char *incoming)
{
    QTestState *s = qtest_start("-kernel guests/%s.elf -m 64M -S -incoming %s",
                                guest, incoming);
    migtest_enable_events(s);
    return s;
}

void migtest_set_params(QTestState *s, const char *speed, const char *downtime)
{
    g_free(qtest_hmp(s, "migrate_set_speed %s", speed));
    g_free(qtest_hmp(s, "migrate_set_downtime %s", downtime));
}

/* Waits for a MIGRATION event with a final status and returns it. */
char *migtest_wait_end(QTestState *s)
{
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(s, "MIGRATION");
        JsonObject *data = json_object_get_object_member(ev, "data");
        const char *status = json_object_get_string_member(data, "status");
        if (strcmp(status, "setup") && strcmp(status, "active") &&
            !g_str_has_prefix(status, "postcopy-")) {
            return g_strdup(status);
        }
    }
}

void migtest_assert_ends(QTestState *s, const char *expected)
{
    g_autofree char *status = migtest_wait_end(s);
    ck_assert_msg(!strcmp(status, expected), "migration ended '%s', expected '%s'; "
                  "stderr: %s", status, expected, qtest_stderr(s));
}

int64_t migtest_member(JsonObject *o, const char *group, const char *name)
{
    JsonObject *g = group ? json_object_get_object_member(o, group) : o;
    return json_object_get_int_member(g, name);
}

char *migtest_run_state(QTestState *s)
{
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    return g_strdup(json_object_get_string_member(json_node_get_object(st), "status"));
}

void migtest_assert_run_state(QTestState *s, const char *expected)
{
    g_autofree char *state = migtest_run_state(s);
    ck_assert_str_eq(state, expected);
}

/* The whole guest RAM, through pmemsave as a user would take it. */
GBytes *migtest_save_ram(QTestState *s)
{
    return qtest_pmemsave(s, 0, MIGTEST_RAM);
}

void migtest_assert_same_ram(GBytes *a, GBytes *b)
{
    gsize len;
    const uint8_t *x = g_bytes_get_data(a, &len);
    const uint8_t *y = g_bytes_get_data(b, NULL);

    for (gsize i = 0; i < len; i += MIGTEST_PAGE) {
        ck_assert_msg(!memcmp(x + i, y + i, MIGTEST_PAGE),
                      "page at 0x%zx differs between source and destination", i);
    }
}

void migtest_assert_same_guest_ram(QTestState *src, QTestState *dst)
{
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);

    migtest_assert_same_ram(src_ram, dst_ram);
}

/* The a-b invariant: at most one break, where the earlier page is one
 * ahead of the later (mod 256). */
char *migtest_a_b_violation(GBytes *ram)
{
    gsize len;
    const uint8_t *m = g_bytes_get_data(ram, &len);
    int breaks = 0;

    for (gsize p = MIGTEST_FREE_RAM_START + MIGTEST_PAGE; p < len; p += MIGTEST_PAGE) {
        uint8_t prev = m[p - MIGTEST_PAGE], cur = m[p];
        if (prev == cur) {
            continue;
        }
        if ((uint8_t)(cur + 1) != prev) {
            return g_strdup_printf("page 0x%zx holds %u after %u: a lost or stale page",
                                   p, cur, prev);
        }
        if (++breaks > 1) {
            return g_strdup_printf("a second break at page 0x%zx: a lost or stale page", p);
        }
    }
    return NULL;
}

void migtest_assert_a_b_invariant(GBytes *ram)
{
    g_autofree char *why = migtest_a_b_violation(ram);

    ck_assert_msg(!why, "%s", why);
}

/* Starts the migration with HMP's migrate, as in the proposal. */
void migtest_hmp_migrate(QTestState *src, bool xbzrle, const char *uri)
{
    g_autofree char *out = qtest_hmp(src, "migrate -d %s%s", xbzrle ? "-x " : "", uri);
    ck_assert_msg(out[0] == '\0', "migrate printed: %s", out);
}

/*
 * Migrates the a-b guest from src to dst (already waiting on `uri`), then
 * checks: both RAMs identical and a-b-consistent; the destination runs on
 * after cont, printing more passes.
 */
void migtest_check_a_b_migration(QTestState *src, QTestState *dst, bool xbzrle,
                                const char *uri)
{
    qtest_expect_stdout(src, "B", 0);
    migtest_set_params(src, "0", xbzrle ? "0.03" : "5");
    migtest_hmp_migrate(src, xbzrle, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    migtest_assert_run_state(src, "postmigrate");
    migtest_assert_run_state(dst, "paused");

    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    migtest_assert_a_b_invariant(dst_ram);

    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, "BB", before);
    qtest_qmp_ok_discard(dst, "{'execute': 'stop'}");
    g_autoptr(GBytes) later = migtest_save_ram(dst);
    migtest_assert_a_b_invariant(later);
    ck_assert_msg(memcmp(g_bytes_get_data(later, NULL), g_bytes_get_data(dst_ram, NULL),
                         MIGTEST_RAM), "the guest did not run on after migration");
}

