/*
 * Specification of the command-table generator (scripts/hxtool) on small
 * .hx files written by the test, its refusals of broken ones, and checks of
 * the real tables: valid argument types, committed docs that are current
 * and list every command, QMP examples the monitor would accept.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor-args.h"

/* ---------------------------------------------------------------------- */
/* Running the generator */

typedef struct Run {
    int status;
    char *out;
    char *err;
} Run;

static Run hxtool(const char *mode, const char *file)
{
    const char *argv[] = { "scripts/hxtool", mode, file, NULL };
    Run r = { 0 };
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                               NULL, &r.out, &r.err, &r.status, &error),
                  "%s", error ? error->message : "");
    r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
    return r;
}

static void run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Writes `text` to a temporary .hx file (removed by remove_hx). */
static char *write_hx(const char *text)
{
    g_autofree char *dir = g_dir_make_tmp("test-hxtool-XXXXXX", NULL);
    char *path = g_build_filename(dir, "t.hx", NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void remove_hx(char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    unlink(path);
    rmdir(dir);
    g_free(path);
}

static Run generate(const char *mode, const char *text)
{
    char *path = write_hx(text);
    Run r = hxtool(mode, path);
    remove_hx(path);
    return r;
}

static void assert_contains(const char *haystack, const char *needle)
{
    ck_assert_msg(strstr(haystack, needle) != NULL, "'%s' not in:\n%s", needle,
                  haystack);
}

/* A small but complete file: an HMP table with an info-like subtable. */
static const char sample[] =
    "HXCOMM a comment\n"
    "TITLE Sample commands\n"
    "TABLE s_cmds hmp Commands\n"
    "TEXT\n"
    "Intro *text*.\n"
    "ENDTEXT\n"
    "\n"
    "COMMAND cont|c\n"
    "ARGS    detach:-d,uri:s\n"
    "PARAMS  [-d] uri\n"
    "HELP    go on \"now\" \\ later\n"
    "HANDLER hmp_go\n"
    "DOC\n"
    "Goes on.\n"
    "ENDDOC\n"
    "\n"
    "COMMAND show\n"
    "PARAMS  [what]\n"
    "HELP    show things\n"
    "SUBTABLE s_show\n"
    "DOC\n"
    "Shows.\n"
    "ENDDOC\n"
    "\n"
    "COMMAND again\n"
    "HELP    same handler\n"
    "HANDLER hmp_go\n"
    "DOC\n"
    "Again.\n"
    "ENDDOC\n"
    "\n"
    "TABLE s_show hmp Show subcommands\n"
    "COMMAND status\n"
    "HELP    show the status\n"
    "HANDLER hmp_show_status\n"
    "DOC\n"
    "Status.\n"
    "ENDDOC\n";

/* ---------------------------------------------------------------------- */
/* Output */

START_TEST(test_table_is_a_c_initializer_per_command)
{
    Run r = generate("table", sample);

    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "static const MonitorCommand s_cmds[] = {");
    assert_contains(r.out, ".name = \"cont|c\",");
    assert_contains(r.out, ".args_type = \"detach:-d,uri:s\",");
    assert_contains(r.out, ".params = \"[-d] uri\",");
    assert_contains(r.out, ".hmp_handler = hmp_go,");
    assert_contains(r.out, ".sub_table = s_show,");
    assert_contains(r.out, "{ .name = NULL },");
    run_clear(&r);
}
END_TEST

START_TEST(test_table_escapes_c_strings)
{
    Run r = generate("table", sample);

    assert_contains(r.out, ".help = \"go on \\\"now\\\" \\\\ later\",");
    run_clear(&r);
}
END_TEST

START_TEST(test_referenced_table_comes_first)
{
    Run r = generate("table", sample);
    const char *sub = strstr(r.out, "s_show[] = {");
    const char *main_table = strstr(r.out, "s_cmds[] = {");

    ck_assert(sub && main_table && sub < main_table);
    run_clear(&r);
}
END_TEST

START_TEST(test_handlers_are_declared_once_each)
{
    Run r = generate("handlers", sample);

    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "HmpHandler hmp_go;\nHmpHandler hmp_show_status;\n");
    ck_assert_ptr_null(strstr(strstr(r.out, "hmp_go;") + 1, "hmp_go;"));
    run_clear(&r);
}
END_TEST

