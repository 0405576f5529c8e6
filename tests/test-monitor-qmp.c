/*
 * Specification of the QMP monitor, driven through its socket as a client
 * program would: the greeting and negotiation, ids, each command, the
 * argument checks, events, and every kind of bad input.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libqmp.h"

/* ---------------------------------------------------------------------- */
/* Helpers */

static QTestState *start_unnegotiated(void)
{
    QTestOptions o = { .no_negotiate = true };
    return qtest_start_opts(&o, "%s", "");
}

static void assert_error(JsonObject *err, const char *cls, const char *desc)
{
    ck_assert_str_eq(qtest_error_class(err), cls);
    if (desc) {
        ck_assert_str_eq(qtest_error_desc(err), desc);
    }
    json_object_unref(err);
}

/* The whole reply, member by member, against the JSON text it must be. */
static void assert_reply_is(JsonObject *reply, const char *expected)
{
    g_autoptr(JsonNode) want = json_from_string(expected, NULL);
    g_autoptr(JsonNode) got = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(got, reply);
    g_autofree char *text = qtest_json_text(got);

    ck_assert_ptr_nonnull(want);
    ck_assert_msg(json_node_equal(got, want), "reply %s, expected %s", text,
                  expected);
}

/* The reply to the next request after some bad input: the session lives. */
static void assert_session_alive(QTestState *s)
{
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    ck_assert(json_object_get_boolean_member(json_node_get_object(st),
                                             "running"));
}

/* The guest goes on too: the seed guest prints a dot every so many passes. */
static void assert_guest_alive(QTestState *s)
{
    qtest_expect_stdout(s, ".", qtest_stdout_len(s));
}

static const char *status_of(QTestState *s)
{
    static char status[64];
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    snprintf(status, sizeof(status), "%s",
             json_object_get_string_member(json_node_get_object(st), "status"));
    return status;
}

/* Names (and aliases) of the commands of a table, from the .hx file
 * through hxtool. */
static GPtrArray *table_commands(const char *hx)
{
    g_autofree char *out = NULL;
    g_autofree char *cmd = g_strdup_printf("scripts/hxtool list %s", hx);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    ck_assert(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
        if (!f[0] || !f[1]) {
            continue;
        }
        g_auto(GStrv) aliases = g_strsplit(f[1], "|", -1);
        for (int j = 0; aliases[j]; j++) {
            g_ptr_array_add(names, g_strdup(aliases[j]));
        }
    }
    ck_assert_uint_gt(names->len, 0);
    return names;
}

/* ---------------------------------------------------------------------- */
/* Greeting and negotiation */

START_TEST(test_greeting_announces_version_and_no_capabilities)
{
    QTestState *s = start_unnegotiated();
    JsonObject *g = qmp_client_greeting(qtest_qmp_client(s));
    JsonObject *qmp = json_object_get_object_member(g, "QMP");
    JsonObject *version = json_object_get_object_member(qmp, "version");
    JsonObject *qemu = json_object_get_object_member(version, "qemu");

    ck_assert_int_eq(json_object_get_int_member(qemu, "major"), 1);
    ck_assert_int_eq(json_object_get_int_member(qemu, "minor"), 0);
    ck_assert_int_eq(json_object_get_int_member(qemu, "micro"), 50);
    ck_assert_str_eq(json_object_get_string_member(version, "package"),
                     "xbzrle");
    ck_assert_uint_eq(json_array_get_length(
        json_object_get_array_member(qmp, "capabilities")), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_commands_before_negotiation_are_command_not_found)
{
    QTestState *s = start_unnegotiated();

    assert_error(qtest_qmp_error(s, "{'execute': 'query-status'}"),
                 "CommandNotFound",
                 "Expecting capabilities negotiation with 'qmp_capabilities'");
    qtest_quit(s);
}
END_TEST

START_TEST(test_negotiation_enables_commands)
{
    QTestState *s = start_unnegotiated();

    qtest_qmp_ok_discard(s, "{'execute': 'qmp_capabilities'}");
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_negotiating_twice_is_refused)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'qmp_capabilities'}"),
                 "CommandNotFound",
                 "Capabilities negotiation is already complete, command ignored");
    qtest_quit(s);
}
END_TEST

