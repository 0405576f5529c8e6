/*
 * Specification of user-creatable objects (object.h), with the one type
 * that needs no files, authz-simple: the -object text form and the JSON
 * forms, the errors in QEMU's wording, references and deletion; then the
 * same through the emulator's -object option, QMP object-add / object-del
 * and HMP object_add / object_del.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "authz/simple.h"
#include "crypto/tlscreds.h"
#include "libqmp.h"
#include "object.h"

/* ---------------------------------------------------------------------- */
/* Helpers */

static void assert_created(const char *text)
{
    g_autoptr(GError) err = NULL;

    ck_assert_msg(object_create_from_string(text, &err) == 0, "%s: %s", text,
                  err ? err->message : "");
}

static void assert_refused(const char *text, const char *expected)
{
    g_autoptr(GError) err = NULL;

    ck_assert_int_eq(object_create_from_string(text, &err), -1);
    ck_assert_str_eq(err->message, expected);
}

static JsonObject *json_args(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();

    ck_assert(json_parser_load_from_data(p, json, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static bool allowed(const char *authz_id, const char *identity)
{
    g_autoptr(GError) err = NULL;
    bool ok = authz_is_allowed(authz_id, identity, &err);

    ck_assert_msg(!err, "%s", err ? err->message : "");
    return ok;
}

/* ---------------------------------------------------------------------- */
/* The text form */

START_TEST(test_text_form_makes_an_object_with_its_properties)
{
    assert_created("authz-simple,id=auth0,identity=alice");
    ck_assert(allowed("auth0", "alice"));
    ck_assert(!allowed("auth0", "bob"));
}
END_TEST

START_TEST(test_double_comma_is_a_comma_inside_a_value)
{
    assert_created("authz-simple,id=auth0,identity=CN=laptop,,O=Example Org");
    ck_assert(allowed("auth0", "CN=laptop,O=Example Org"));
}
END_TEST

START_TEST(test_type_may_be_given_as_qom_type)
{
    assert_created("qom-type=authz-simple,id=auth0,identity=alice");
    ck_assert(allowed("auth0", "alice"));
}
END_TEST

START_TEST(test_text_starting_with_a_brace_is_json)
{
    assert_created("{\"qom-type\": \"authz-simple\", \"id\": \"auth0\", "
                   "\"identity\": \"alice\"}");
    ck_assert(allowed("auth0", "alice"));
}
END_TEST

START_TEST(test_element_without_equals_sign_is_refused)
{
    assert_refused("authz-simple,id=auth0,alice",
                   "Expected '=' after parameter 'alice'");
}
END_TEST

START_TEST(test_property_given_twice_is_refused)
{
    assert_refused("authz-simple,id=auth0,identity=a,identity=b",
                   "Parameter 'identity' is given more than once");
}
END_TEST

START_TEST(test_boolean_text_takes_qemus_six_words)
{
    static const char *const words[] = { "on", "off", "yes", "no", "true", "false" };
    g_autoptr(GError) err = NULL;

    /* verify-peer is the boolean at hand; a missing dir fails after it
     * was parsed, so the parse is what this checks. */
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        g_autofree char *text = g_strdup_printf("tls-creds-x509,id=t,verify-peer=%s",
                                                words[i]);
        g_clear_error(&err);
        ck_assert_int_eq(object_create_from_string(text, &err), -1);
        ck_assert_str_eq(err->message, "Missing 'dir' property value");
    }
    assert_refused("tls-creds-x509,id=t,verify-peer=maybe",
                   "Parameter 'verify-peer' expects 'on' or 'off'");
}
END_TEST

START_TEST(test_enum_value_outside_its_list_is_refused_naming_the_list)
{
    assert_refused("tls-creds-x509,id=t,endpoint=both",
                   "Parameter 'endpoint' does not accept value 'both' "
                   "(expected client or server)");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The JSON forms (QMP object-add) */

START_TEST(test_json_properties_beside_type_and_id)
{
    g_autoptr(JsonObject) args = json_args("{\"qom-type\": \"authz-simple\", "
                                           "\"id\": \"auth0\", \"identity\": \"alice\"}");

    ck_assert_int_eq(object_create_from_json(args, NULL), 0);
    ck_assert(allowed("auth0", "alice"));
}
END_TEST

START_TEST(test_json_properties_in_props_as_before_qemu_6)
{
    g_autoptr(JsonObject) args = json_args("{\"qom-type\": \"authz-simple\", "
                                           "\"id\": \"auth0\", "
                                           "\"props\": {\"identity\": \"alice\"}}");

    ck_assert_int_eq(object_create_from_json(args, NULL), 0);
    ck_assert(allowed("auth0", "alice"));
}
END_TEST

START_TEST(test_json_value_of_the_wrong_type_is_refused)
{
    g_autoptr(JsonObject) args = json_args("{\"qom-type\": \"tls-creds-x509\", "
                                           "\"id\": \"t\", \"verify-peer\": \"on\"}");
    g_autoptr(GError) err = NULL;

    ck_assert_int_eq(object_create_from_json(args, &err), -1);
    ck_assert_str_eq(err->message,
                     "Invalid parameter type for 'verify-peer', expected: boolean");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Errors common to every type */

START_TEST(test_unknown_type_is_refused)
{
    assert_refused("secret,id=s0,data=x", "invalid object type: secret");
}
END_TEST

START_TEST(test_missing_id_is_refused)
{
    assert_refused("authz-simple,identity=alice", "Parameter 'id' is missing");
}
END_TEST

START_TEST(test_id_must_be_an_identifier)
{
    assert_refused("authz-simple,id=0auth,identity=alice",
                   "Parameter 'id' expects an identifier (letters, digits, "
                   "'-', '.', '_', starting with a letter)");
}
END_TEST

START_TEST(test_unknown_property_is_refused_naming_type_and_property)
{
    assert_refused("authz-simple,id=auth0,identity=alice,colour=blue",
                   "Property 'authz-simple.colour' not found");
}
END_TEST

START_TEST(test_missing_required_property_is_refused)
{
    assert_refused("authz-simple,id=auth0", "The 'identity' property must be set");
}
END_TEST

START_TEST(test_duplicate_id_is_refused_and_the_first_object_stays)
{
    assert_created("authz-simple,id=auth0,identity=alice");
    assert_refused("authz-simple,id=auth0,identity=bob",
                   "attempt to add duplicate property 'auth0' to object "
                   "(type 'container')");
    ck_assert(allowed("auth0", "alice"));
    ck_assert(!allowed("auth0", "bob"));
}
END_TEST

START_TEST(test_failed_creation_leaves_no_object_behind)
{
    assert_refused("authz-simple,id=auth0", "The 'identity' property must be set");
    ck_assert_ptr_null(object_ref_by_id("auth0"));
    assert_created("authz-simple,id=auth0,identity=alice");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* References and deletion */

START_TEST(test_deleting_an_unknown_id_is_refused)
{
    g_autoptr(GError) err = NULL;

    ck_assert_int_eq(object_delete("auth0", &err), -1);
    ck_assert_str_eq(err->message, "object 'auth0' not found");
}
END_TEST

START_TEST(test_deleted_object_is_gone_and_its_id_free)
{
    assert_created("authz-simple,id=auth0,identity=alice");
    ck_assert_int_eq(object_delete("auth0", NULL), 0);
    ck_assert_ptr_null(object_ref_by_id("auth0"));
    assert_created("authz-simple,id=auth0,identity=bob");
    ck_assert(allowed("auth0", "bob"));
}
END_TEST

START_TEST(test_referenced_object_cannot_be_deleted_until_released)
{
    g_autoptr(GError) err = NULL;

    assert_created("authz-simple,id=auth0,identity=alice");
    Object *user = authz_ref("auth0", NULL);
    ck_assert_ptr_nonnull(user);
    ck_assert_int_eq(object_delete("auth0", &err), -1);
    ck_assert_str_eq(err->message, "object 'auth0' is in use, can not be deleted");
    object_unref(user);
    ck_assert_int_eq(object_delete("auth0", NULL), 0);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* authz-simple */

START_TEST(test_authz_lookup_of_an_unknown_id_is_an_error)
{
    g_autoptr(GError) err = NULL;

    ck_assert(!authz_is_allowed("nope", "alice", &err));
    ck_assert_str_eq(err->message, "No authorization object with id 'nope'");
}
END_TEST

START_TEST(test_authz_denial_is_no_error)
{
    g_autoptr(GError) err = NULL;

    assert_created("authz-simple,id=auth0,identity=alice");
    ck_assert(!authz_is_allowed("auth0", "alice2", &err));
    ck_assert_ptr_null(err);
    ck_assert(!authz_is_allowed("auth0", NULL, &err));
    ck_assert_ptr_null(err);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Through the emulator */

static QTestState *start_stopped(const char *extra)
{
    return qtest_start("-S -kernel guests/idle.elf %s", extra);
}

START_TEST(test_object_option_makes_the_object_before_the_machine)
{
    QTestState *s = start_stopped("-object authz-simple,id=auth0,identity=alice");

    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'auth0'}}");
    qtest_quit(s);
}
END_TEST

START_TEST(test_object_option_error_is_one_line_and_exit_status_1)
{
    g_autofree char *line = qtest_start_up_error("-S -object authz-simple,id=auth0");

    ck_assert_str_eq(line, "qemu-system-x86_64: -object authz-simple,id=auth0: "
                     "The 'identity' property must be set");
}
END_TEST

START_TEST(test_object_options_are_made_in_order)
{
    g_autofree char *line = qtest_start_up_error("-S -object authz-simple,id=a,identity=x "
                                                 "-object authz-simple,id=a,identity=y");

    ck_assert_str_eq(line, "qemu-system-x86_64: -object authz-simple,id=a,identity=y: "
                     "attempt to add duplicate property 'a' to object "
                     "(type 'container')");
}
END_TEST

START_TEST(test_qmp_object_add_takes_properties_beside_type_and_id)
{
    QTestState *s = start_stopped("");

    qtest_qmp_ok_discard(s, "{'execute': 'object-add', 'arguments': "
                         "{'qom-type': 'authz-simple', 'id': 'auth0', "
                         "'identity': 'alice'}}");
    qtest_qmp_ok_discard(s, "{'execute': 'object-add', 'arguments': "
                         "{'qom-type': 'authz-simple', 'id': 'auth1', "
                         "'props': {'identity': 'bob'}}}");
    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'auth0'}}");
    qtest_qmp_ok_discard(s, "{'execute': 'object-del', 'arguments': {'id': 'auth1'}}");
    qtest_quit(s);
}
END_TEST

static void assert_qmp_error(QTestState *s, const char *request, const char *desc)
{
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "%s", request);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    ck_assert_str_eq(qtest_error_desc(err), desc);
}

START_TEST(test_qmp_object_add_errors_have_qemus_wording)
{
    QTestState *s = start_stopped("-object authz-simple,id=auth0,identity=alice");

    assert_qmp_error(s, "{'execute': 'object-add', 'arguments': "
                     "{'qom-type': 'secret', 'id': 's0'}}",
                     "invalid object type: secret");
    assert_qmp_error(s, "{'execute': 'object-add', 'arguments': "
                     "{'qom-type': 'authz-simple', 'id': 'auth0', 'identity': 'x'}}",
                     "attempt to add duplicate property 'auth0' to object "
                     "(type 'container')");
    assert_qmp_error(s, "{'execute': 'object-add', 'arguments': "
                     "{'qom-type': 'authz-simple', 'id': 'auth1', 'colour': 'x'}}",
                     "Property 'authz-simple.colour' not found");
    assert_qmp_error(s, "{'execute': 'object-add', 'arguments': "
                     "{'qom-type': 'authz-simple', 'identity': 'x'}}",
                     "Parameter 'id' is missing");
    assert_qmp_error(s, "{'execute': 'object-add', 'arguments': "
                     "{'id': 'auth1', 'identity': 'x'}}",
                     "Parameter 'qom-type' is missing");
    qtest_quit(s);
}
END_TEST

START_TEST(test_qmp_object_del_of_an_unknown_id_is_refused)
{
    QTestState *s = start_stopped("");

    assert_qmp_error(s, "{'execute': 'object-del', 'arguments': {'id': 'auth0'}}",
                     "object 'auth0' not found");
    qtest_quit(s);
}
END_TEST

START_TEST(test_hmp_object_add_and_object_del)
{
    QTestState *s = start_stopped("");
    g_autofree char *added = qtest_hmp(s, "object_add authz-simple,id=auth0,"
                                       "identity=CN=laptop,,O=Example Org");
    g_autofree char *dup = qtest_hmp(s, "object_add authz-simple,id=auth0,identity=x");
    g_autofree char *deleted = qtest_hmp(s, "object_del auth0");
    g_autofree char *again = qtest_hmp(s, "object_del auth0");

    ck_assert_str_eq(added, "");
    ck_assert_str_eq(dup, "attempt to add duplicate property 'auth0' to object "
                     "(type 'container')\r\n");
    ck_assert_str_eq(deleted, "");
    ck_assert_str_eq(again, "object 'auth0' not found\r\n");
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

/* Each test starts without objects, forked or not (CK_FORK=no). */
static void delete_objects(void)
{
    object_delete_all();
}

static Suite *object_suite(void)
{
    Suite *s = suite_create("object");
    TCase *text = tcase_create("text-form");
    TCase *json = tcase_create("json-form");
    TCase *errors = tcase_create("errors");
    TCase *refs = tcase_create("references");
    TCase *authz = tcase_create("authz-simple");
    TCase *emulator = tcase_create("emulator");

    qtest_tcase_timeout(emulator, 4);

    tcase_add_test(text, test_text_form_makes_an_object_with_its_properties);
    tcase_add_test(text, test_double_comma_is_a_comma_inside_a_value);
    tcase_add_test(text, test_type_may_be_given_as_qom_type);
    tcase_add_test(text, test_text_starting_with_a_brace_is_json);
    tcase_add_test(text, test_element_without_equals_sign_is_refused);
    tcase_add_test(text, test_property_given_twice_is_refused);
    tcase_add_test(text, test_boolean_text_takes_qemus_six_words);
    tcase_add_test(text, test_enum_value_outside_its_list_is_refused_naming_the_list);

    tcase_add_test(json, test_json_properties_beside_type_and_id);
    tcase_add_test(json, test_json_properties_in_props_as_before_qemu_6);
    tcase_add_test(json, test_json_value_of_the_wrong_type_is_refused);

    tcase_add_test(errors, test_unknown_type_is_refused);
    tcase_add_test(errors, test_missing_id_is_refused);
    tcase_add_test(errors, test_id_must_be_an_identifier);
    tcase_add_test(errors, test_unknown_property_is_refused_naming_type_and_property);
    tcase_add_test(errors, test_missing_required_property_is_refused);
    tcase_add_test(errors, test_duplicate_id_is_refused_and_the_first_object_stays);
    tcase_add_test(errors, test_failed_creation_leaves_no_object_behind);

    tcase_add_test(refs, test_deleting_an_unknown_id_is_refused);
    tcase_add_test(refs, test_deleted_object_is_gone_and_its_id_free);
    tcase_add_test(refs, test_referenced_object_cannot_be_deleted_until_released);

    tcase_add_test(authz, test_authz_lookup_of_an_unknown_id_is_an_error);
    tcase_add_test(authz, test_authz_denial_is_no_error);

    tcase_add_test(emulator, test_object_option_makes_the_object_before_the_machine);
    tcase_add_test(emulator, test_object_option_error_is_one_line_and_exit_status_1);
    tcase_add_test(emulator, test_object_options_are_made_in_order);
    tcase_add_test(emulator, test_qmp_object_add_takes_properties_beside_type_and_id);
    tcase_add_test(emulator, test_qmp_object_add_errors_have_qemus_wording);
    tcase_add_test(emulator, test_qmp_object_del_of_an_unknown_id_is_refused);
    tcase_add_test(emulator, test_hmp_object_add_and_object_del);

    TCase *all[] = { text, json, errors, refs, authz, emulator };
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        tcase_add_checked_fixture(all[i], NULL, delete_objects);
    }

    suite_add_tcase(s, text);
    suite_add_tcase(s, json);
    suite_add_tcase(s, errors);
    suite_add_tcase(s, refs);
    suite_add_tcase(s, authz);
    suite_add_tcase(s, emulator);
    return s;
}

int main(void)
{
    authz_simple_register_type();
    tls_creds_register_types();

    SRunner *runner = srunner_create(object_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