START_TEST(test_qmp_handlers_are_declared_as_qmp)
{
    Run r = generate("handlers",
                     "TABLE q qmp Q\n"
                     "COMMAND query-x\nHELP x\nHANDLER qmp_query_x\n"
                     "DOC\n    -> { \"execute\": \"query-x\" }\n    <- { \"return\": {} }\nENDDOC\n");

    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "QmpHandler qmp_query_x;");
    run_clear(&r);
}
END_TEST

START_TEST(test_doc_has_title_sections_synopsis_and_text)
{
    Run r = generate("doc", sample);

    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "# Sample commands\n");
    assert_contains(r.out, "## Commands\n\nIntro *text*.\n");
    assert_contains(r.out, "### `cont`\n\n    cont [-d] uri\n\n");
    assert_contains(r.out, "Go on \"now\" \\ later (also `c`).\n");
    assert_contains(r.out, "- `-d` (detach): flag\n- `uri`: string\n");
    assert_contains(r.out, "Goes on.\n");
    run_clear(&r);
}
END_TEST

START_TEST(test_qmp_doc_names_the_json_type_of_each_argument)
{
    Run r = generate("doc",
                     "TABLE q qmp Q\n"
                     "COMMAND x\n"
                     "ARGS    s:s,i:i,o:o,t:T,b:b,f:-f,a:A,l:A?\n"
                     "HELP    x\nHANDLER qmp_x\nDOC\n"
                     "    -> { \"execute\": \"x\" }\n    <- { \"return\": {} }\n"
                     "ENDDOC\n");

    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "- `s`: string\n- `i`: integer\n"
                           "- `o`: integer (bytes)\n- `t`: number (seconds)\n"
                           "- `b`: boolean\n- `f`: boolean, optional\n"
                           "- `a`: array\n- `l`: array, optional\n");
    run_clear(&r);
}
END_TEST

START_TEST(test_doc_prefixes_subcommands_with_their_command)
{
    Run r = generate("doc", sample);

    assert_contains(r.out, "## Show subcommands\n");
    assert_contains(r.out, "### `show status`\n\n    show status\n");
    run_clear(&r);
}
END_TEST

START_TEST(test_list_gives_table_name_and_args)
{
    Run r = generate("list", sample);

    ck_assert_str_eq(r.out, "s_cmds\tcont|c\tdetach:-d,uri:s\n"
                            "s_cmds\tshow\t\n"
                            "s_cmds\tagain\t\n"
                            "s_show\tstatus\t\n");
    run_clear(&r);
}
END_TEST

START_TEST(test_examples_join_continued_json)
{
    Run r = generate("examples",
                     "TABLE q qmp Q\n"
                     "COMMAND x\nHELP x\nHANDLER qmp_x\nDOC\n"
                     "    -> { \"execute\": \"x\",\n"
                     "         \"arguments\": { \"s\": \"}\" } }\n"
                     "    <- { \"return\": {} }\nENDDOC\n");

    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out,
                     "x\t->\t{ \"execute\": \"x\", \"arguments\": { \"s\": \"}\" } }\n"
                     "x\t<-\t{ \"return\": {} }\n");
    run_clear(&r);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Refusals: status 1 and FILE:LINE: message */

static void assert_refused(const char *text, int line, const char *message)
{
    char *path = write_hx(text);
    Run r = hxtool("table", path);
    g_autofree char *want = g_strdup_printf("%s:%d: %s\n", path, line, message);

    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
    run_clear(&r);
    remove_hx(path);
}

#define CMD_OK "HELP h\nHANDLER hmp_x\nDOC\nd\nENDDOC\n"

START_TEST(test_refuses_a_command_without_help)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHANDLER hmp_x\nDOC\nd\nENDDOC\n", 2,
                   "command x has no HELP");
}
END_TEST

START_TEST(test_refuses_a_command_without_handler)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHELP h\nDOC\nd\nENDDOC\n", 2,
                   "command x has no HANDLER");
}
END_TEST

START_TEST(test_refuses_a_command_without_doc)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHELP h\nHANDLER hmp_x\n", 2,
                   "command x has no DOC block");
}
END_TEST

START_TEST(test_refuses_an_unterminated_doc)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHELP h\nHANDLER hmp_x\nDOC\nd\n", 5,
                   "DOC without ENDDOC");
}
END_TEST

START_TEST(test_refuses_an_unknown_keyword)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHLEP h\n", 3, "unknown keyword 'HLEP'");
}
END_TEST