START_TEST(test_each_connection_negotiates_again)
{
    QTestState *s = qtest_start("%s", "");

    qtest_qmp_reconnect(s, false);
    assert_error(qtest_qmp_error(s, "{'execute': 'query-name'}"),
                 "CommandNotFound", NULL);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* ids */

START_TEST(test_reply_echoes_the_id_verbatim)
{
    static const char *const ids[] = {
        "7", "'abc'", "{'a': [1, 2, {'b': null}]}", "[true, 1.5]", "null",
    };
    QTestState *s = qtest_start("%s", "");

    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autoptr(JsonObject) reply =
            qtest_qmp(s, "{'execute': 'query-name', 'id': %s}", ids[i]);
        g_autofree char *got = qtest_json_text(json_object_get_member(reply, "id"));
        ck_assert_msg(json_object_has_member(reply, "return"), "id %s", ids[i]);
        ck_assert_msg(json_object_has_member(reply, "id"), "id %s", ids[i]);
        g_autofree char *want = g_strdelimit(g_strdup(ids[i]), "'", '"');
        g_autoptr(JsonParser) wp = json_parser_new();
        ck_assert(json_parser_load_from_data(wp, want, -1, NULL));
        g_autofree char *want_text = qtest_json_text(json_parser_get_root(wp));
        ck_assert_str_eq(got, want_text);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_error_reply_echoes_the_id)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonObject) reply = qtest_qmp(s, "{'execute': 'no-such', 'id': 'x1'}");

    ck_assert(json_object_has_member(reply, "error"));
    ck_assert_str_eq(json_object_get_string_member(reply, "id"), "x1");
    qtest_quit(s);
}
END_TEST

START_TEST(test_reply_without_id_has_none)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonObject) reply = qtest_qmp(s, "{'execute': 'query-name'}");

    ck_assert(!json_object_has_member(reply, "id"));
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Queries */

START_TEST(test_query_version_matches_the_greeting)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonNode) v = qtest_qmp_ok(s, "{'execute': 'query-version'}");
    JsonObject *g = qmp_client_greeting(qtest_qmp_client(s));
    JsonNode *greeting_version =
        json_object_get_member(json_object_get_object_member(g, "QMP"), "version");

    ck_assert(json_node_equal(v, greeting_version));
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_status_of_a_running_machine)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    JsonObject *o = json_node_get_object(st);

    ck_assert(json_object_get_boolean_member(o, "running"));
    ck_assert(!json_object_get_boolean_member(o, "singlestep"));
    ck_assert_str_eq(json_object_get_string_member(o, "status"), "running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_status_of_a_machine_started_with_S)
{
    QTestState *s = qtest_start("-S");
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    JsonObject *o = json_node_get_object(st);

    ck_assert(!json_object_get_boolean_member(o, "running"));
    ck_assert_str_eq(json_object_get_string_member(o, "status"), "prelaunch");
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_name_is_empty_without_name)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonNode) n = qtest_qmp_ok(s, "{'execute': 'query-name'}");

    ck_assert_uint_eq(json_object_get_size(json_node_get_object(n)), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_name_returns_the_name)
{
    QTestState *s = qtest_start("-name source");
    g_autoptr(JsonNode) n = qtest_qmp_ok(s, "{'execute': 'query-name'}");

    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(n),
                                                   "name"), "source");
    qtest_quit(s);
}
END_TEST

START_TEST(test_query_commands_lists_the_table_in_order)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonNode) list = qtest_qmp_ok(s, "{'execute': 'query-commands'}");
    g_autoptr(GPtrArray) table = table_commands("qmp-commands.hx");
    JsonArray *a = json_node_get_array(list);

    ck_assert_uint_eq(json_array_get_length(a), table->len);
    for (guint i = 0; i < table->len; i++) {
        JsonObject *cmd = json_array_get_object_element(a, i);
        ck_assert_str_eq(json_object_get_string_member(cmd, "name"),
                         g_ptr_array_index(table, i));
    }
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Run state and events */

START_TEST(test_stop_pauses_and_emits_stop)
{
    QTestState *s = qtest_start("%s", "");

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
    ck_assert_str_eq(status_of(s), "paused");
    qtest_quit(s);
}
END_TEST

