/*
 * Malformed migration streams: each is given to a destination with
 * -incoming "exec:cat FILE", which must refuse it with a clear message and
 * a non-zero exit status, without crashing. `make check` also runs this
 * program against the sanitizer build (ASan + UBSan): any report fails it.
 *
 * The streams are written by hand (tests/streams.h, following the grammars
 * at the top of savevm.c and arch_init.c), except for truncation, which
 * cuts a real stream saved by a source.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"
#include "streams.h"

/* ---------------------------------------------------------------------- */
/* Feeding them to a destination */

/*
 * Writes the stream to a file, starts a destination on it and returns its
 * stderr after it exited; asserts the exit status is an error, not a
 * crash, and that no sanitizer complained.
 */
static char *refuse(GByteArray *stream)
{
    QTestOptions o = { .no_qmp = true };
    g_autofree char *dir = g_dir_make_tmp("stream-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "stream", NULL);

    ck_assert(g_file_set_contents(file, (const char *)stream->data, stream->len, NULL));
    g_byte_array_unref(stream);
    QTestState *dst = qtest_start_opts(&o, "-m 64M -kernel guests/idle.elf "
                                       "-incoming \"exec:cat %s\"", file);
    int status = qtest_wait_exit(dst, -1);
    char *err = qtest_stderr(dst);
    qtest_quit(dst);
    unlink(file);
    rmdir(dir);

    ck_assert_msg(status == 1, "exit status %d; stderr: %s", status, err);
    ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
                  "sanitizer report: %s", err);
    ck_assert_msg(strstr(err, "load of migration failed"), "stderr: %s", err);
    return err;
}

static void refuse_with(GByteArray *stream, const char *message)
{
    g_autofree char *err = refuse(stream);
    ck_assert_msg(strstr(err, message), "expected '%s' in: %s", message, err);
}

static void refuse_malformed(const MalformedStream *m)
{
    refuse_with(m->build(), m->refusal);
}

/* ---------------------------------------------------------------------- */
/* The framing */

START_TEST(test_empty_stream_is_refused)
{
    refuse_malformed(&malformed_empty);
}
END_TEST

START_TEST(test_bad_magic_is_refused)
{
    refuse_malformed(&malformed_bad_magic);
}
END_TEST

START_TEST(test_unsupported_version_is_refused)
{
    refuse_malformed(&malformed_unsupported_version);
}
END_TEST

START_TEST(test_unknown_section_is_refused)
{
    refuse_malformed(&malformed_unknown_section);
}
END_TEST

START_TEST(test_unknown_section_type_is_refused)
{
    refuse_malformed(&malformed_unknown_section_type);
}
END_TEST

START_TEST(test_part_of_a_section_never_started_is_refused)
{
    refuse_malformed(&malformed_part_never_started);
}
END_TEST

START_TEST(test_newer_section_version_is_refused)
{
    refuse_malformed(&malformed_newer_section_version);
}
END_TEST

START_TEST(test_older_ram_section_version_is_refused)
{
    refuse_malformed(&malformed_older_ram_section_version);
}
END_TEST

