/*
 * Malformed migration streams: each is given to a destination with
 * -incoming "exec:cat FILE", which must refuse it with a clear message and
 * a non-zero exit status, without crashing. `make check` also runs this
 * program against the sanitizer build (ASan + UBSan): any report fails it.
 *
 * The streams are written here by hand, following the grammars at the top
 * of savevm.c and arch_init.c, except for truncation, which cuts a real
 * stream saved by a source.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libqmp.h"

#define GUEST_RAM (64ull << 20)

/* ---------------------------------------------------------------------- */
/* Writing streams */

static void put8(GByteArray *s, uint8_t v)
{
    g_byte_array_append(s, &v, 1);
}

static void put16(GByteArray *s, uint16_t v)
{
    put8(s, v >> 8);
    put8(s, (uint8_t)v);
}

static void put32(GByteArray *s, uint32_t v)
{
    put16(s, v >> 16);
    put16(s, (uint16_t)v);
}

static void put64(GByteArray *s, uint64_t v)
{
    put32(s, v >> 32);
    put32(s, (uint32_t)v);
}

static void put_str(GByteArray *s, const char *str)
{
    put8(s, (uint8_t)strlen(str));
    g_byte_array_append(s, (const uint8_t *)str, strlen(str));
}

static GByteArray *stream_new(void)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x5145564d);
    put32(s, 3);
    return s;
}

enum { EOF_ = 0, START = 1, PART = 2, END = 3, FULL = 4 };
enum { COMPRESS = 0x02, MEM_SIZE = 0x04, PAGE = 0x08, EOS = 0x10, CONTINUE = 0x20,
       XBZRLE = 0x40 };

static void section_start(GByteArray *s, uint8_t type, uint32_t id, const char *name,
                          uint32_t version)
{
    put8(s, type);
    put32(s, id);
    put_str(s, name);
    put32(s, 0);            /* instance */
    put32(s, version);
}

/* START of the ram section with a correct MEM_SIZE record. */
static GByteArray *ram_stream(void)
{
    GByteArray *s = stream_new();
    section_start(s, START, 0, "ram", 4);
    put64(s, GUEST_RAM | MEM_SIZE);
    put_str(s, "pc.ram");
    put64(s, GUEST_RAM);
    put64(s, EOS);
    put8(s, PART);
    put32(s, 0);
    return s;
}

static void page_header(GByteArray *s, uint64_t offset, int flags)
{
    put64(s, offset | flags);
    if (!(flags & CONTINUE)) {
        put_str(s, "pc.ram");
    }
}

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

/* ---------------------------------------------------------------------- */
/* The framing */

START_TEST(test_empty_stream_is_refused)
{
    refuse_with(g_byte_array_new(), "unexpected end");
}
END_TEST

START_TEST(test_bad_magic_is_refused)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x51454d56);
    put32(s, 3);
    refuse_with(s, "not a migration stream");
}
END_TEST

START_TEST(test_unsupported_version_is_refused)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x5145564d);
    put32(s, 2);
    refuse_with(s, "version 2 is not supported");
}
END_TEST

START_TEST(test_unknown_section_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, FULL, 7, "floppy", 1);
    refuse_with(s, "unknown section 'floppy'");
}
END_TEST

START_TEST(test_unknown_section_type_is_refused)
{
    GByteArray *s = stream_new();
    put8(s, 9);
    refuse_with(s, "unknown section type 0x09");
}
END_TEST

START_TEST(test_part_of_a_section_never_started_is_refused)
{
    GByteArray *s = stream_new();
    put8(s, PART);
    put32(s, 42);
    refuse_with(s, "never started");
}
END_TEST

START_TEST(test_newer_section_version_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, START, 0, "ram", 5);
    refuse_with(s, "section 'ram' has version 5");
}
END_TEST

START_TEST(test_older_ram_section_version_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, START, 0, "ram", 3);
    refuse_with(s, "RAM section version 3 is not supported");
}
END_TEST

START_TEST(test_stream_without_eof_is_refused)
{
    GByteArray *s = ram_stream();
    put64(s, EOS);
    refuse_with(s, "unexpected end");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The ram section */

START_TEST(test_unknown_ram_flags_are_refused)
{
    GByteArray *s = ram_stream();
    put64(s, 0x1000 | 0x80 | PAGE);
    refuse_with(s, "unknown RAM flags 0x88");
}
END_TEST

START_TEST(test_obsolete_full_flag_is_refused)
{
    GByteArray *s = ram_stream();
    put64(s, 0x1000 | 0x01);
    refuse_with(s, "unknown RAM flags 0x1");
}
END_TEST

START_TEST(test_unknown_block_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, START, 0, "ram", 4);
    put64(s, GUEST_RAM | MEM_SIZE);
    put_str(s, "vga.vram");
    put64(s, GUEST_RAM);
    refuse_with(s, "unknown RAM block 'vga.vram'");
}
END_TEST