START_TEST(test_cont_resumes_and_emits_resume)
{
    QTestState *s = qtest_start("-S");

    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "RESUME");
    ck_assert_str_eq(status_of(s), "running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_stop_of_a_stopped_machine_changes_nothing)
{
    QTestState *s = qtest_start("-S");

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    ck_assert_str_eq(status_of(s), "prelaunch");
    ck_assert(qmp_client_take_event(qtest_qmp_client(s), "STOP") == NULL);
    qtest_quit(s);
}
END_TEST

START_TEST(test_event_has_name_and_timestamp)
{
    QTestState *s = qtest_start("%s", "");
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
    JsonObject *ts = json_object_get_object_member(ev, "timestamp");
    gint64 after = g_get_real_time() / G_USEC_PER_SEC;

    ck_assert_str_eq(json_object_get_string_member(ev, "event"), "STOP");
    ck_assert_int_ge(json_object_get_int_member(ts, "seconds"), before);
    ck_assert_int_le(json_object_get_int_member(ts, "seconds"), after);
    ck_assert_int_ge(json_object_get_int_member(ts, "microseconds"), 0);
    ck_assert_int_lt(json_object_get_int_member(ts, "microseconds"), 1000000);
    qtest_quit(s);
}
END_TEST

START_TEST(test_system_reset_restarts_the_guest)
{
    QTestState *s = qtest_start("%s", "");

    qtest_expect_stdout(s, "seed:", 0);
    size_t mark = qtest_stdout_len(s);
    qtest_qmp_ok_discard(s, "{'execute': 'system_reset'}");
    qtest_expect_stdout(s, "seed:", mark);
    ck_assert_str_eq(status_of(s), "running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_quit_replies_then_exits_with_status_0)
{
    QTestState *s = qtest_start("%s", "");

    qtest_qmp_ok_discard(s, "{'execute': 'quit'}");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_quit_emits_shutdown)
{
    QTestState *s = qtest_start("%s", "");

    qtest_qmp_ok_discard(s, "{'execute': 'quit'}");
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, "SHUTDOWN");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* pmemsave and human-monitor-command */

static uint8_t *read_file(const char *path, gsize *len)
{
    gchar *data = NULL;
    ck_assert_msg(g_file_get_contents(path, &data, len, NULL), "%s", path);
    return (uint8_t *)data;
}

START_TEST(test_pmemsave_writes_guest_memory_to_a_file)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *file = qtest_path(s, "mem");
    gsize len;

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    qtest_qmp_ok_discard(s, "{'execute': 'pmemsave', 'arguments': "
                         "{'val': 1048576, 'size': 65536, 'filename': '%s'}}",
                         file);
    g_autofree uint8_t *data = read_file(file, &len);
    ck_assert_uint_eq(len, 65536);
    /* xp of the same stopped memory shows the same first word */
    g_autofree char *xp = qtest_hmp(s, "xp /1xw 0x100000");
    uint32_t word = data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
    g_autofree char *want = g_strdup_printf("0000000000100000: 0x%08x\r\n", word);
    ck_assert_str_eq(xp, want);
    qtest_quit(s);
}
END_TEST

START_TEST(test_pmemsave_of_a_stopped_guest_is_repeatable)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *f1 = qtest_path(s, "m1");
    g_autofree char *f2 = qtest_path(s, "m2");
    gsize l1, l2;

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    qtest_qmp_ok_discard(s, "{'execute': 'pmemsave', 'arguments': "
                         "{'val': 0, 'size': 4194304, 'filename': '%s'}}", f1);
    qtest_qmp_ok_discard(s, "{'execute': 'pmemsave', 'arguments': "
                         "{'val': 0, 'size': 4194304, 'filename': '%s'}}", f2);
    g_autofree uint8_t *d1 = read_file(f1, &l1);
    g_autofree uint8_t *d2 = read_file(f2, &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert(memcmp(d1, d2, l1) == 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_pmemsave_beyond_ram_fails_and_leaves_no_file)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *file = qtest_path(s, "mem");

    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'pmemsave', 'arguments': "
        "{'val': %d, 'size': 4096, 'filename': '%s'}}", 256 << 20, file);
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert(!g_file_test(file, G_FILE_TEST_EXISTS));
    qtest_quit(s);
}
END_TEST

START_TEST(test_pmemsave_to_an_unwritable_path_fails)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *file = qtest_path(s, "no/such/dir/mem");

    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'pmemsave', 'arguments': "
        "{'val': 0, 'size': 4096, 'filename': '%s'}}", file);
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_ptr_nonnull(strstr(qtest_error_desc(err), "could not open"));
    qtest_quit(s);
}
END_TEST

START_TEST(test_pmemsave_refuses_a_negative_size)
{
    QTestState *s = qtest_start("%s", "");

    g_autoptr(JsonObject) err = qtest_qmp_error(s,
        "{'execute': 'pmemsave', 'arguments': "
        "{'val': 0, 'size': -1, 'filename': '/dev/null'}}");
    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    qtest_quit(s);
}
END_TEST

START_TEST(test_human_monitor_command_returns_the_hmp_output)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *out = qtest_hmp(s, "info status");

    ck_assert_str_eq(out, "VM status: running\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_human_monitor_command_returns_hmp_errors_as_text)
{
    QTestState *s = qtest_start("%s", "");
    g_autofree char *out = qtest_hmp(s, "no_such_command 1 2");

    ck_assert_str_eq(out, "unknown command 'no_such_command' (try 'help')\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_human_monitor_command_requires_its_argument)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'human-monitor-command'}"),
                 "GenericError", "Parameter 'command-line' is missing");
    qtest_quit(s);
}
END_TEST

