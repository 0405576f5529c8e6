/*
 * Specification of the args_type language (monitor-args.h): how an HMP line
 * becomes JSON arguments for each type, the errors a user sees, and how QMP
 * arguments are checked against the same description.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-args.h"

/* ---------------------------------------------------------------------- */
/* Helpers */

/* Parses and returns the arguments as compact JSON text. */
static char *parse(const char *args_type, const char *line)
{
    GError *err = NULL;
    JsonObject *args = monitor_parse_args("cmd", args_type, line, NULL, &err);

    ck_assert_msg(args != NULL, "'%s' against '%s': %s", line, args_type,
                  err ? err->message : "?");
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, args);
    char *text = json_to_string(node, FALSE);
    json_node_unref(node);
    return text;
}

static void assert_parses(const char *args_type, const char *line,
                          const char *json)
{
    g_autofree char *got = parse(args_type, line);
    ck_assert_msg(!strcmp(got, json), "'%s' against '%s' gave %s, not %s",
                  line, args_type, got, json);
}

static void assert_hmp_error(const char *args_type, const char *line,
                             const char *message)
{
    g_autoptr(GError) err = NULL;
    JsonObject *args = monitor_parse_args("cmd", args_type, line, NULL, &err);

    ck_assert_msg(args == NULL, "'%s' against '%s' was accepted", line, args_type);
    ck_assert_str_eq(err->message, message);
}

static JsonObject *json_object(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_data(p, text, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static void assert_qmp_ok(const char *args_type, const char *json)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) args = json_object(json);
    ck_assert_msg(monitor_check_args(args_type, args, &err) == 0,
                  "%s against '%s': %s", json, args_type, err->message);
}

static void assert_qmp_error(const char *args_type, const char *json,
                             const char *message)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) args = json_object(json);
    ck_assert_msg(monitor_check_args(args_type, args, &err) < 0,
                  "%s against '%s' was accepted", json, args_type);
    ck_assert_str_eq(err->message, message);
}

/* ---------------------------------------------------------------------- */
/* HMP: strings */

START_TEST(test_string_is_one_word)
{
    assert_parses("uri:s", "tcp:localhost:4444", "{\"uri\":\"tcp:localhost:4444\"}");
}
END_TEST

START_TEST(test_quoted_string_keeps_blanks_and_escapes)
{
    assert_parses("f:s", "\"a b\\\"c\\\\d\\n\"", "{\"f\":\"a b\\\"c\\\\d\\n\"}");
}
END_TEST

START_TEST(test_strings_are_separated_by_blanks)
{
    assert_parses("a:s,b:s", "  one \t two  ", "{\"a\":\"one\",\"b\":\"two\"}");
}
END_TEST

START_TEST(test_rest_of_line_keeps_inner_blanks)
{
    assert_parses("name:S", "  info   status  ", "{\"name\":\"info   status\"}");
}
END_TEST

START_TEST(test_unterminated_quote_is_an_error)
{
    assert_hmp_error("f:s", "\"abc", "cmd: unterminated quoted string");
}
END_TEST