START_TEST(test_refuses_a_command_before_any_table)
{
    assert_refused("COMMAND x\n" CMD_OK, 1, "COMMAND before any TABLE");
}
END_TEST

START_TEST(test_refuses_a_field_given_twice)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHELP a\nHELP b\n", 4,
                   "HELP given twice for x");
}
END_TEST

START_TEST(test_refuses_a_duplicate_command_or_alias)
{
    assert_refused("TABLE t hmp T\nCOMMAND cont|c\n" CMD_OK "COMMAND c\n" CMD_OK, 8,
                   "command c defined twice in table t");
}
END_TEST

START_TEST(test_refuses_a_bad_args_type)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nARGS a:q\n" CMD_OK, 2,
                   "bad args_type item 'a:q' in x");
    assert_refused("TABLE t hmp T\nCOMMAND x\nARGS a:s,a:i\n" CMD_OK, 2,
                   "argument 'a' twice in x");
}
END_TEST

START_TEST(test_refuses_hmp_only_types_in_qmp)
{
    assert_refused("TABLE t qmp T\nCOMMAND x\nARGS f:/\nHELP h\nHANDLER q\n"
                   "DOC\n-> {}\n<- {}\nENDDOC\n", 2,
                   "type of 'f:/' is for HMP only");
}
END_TEST

START_TEST(test_refuses_qmp_only_types_in_hmp)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nARGS a:A\n" CMD_OK, 2,
                   "type of 'a:A' is for QMP only");
    assert_refused("TABLE t hmp T\nCOMMAND x\nARGS a:s,*\n" CMD_OK, 2,
                   "'*' (any other member) is for QMP only");
}
END_TEST

START_TEST(test_refuses_a_qmp_doc_without_example)
{
    assert_refused("TABLE t qmp T\nCOMMAND x\nHELP h\nHANDLER q\nDOC\nText.\nENDDOC\n", 2,
                   "the DOC of x shows no \"-> \" / \"<- \" example");
}
END_TEST

START_TEST(test_refuses_an_undefined_subtable)
{
    assert_refused("TABLE t hmp T\nCOMMAND info\nHELP h\nSUBTABLE nope\nDOC\nd\nENDDOC\n", 2,
                   "SUBTABLE nope is not defined");
}
END_TEST

START_TEST(test_refuses_a_handler_that_is_not_an_identifier)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\nHELP h\nHANDLER hmp-x\nDOC\nd\nENDDOC\n", 2,
                   "HANDLER 'hmp-x' is not a C identifier");
}
END_TEST

START_TEST(test_refuses_text_away_from_its_table)
{
    assert_refused("TABLE t hmp T\nCOMMAND x\n" CMD_OK "TEXT\nx\nENDTEXT\n", 8,
                   "TEXT belongs right after its TABLE line");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The real tables */

typedef struct Entry {
    char *table;
    char *name;
    char *args_type;
} Entry;

static void entry_clear(gpointer p)
{
    Entry *e = p;
    g_free(e->table), g_free(e->name), g_free(e->args_type);
}

static GArray *list_commands(const char *hx)
{
    Run r = hxtool("list", hx);
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(Entry));
    g_array_set_clear_func(entries, entry_clear);
    g_auto(GStrv) lines = g_strsplit(r.out, "\n", -1);

    ck_assert_int_eq(r.status, 0);
    for (int i = 0; lines[i] && lines[i][0]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
        Entry e = { g_strdup(f[0]), g_strdup(f[1]), g_strdup(f[2]) };
        g_array_append_val(entries, e);
    }
    run_clear(&r);
    ck_assert_uint_gt(entries->len, 3);
    return entries;
}

static bool entry_has_name(const Entry *e, const char *name)
{
    g_auto(GStrv) names = g_strsplit(e->name, "|", -1);
    return g_strv_contains((const char *const *)names, name);
}

/* The command called `name`, or with that alias. */
static const Entry *find_entry(GArray *entries, const char *name)
{
    for (guint i = 0; i < entries->len; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        if (entry_has_name(e, name)) {
            return e;
        }
    }
    return NULL;
}

START_TEST(test_every_args_type_of_the_tables_is_valid)
{
    static const char *const files[] = { "hmp-commands.hx", "qmp-commands.hx" };

    for (size_t f = 0; f < G_N_ELEMENTS(files); f++) {
        g_autoptr(GArray) entries = list_commands(files[f]);
        for (guint i = 0; i < entries->len; i++) {
            const Entry *e = &g_array_index(entries, Entry, i);
            g_autoptr(GError) err = NULL;
            ck_assert_msg(monitor_args_type_check(e->args_type, f == 1, &err) == 0,
                          "%s: %s", e->name, err->message);
        }
    }
}
END_TEST

