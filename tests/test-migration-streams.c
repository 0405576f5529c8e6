/*
 * Malformed migration streams: each is given to a destination with
 * -incoming "exec:cat FILE", which must refuse it with a clear message and
 * a non-zero exit status, without crashing; then all of them, in valid TLS
 * sessions, to one TLS destination listening on TCP, which must refuse
 * each, say why and wait for the next (and a broken TLS session too).
 * `make check` also runs this program against the sanitizer build (ASan +
 * UBSan, and LeakSanitizer at the TLS destination's exit): any report
 * fails it.
 *
 * The streams are written by hand (tests/streams.h, following the grammars
 * at the top of savevm.c and arch_init.c), except for truncation, which
 * cuts a real stream saved by a source.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/tlscreds.h"
#include "crypto/tlssession.h"
#include "libqmp.h"
#include "migration-helpers.h"
#include "object.h"
#include "qemu-sockets.h"
#include "streams.h"
#include "tlscerts.h"

/* A bound on the TLS client's waits, so that a broken test fails instead
 * of hanging; no test expects to reach it. */
#define WAIT_MS 20000

/* ---------------------------------------------------------------------- */
/* Feeding them to a destination */

static void assert_no_sanitizer_report(const char *err)
{
    ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
                  "sanitizer report: %s", err);
}

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
    assert_no_sanitizer_report(err);
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

/* ---------------------------------------------------------------------- */
/* In a valid TLS session */

/*
 * The same streams sent to a destination that takes TLS migrations (x509,
 * client certificates checked) on a TCP port, by a TLS client in this
 * process holding the client's credentials: the handshake succeeds, so what
 * the destination refuses is the stream itself, decrypted. A listening
 * destination does not exit: it refuses each stream, logs why and waits
 * for the next connection.
 */
static TlsCerts *certs;

static void tls_setup(void)
{
    g_autoptr(GError) err = NULL;

    certs = tls_certs_new();
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);
    g_autofree char *spec = g_strdup_printf("tls-creds-x509,id=cli,endpoint=client,dir=%s",
                                            dir);
    ck_assert_msg(object_create_from_string(spec, &err) == 0, "%s", err->message);
}

static void tls_teardown(void)
{
    object_delete_all();
    tls_certs_free(certs);
    certs = NULL;
}

/* -incoming defer, the credentials and tls-creds, then migrate-incoming. */
static QTestState *start_tls_destination(const char *uri)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_SERVER);
    QTestState *dst = qtest_start("-m 64M -kernel guests/idle.elf -S -incoming defer "
                                  "-object tls-creds-x509,id=tls0,endpoint=server,dir=%s",
                                  dir);

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-set-parameters', "
                         "'arguments': {'tls-creds': 'tls0'}}");
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': "
                         "{'uri': '%s'}}", uri);
    return dst;
}

/* Ends the destination as an operator would (SIGTERM: a clean exit, where
 * LeakSanitizer reports too) and checks that no sanitizer complained. */
static void stop_tls_destination(QTestState *dst)
{
    qtest_kill(dst, SIGTERM);
    int status = qtest_wait_exit(dst, -1);
    g_autofree char *err = qtest_stderr(dst);

    assert_no_sanitizer_report(err);
    ck_assert_msg(status == 0, "exit status %d; stderr: %s", status, err);
    qtest_quit(dst);
}

static void wait_fd(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    do {
        r = poll(&p, 1, WAIT_MS);
    } while (r < 0 && errno == EINTR);
    ck_assert_msg(r > 0, "the destination neither took nor sent anything for %d ms",
                  WAIT_MS);
}