START_TEST(test_human_monitor_command_runs_on_cpu_index_0)
{
    QTestState *s = qtest_start("%s", "");
    g_autoptr(JsonNode) out = qtest_qmp_ok(s,
        "{'execute': 'human-monitor-command', "
        "'arguments': {'command-line': 'info status', 'cpu-index': 0}}");

    ck_assert_str_eq(json_node_get_string(out), "VM status: running\r\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_human_monitor_command_refuses_a_cpu_that_does_not_exist)
{
    static const int absent[] = { 1, -1, 255 };
    QTestState *s = qtest_start("%s", "");

    for (size_t i = 0; i < G_N_ELEMENTS(absent); i++) {
        g_autoptr(JsonObject) reply = qtest_qmp(s,
            "{'execute': 'human-monitor-command', 'arguments': "
            "{'command-line': 'stop', 'cpu-index': %d}}", absent[i]);
        assert_reply_is(reply, "{\"error\": {\"class\": \"GenericError\", "
                        "\"desc\": \"Parameter 'cpu-index' expects a CPU number\"}}");
    }
    ck_assert_str_eq(status_of(s), "running");     /* the line did not run */
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* getfd / closefd */

static int pipe_fd(int *other)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    *other = p[0];
    return p[1];
}

START_TEST(test_getfd_keeps_a_descriptor_passed_with_scm_rights)
{
    QTestState *s = qtest_start("%s", "");
    int r, w = pipe_fd(&r);

    g_autoptr(JsonObject) reply = qmp_client_cmd_fd(qtest_qmp_client(s), w,
        "{'execute': 'getfd', 'arguments': {'fdname': 'pipe'}}");
    ck_assert_msg(json_object_has_member(reply, "return"), "getfd failed");
    close(w);
    qtest_qmp_ok_discard(s, "{'execute': 'closefd', 'arguments': {'fdname': 'pipe'}}");
    /* Every write end closed (ours and the emulator's): EOF */
    char c;
    ck_assert_int_eq(read(r, &c, 1), 0);
    close(r);
    qtest_quit(s);
}
END_TEST

START_TEST(test_getfd_without_a_descriptor_fails)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'getfd', 'arguments': {'fdname': 'x'}}"),
                 "GenericError", "No file descriptor supplied via SCM_RIGHTS");
    qtest_quit(s);
}
END_TEST

START_TEST(test_getfd_refuses_a_name_starting_with_a_digit)
{
    QTestState *s = qtest_start("%s", "");
    int r, w = pipe_fd(&r);

    g_autoptr(JsonObject) reply = qmp_client_cmd_fd(qtest_qmp_client(s), w,
        "{'execute': 'getfd', 'arguments': {'fdname': '7up'}}");
    JsonObject *err = json_object_get_object_member(reply, "error");
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(qtest_error_desc(err),
                     "Parameter 'fdname' expects a name not starting with a digit");
    close(w);
    close(r);
    qtest_quit(s);
}
END_TEST

START_TEST(test_closefd_of_an_unknown_name_fails)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'closefd', 'arguments': {'fdname': 'nope'}}"),
                 "GenericError", "File descriptor named 'nope' not found");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Argument checks */

START_TEST(test_missing_argument_is_named)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'pmemsave', 'arguments': "
                                 "{'val': 0, 'size': 1}}"),
                 "GenericError", "Parameter 'filename' is missing");
    qtest_quit(s);
}
END_TEST

START_TEST(test_unknown_argument_is_named)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'query-status', 'arguments': "
                                 "{'foo': 1}}"),
                 "GenericError", "Invalid parameter 'foo'");
    qtest_quit(s);
}
END_TEST

START_TEST(test_wrongly_typed_argument_is_named_with_the_expected_type)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'pmemsave', 'arguments': "
                                 "{'val': '0', 'size': 1, 'filename': 'f'}}"),
                 "GenericError", "Invalid parameter type for 'val', expected: integer");
    assert_error(qtest_qmp_error(s, "{'execute': 'pmemsave', 'arguments': "
                                 "{'val': 0, 'size': 1, 'filename': 3}}"),
                 "GenericError", "Invalid parameter type for 'filename', expected: string");
    qtest_quit(s);
}
END_TEST

START_TEST(test_unknown_command_is_command_not_found)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'migrate-to-mars'}"),
                 "CommandNotFound", "The command migrate-to-mars has not been found");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Bad requests */

START_TEST(test_request_that_is_not_an_object_is_refused)
{
    static const char *const inputs[] = { "[1, 2]\n", "42\n", "\"stop\"\n", "true\n" };
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
        ck_assert(qmp_client_send_raw(c, inputs[i], strlen(inputs[i])));
        g_autoptr(JsonObject) reply = qmp_client_receive(c);
        JsonObject *err = json_object_get_object_member(reply, "error");
        ck_assert_msg(err != NULL, "input %s", inputs[i]);
        ck_assert_str_eq(qtest_error_desc(err), "QMP input must be a JSON object");
    }
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_request_without_execute_is_refused)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'arguments': {}}"),
                 "GenericError", "QMP input lacks member 'execute'");
    qtest_quit(s);
}
END_TEST

START_TEST(test_execute_must_be_a_string)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': ['stop']}"),
                 "GenericError", "QMP input member 'execute' must be a string");
    qtest_quit(s);
}
END_TEST

START_TEST(test_arguments_must_be_an_object)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'stop', 'arguments': [1]}"),
                 "GenericError", "QMP input member 'arguments' must be an object");
    qtest_quit(s);
}
END_TEST