static void assert_doc_current(const char *hx, const char *md)
{
    Run r = hxtool("doc", hx);
    g_autofree char *committed = NULL;

    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(g_file_get_contents(md, &committed, NULL, NULL), "%s", md);
    ck_assert_msg(!strcmp(r.out, committed), "%s is out of date: run make", md);
    run_clear(&r);
}

START_TEST(test_committed_docs_are_current)
{
    assert_doc_current("hmp-commands.hx", "docs/hmp.md");
    assert_doc_current("qmp-commands.hx", "docs/qmp.md");
}
END_TEST

static void assert_doc_lists_every_command(const char *hx, const char *md,
                                           const char *subtable,
                                           const char *prefix)
{
    g_autoptr(GArray) entries = list_commands(hx);
    g_autofree char *doc = NULL;

    ck_assert(g_file_get_contents(md, &doc, NULL, NULL));
    for (guint i = 0; i < entries->len; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        g_autofree char *name = g_strndup(e->name, strcspn(e->name, "|"));
        g_autofree char *heading = g_strdup_printf(
            "\n### `%s%s`\n", subtable && !strcmp(e->table, subtable) ? prefix : "",
            name);
        ck_assert_msg(strstr(doc, heading) != NULL, "%s lacks %s", md, heading);
    }
}

START_TEST(test_docs_list_every_command)
{
    assert_doc_lists_every_command("hmp-commands.hx", "docs/hmp.md",
                                   "hmp_info_cmds", "info ");
    assert_doc_lists_every_command("qmp-commands.hx", "docs/qmp.md", NULL, NULL);
}
END_TEST

