/*
 * TLS migration as QEMU sets it up (tls-creds objects, the tls-creds,
 * tls-hostname and tls-authz parameters), driven through the monitors:
 * the whole stream and its return path go through TLS, and every refusal
 * leaves the source running and the destination waiting.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libqmp.h"
#include "migration-helpers.h"
#include "tlscerts.h"

static TlsCerts *certs;

static void setup(void)
{
    certs = tls_certs_new();
}

static void teardown(void)
{
    tls_certs_free(certs);
    certs = NULL;
}

static void add_object(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_object(QTestState *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *spec = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *out = qtest_hmp(s, "object_add %s", spec);
    ck_assert_msg(out[0] == '\0', "object_add %s: %s", spec, out);
}

static void set_param(QTestState *s, const char *name, const char *value)
{
    g_autofree char *out = qtest_hmp(s, "migrate_set_parameter %s %s", name, value);
    ck_assert_msg(out[0] == '\0', "migrate_set_parameter %s: %s", name, out);
}

/* x509 on both sides, the destination verifying the client and letting
 * only its distinguished name in. */
static void x509_with_client_verification(QTestState *src, QTestState *dst)
{
    g_autofree char *server = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    g_autofree char *client = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);

    add_object(dst, "tls-creds-x509,id=tls0,endpoint=server,dir=%s,verify-peer=on", server);
    /* -object syntax: a comma inside a value is doubled. */
    add_object(dst, "authz-simple,id=auth0,identity=CN=%s,,O=QEMU test", TLS_CERTS_CLIENT_CN);
    set_param(dst, "tls-creds", "tls0");
    set_param(dst, "tls-authz", "auth0");
    add_object(src, "tls-creds-x509,id=tls0,endpoint=client,dir=%s", client);
    set_param(src, "tls-creds", "tls0");
}

START_TEST(test_seed_guest_migrates_over_tls_with_client_verification)
{
    int port = qtest_free_tcp_port();
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", port);
    QTestState *dst = qtest_start("-kernel guests/seed.elf -m 64M -S -incoming defer");
    QTestState *src = migtest_start_source("seed", NULL);

    migtest_enable_events(dst);
    x509_with_client_verification(src, dst);
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': {'uri': '%s'}}",
                         uri);
    qtest_expect_stdout(src, ".", 0);
    migtest_hmp_migrate(src, true, uri);
    g_autofree char *end = migtest_wait_end(src);
    g_autoptr(JsonObject) info = qtest_query_migrate(src);
    ck_assert_msg(!strcmp(end, "completed"), "source: %s (%s); destination stderr: %s", end,
                  json_object_has_member(info, "error-desc")
                  ? json_object_get_string_member(info, "error-desc") : "",
                  qtest_stderr(dst));
    migtest_assert_ends(dst, "completed");
    g_autoptr(GBytes) src_ram = migtest_save_ram(src);
    g_autoptr(GBytes) dst_ram = migtest_save_ram(dst);
    migtest_assert_same_ram(src_ram, dst_ram);
    qtest_quit(src);
    qtest_quit(dst);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("migration-tls");
    TCase *tc = tcase_create("x509");

    tcase_add_checked_fixture(tc, setup, teardown);
    qtest_tcase_timeout(tc, 6);
    tcase_add_test(tc, test_seed_guest_migrates_over_tls_with_client_verification);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("accelerator: %s\n", qtest_accel());
    SRunner *sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
