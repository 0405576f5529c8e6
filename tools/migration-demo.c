/*
 * The main job (`make demo`): the proposal's scenario on one machine. A
 * source runs the default guest (the seed load generator), a destination
 * waits on loopback; the source migrates with XBZRLE at the default
 * settings, `info migrate` is printed, and the two RAMs are compared before
 * the destination's guest runs on. Runs as a Check test so that any failure
 * is reported with the emulators' output.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/libqmp.h"

#define RAM_SIZE (128u << 20)

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("demo: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void hmp_echo(QTestState *s, const char *line)
{
    g_autofree char *out = qtest_hmp(s, "%s", line);
    printf("(qemu) %s\n%s", line, out);
    fflush(stdout);
}

static const char *migration_status(QTestState *s)
{
    static char status[32];
    g_autoptr(JsonNode) info = qtest_qmp_ok(s, "{'execute': 'query-migrate'}");
    JsonObject *o = json_node_get_object(info);

    snprintf(status, sizeof(status), "%s", json_object_has_member(o, "status") ?
             json_object_get_string_member(o, "status") : "none");
    return status;
}

START_TEST(demo_live_migration_with_xbzrle)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());

    say("accelerator: %s; guest: the built-in seed load generator, 128 MiB", qtest_accel());
    QTestState *dst = qtest_start("-m 128M -name destination -S -incoming %s", uri);
    say("destination waiting on %s", uri);
    QTestState *src = qtest_start("-m 128M -name source");
    qtest_expect_stdout(src, "..", 0);
    say("source running: %.60s", qtest_stdout(src));

    hmp_echo(src, "info migrate_cache_size");
    g_autofree char *cmd = g_strdup_printf("migrate -x -d %s", uri);
    hmp_echo(src, cmd);
    while (!strcmp(migration_status(src), "setup") || !strcmp(migration_status(src), "active")) {
        usleep(100000);
    }
    hmp_echo(src, "info migrate");
    ck_assert_str_eq(migration_status(src), "completed");
    for (int i = 0; i < 100 && strcmp(migration_status(dst), "completed"); i++) {
        usleep(50000);
    }
    ck_assert_str_eq(migration_status(dst), "completed");

    g_autoptr(GBytes) a = qtest_pmemsave(src, 0, RAM_SIZE);
    g_autoptr(GBytes) b = qtest_pmemsave(dst, 0, RAM_SIZE);
    ck_assert_msg(g_bytes_equal(a, b), "the two RAMs differ");
    say("RAM of source and destination: identical (%u KiB, compared with pmemsave)",
        RAM_SIZE >> 10);

    size_t before = qtest_stdout_len(dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'cont'}");
    qtest_expect_stdout(dst, "..", before);
    say("destination guest runs on: %s", qtest_stdout(dst) + before);
    hmp_echo(src, "info status");
    hmp_echo(dst, "info status");
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

int main(void)
{
    int status = qtest_run_in_process("demo", demo_live_migration_with_xbzrle,
                                      qtest_waits_timeout_s(4));
    if (status == EXIT_SUCCESS) {
        say("done: live migration with XBZRLE completed and verified");
    }
    return status;
}