START_TEST(test_unknown_escape_is_an_error)
{
    assert_hmp_error("f:s", "\"a\\qb\"", "cmd: invalid escape '\\q' in a quoted string");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP: numbers */

START_TEST(test_integer_decimal_hex_negative)
{
    assert_parses("a:i,b:i,c:i", "12 0x1f -3", "{\"a\":12,\"b\":31,\"c\":-3}");
}
END_TEST

START_TEST(test_bad_integer_is_quoted_in_the_error)
{
    assert_hmp_error("n:i", "12Q", "cmd: invalid integer '12Q'");
}
END_TEST

START_TEST(test_size_without_suffix_is_mebibytes)
{
    assert_parses("value:o", "32", "{\"value\":33554432}");
}
END_TEST

START_TEST(test_size_suffixes)
{
    assert_parses("a:o,b:o,c:o,d:o", "256m 1G 4k 1.5K",
                  "{\"a\":268435456,\"b\":1073741824,\"c\":4096,\"d\":1536}");
}
END_TEST

START_TEST(test_size_with_bytes_suffix)
{
    assert_parses("a:o", "4097b", "{\"a\":4097}");
}
END_TEST

START_TEST(test_bad_size_is_quoted_in_the_error)
{
    assert_hmp_error("value:o", "12Q", "cmd: invalid size '12Q'");
}
END_TEST

START_TEST(test_negative_size_is_an_error)
{
    assert_hmp_error("value:o", "-1", "cmd: invalid size '-1'");
}
END_TEST

START_TEST(test_seconds_with_units)
{
    g_autoptr(JsonObject) args = monitor_parse_args("cmd", "a:T,b:T,c:T,d:T",
                                                    "0.5 30ms 100us 2s", NULL, NULL);

    ck_assert_ptr_nonnull(args);
    ck_assert(json_object_get_double_member(args, "a") == 0.5);
    ck_assert(json_object_get_double_member(args, "b") == 0.03);
    ck_assert(json_object_get_double_member(args, "c") == 0.0001);
    ck_assert(json_object_get_double_member(args, "d") == 2.0);
}
END_TEST

START_TEST(test_bad_seconds_are_an_error)
{
    assert_hmp_error("t:T", "fast", "cmd: invalid time 'fast' (expected seconds, e.g. 0.5 or 30ms)");
    assert_hmp_error("t:T", "3min", "cmd: invalid time '3min' (expected seconds, e.g. 0.5 or 30ms)");
}
END_TEST

START_TEST(test_on_off)
{
    assert_parses("a:b,b:b", "on off", "{\"a\":true,\"b\":false}");
}
END_TEST

START_TEST(test_bad_on_off_is_an_error)
{
    assert_hmp_error("a:b", "yes", "cmd: invalid value 'yes' (expected on or off)");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP: flags */

static const char migrate_args[] = "detach:-d,xbzrle:-x,uri:s";

START_TEST(test_flags_absent)
{
    assert_parses(migrate_args, "tcp:h:1", "{\"uri\":\"tcp:h:1\"}");
}
END_TEST

START_TEST(test_flags_in_table_order)
{
    assert_parses(migrate_args, "-d -x tcp:h:1",
                  "{\"detach\":true,\"xbzrle\":true,\"uri\":\"tcp:h:1\"}");
}
END_TEST

START_TEST(test_flags_in_any_order)
{
    assert_parses(migrate_args, "-x -d tcp:h:1",
                  "{\"xbzrle\":true,\"detach\":true,\"uri\":\"tcp:h:1\"}");
}
END_TEST

START_TEST(test_flags_combined)
{
    assert_parses(migrate_args, "-xd tcp:h:1",
                  "{\"xbzrle\":true,\"detach\":true,\"uri\":\"tcp:h:1\"}");
}
END_TEST

START_TEST(test_unknown_flag_is_an_error)
{
    assert_hmp_error(migrate_args, "-q tcp:h:1", "cmd: unsupported option -q");
}
END_TEST

START_TEST(test_negative_number_after_flags_is_not_a_flag)
{
    assert_parses("force:-f,n:i", "-f -5", "{\"force\":true,\"n\":-5}");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP: formats */

START_TEST(test_format_count_format_size)
{
    assert_parses("fmt:/,addr:i", "/10xb 0x100",
                  "{\"count\":10,\"format\":\"x\",\"size\":1,\"addr\":256}");
}
END_TEST

START_TEST(test_format_defaults_without_slash)
{
    assert_parses("fmt:/,addr:i", "0x100",
                  "{\"count\":1,\"format\":\"x\",\"size\":4,\"addr\":256}");
}
END_TEST

START_TEST(test_format_letters_in_any_order)
{
    assert_parses("fmt:/,addr:i", "/gd 0", "{\"count\":1,\"format\":\"d\",\"size\":8,\"addr\":0}");
}
END_TEST

START_TEST(test_format_remembers_the_last_one)
{
    MonitorFormat fmt = MONITOR_FORMAT_INIT;
    g_autoptr(GError) err = NULL;

    JsonObject *a = monitor_parse_args("xp", "fmt:/,addr:i", "/2ob 0", &fmt, &err);
    json_object_unref(a);
    JsonObject *b = monitor_parse_args("xp", "fmt:/,addr:i", "/3 0", &fmt, &err);
    ck_assert_str_eq(json_object_get_string_member(b, "format"), "o");
    ck_assert_int_eq(json_object_get_int_member(b, "size"), 1);
    ck_assert_int_eq(json_object_get_int_member(b, "count"), 3);
    json_object_unref(b);
}
END_TEST

START_TEST(test_format_with_an_unknown_letter_is_an_error)
{
    assert_hmp_error("fmt:/,addr:i", "/4q 0", "cmd: invalid character 'q' in format");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* HMP: presence */

START_TEST(test_missing_argument_is_named)
{
    assert_hmp_error(migrate_args, "-d", "cmd: missing argument 'uri'");
}
END_TEST

START_TEST(test_optional_argument_may_be_absent)
{
    assert_parses("name:s?", "", "{}");
    assert_parses("a:i,b:i?", "1", "{\"a\":1}");
}
END_TEST

START_TEST(test_extra_text_is_an_error)
{
    assert_hmp_error("a:i", "1 2", "cmd: too many arguments (from '2')");
    assert_hmp_error("", "x", "cmd: too many arguments (from 'x')");
}
END_TEST

START_TEST(test_error_names_the_command)
{
    g_autoptr(GError) err = NULL;
    JsonObject *args = monitor_parse_args("migrate", migrate_args, "", NULL, &err);

    ck_assert_ptr_null(args);
    ck_assert_str_eq(err->message, "migrate: missing argument 'uri'");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Words */

START_TEST(test_word_stops_at_slash_for_command_names)
{
    const char *p = "xp/4x 0x100";
    g_autofree char *w = NULL;

    ck_assert_int_eq(monitor_parse_word(&p, true, &w, NULL), 1);
    ck_assert_str_eq(w, "xp");
    ck_assert_str_eq(p, "/4x 0x100");
}
END_TEST

START_TEST(test_word_at_end_of_line)
{
    const char *p = "   ";
    char *w = NULL;

    ck_assert_int_eq(monitor_parse_word(&p, false, &w, NULL), 0);
    ck_assert_ptr_null(w);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* args_type syntax */

START_TEST(test_args_type_syntax_is_checked)
{
    ck_assert_int_eq(monitor_args_type_check("a:s,b:i?,c:-c,d:/", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:z", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:s??", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:-", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:s,a:i", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:/", true, NULL), 0);
    ck_assert_int_eq(monitor_args_type_check("a:s,*", true, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("a:s,*", false, NULL), 0);
    ck_assert_int_lt(monitor_args_type_check("*:s", true, NULL), 0);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* QMP */

START_TEST(test_qmp_accepts_the_right_types)
{
    assert_qmp_ok("s:s,i:i,o:o,t:T,b:b,f:-f",
                  "{\"s\": \"x\", \"i\": -1, \"o\": 4096, \"t\": 0.5, \"b\": true, \"f\": false}");
}
END_TEST

START_TEST(test_qmp_missing_argument)
{
    assert_qmp_error("uri:s", "{}", "Parameter 'uri' is missing");
}
END_TEST

START_TEST(test_qmp_optional_arguments_may_be_absent)
{
    assert_qmp_ok("uri:s,detach:-d,blk:b?", "{\"uri\": \"x\"}");
}
END_TEST

START_TEST(test_qmp_unknown_argument)
{
    assert_qmp_error("uri:s", "{\"uri\": \"x\", \"foo\": 1}", "Invalid parameter 'foo'");
}
END_TEST

START_TEST(test_qmp_star_accepts_any_other_member)
{
    assert_qmp_ok("id:s,*", "{\"id\": \"x\", \"dir\": \"/d\", \"on\": true, "
                  "\"props\": {\"a\": 1}}");
}
END_TEST

START_TEST(test_qmp_star_still_checks_the_named_members)
{
    assert_qmp_error("id:s,*", "{\"dir\": \"/d\"}", "Parameter 'id' is missing");
    assert_qmp_error("id:s,*", "{\"id\": 1}",
                     "Invalid parameter type for 'id', expected: string");
}
END_TEST

START_TEST(test_qmp_wrong_types_name_the_expected_one)
{
    assert_qmp_error("value:i", "{\"value\": \"1\"}",
                     "Invalid parameter type for 'value', expected: integer");
    assert_qmp_error("value:o", "{\"value\": 1.5}",
                     "Invalid parameter type for 'value', expected: integer");
    assert_qmp_error("uri:s", "{\"uri\": 1}",
                     "Invalid parameter type for 'uri', expected: string");
    assert_qmp_error("on:b", "{\"on\": \"on\"}",
                     "Invalid parameter type for 'on', expected: boolean");
    assert_qmp_error("d:-d", "{\"d\": 1}",
                     "Invalid parameter type for 'd', expected: boolean");
    assert_qmp_error("t:T", "{\"t\": \"1\"}",
                     "Invalid parameter type for 't', expected: number");
    assert_qmp_error("uri:s", "{\"uri\": null}",
                     "Invalid parameter type for 'uri', expected: string");
    assert_qmp_error("uri:s", "{\"uri\": [\"x\"]}",
                     "Invalid parameter type for 'uri', expected: string");
}
END_TEST

START_TEST(test_qmp_negative_size_is_refused)
{
    assert_qmp_error("value:o", "{\"value\": -1}",
                     "Parameter 'value' expects a size in bytes (not negative)");
}
END_TEST

START_TEST(test_qmp_integer_seconds_become_a_float)
{
    g_autoptr(JsonObject) args = json_object("{\"t\": 2}");

    ck_assert_int_eq(monitor_check_args("t:T", args, NULL), 0);
    JsonNode *t = json_object_get_member(args, "t");
    ck_assert(json_node_get_value_type(t) == G_TYPE_DOUBLE);
    ck_assert(json_node_get_double(t) == 2.0);
}
END_TEST

START_TEST(test_hmp_and_qmp_agree)
{
    /* What HMP parses is what QMP accepts: one handler serves both. */
    static const char *const cases[][2] = {
        { "detach:-d,xbzrle:-x,uri:s", "-d -x unix:/tmp/s" },
        { "value:o", "256m" },
        { "value:T", "30ms" },
        { "val:i,size:i,filename:s", "0x100000 4096 \"/tmp/a file\"" },
        { "state:b", "off" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonObject) args = monitor_parse_args("c", cases[i][0], cases[i][1],
                                                        NULL, &err);
        ck_assert_ptr_nonnull(args);
        ck_assert_msg(monitor_check_args(cases[i][0], args, &err) == 0, "%s: %s",
                      cases[i][1], err ? err->message : "");
    }
}
END_TEST

static Suite *args_suite(void)
{
    Suite *s = suite_create("monitor-args");
    TCase *tc = tcase_create("hmp");
    tcase_add_test(tc, test_string_is_one_word);
    tcase_add_test(tc, test_quoted_string_keeps_blanks_and_escapes);
    tcase_add_test(tc, test_strings_are_separated_by_blanks);
    tcase_add_test(tc, test_rest_of_line_keeps_inner_blanks);
    tcase_add_test(tc, test_unterminated_quote_is_an_error);
    tcase_add_test(tc, test_unknown_escape_is_an_error);
    tcase_add_test(tc, test_integer_decimal_hex_negative);
    tcase_add_test(tc, test_bad_integer_is_quoted_in_the_error);
    tcase_add_test(tc, test_size_without_suffix_is_mebibytes);
    tcase_add_test(tc, test_size_suffixes);
    tcase_add_test(tc, test_size_with_bytes_suffix);
    tcase_add_test(tc, test_bad_size_is_quoted_in_the_error);
    tcase_add_test(tc, test_negative_size_is_an_error);
    tcase_add_test(tc, test_seconds_with_units);
    tcase_add_test(tc, test_bad_seconds_are_an_error);
    tcase_add_test(tc, test_on_off);
    tcase_add_test(tc, test_bad_on_off_is_an_error);
    tcase_add_test(tc, test_flags_absent);
    tcase_add_test(tc, test_flags_in_table_order);
    tcase_add_test(tc, test_flags_in_any_order);
    tcase_add_test(tc, test_flags_combined);
    tcase_add_test(tc, test_unknown_flag_is_an_error);
    tcase_add_test(tc, test_negative_number_after_flags_is_not_a_flag);
    tcase_add_test(tc, test_format_count_format_size);
    tcase_add_test(tc, test_format_defaults_without_slash);
    tcase_add_test(tc, test_format_letters_in_any_order);
    tcase_add_test(tc, test_format_remembers_the_last_one);
    tcase_add_test(tc, test_format_with_an_unknown_letter_is_an_error);
    tcase_add_test(tc, test_missing_argument_is_named);
    tcase_add_test(tc, test_optional_argument_may_be_absent);
    tcase_add_test(tc, test_extra_text_is_an_error);
    tcase_add_test(tc, test_error_names_the_command);
    tcase_add_test(tc, test_word_stops_at_slash_for_command_names);
    tcase_add_test(tc, test_word_at_end_of_line);
    tcase_add_test(tc, test_args_type_syntax_is_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("qmp");
    tcase_add_test(tc, test_qmp_accepts_the_right_types);
    tcase_add_test(tc, test_qmp_missing_argument);
    tcase_add_test(tc, test_qmp_optional_arguments_may_be_absent);
    tcase_add_test(tc, test_qmp_unknown_argument);
    tcase_add_test(tc, test_qmp_star_accepts_any_other_member);
    tcase_add_test(tc, test_qmp_star_still_checks_the_named_members);
    tcase_add_test(tc, test_qmp_wrong_types_name_the_expected_one);
    tcase_add_test(tc, test_qmp_negative_size_is_refused);
    tcase_add_test(tc, test_qmp_integer_seconds_become_a_float);
    tcase_add_test(tc, test_hmp_and_qmp_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(args_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