/* A JSON value of the type a QMP reference line names ("- `x`: TYPE"). */
static JsonNode *value_of_documented_type(const char *type)
{
    static const struct {
        const char *name;
        const char *json;
    } samples[] = {
        { "string", "\"s\"" }, { "integer", "1" }, { "number", "0.5" },
        { "boolean", "true" }, { "array", "[]" }, { "object", "{}" },
        { "any type", "null" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(samples); i++) {
        if (g_str_has_prefix(type, samples[i].name)) {
            return json_from_string(samples[i].json, NULL);
        }
    }
    ck_abort_msg("unknown documented type '%s'", type);
    return NULL;
}

/* The type docs/qmp.md gives argument `arg` of command `cmd`. */
static char *documented_type(const char *doc, const char *cmd, const char *arg)
{
    g_autofree char *heading = g_strdup_printf("\n### `%s`\n", cmd);
    g_autofree char *line = g_strdup_printf("\n- `%s`: ", arg);
    const char *section = strstr(doc, heading);
    ck_assert_msg(section != NULL, "docs/qmp.md lacks %s", cmd);
    const char *next = strstr(section + 1, "\n### ");
    const char *p = strstr(section, line);
    ck_assert_msg(p && (!next || p < next), "%s: argument %s undocumented",
                  cmd, arg);
    p += strlen(line);
    return g_strndup(p, strcspn(p, "\n"));
}

START_TEST(test_qmp_reference_gives_each_argument_the_type_the_monitor_takes)
{
    g_autoptr(GArray) entries = list_commands("qmp-commands.hx");
    g_autofree char *doc = NULL;

    ck_assert(g_file_get_contents("docs/qmp.md", &doc, NULL, NULL));
    for (guint i = 0; i < entries->len; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        g_autofree char *cmd = g_strndup(e->name, strcspn(e->name, "|"));
        g_auto(GStrv) items = g_strsplit(e->args_type, ",", -1);
        for (int j = 0; items[j] && items[j][0]; j++) {
            g_autofree char *arg = g_strndup(items[j], strcspn(items[j], ":"));
            g_autofree char *type = documented_type(doc, cmd, arg);
            g_autoptr(JsonObject) args = json_object_new();
            json_object_set_member(args, arg, value_of_documented_type(type));
            g_autoptr(GError) err = NULL;
            ck_assert_msg(monitor_check_args(items[j], args, &err) == 0,
                          "%s: `%s` documented as %s: %s", cmd, arg, type,
                          err->message);
        }
    }
}
END_TEST

static JsonObject *parse_example(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert_msg(json_parser_load_from_data(p, json, -1, NULL), "bad JSON: %s", json);
    JsonNode *root = json_parser_get_root(p);
    ck_assert_msg(JSON_NODE_HOLDS_OBJECT(root), "not an object: %s", json);
    return json_object_ref(json_node_get_object(root));
}

/* A request: a command of the table, arguments the monitor accepts. */
static void check_request(GArray *entries, const char *doc_of, const char *json)
{
    g_autoptr(JsonObject) req = parse_example(json);
    const char *name = json_object_get_string_member(req, "execute");
    const Entry *e = find_entry(entries, name);

    ck_assert_msg(e != NULL, "example of %s runs unknown %s", doc_of, name);
    ck_assert_msg(entry_has_name(e, doc_of), "example of %s runs %s", doc_of, name);
    g_autoptr(JsonObject) args = json_object_has_member(req, "arguments")
        ? json_object_ref(json_object_get_object_member(req, "arguments"))
        : json_object_new();
    g_autoptr(GError) err = NULL;
    ck_assert_msg(monitor_check_args(e->args_type, args, &err) == 0,
                  "example of %s: %s", name, err ? err->message : "");
}

START_TEST(test_qmp_examples_are_requests_the_monitor_accepts)
{
    g_autoptr(GArray) entries = list_commands("qmp-commands.hx");
    Run r = hxtool("examples", "qmp-commands.hx");
    g_auto(GStrv) lines = g_strsplit(r.out, "\n", -1);
    int requests = 0;

    for (int i = 0; lines[i] && lines[i][0]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
        if (!strcmp(f[1], "->")) {
            check_request(entries, f[0], f[2]);
            requests++;
        } else {
            g_autoptr(JsonObject) reply = parse_example(f[2]);
            ck_assert_msg(json_object_has_member(reply, "return") ||
                          json_object_has_member(reply, "error") ||
                          json_object_has_member(reply, "event"),
                          "reply of %s: %s", f[0], f[2]);
        }
    }
    ck_assert_int_ge(requests, (int)entries->len);
    run_clear(&r);
}
END_TEST

static Suite *hxtool_suite(void)
{
    Suite *s = suite_create("hxtool");
    TCase *tc = tcase_create("output");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_table_is_a_c_initializer_per_command);
    tcase_add_test(tc, test_table_escapes_c_strings);
    tcase_add_test(tc, test_referenced_table_comes_first);
    tcase_add_test(tc, test_handlers_are_declared_once_each);
    tcase_add_test(tc, test_qmp_handlers_are_declared_as_qmp);
    tcase_add_test(tc, test_doc_has_title_sections_synopsis_and_text);
    tcase_add_test(tc, test_doc_prefixes_subcommands_with_their_command);
    tcase_add_test(tc, test_qmp_doc_names_the_json_type_of_each_argument);
    tcase_add_test(tc, test_list_gives_table_name_and_args);
    tcase_add_test(tc, test_examples_join_continued_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("refusals");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_refuses_a_command_without_help);
    tcase_add_test(tc, test_refuses_a_command_without_handler);
    tcase_add_test(tc, test_refuses_a_command_without_doc);
    tcase_add_test(tc, test_refuses_an_unterminated_doc);
    tcase_add_test(tc, test_refuses_an_unknown_keyword);
    tcase_add_test(tc, test_refuses_a_command_before_any_table);
    tcase_add_test(tc, test_refuses_a_field_given_twice);
    tcase_add_test(tc, test_refuses_a_duplicate_command_or_alias);
    tcase_add_test(tc, test_refuses_a_bad_args_type);
    tcase_add_test(tc, test_refuses_hmp_only_types_in_qmp);
    tcase_add_test(tc, test_refuses_qmp_only_types_in_hmp);
    tcase_add_test(tc, test_refuses_a_qmp_doc_without_example);
    tcase_add_test(tc, test_refuses_an_undefined_subtable);
    tcase_add_test(tc, test_refuses_a_handler_that_is_not_an_identifier);
    tcase_add_test(tc, test_refuses_text_away_from_its_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("tables");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_every_args_type_of_the_tables_is_valid);
    tcase_add_test(tc, test_committed_docs_are_current);
    tcase_add_test(tc, test_docs_list_every_command);
    tcase_add_test(tc, test_qmp_reference_gives_each_argument_the_type_the_monitor_takes);
    tcase_add_test(tc, test_qmp_examples_are_requests_the_monitor_accepts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(hxtool_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