START_TEST(test_unexpected_request_member_is_refused)
{
    QTestState *s = qtest_start("%s", "");

    assert_error(qtest_qmp_error(s, "{'execute': 'stop', 'extra': 1}"),
                 "GenericError", "QMP input member 'extra' is unexpected");
    ck_assert_str_eq(status_of(s), "running");
    qtest_quit(s);
}
END_TEST

START_TEST(test_malformed_json_gets_an_error_and_the_session_goes_on)
{
    static const char *const inputs[] = {
        "{'execute' 'stop'}\n",
        "{\"execute\": \"stop\",}\n",
        "{\"execute\": tru}\n",
        "}\n",
        "nonsense\n",
    };
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
        ck_assert(qmp_client_send_raw(c, inputs[i], strlen(inputs[i])));
        g_autoptr(JsonObject) reply = qmp_client_receive(c);
        JsonObject *err = json_object_get_object_member(reply, "error");
        ck_assert_msg(err != NULL, "input %s", inputs[i]);
        ck_assert_str_eq(qtest_error_class(err), "GenericError");
    }
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_binary_garbage_gets_errors_and_the_session_goes_on)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    uint8_t garbage[4096];

    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    for (size_t i = 0; i < sizeof(garbage); i++) {
        garbage[i] = g_rand_int_range(rand, 0, 256);
        /* no brackets or quotes: each chunk stays a bare word that ends */
        if (strchr("{}[]\"'", garbage[i]) && garbage[i]) {
            garbage[i] = 0xff;
        }
    }
    ck_assert(qmp_client_send_raw(c, garbage, sizeof(garbage)));
    ck_assert(qmp_client_send_raw(c, "\n", 1));
    g_autoptr(JsonObject) first = qmp_client_receive(c);
    ck_assert(json_object_has_member(first, "error"));
    /* Drain the other error replies with a request that must succeed. */
    qmp_client_send(c, "{'execute': 'query-name', 'id': 'end'}");
    for (;;) {
        g_autoptr(JsonObject) reply = qmp_client_receive(c);
        if (json_object_has_member(reply, "id")) {
            ck_assert(json_object_has_member(reply, "return"));
            break;
        }
        ck_assert(json_object_has_member(reply, "error"));
    }
    assert_guest_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_garbage_inside_a_string_is_refused)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    static const char input[] = "{\"execute\": \"st\xff\xfe\x01op\"}\n";

    /* Each reset byte gets its error reply, and so does the stray '}'. */
    ck_assert(qmp_client_send_raw(c, input, sizeof(input) - 1));
    qmp_client_send(c, "{'execute': 'query-name', 'id': 'end'}");
    int errors = 0;
    for (;;) {
        g_autoptr(JsonObject) reply = qmp_client_receive(c);
        if (json_object_has_member(reply, "id")) {
            ck_assert(json_object_has_member(reply, "return"));
            break;
        }
        ck_assert(json_object_has_member(reply, "error"));
        errors++;
    }
    ck_assert_int_eq(errors, 4);
    qtest_quit(s);
}
END_TEST

START_TEST(test_message_over_64k_disconnects_only_that_client)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    g_autofree char *big = g_strnfill(70 * 1024, 'a');

    ck_assert(qmp_client_send_raw(c, "{\"execute\": \"", 13));
    qmp_client_send_raw(c, big, strlen(big));   /* may fail once cut off */
    ck_assert(qmp_client_wait_closed(c));
    qtest_qmp_reconnect(s, true);
    assert_session_alive(s);
    assert_guest_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_nesting_deeper_than_1024_disconnects_only_that_client)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    g_autofree char *deep = g_strnfill(2000, '[');

    qmp_client_send_raw(c, deep, strlen(deep));
    ck_assert(qmp_client_wait_closed(c));
    qtest_qmp_reconnect(s, true);
    assert_session_alive(s);
    assert_guest_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_client_closing_mid_request_does_no_harm)
{
    QTestState *s = qtest_start("%s", "");
    static const char half[] = "{\"execute\": \"query-sta";

    ck_assert(qmp_client_send_raw(qtest_qmp_client(s), half, sizeof(half) - 1));
    qtest_qmp_reconnect(s, true);
    assert_session_alive(s);
    assert_guest_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_requests_split_across_writes_are_reassembled)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    static const char req[] = "{\"execute\": \"query-name\", \"id\": \"split\"}";

    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        ck_assert(qmp_client_send_raw(c, &req[i], 1));
    }
    g_autoptr(JsonObject) reply = qmp_client_receive(c);
    ck_assert_str_eq(json_object_get_string_member(reply, "id"), "split");
    qtest_quit(s);
}
END_TEST

