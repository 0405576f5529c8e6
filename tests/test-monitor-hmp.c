/*
 * Specification of the human monitor, typed into its Unix socket as a user
 * would: the banner and prompt, help and info, each command and its output,
 * one-line errors after which the monitor goes on, bad input, and several
 * monitors driving one machine.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/boot-protocol.h"
#include "libqmp.h"

#define BI(field) (BOOT_INFO_GPA + offsetof(struct boot_info, field))

/* ---------------------------------------------------------------------- */
/* Helpers */

static QTestState *start_hmp(const char *args)
{
    QTestOptions o = { .hmp = true };
    return qtest_start_opts(&o, "%s", args);
}

/* Runs a line and compares its whole output. */
static void assert_output(QTestState *s, const char *line, const char *want)
{
    g_autofree char *out = qtest_hmp_line(s, "%s", line);
    ck_assert_msg(!strcmp(out, want), "'%s' printed\n%s\ninstead of\n%s",
                  line, out, want);
}

static void assert_running(QTestState *s, bool running)
{
    assert_output(s, "info status",
                  running ? "VM status: running\r\n" : "VM status: paused\r\n");
}

static GPtrArray *table_commands(const char *table)
{
    g_autofree char *out = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    ck_assert(g_spawn_command_line_sync("scripts/hxtool list hmp-commands.hx",
                                        &out, NULL, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
        if (f[0] && f[1] && !strcmp(f[0], table)) {
            g_ptr_array_add(names, g_strdup(f[1]));
        }
    }
    ck_assert_uint_gt(names->len, 0);
    return names;
}

/* ---------------------------------------------------------------------- */
/* Banner, help, info */

START_TEST(test_banner_then_prompt)
{
    QTestState *s = start_hmp("");

    ck_assert_str_eq(hmp_client_banner(qtest_hmp_client(s)),
                     "QEMU 1.0.50 monitor - type 'help' for more information\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_empty_line_gives_a_new_prompt)
{
    QTestState *s = start_hmp("");

    assert_output(s, "", "");
    assert_output(s, "   ", "");
    qtest_quit(s);
}
END_TEST

START_TEST(test_help_lists_every_command_of_the_table)
{
    QTestState *s = start_hmp("");
    g_autoptr(GPtrArray) names = table_commands("hmp_cmds");
    g_autofree char *out = qtest_hmp_line(s, "help");
    g_auto(GStrv) lines = g_strsplit(out, "\r\n", -1);

    ck_assert_uint_eq(g_strv_length(lines), names->len + 1);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        ck_assert_msg(g_str_has_prefix(lines[i], name), "line %u: %s", i, lines[i]);
        ck_assert_ptr_nonnull(strstr(lines[i], " -- "));
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_help_of_one_command)
{
    QTestState *s = start_hmp("");

    assert_output(s, "help xp", "xp /fmt addr -- show guest-physical memory\r\n");
    assert_output(s, "help c", "cont|c -- resume the virtual CPU\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_help_of_an_unknown_command)
{
    QTestState *s = start_hmp("");

    assert_output(s, "help frobnicate", "help: unknown command 'frobnicate'\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_alone_lists_every_subcommand)
{
    QTestState *s = start_hmp("");
    g_autoptr(GPtrArray) names = table_commands("hmp_info_cmds");
    g_autofree char *out = qtest_hmp_line(s, "info");
    g_auto(GStrv) lines = g_strsplit(out, "\r\n", -1);

    ck_assert_uint_eq(g_strv_length(lines), names->len + 1);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *prefix = g_strdup_printf("info %s",
                                                  (char *)g_ptr_array_index(names, i));
        ck_assert_msg(g_str_has_prefix(lines[i], prefix), "line %u: %s", i, lines[i]);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_help_info_status)
{
    QTestState *s = start_hmp("");

    assert_output(s, "help info status",
                  "info status -- show the run state of the machine\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_of_an_unknown_subcommand)
{
    QTestState *s = start_hmp("");

    assert_output(s, "info weather",
                  "info: unknown subcommand 'weather' (try 'info' alone)\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_version)
{
    QTestState *s = start_hmp("");

    assert_output(s, "info version", "1.0.50 (xbzrle)\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_name)
{
    QTestState *s = start_hmp("-name dest");

    assert_output(s, "info name", "dest\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_name_without_name_prints_nothing)
{
    QTestState *s = start_hmp("");

    assert_output(s, "info name", "");
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_commands_lists_the_qmp_commands)
{
    QTestState *s = start_hmp("");
    g_autofree char *out = qtest_hmp_line(s, "info commands");
    g_autoptr(JsonNode) list = qtest_qmp_ok(s, "{'execute': 'query-commands'}");
    g_autoptr(GString) want = g_string_new(NULL);
    JsonArray *a = json_node_get_array(list);

    for (guint i = 0; i < json_array_get_length(a); i++) {
        g_string_append_printf(want, "%s\r\n", json_object_get_string_member(
            json_array_get_object_element(a, i), "name"));
    }
    ck_assert_str_eq(out, want->str);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Run state */

START_TEST(test_info_status_running)
{
    QTestState *s = start_hmp("");

    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_info_status_names_a_stopped_state_other_than_paused)
{
    QTestState *s = start_hmp("-S");

    assert_output(s, "info status", "VM status: paused (prelaunch)\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_stop_and_cont)
{
    QTestState *s = start_hmp("");

    assert_output(s, "stop", "");
    assert_running(s, false);
    assert_output(s, "cont", "");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_aliases_run_the_same_command)
{
    QTestState *s = start_hmp("-S");

    assert_output(s, "c", "");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_stop_from_hmp_emits_stop_on_qmp)
{
    QTestState *s = start_hmp("");

    assert_output(s, "stop", "");
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
    qtest_quit(s);
}
END_TEST

START_TEST(test_quit_exits_with_status_0)
{
    QTestState *s = start_hmp("");

    ck_assert(hmp_client_send_raw(qtest_hmp_client(s), "quit\n", 5));
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_system_reset_restarts_the_guest)
{
    QTestState *s = start_hmp("");

    qtest_expect_stdout(s, "seed:", 0);
    size_t mark = qtest_stdout_len(s);
    assert_output(s, "system_reset", "");
    qtest_expect_stdout(s, "seed:", mark);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* xp: the boot-info block at 0x1000 has known contents (hw/boot-protocol.h;
 * -m 64M) */

static void assert_xp(QTestState *s, const char *line, const char *want)
{
    assert_output(s, line, want);
}

START_TEST(test_xp_hex_words)
{
    QTestState *s = start_hmp("");
    g_autofree char *line = g_strdup_printf("xp /2xw 0x%llx", BI(magic));
    g_autofree char *want = g_strdup_printf(
        "%016llx: 0x%08x 0x%08x\r\n", BI(magic), BOOT_INFO_MAGIC,
        BOOT_INFO_VERSION);

    assert_xp(s, line, want);
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_hex_giant)
{
    QTestState *s = start_hmp("");
    g_autofree char *line = g_strdup_printf("xp /xg 0x%llx", BI(ram_size));
    g_autofree char *want = g_strdup_printf("%016llx: 0x0000000004000000\r\n",
                                            BI(ram_size));

    assert_xp(s, line, want);
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_bytes_eight_per_line)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /10xb 0x1000",
              "0000000000001000: 0x51 0x58 0x42 0x49 0x01 0x00 0x00 0x00\r\n"
              "0000000000001008: 0x00 0x00\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_words_four_per_line)
{
    QTestState *s = start_hmp("");

    /* magic, version, ram_size (64 MiB, two words), nr_ram_ranges */
    assert_xp(s, "xp /5xw 0x1000",
              "0000000000001000: 0x49425851 0x00000001 0x04000000 0x00000000\r\n"
              "0000000000001010: 0x00000001\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_characters)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /5c 0x1000", "0000000000001000: 'Q' 'X' 'B' 'I' '\\x01'\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_signed_decimal)
{
    QTestState *s = start_hmp("");
    g_autofree char *line = g_strdup_printf("xp /dw 0x%llx", BI(uart_mmio));
    g_autofree char *want = g_strdup_printf("%016llx:  -33554432\r\n",
                                            BI(uart_mmio));

    /* uart_mmio is 0xfe000000: negative as a signed 32-bit word */
    assert_xp(s, line, want);
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_unsigned_decimal_halfwords)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /3uh 0x1000", "0000000000001000: 22609 18754     1\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_octal)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /ow 0x1004", "0000000000001004:          01\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_remembers_the_last_format_and_size)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /2xb 0x1000", "0000000000001000: 0x51 0x58\r\n");
    assert_xp(s, "xp 0x1000", "0000000000001000: 0x51\r\n");
    assert_xp(s, "xp /2 0x1000", "0000000000001000: 0x51 0x58\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_outside_ram_is_an_error)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /2xw 0xfe000000",
              "xp: guest-physical address 0xfe000000 is not RAM\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_xp_refuses_an_unknown_format)
{
    QTestState *s = start_hmp("");

    assert_xp(s, "xp /4q 0x1000", "xp: invalid character 'q' in format\r\n");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* pmemsave, getfd */

START_TEST(test_pmemsave_writes_the_range_to_a_file)
{
    QTestState *s = start_hmp("");
    g_autofree char *file = qtest_path(s, "boot info");
    g_autofree char *data = NULL;
    gsize len;

    g_autofree char *out = qtest_hmp_line(s, "pmemsave 0x1000 16 \"%s\"", file);
    ck_assert_str_eq(out, "");
    ck_assert(g_file_get_contents(file, &data, &len, NULL));
    ck_assert_uint_eq(len, 16);
    ck_assert(memcmp(data, "QXBI\x01\0\0\0\0\0\0\x04\0\0\0\0", 16) == 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_getfd_over_the_hmp_socket)
{
    QTestState *s = start_hmp("");
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    g_autofree char *out = hmp_client_cmd_fd(qtest_hmp_client(s), p[1],
                                             "getfd mypipe");
    ck_assert_str_eq(out, "");
    close(p[1]);
    assert_output(s, "closefd mypipe", "");
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 0);   /* the last writer is gone */
    close(p[0]);
    qtest_quit(s);
}
END_TEST

START_TEST(test_getfd_without_a_descriptor_is_an_error)
{
    QTestState *s = start_hmp("");

    assert_output(s, "getfd x", "No file descriptor supplied via SCM_RIGHTS\r\n");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Errors: one line, and the monitor goes on */

START_TEST(test_unknown_command)
{
    QTestState *s = start_hmp("");

    assert_output(s, "foo", "unknown command 'foo' (try 'help')\r\n");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_missing_argument_is_named)
{
    QTestState *s = start_hmp("");

    assert_output(s, "pmemsave 0x1000", "pmemsave: missing argument 'size'\r\n");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_bad_integer_is_quoted)
{
    QTestState *s = start_hmp("");

    assert_output(s, "pmemsave 0x1000 12Q f", "pmemsave: invalid integer '12Q'\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_extra_arguments_are_refused)
{
    QTestState *s = start_hmp("");

    assert_output(s, "stop now please", "stop: too many arguments (from 'now please')\r\n");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_unterminated_quote_is_an_error)
{
    QTestState *s = start_hmp("");

    assert_output(s, "pmemsave 0 1 \"file", "pmemsave: unterminated quoted string\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_binary_garbage_is_an_unknown_command)
{
    QTestState *s = start_hmp("");
    static const char garbage[] = "\x01\xff\xfe\x7f" "abc\n";

    ck_assert(hmp_client_send_raw(qtest_hmp_client(s), garbage, sizeof(garbage) - 1));
    g_autofree char *out = hmp_client_read_to_prompt(qtest_hmp_client(s));
    ck_assert(g_str_has_prefix(out, "unknown command '"));
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_crlf_line_ends_are_accepted)
{
    QTestState *s = start_hmp("");

    ck_assert(hmp_client_send_raw(qtest_hmp_client(s), "info version\r\n", 14));
    g_autofree char *out = hmp_client_read_to_prompt(qtest_hmp_client(s));
    ck_assert_str_eq(out, "1.0.50 (xbzrle)\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_line_over_64k_disconnects_only_that_client)
{
    QTestState *s = start_hmp("");
    HmpClient *c = qtest_hmp_client(s);
    g_autofree char *big = g_strnfill(70 * 1024, 'x');

    hmp_client_send_raw(c, big, strlen(big));   /* may be cut off */
    ck_assert(hmp_client_wait_closed(c));
    HmpClient *next = hmp_client_connect(s, "hmp.sock");
    g_autofree char *out = hmp_client_cmd(next, "info status");
    ck_assert_str_eq(out, "VM status: running\r\n");
    hmp_client_close(next);
    qtest_expect_stdout(s, ".", qtest_stdout_len(s));   /* the guest goes on */
    qtest_quit(s);
}
END_TEST

START_TEST(test_client_closing_mid_line_does_no_harm)
{
    QTestState *s = start_hmp("");

    ck_assert(hmp_client_send_raw(qtest_hmp_client(s), "info sta", 8));
    qtest_hmp_reconnect(s);
    /* The half line is gone with its client: the next line stands alone. */
    assert_output(s, "tus", "unknown command 'tus' (try 'help')\r\n");
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_next_client_gets_the_banner)
{
    QTestState *s = start_hmp("");

    qtest_hmp_reconnect(s);
    ck_assert(g_str_has_prefix(hmp_client_banner(qtest_hmp_client(s)),
                               "QEMU 1.0.50 monitor"));
    assert_running(s, true);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Several monitors */

START_TEST(test_several_monitors_drive_one_machine)
{
    QTestState *s = start_hmp("-monitor unix:{tmp}/hmp2.sock,server,nowait "
                              "-qmp unix:{tmp}/qmp2.sock,server,nowait");
    HmpClient *hmp2 = hmp_client_connect(s, "hmp2.sock");
    QmpClient *qmp2 = qmp_client_connect(s, "qmp2.sock", true);

    assert_output(s, "stop", "");
    g_autofree char *st = hmp_client_cmd(hmp2, "info status");
    ck_assert_str_eq(st, "VM status: paused\r\n");
    g_autoptr(JsonObject) ev = qmp_client_event(qmp2, "STOP");
    g_autoptr(JsonNode) ok = qmp_client_ok(qmp2, "{'execute': 'cont'}");
    assert_running(s, true);
    hmp_client_close(hmp2);
    qmp_client_close(qmp2);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *hmp_suite(void)
{
    Suite *s = suite_create("monitor-hmp");
    TCase *tc = tcase_create("help-info");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_banner_then_prompt);
    tcase_add_test(tc, test_empty_line_gives_a_new_prompt);
    tcase_add_test(tc, test_help_lists_every_command_of_the_table);
    tcase_add_test(tc, test_help_of_one_command);
    tcase_add_test(tc, test_help_of_an_unknown_command);
    tcase_add_test(tc, test_info_alone_lists_every_subcommand);
    tcase_add_test(tc, test_help_info_status);
    tcase_add_test(tc, test_info_of_an_unknown_subcommand);
    tcase_add_test(tc, test_info_version);
    tcase_add_test(tc, test_info_name);
    tcase_add_test(tc, test_info_name_without_name_prints_nothing);
    tcase_add_test(tc, test_info_commands_lists_the_qmp_commands);
    suite_add_tcase(s, tc);

    tc = tcase_create("run-state");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_info_status_running);
    tcase_add_test(tc, test_info_status_names_a_stopped_state_other_than_paused);
    tcase_add_test(tc, test_stop_and_cont);
    tcase_add_test(tc, test_aliases_run_the_same_command);
    tcase_add_test(tc, test_stop_from_hmp_emits_stop_on_qmp);
    tcase_add_test(tc, test_quit_exits_with_status_0);
    tcase_add_test(tc, test_system_reset_restarts_the_guest);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_xp_hex_words);
    tcase_add_test(tc, test_xp_hex_giant);
    tcase_add_test(tc, test_xp_bytes_eight_per_line);
    tcase_add_test(tc, test_xp_words_four_per_line);
    tcase_add_test(tc, test_xp_characters);
    tcase_add_test(tc, test_xp_signed_decimal);
    tcase_add_test(tc, test_xp_unsigned_decimal_halfwords);
    tcase_add_test(tc, test_xp_octal);
    tcase_add_test(tc, test_xp_remembers_the_last_format_and_size);
    tcase_add_test(tc, test_xp_outside_ram_is_an_error);
    tcase_add_test(tc, test_xp_refuses_an_unknown_format);
    tcase_add_test(tc, test_pmemsave_writes_the_range_to_a_file);
    tcase_add_test(tc, test_getfd_over_the_hmp_socket);
    tcase_add_test(tc, test_getfd_without_a_descriptor_is_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_unknown_command);
    tcase_add_test(tc, test_missing_argument_is_named);
    tcase_add_test(tc, test_bad_integer_is_quoted);
    tcase_add_test(tc, test_extra_arguments_are_refused);
    tcase_add_test(tc, test_unterminated_quote_is_an_error);
    tcase_add_test(tc, test_binary_garbage_is_an_unknown_command);
    tcase_add_test(tc, test_crlf_line_ends_are_accepted);
    tcase_add_test(tc, test_line_over_64k_disconnects_only_that_client);
    tcase_add_test(tc, test_client_closing_mid_line_does_no_harm);
    tcase_add_test(tc, test_next_client_gets_the_banner);
    suite_add_tcase(s, tc);

    tc = tcase_create("monitors");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_several_monitors_drive_one_machine);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(hmp_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