/* A TLS session with the destination, its handshake completed. */
static TlsSession *tls_connect(const char *uri)
{
    g_autoptr(GError) err = NULL;
    int fd = inet_connect(uri + strlen("tcp:"), &err);

    ck_assert_msg(fd >= 0, "%s", err->message);
    TlsSession *s = tls_session_new(fd, "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                    TLS_CERTS_HOSTNAME, NULL, &err);
    ck_assert_msg(s, "%s", err->message);
    ck_assert_msg(tls_session_handshake_wait(s, WAIT_MS, &err) == TLS_SESSION_DONE,
                  "%s", err->message);
    return s;
}

static void tls_write_all(TlsSession *s, const GByteArray *bytes)
{
    g_autoptr(GError) err = NULL;

    for (size_t done = 0; done < bytes->len;) {
        ssize_t n = tls_session_write(s, bytes->data + done, bytes->len - done, &err);
        if (n == TLS_SESSION_WANT_WRITE) {
            wait_fd(tls_session_fd(s), POLLOUT);
            continue;
        }
        ck_assert_msg(n > 0, "%s", err->message);
        done += (size_t)n;
    }
}

/* The orderly end of the session (close_notify): the stream ends here. */
static void tls_bye(TlsSession *s)
{
    g_autoptr(GError) err = NULL;
    int r;

    while ((r = tls_session_bye(s, &err)) == TLS_SESSION_WANT_WRITE) {
        wait_fd(tls_session_fd(s), POLLOUT);
    }
    ck_assert_msg(r == TLS_SESSION_DONE, "%s", err->message);
}

/* Reads until the destination ends the connection, as it does once it
 * refused the stream. */
static void tls_wait_closed(TlsSession *s)
{
    char buf[512];
    ssize_t n;

    do {
        g_autoptr(GError) err = NULL;
        n = tls_session_read(s, buf, sizeof(buf), &err);
        if (n == TLS_SESSION_WANT_READ) {
            wait_fd(tls_session_fd(s), POLLIN);
        }
    } while (n > 0 || n == TLS_SESSION_WANT_READ);
}

static void tls_close(TlsSession *s)
{
    int fd = tls_session_fd(s);

    tls_session_free(s);
    close(fd);
}

/* stderr past `from` says `text` (soon: the test reads it in a thread). */
static void expect_stderr(QTestState *s, size_t from, const char *text)
{
    for (int tries = 0; tries < 500; tries++) {
        g_autofree char *err = qtest_stderr(s);
        if (strlen(err) > from && strstr(err + from, text)) {
            return;
        }
        usleep(10000);
    }
    g_autofree char *err = qtest_stderr(s);
    ck_abort_msg("stderr does not say '%s': %s", text, err + MIN(from, strlen(err)));
}

static size_t stderr_len(QTestState *s)
{
    g_autofree char *err = qtest_stderr(s);
    return strlen(err);
}

/* The destination refused what it got and waits for another source. */
static void assert_waits_again(QTestState *dst)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(dst);
    const char *status = json_object_get_string_member(info, "status");

    ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "failed"),
                  "the destination's migration is %s", status);
    migtest_assert_run_state(dst, "inmigrate");
    g_autofree char *err = qtest_stderr(dst);
    assert_no_sanitizer_report(err);
}

/* A source with the client's credentials, migrating the idle guest (the
 * destination's events on from now: its failures before are not this
 * migration's end). */
static void assert_real_source_migrates(QTestState *dst, const char *uri)
{
    g_autofree char *dir = tls_certs_path(certs, TLS_CERTS_X509_CLIENT);
    g_autofree char *creds = g_strdup_printf("-object tls-creds-x509,id=tls0,"
                                             "endpoint=client,dir=%s", dir);
    QTestState *src = migtest_start_source("idle", creds);

    migtest_enable_events(dst);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', "
                         "'arguments': {'tls-creds': 'tls0'}}");
    migtest_hmp_migrate(src, false, uri);
    migtest_assert_ends(src, "completed");
    migtest_assert_ends(dst, "completed");
    qtest_quit(src);
}