START_TEST(test_block_size_mismatch_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, START, 0, "ram", 4);
    put64(s, (GUEST_RAM * 2) | MEM_SIZE);
    put_str(s, "pc.ram");
    put64(s, GUEST_RAM * 2);
    refuse_with(s, "is 134217728 bytes in the stream but 67108864 here");
}
END_TEST

START_TEST(test_page_of_unknown_block_is_refused)
{
    GByteArray *s = ram_stream();
    put64(s, 0x2000 | COMPRESS);
    put_str(s, "pc.rom");
    put8(s, 0);
    refuse_with(s, "unknown RAM block 'pc.rom'");
}
END_TEST

START_TEST(test_offset_outside_the_block_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, GUEST_RAM, PAGE);
    refuse_with(s, "is outside RAM block 'pc.ram'");
}
END_TEST

START_TEST(test_continue_without_a_block_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, COMPRESS | CONTINUE);
    put8(s, 0);
    refuse_with(s, "no block was named");
}
END_TEST

START_TEST(test_page_with_two_kinds_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, COMPRESS | PAGE);
    refuse_with(s, "invalid combination of RAM flags");
}
END_TEST

START_TEST(test_truncated_raw_page_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, PAGE);
    for (int i = 0; i < 100; i++) {
        put8(s, (uint8_t)i);
    }
    refuse_with(s, "unexpected end");
}
END_TEST

START_TEST(test_xbzrle_encoding_byte_other_than_1_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 2);
    put16(s, 3);
    refuse_with(s, "unknown page encoding 0x02");
}
END_TEST

START_TEST(test_xbzrle_length_over_a_page_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 4097);
    refuse_with(s, "longer than a page");
}
END_TEST

START_TEST(test_malformed_xbzrle_delta_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 3);
    put8(s, 5);     /* zrun 5 */
    put8(s, 0);     /* nzrun 0: never valid */
    put8(s, 0xaa);
    put64(s, EOS);
    refuse_with(s, "malformed XBZRLE delta");
}
END_TEST

START_TEST(test_xbzrle_delta_past_the_page_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 4);
    put8(s, 0xff);  /* zrun 4095 (two LEB128 bytes) */
    put8(s, 0x1f);
    put8(s, 2);     /* nzrun 2: past the end of the page */
    put8(s, 0xaa);
    put64(s, EOS);
    refuse_with(s, "malformed XBZRLE delta");
}
END_TEST

START_TEST(test_truncated_xbzrle_delta_is_refused)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 200);
    put8(s, 0);
    refuse_with(s, "unexpected end");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Device sections */

START_TEST(test_serial_fifo_overflow_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, FULL, 3, "serial", 1);
    put16(s, 12);
    for (int i = 0; i < 10; i++) {
        put8(s, 0);
    }
    put8(s, 200);           /* rx count */
    for (int i = 0; i < 16; i++) {
        put8(s, 0);
    }
    refuse_with(s, "UART receive FIFO holds 200 bytes");
}
END_TEST

/* With the FIFO off the receive buffer holds one byte: a stream claiming
 * more (with loopback on, the next transmit would push past the array). */
START_TEST(test_serial_fifo_count_beyond_a_disabled_fifo_is_refused)
{
    GByteArray *s = stream_new();
    section_start(s, FULL, 3, "serial", 1);
    put16(s, 12);
    const uint8_t regs[] = { 0, 0, 1, 0, 0x10 /* mcr: loopback */, 0x60, 0xb0, 0,
                             0 /* fcr: FIFO off */, 0, 16 /* rx count */ };
    g_byte_array_append(s, regs, sizeof(regs));
    for (int i = 0; i < 16; i++) {
        put8(s, 'x');
    }
    refuse_with(s, "UART receive FIFO holds 16 bytes (at most 1)");
}
END_TEST

START_TEST(test_cpu_section_of_the_other_accelerator_is_refused)
{
    GByteArray *s = stream_new();
    /* A KVM destination has "cpu", a soft one "soft-cpu": send the other. */
    bool kvm = !strcmp(qtest_accel(), "kvm");
    section_start(s, FULL, 5, kvm ? "soft-cpu" : "cpu", 1);
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