START_TEST(test_stream_without_eof_is_refused)
{
    refuse_malformed(&malformed_without_eof);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The ram section */

START_TEST(test_unknown_ram_flags_are_refused)
{
    refuse_malformed(&malformed_unknown_ram_flags);
}
END_TEST

START_TEST(test_obsolete_full_flag_is_refused)
{
    refuse_malformed(&malformed_obsolete_full_flag);
}
END_TEST

START_TEST(test_unknown_block_is_refused)
{
    refuse_malformed(&malformed_unknown_block);
}
END_TEST

START_TEST(test_block_size_mismatch_is_refused)
{
    refuse_malformed(&malformed_block_size_mismatch);
}
END_TEST

START_TEST(test_page_of_unknown_block_is_refused)
{
    refuse_malformed(&malformed_page_of_unknown_block);
}
END_TEST

START_TEST(test_offset_outside_the_block_is_refused)
{
    refuse_malformed(&malformed_offset_outside_the_block);
}
END_TEST

START_TEST(test_continue_without_a_block_is_refused)
{
    refuse_malformed(&malformed_continue_without_a_block);
}
END_TEST

START_TEST(test_page_with_two_kinds_is_refused)
{
    refuse_malformed(&malformed_page_with_two_kinds);
}
END_TEST

START_TEST(test_truncated_raw_page_is_refused)
{
    refuse_malformed(&malformed_truncated_raw_page);
}
END_TEST

START_TEST(test_xbzrle_encoding_byte_other_than_1_is_refused)
{
    refuse_malformed(&malformed_xbzrle_encoding_byte);
}
END_TEST

START_TEST(test_xbzrle_length_over_a_page_is_refused)
{
    refuse_malformed(&malformed_xbzrle_length_over_a_page);
}
END_TEST

START_TEST(test_malformed_xbzrle_delta_is_refused)
{
    refuse_malformed(&malformed_xbzrle_delta);
}
END_TEST

START_TEST(test_xbzrle_delta_past_the_page_is_refused)
{
    refuse_malformed(&malformed_xbzrle_delta_past_the_page);
}
END_TEST

START_TEST(test_truncated_xbzrle_delta_is_refused)
{
    refuse_malformed(&malformed_truncated_xbzrle_delta);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Device sections */

START_TEST(test_serial_fifo_overflow_is_refused)
{
    refuse_malformed(&malformed_serial_fifo_overflow);
}
END_TEST

START_TEST(test_serial_fifo_count_beyond_a_disabled_fifo_is_refused)
{
    refuse_malformed(&malformed_serial_fifo_beyond_a_disabled_fifo);
}
END_TEST

START_TEST(test_cpu_section_of_the_other_accelerator_is_refused)
{
    GByteArray *s = stream_new();
    /* A KVM destination has "cpu", a soft one "soft-cpu": send the other. */
    bool kvm = !strcmp(qtest_accel(), "kvm");
    stream_section_start(s, STREAM_SECTION_FULL, 5, kvm ? "soft-cpu" : "cpu", 1);
    refuse_with(s, kvm ? "unknown section 'soft-cpu'" : "unknown section 'cpu'");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A real stream, cut short anywhere */

static GBytes *save_real_stream(void)
{
    QTestState *src = qtest_start("-m 64M -kernel guests/idle.elf");
    g_autofree char *file = qtest_path(src, "vm.state");
    gchar *data;
    gsize len;

    qtest_expect_stdout(src, "halting", 0);
    g_free(qtest_hmp(src, "migrate_set_capability events on"));
    g_free(qtest_hmp(src, "migrate_set_speed 0"));
    g_free(qtest_hmp(src, "migrate -d -x \"exec:cat > %s\"", file));
    for (;;) {
        g_autoptr(JsonObject) ev = qtest_qmp_event(src, "MIGRATION");
        const char *status = json_object_get_string_member(
            json_object_get_object_member(ev, "data"), "status");
        if (!strcmp(status, "completed")) {
            break;
        }
        ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "active"),
                      "saving the stream: %s", status);
    }
    ck_assert(g_file_get_contents(file, &data, &len, NULL));
    qtest_quit(src);
    return g_bytes_new_take(data, len);
}

START_TEST(test_real_stream_cut_anywhere_is_refused)
{
    g_autoptr(GBytes) whole = save_real_stream();
    gsize len;
    const uint8_t *data = g_bytes_get_data(whole, &len);
    /* Inside the header, the first section header, the preamble, a page
     * record, the device sections, and one byte short of the end. */
    const gsize cuts[] = { 3, 8, 12, 20, 40, 60, 4200, len / 3, len / 2,
                           len - 700, len - 100, len - 2, len - 1 };

    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        GByteArray *s = g_byte_array_new();
        g_byte_array_append(s, data, cuts[i]);
        g_autofree char *err = refuse(s);
        (void)err;
    }
}
END_TEST

static Suite *streams_suite(void)
{
    Suite *s = suite_create("migration-streams");
    TCase *framing = tcase_create("framing");
    TCase *ram = tcase_create("ram");
    TCase *devices = tcase_create("devices");
    TCase *cut = tcase_create("truncation");

    qtest_tcase_timeout(framing, 2);
    qtest_tcase_timeout(ram, 2);
    qtest_tcase_timeout(devices, 2);
    qtest_tcase_timeout(cut, 16);
    tcase_add_test(framing, test_empty_stream_is_refused);
    tcase_add_test(framing, test_bad_magic_is_refused);
    tcase_add_test(framing, test_unsupported_version_is_refused);
    tcase_add_test(framing, test_unknown_section_is_refused);
    tcase_add_test(framing, test_unknown_section_type_is_refused);
    tcase_add_test(framing, test_part_of_a_section_never_started_is_refused);
    tcase_add_test(framing, test_newer_section_version_is_refused);
    tcase_add_test(framing, test_older_ram_section_version_is_refused);
    tcase_add_test(framing, test_stream_without_eof_is_refused);
    tcase_add_test(ram, test_unknown_ram_flags_are_refused);
    tcase_add_test(ram, test_obsolete_full_flag_is_refused);
    tcase_add_test(ram, test_unknown_block_is_refused);
    tcase_add_test(ram, test_block_size_mismatch_is_refused);
    tcase_add_test(ram, test_page_of_unknown_block_is_refused);
    tcase_add_test(ram, test_offset_outside_the_block_is_refused);
    tcase_add_test(ram, test_continue_without_a_block_is_refused);
    tcase_add_test(ram, test_page_with_two_kinds_is_refused);
    tcase_add_test(ram, test_truncated_raw_page_is_refused);
    tcase_add_test(ram, test_xbzrle_encoding_byte_other_than_1_is_refused);
    tcase_add_test(ram, test_xbzrle_length_over_a_page_is_refused);
    tcase_add_test(ram, test_malformed_xbzrle_delta_is_refused);
    tcase_add_test(ram, test_xbzrle_delta_past_the_page_is_refused);
    tcase_add_test(ram, test_truncated_xbzrle_delta_is_refused);
    tcase_add_test(devices, test_serial_fifo_overflow_is_refused);
    tcase_add_test(devices, test_serial_fifo_count_beyond_a_disabled_fifo_is_refused);
    tcase_add_test(devices, test_cpu_section_of_the_other_accelerator_is_refused);
    tcase_add_test(cut, test_real_stream_cut_anywhere_is_refused);
    suite_add_tcase(s, framing);
    suite_add_tcase(s, ram);
    suite_add_tcase(s, devices);
    suite_add_tcase(s, cut);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(streams_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