START_TEST(test_single_quoted_strings_are_accepted_as_by_qemu)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    static const char req[] = "{'execute': 'query-name', 'id': 'a}b\"c'}";

    ck_assert(qmp_client_send_raw(c, req, sizeof(req) - 1));
    g_autoptr(JsonObject) reply = qmp_client_receive(c);
    ck_assert(json_object_has_member(reply, "return"));
    ck_assert_str_eq(json_object_get_string_member(reply, "id"), "a}b\"c");
    qtest_quit(s);
}
END_TEST

START_TEST(test_several_requests_in_one_write_get_replies_in_order)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);
    static const char reqs[] =
        "{\"execute\": \"query-name\", \"id\": 1}{\"execute\": \"query-name\", \"id\": 2}"
        " {\"execute\": \"query-name\", \"id\": 3}";

    ck_assert(qmp_client_send_raw(c, reqs, sizeof(reqs) - 1));
    for (int i = 1; i <= 3; i++) {
        g_autoptr(JsonObject) reply = qmp_client_receive(c);
        ck_assert_int_eq(json_object_get_int_member(reply, "id"), i);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_next_client_is_served_after_the_previous_leaves)
{
    QTestState *s = qtest_start("%s", "");

    for (int i = 0; i < 3; i++) {
        qtest_qmp_reconnect(s, true);
        assert_session_alive(s);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_waiting_client_gets_its_greeting_when_the_first_leaves)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *waiting = qmp_client_connect_only(s, "qmp.sock");

    /* The first client is still served while the second waits... */
    assert_session_alive(s);
    /* ...and the second is greeted once the first is gone. */
    qmp_client_close(qtest_qmp_client(s));
    qtest_qmp_adopt(s, waiting);
    qmp_client_greet(waiting, true);
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Transports and several monitors */

static int free_tcp_port(void)
{
    GError *err = NULL;
    g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4,
                                           G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, &err);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    ck_assert(g_socket_bind(sock, any, TRUE, &err));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, &err);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

START_TEST(test_qmp_over_tcp)
{
    int port = free_tcp_port();
    QTestState *s = qtest_start("-qmp tcp:127.0.0.1:%d,server,nowait", port);
    g_autofree char *addr = g_strdup_printf("tcp:127.0.0.1:%d", port);
    QmpClient *c = qmp_client_connect(s, addr, true);

    g_autoptr(JsonNode) st = qmp_client_ok(c, "{'execute': 'query-status'}");
    ck_assert(json_object_get_boolean_member(json_node_get_object(st), "running"));
    qmp_client_close(c);
    qtest_quit(s);
}
END_TEST

START_TEST(test_events_reach_every_qmp_monitor)
{
    QTestState *s = qtest_start("-qmp unix:{tmp}/second.sock,server,nowait");
    QmpClient *second = qmp_client_connect(s, "second.sock", true);

    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    g_autoptr(JsonObject) e1 = qtest_qmp_event(s, "STOP");
    g_autoptr(JsonObject) e2 = qmp_client_event(second, "STOP");
    ck_assert(json_node_equal(json_object_get_member(e1, "timestamp"),
                              json_object_get_member(e2, "timestamp")));
    qmp_client_close(second);
    qtest_quit(s);
}
END_TEST