START_TEST(test_malformed_streams_in_a_valid_tls_session_are_refused_and_the_destination_waits)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = start_tls_destination(uri);

    for (const MalformedStream *const *m = malformed_streams; *m; m++) {
        size_t from = stderr_len(dst);
        GByteArray *stream = (*m)->build();
        TlsSession *s = tls_connect(uri);

        tls_write_all(s, stream);
        tls_bye(s);
        tls_wait_closed(s);
        tls_close(s);
        g_byte_array_unref(stream);
        /* A listening port takes an empty stream for a connection that
         * closed before its header (a stranger's), and says so. */
        expect_stderr(dst, from, *m == &malformed_empty
                      ? "it closed the connection before sending a stream header"
                      : (*m)->refusal);
        assert_waits_again(dst);
    }
    assert_real_source_migrates(dst, uri);
    stop_tls_destination(dst);
}
END_TEST

/* A session that ends without close_notify was cut, by the network or by
 * someone truncating it: the destination must not take the cut for the
 * end of the stream, and says what happened. */
START_TEST(test_tls_session_cut_without_close_notify_is_refused)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = start_tls_destination(uri);
    GByteArray *stream = malformed_truncated_raw_page.build();
    TlsSession *s = tls_connect(uri);

    tls_write_all(s, stream);
    g_byte_array_unref(stream);
    shutdown(tls_session_fd(s), SHUT_WR);
    tls_wait_closed(s);
    tls_close(s);
    expect_stderr(dst, 0, "load of migration failed: section 'ram': read from the "
                  "incoming migration: TLS read failed: the client closed the connection "
                  "without ending the TLS session");
    assert_waits_again(dst);
    stop_tls_destination(dst);
}
END_TEST

/* Bytes that are no record of the session, after a valid handshake: an
 * application-data record header and 32 bytes of garbage, which cannot
 * authenticate. */
START_TEST(test_corrupt_tls_record_after_the_handshake_is_refused)
{
    static const uint8_t record[5 + 32] = { 0x17, 0x03, 0x03, 0x00, 32, 0xde, 0xad };
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d", qtest_free_tcp_port());
    QTestState *dst = start_tls_destination(uri);
    TlsSession *s = tls_connect(uri);

    ck_assert_int_eq(send(tls_session_fd(s), record, sizeof(record), MSG_NOSIGNAL),
                     sizeof(record));
    tls_wait_closed(s);
    tls_close(s);
    expect_stderr(dst, 0, "refused the connection from 127.0.0.1:");
    expect_stderr(dst, 0, "TLS read failed: Decryption has failed");
    assert_waits_again(dst);
    stop_tls_destination(dst);
}
END_TEST

static Suite *streams_suite(void)
{
    Suite *s = suite_create("migration-streams");
    TCase *framing = tcase_create("framing");
    TCase *ram = tcase_create("ram");
    TCase *devices = tcase_create("devices");
    TCase *cut = tcase_create("truncation");
    TCase *tls = tcase_create("tls");

    qtest_tcase_timeout(framing, 2);
    qtest_tcase_timeout(ram, 2);
    qtest_tcase_timeout(devices, 2);
    qtest_tcase_timeout(cut, 16);
    qtest_tcase_timeout(tls, 8);
    tcase_add_checked_fixture(tls, tls_setup, tls_teardown);
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
    tcase_add_test(tls,
                   test_malformed_streams_in_a_valid_tls_session_are_refused_and_the_destination_waits);
    tcase_add_test(tls, test_tls_session_cut_without_close_notify_is_refused);
    tcase_add_test(tls, test_corrupt_tls_record_after_the_handshake_is_refused);
    suite_add_tcase(s, framing);
    suite_add_tcase(s, ram);
    suite_add_tcase(s, devices);
    suite_add_tcase(s, cut);
    suite_add_tcase(s, tls);
    return s;
}

int main(void)
{
    tls_creds_register_types();
    SRunner *runner = srunner_create(streams_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