START_TEST(test_events_wait_for_negotiation)
{
    QTestState *s = qtest_start("-qmp unix:{tmp}/second.sock,server,nowait");
    QmpClient *second = qmp_client_connect(s, "second.sock", false);

    /* STOP goes out while `second` has not negotiated; had it been sent to
     * it, it would come before the reply to its qmp_capabilities. */
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    g_autoptr(JsonNode) ok = qmp_client_ok(second, "{'execute': 'qmp_capabilities'}");
    ck_assert_ptr_null(qmp_client_take_event(second, "STOP"));
    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    g_autoptr(JsonObject) ev = qmp_client_event(second, "RESUME");
    qmp_client_close(second);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Resetting the parser (the QMP specification's resynchronisation) */

static void send_raw(QmpClient *c, const char *bytes)
{
    ck_assert(qmp_client_send_raw(c, bytes, strlen(bytes)));
}

static void assert_next_reply_is(QmpClient *c, const char *expected)
{
    g_autoptr(JsonObject) reply = qmp_client_receive(c);
    assert_reply_is(reply, expected);
}

START_TEST(test_0xff_drops_an_unfinished_request_with_one_error)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    send_raw(c, "{\"execute\": \"query-status\"");
    send_raw(c, "\xff");
    assert_next_reply_is(c, "{\"error\": {\"class\": \"GenericError\", "
                         "\"desc\": \"JSON parse error, stray '\\ufffd'\"}}");
    send_raw(c, "{\"execute\": \"query-name\", \"id\": 2}");
    assert_next_reply_is(c, "{\"return\": {}, \"id\": 2}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_control_character_drops_an_unfinished_request_with_one_error)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    send_raw(c, "{\"execute\": \"query-status\", \"arguments\": {");
    send_raw(c, "\x04");
    assert_next_reply_is(c, "{\"error\": {\"class\": \"GenericError\", "
                         "\"desc\": \"JSON parse error, stray '\\u0004'\"}}");
    send_raw(c, "{\"execute\": \"query-name\", \"id\": 2}");
    assert_next_reply_is(c, "{\"return\": {}, \"id\": 2}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_an_unfinished_request_swallows_the_next_until_a_reset)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    /* Nested in the unfinished object, request 2 is part of it: no reply. */
    send_raw(c, "{\"execute\": \"query-status\", \"id\": 1\n");
    send_raw(c, "{\"execute\": \"query-name\", \"id\": 2}\n");
    /* The client gives up waiting and resets, as the specification says. */
    send_raw(c, "\xff{\"execute\": \"query-name\", \"id\": 3}\n");
    assert_next_reply_is(c, "{\"error\": {\"class\": \"GenericError\", "
                         "\"desc\": \"JSON parse error, stray '\\ufffd'\"}}");
    assert_next_reply_is(c, "{\"return\": {}, \"id\": 3}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_control_character_in_a_string_names_the_string_so_far)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    send_raw(c, "{\"execute\": \"query-st\x01");
    assert_next_reply_is(c, "{\"error\": {\"class\": \"GenericError\", "
                         "\"desc\": \"JSON parse error, stray "
                         "'\\\"query-st\\u0001'\"}}");
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_after_a_reset_input_is_skipped_up_to_a_structural_character)
{
    QTestState *s = qtest_start("%s", "");
    QmpClient *c = qtest_qmp_client(s);

    /* The quote is skipped too: it does not open a string that would
     * swallow the request. */
    send_raw(c, "\xff garbage \"quote {\"execute\": \"query-name\", \"id\": 5}");
    assert_next_reply_is(c, "{\"error\": {\"class\": \"GenericError\", "
                         "\"desc\": \"JSON parse error, stray '\\ufffd'\"}}");
    assert_next_reply_is(c, "{\"return\": {}, \"id\": 5}");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Capabilities negotiation with "enable" */

START_TEST(test_negotiation_accepts_an_empty_enable_list)
{
    QTestState *s = start_unnegotiated();

    qtest_qmp_ok_discard(s, "{'execute': 'qmp_capabilities', "
                         "'arguments': {'enable': []}}");
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_negotiation_refuses_oob_which_is_not_offered)
{
    QTestState *s = start_unnegotiated();
    g_autoptr(JsonObject) reply = qtest_qmp(s, "{'execute': 'qmp_capabilities', "
                                            "'arguments': {'enable': ['oob']}}");

    assert_reply_is(reply, "{\"error\": {\"class\": \"GenericError\", "
                    "\"desc\": \"Capability oob not available\"}}");
    /* Still negotiating. */
    assert_error(qtest_qmp_error(s, "{'execute': 'query-status'}"),
                 "CommandNotFound", NULL);
    qtest_qmp_ok_discard(s, "{'execute': 'qmp_capabilities'}");
    assert_session_alive(s);
    qtest_quit(s);
}
END_TEST

START_TEST(test_negotiation_refuses_a_capability_qemu_does_not_know)
{
    QTestState *s = start_unnegotiated();
    g_autoptr(JsonObject) reply = qtest_qmp(s, "{'execute': 'qmp_capabilities', "
                                            "'arguments': {'enable': ['nope']}}");

    assert_reply_is(reply, "{\"error\": {\"class\": \"GenericError\", "
                    "\"desc\": \"Parameter 'null' does not accept value 'nope'\"}}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_negotiation_refuses_a_capability_that_is_not_a_string)
{
    QTestState *s = start_unnegotiated();
    g_autoptr(JsonObject) reply = qtest_qmp(s, "{'execute': 'qmp_capabilities', "
                                            "'arguments': {'enable': [1]}}");

    assert_reply_is(reply, "{\"error\": {\"class\": \"GenericError\", "
                    "\"desc\": \"Invalid parameter type for 'enable[0]', "
                    "expected: string\"}}");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *qmp_suite(void)
{
    Suite *s = suite_create("monitor-qmp");
    TCase *tc = tcase_create("protocol");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_greeting_announces_version_and_no_capabilities);
    tcase_add_test(tc, test_commands_before_negotiation_are_command_not_found);
    tcase_add_test(tc, test_negotiation_enables_commands);
    tcase_add_test(tc, test_negotiating_twice_is_refused);
    tcase_add_test(tc, test_each_connection_negotiates_again);
    tcase_add_test(tc, test_negotiation_accepts_an_empty_enable_list);
    tcase_add_test(tc, test_negotiation_refuses_oob_which_is_not_offered);
    tcase_add_test(tc, test_negotiation_refuses_a_capability_qemu_does_not_know);
    tcase_add_test(tc, test_negotiation_refuses_a_capability_that_is_not_a_string);
    tcase_add_test(tc, test_reply_echoes_the_id_verbatim);
    tcase_add_test(tc, test_error_reply_echoes_the_id);
    tcase_add_test(tc, test_reply_without_id_has_none);
    suite_add_tcase(s, tc);

    tc = tcase_create("commands");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_query_version_matches_the_greeting);
    tcase_add_test(tc, test_query_status_of_a_running_machine);
    tcase_add_test(tc, test_query_status_of_a_machine_started_with_S);
    tcase_add_test(tc, test_query_name_is_empty_without_name);
    tcase_add_test(tc, test_query_name_returns_the_name);
    tcase_add_test(tc, test_query_commands_lists_the_table_in_order);
    tcase_add_test(tc, test_stop_pauses_and_emits_stop);
    tcase_add_test(tc, test_cont_resumes_and_emits_resume);
    tcase_add_test(tc, test_stop_of_a_stopped_machine_changes_nothing);
    tcase_add_test(tc, test_event_has_name_and_timestamp);
    tcase_add_test(tc, test_system_reset_restarts_the_guest);
    tcase_add_test(tc, test_quit_replies_then_exits_with_status_0);
    tcase_add_test(tc, test_quit_emits_shutdown);
    tcase_add_test(tc, test_pmemsave_writes_guest_memory_to_a_file);
    tcase_add_test(tc, test_pmemsave_of_a_stopped_guest_is_repeatable);
    tcase_add_test(tc, test_pmemsave_beyond_ram_fails_and_leaves_no_file);
    tcase_add_test(tc, test_pmemsave_to_an_unwritable_path_fails);
    tcase_add_test(tc, test_pmemsave_refuses_a_negative_size);
    tcase_add_test(tc, test_human_monitor_command_returns_the_hmp_output);
    tcase_add_test(tc, test_human_monitor_command_returns_hmp_errors_as_text);
    tcase_add_test(tc, test_human_monitor_command_requires_its_argument);
    tcase_add_test(tc, test_human_monitor_command_runs_on_cpu_index_0);
    tcase_add_test(tc, test_human_monitor_command_refuses_a_cpu_that_does_not_exist);
    tcase_add_test(tc, test_getfd_keeps_a_descriptor_passed_with_scm_rights);
    tcase_add_test(tc, test_getfd_without_a_descriptor_fails);
    tcase_add_test(tc, test_getfd_refuses_a_name_starting_with_a_digit);
    tcase_add_test(tc, test_closefd_of_an_unknown_name_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("arguments");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_missing_argument_is_named);
    tcase_add_test(tc, test_unknown_argument_is_named);
    tcase_add_test(tc, test_wrongly_typed_argument_is_named_with_the_expected_type);
    tcase_add_test(tc, test_unknown_command_is_command_not_found);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad-input");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_request_that_is_not_an_object_is_refused);
    tcase_add_test(tc, test_request_without_execute_is_refused);
    tcase_add_test(tc, test_execute_must_be_a_string);
    tcase_add_test(tc, test_arguments_must_be_an_object);
    tcase_add_test(tc, test_unexpected_request_member_is_refused);
    tcase_add_test(tc, test_malformed_json_gets_an_error_and_the_session_goes_on);
    tcase_add_test(tc, test_binary_garbage_gets_errors_and_the_session_goes_on);
    tcase_add_test(tc, test_garbage_inside_a_string_is_refused);
    tcase_add_test(tc, test_message_over_64k_disconnects_only_that_client);
    tcase_add_test(tc, test_nesting_deeper_than_1024_disconnects_only_that_client);
    tcase_add_test(tc, test_client_closing_mid_request_does_no_harm);
    tcase_add_test(tc, test_requests_split_across_writes_are_reassembled);
    tcase_add_test(tc, test_single_quoted_strings_are_accepted_as_by_qemu);
    tcase_add_test(tc, test_several_requests_in_one_write_get_replies_in_order);
    tcase_add_test(tc, test_next_client_is_served_after_the_previous_leaves);
    tcase_add_test(tc, test_a_waiting_client_gets_its_greeting_when_the_first_leaves);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser-reset");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_0xff_drops_an_unfinished_request_with_one_error);
    tcase_add_test(tc, test_a_control_character_drops_an_unfinished_request_with_one_error);
    tcase_add_test(tc, test_an_unfinished_request_swallows_the_next_until_a_reset);
    tcase_add_test(tc, test_a_control_character_in_a_string_names_the_string_so_far);
    tcase_add_test(tc, test_after_a_reset_input_is_skipped_up_to_a_structural_character);
    suite_add_tcase(s, tc);

    tc = tcase_create("monitors");
    qtest_tcase_timeout(tc, 4);
    tcase_add_test(tc, test_qmp_over_tcp);
    tcase_add_test(tc, test_events_reach_every_qmp_monitor);
    tcase_add_test(tc, test_events_wait_for_negotiation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(qmp_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
