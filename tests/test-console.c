/*
 * Specification of the text console without a window: the terminal grid
 * (ui/vt.h) fed the bytes a guest writes, the font, and the console's "vc"
 * chardev carrying output to the grid and keystrokes to its frontend.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-char.h"
#include "qemu-error.h"
#include "ui/console.h"
#include "ui/font.h"
#include "ui/vt.h"

/* ---------------------------------------------------------------------- */
/* Helpers */

/* A small terminal makes wrapping and scrolling easy to see. */
#define COLS 10
#define ROWS 4

static Vt *vt_new(void)
{
    Vt *vt = g_new(Vt, 1);
    vt_init(vt, COLS, ROWS);
    return vt;
}

static void vt_free(Vt *vt)
{
    vt_destroy(vt);
    g_free(vt);
}

static void feed(Vt *vt, const char *text)
{
    vt_write(vt, (const uint8_t *)text, strlen(text));
}

#define assert_row(vt, y, expected) do { \
    g_autofree char *row_ = vt_screen_row_text(&(vt)->screen, (y)); \
    ck_assert_str_eq(row_, (expected)); \
} while (0)

#define assert_cursor(vt, x, y) do { \
    ck_assert_int_eq((vt)->screen.cursor_x, (x)); \
    ck_assert_int_eq((vt)->screen.cursor_y, (y)); \
} while (0)

static const VtCell *cell(Vt *vt, int x, int y)
{
    return vt_screen_cell(&vt->screen, x, y);
}

/* ---------------------------------------------------------------------- */
/* Text, control bytes, wrapping, scrolling */

START_TEST(test_a_new_terminal_is_blank_with_the_cursor_home)
{
    Vt *vt = vt_new();

    for (int y = 0; y < ROWS; y++) {
        assert_row(vt, y, "");
    }
    assert_cursor(vt, 0, 0);
    ck_assert(vt->screen.cursor_visible);
    ck_assert_int_eq(cell(vt, 3, 2)->fg, VT_DEFAULT_FG);
    ck_assert_int_eq(cell(vt, 3, 2)->bg, VT_DEFAULT_BG);
    vt_free(vt);
}
END_TEST

START_TEST(test_text_is_written_at_the_cursor_which_advances)
{
    Vt *vt = vt_new();

    feed(vt, "abc");
    assert_row(vt, 0, "abc");
    assert_cursor(vt, 3, 0);
    vt_free(vt);
}
END_TEST

START_TEST(test_carriage_return_goes_back_to_column_0_and_overwrites)
{
    Vt *vt = vt_new();

    feed(vt, "abc\rX");
    assert_row(vt, 0, "Xbc");
    assert_cursor(vt, 1, 0);
    vt_free(vt);
}
END_TEST

START_TEST(test_newline_starts_the_next_line_at_column_0)
{
    Vt *vt = vt_new();

    /* Guests write "\n" alone, as to a terminal that adds the \r. */
    feed(vt, "ab\ncd\r\nef");
    assert_row(vt, 0, "ab");
    assert_row(vt, 1, "cd");
    assert_row(vt, 2, "ef");
    assert_cursor(vt, 2, 2);
    vt_free(vt);
}
END_TEST

START_TEST(test_backspace_moves_left_and_stops_at_column_0)
{
    Vt *vt = vt_new();

    feed(vt, "ab\b");
    assert_cursor(vt, 1, 0);
    feed(vt, "\b\b\b");
    assert_cursor(vt, 0, 0);
    assert_row(vt, 0, "ab");
    vt_free(vt);
}
END_TEST

START_TEST(test_backspace_space_backspace_erases_the_last_character)
{
    Vt *vt = vt_new();

    feed(vt, "abc\b \b");
    assert_row(vt, 0, "ab");
    assert_cursor(vt, 2, 0);
    /* Also in the last column, where the cursor waits to wrap. */
    feed(vt, "\r0123456789\b \b");
    assert_row(vt, 0, "012345678");
    assert_row(vt, 1, "");
    vt_free(vt);
}
END_TEST

START_TEST(test_tab_moves_to_the_next_multiple_of_8)
{
    Vt *vt = vt_new();

    feed(vt, "a\tb");
    ck_assert_int_eq(cell(vt, 8, 0)->ch, 'b');
    feed(vt, "\r\t\t\tc");
    /* No stop past column 8 on a 10-column line: the last column. */
    ck_assert_int_eq(cell(vt, COLS - 1, 0)->ch, 'c');
    vt_free(vt);
}
END_TEST

START_TEST(test_a_long_line_wraps_to_the_next)
{
    Vt *vt = vt_new();

    feed(vt, "0123456789abc");
    assert_row(vt, 0, "0123456789");
    assert_row(vt, 1, "abc");
    assert_cursor(vt, 3, 1);
    vt_free(vt);
}
END_TEST

START_TEST(test_a_full_line_then_newline_leaves_no_blank_line)
{
    Vt *vt = vt_new();

    feed(vt, "0123456789\r\nnext");
    assert_row(vt, 0, "0123456789");
    assert_row(vt, 1, "next");
    vt_free(vt);
}
END_TEST

START_TEST(test_output_past_the_last_row_scrolls_up)
{
    Vt *vt = vt_new();

    feed(vt, "one\ntwo\nthree\nfour\nfive");
    assert_row(vt, 0, "two");
    assert_row(vt, 1, "three");
    assert_row(vt, 2, "four");
    assert_row(vt, 3, "five");
    assert_cursor(vt, 4, ROWS - 1);
    vt_free(vt);
}
END_TEST

START_TEST(test_wrapping_on_the_last_row_scrolls_too)
{
    Vt *vt = vt_new();

    feed(vt, "\n\n\n0123456789X");
    assert_row(vt, 2, "0123456789");
    assert_row(vt, 3, "X");
    vt_free(vt);
}
END_TEST

START_TEST(test_other_control_bytes_and_del_show_nothing)
{
    Vt *vt = vt_new();

    feed(vt, "a\a\x01\x0e\x7f" "b");
    assert_row(vt, 0, "ab");
    vt_free(vt);
}
END_TEST

START_TEST(test_bytes_above_0x7f_are_kept_in_their_cell)
{
    Vt *vt = vt_new();

    feed(vt, "\xc3\xa9");
    ck_assert_int_eq(cell(vt, 0, 0)->ch, 0xc3);
    ck_assert_int_eq(cell(vt, 1, 0)->ch, 0xa9);
    vt_free(vt);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Escape sequences */

START_TEST(test_cursor_position_is_1_based_row_then_column)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[3;5HX");
    ck_assert_int_eq(cell(vt, 4, 2)->ch, 'X');
    feed(vt, "\x1b[HY");
    ck_assert_int_eq(cell(vt, 0, 0)->ch, 'Y');
    feed(vt, "\x1b[;7fZ");
    ck_assert_int_eq(cell(vt, 6, 0)->ch, 'Z');
    vt_free(vt);
}
END_TEST

START_TEST(test_cursor_moves_stay_inside_the_grid)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[2;2H\x1b[B");
    assert_cursor(vt, 1, 2);
    feed(vt, "\x1b[3C");
    assert_cursor(vt, 4, 2);
    feed(vt, "\x1b[A\x1b[2D");
    assert_cursor(vt, 2, 1);
    feed(vt, "\x1b[99A\x1b[99D");
    assert_cursor(vt, 0, 0);
    feed(vt, "\x1b[99B\x1b[99C");
    assert_cursor(vt, COLS - 1, ROWS - 1);
    feed(vt, "\x1b[999;999H");
    assert_cursor(vt, COLS - 1, ROWS - 1);
    vt_free(vt);
}
END_TEST

START_TEST(test_erase_display_clears_all_below_or_above)
{
    Vt *vt = vt_new();

    feed(vt, "aaaa\nbbbb\ncccc\x1b[2;3H\x1b[J");
    assert_row(vt, 0, "aaaa");
    assert_row(vt, 1, "bb");
    assert_row(vt, 2, "");
    feed(vt, "\x1b[1J");
    assert_row(vt, 0, "");
    assert_row(vt, 1, "");
    feed(vt, "\x1b[4;1Hdd\x1b[2J");
    assert_row(vt, 3, "");
    assert_cursor(vt, 2, 3);    /* erasing does not move the cursor */
    vt_free(vt);
}
END_TEST

START_TEST(test_erase_line_clears_to_the_end_the_start_or_all)
{
    Vt *vt = vt_new();

    feed(vt, "abcdef\x1b[1;3H\x1b[K");
    assert_row(vt, 0, "ab");
    feed(vt, "\rabcdef\x1b[1;3H\x1b[1K");
    assert_row(vt, 0, "   def");
    feed(vt, "\x1b[2K");
    assert_row(vt, 0, "");
    vt_free(vt);
}
END_TEST

START_TEST(test_colours_apply_to_the_characters_written_after)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[31;44mr\x1b[1mR\x1b[0mn\x1b[7mv\x1b[27;92;103mb\x1b[39;49md");
    ck_assert_int_eq(cell(vt, 0, 0)->fg, 1);
    ck_assert_int_eq(cell(vt, 0, 0)->bg, 4);
    ck_assert_int_eq(cell(vt, 1, 0)->fg, 9);      /* bold: bright */
    ck_assert_int_eq(cell(vt, 2, 0)->fg, VT_DEFAULT_FG);
    ck_assert_int_eq(cell(vt, 2, 0)->bg, VT_DEFAULT_BG);
    ck_assert_int_eq(cell(vt, 3, 0)->fg, VT_DEFAULT_BG);   /* reverse */
    ck_assert_int_eq(cell(vt, 3, 0)->bg, VT_DEFAULT_FG);
    ck_assert_int_eq(cell(vt, 4, 0)->fg, 10);
    ck_assert_int_eq(cell(vt, 4, 0)->bg, 11);
    ck_assert_int_eq(cell(vt, 5, 0)->fg, VT_DEFAULT_FG);
    ck_assert_int_eq(cell(vt, 5, 0)->bg, VT_DEFAULT_BG);
    assert_row(vt, 0, "rRnvbd");
    vt_free(vt);
}
END_TEST

START_TEST(test_sgr_without_parameters_resets)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[35m\x1b[mx");
    ck_assert_int_eq(cell(vt, 0, 0)->fg, VT_DEFAULT_FG);
    vt_free(vt);
}
END_TEST

START_TEST(test_cursor_can_be_hidden_and_shown)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[?25l");
    ck_assert(!vt->screen.cursor_visible);
    feed(vt, "\x1b[?25h");
    ck_assert(vt->screen.cursor_visible);
    vt_free(vt);
}
END_TEST

START_TEST(test_escape_c_resets_the_terminal)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[31mabc\ndef\x1b" "c" "x");
    assert_row(vt, 0, "x");
    assert_row(vt, 1, "");
    ck_assert_int_eq(cell(vt, 0, 0)->fg, VT_DEFAULT_FG);
    vt_free(vt);
}
END_TEST

START_TEST(test_unsupported_sequences_are_swallowed_whole)
{
    Vt *vt = vt_new();

    feed(vt, "a\x1b[?1049h" "b\x1b(B" "c\x1b[6n" "d\x1b=" "e\x1b[1 q" "f");
    assert_row(vt, 0, "abcdef");
    vt_free(vt);
}
END_TEST

START_TEST(test_title_strings_are_swallowed_up_to_bel_or_st)
{
    Vt *vt = vt_new();

    feed(vt, "a\x1b]0;a title\a" "b\x1b]2;other\x1b\\" "c\x1bPdata\x1b\\" "d");
    assert_row(vt, 0, "abcd");
    vt_free(vt);
}
END_TEST

START_TEST(test_an_unterminated_string_does_not_hide_later_output)
{
    Vt *vt = vt_new();
    g_autofree char *junk = g_strnfill(VT_STRING_MAX, 'j');

    feed(vt, "\x1b]");
    feed(vt, junk);
    feed(vt, "seen");
    assert_row(vt, 0, "een");   /* the byte past the limit ends the string */
    vt_free(vt);
}
END_TEST

START_TEST(test_sequences_split_across_writes_are_understood)
{
    Vt *vt = vt_new();
    const char *seq = "\x1b[2;4Hz";

    for (size_t i = 0; i < strlen(seq); i++) {
        vt_write(vt, (const uint8_t *)seq + i, 1);
    }
    ck_assert_int_eq(cell(vt, 3, 1)->ch, 'z');
    vt_free(vt);
}
END_TEST

START_TEST(test_control_bytes_inside_a_sequence_are_obeyed)
{
    Vt *vt = vt_new();

    feed(vt, "ab\x1b[\r1Cx");
    assert_row(vt, 0, "ax");     /* \r, then one column right */
    vt_free(vt);
}
END_TEST

START_TEST(test_huge_and_many_parameters_are_harmless)
{
    Vt *vt = vt_new();

    feed(vt, "\x1b[99999999999999999999;99999999999999999999H");
    assert_cursor(vt, COLS - 1, ROWS - 1);
    feed(vt, "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;31mx");
    ck_assert_int_eq(cell(vt, COLS - 1, ROWS - 1)->ch, 'x');
    vt_free(vt);
}
END_TEST

START_TEST(test_random_bytes_never_move_the_cursor_out_of_the_grid)
{
    Vt *vt = vt_new();
    GRand *rand = g_rand_new_with_seed(7);
    uint8_t buf[256];

    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            /* Mostly escapes and digits, to reach every state. */
            static const char alphabet[] = "\x1b[];?0123456789HfJKmABCDhlc\r\n\b\t x";
            buf[i] = g_rand_boolean(rand) ? (uint8_t)g_rand_int(rand)
                : (uint8_t)alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
        }
        vt_write(vt, buf, sizeof(buf));
        ck_assert_int_ge(vt->screen.cursor_x, 0);
        ck_assert_int_lt(vt->screen.cursor_x, COLS);
        ck_assert_int_ge(vt->screen.cursor_y, 0);
        ck_assert_int_lt(vt->screen.cursor_y, ROWS);
    }
    g_rand_free(rand);
    vt_free(vt);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The font */

static bool glyph_is_blank(uint8_t c)
{
    const uint8_t *g = font_glyph(c);

    for (int y = 0; y < FONT_HEIGHT; y++) {
        if (g[y]) {
            return false;
        }
    }
    return true;
}

START_TEST(test_space_is_blank_and_every_other_printable_has_pixels)
{
    ck_assert(glyph_is_blank(' '));
    for (int c = 0x21; c < 0x7f; c++) {
        ck_assert_msg(!glyph_is_blank(c), "glyph of '%c' is blank", c);
    }
}
END_TEST

START_TEST(test_printable_characters_have_distinct_glyphs)
{
    for (int a = 0x20; a < 0x7f; a++) {
        for (int b = a + 1; b < 0x7f; b++) {
            ck_assert_msg(memcmp(font_glyph(a), font_glyph(b), FONT_HEIGHT),
                          "'%c' and '%c' look the same", a, b);
        }
    }
}
END_TEST

START_TEST(test_bytes_outside_printable_ascii_show_as_a_box)
{
    const uint8_t *box = font_glyph(0x80);

    ck_assert(!glyph_is_blank(0x80));
    ck_assert_mem_eq(font_glyph(0xff), box, FONT_HEIGHT);
    ck_assert_mem_eq(font_glyph(0x7f), box, FONT_HEIGHT);
    ck_assert_mem_eq(font_glyph(0x01), box, FONT_HEIGHT);
    for (int c = 0x20; c < 0x7f; c++) {
        ck_assert(memcmp(font_glyph(c), box, FONT_HEIGHT));
    }
}
END_TEST

START_TEST(test_font_pixel_reads_the_glyph_rows_from_the_left)
{
    /* 'l' has its stem in the middle column, '|' too, '_' on one row. */
    for (int y = 0; y < FONT_HEIGHT; y++) {
        for (int x = 0; x < FONT_WIDTH; x++) {
            ck_assert_int_eq(font_pixel('_', x, y),
                             (font_glyph('_')[y] >> (7 - x)) & 1);
        }
    }
    ck_assert(font_pixel('|', 3, 0));
    ck_assert(!font_pixel('|', 0, 0));
    ck_assert(!font_pixel('|', 7, 0));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The console and its vc chardev */

typedef struct Frontend {
    GString *in;
    int room;           /* what can_read answers */
} Frontend;

static int fe_can_read(void *opaque)
{
    Frontend *fe = opaque;
    return fe->room;
}

static void fe_read(void *opaque, const uint8_t *buf, int len)
{
    Frontend *fe = opaque;
    g_string_append_len(fe->in, (const char *)buf, len);
    fe->room -= len;
}

static CharDriverState *vc_open(Frontend *fe)
{
    GError *err = NULL;
    CharDriverState *chr = qemu_chr_new("vc0", "vc", &err);

    ck_assert_msg(chr, "vc: %s", err ? err->message : "?");
    fe->in = g_string_new(NULL);
    fe->room = 1 << 20;
    qemu_chr_add_handlers(chr, fe_can_read, fe_read, NULL, fe);
    return chr;
}

static void vc_close(CharDriverState *chr, Frontend *fe)
{
    qemu_chr_delete(chr);
    g_string_free(fe->in, TRUE);
}

#define assert_console_row(con, y, expected) do { \
    VtScreen screen_; \
    console_screen((con), &screen_); \
    g_autofree char *row_ = vt_screen_row_text(&screen_, (y)); \
    vt_screen_free(&screen_); \
    ck_assert_str_eq(row_, (expected)); \
} while (0)

START_TEST(test_the_main_console_is_80_by_25)
{
    VtScreen screen;

    console_screen(console_main(), &screen);
    ck_assert_int_eq(screen.cols, CONSOLE_COLS);
    ck_assert_int_eq(screen.rows, CONSOLE_ROWS);
    ck_assert_int_eq(CONSOLE_COLS, 80);
    ck_assert_int_eq(CONSOLE_ROWS, 25);
    vt_screen_free(&screen);
}
END_TEST

START_TEST(test_output_to_the_vc_chardev_appears_on_the_console)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);

    ck_assert_ptr_eq(console_chr(console_main()), chr);
    ck_assert_int_eq(qemu_chr_write(chr, (const uint8_t *)"idle: halting\n", 14), 14);
    assert_console_row(console_main(), 0, "idle: halting");
    vc_close(chr, &fe);
    ck_assert_ptr_null(console_chr(console_main()));
}
END_TEST

START_TEST(test_typed_text_and_keys_reach_the_frontend)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);
    Console *con = console_main();

    console_input(con, (const uint8_t *)"ls", 2);
    console_key(con, CONSOLE_KEY_ENTER);
    console_key(con, CONSOLE_KEY_BACKSPACE);
    console_key(con, CONSOLE_KEY_UP);
    console_key(con, CONSOLE_KEY_LEFT);
    console_key(con, CONSOLE_KEY_DELETE);
    ck_assert_str_eq(fe.in->str, "ls\r\x7f\x1b[A\x1b[D\x1b[3~");
    vc_close(chr, &fe);
}
END_TEST

START_TEST(test_each_key_sends_its_terminal_sequence)
{
    static const struct { ConsoleKey key; const char *seq; } keys[] = {
        { CONSOLE_KEY_ENTER, "\r" }, { CONSOLE_KEY_BACKSPACE, "\x7f" },
        { CONSOLE_KEY_TAB, "\t" }, { CONSOLE_KEY_ESCAPE, "\x1b" },
        { CONSOLE_KEY_UP, "\x1b[A" }, { CONSOLE_KEY_DOWN, "\x1b[B" },
        { CONSOLE_KEY_RIGHT, "\x1b[C" }, { CONSOLE_KEY_LEFT, "\x1b[D" },
        { CONSOLE_KEY_HOME, "\x1b[H" }, { CONSOLE_KEY_END, "\x1b[F" },
        { CONSOLE_KEY_INSERT, "\x1b[2~" }, { CONSOLE_KEY_DELETE, "\x1b[3~" },
        { CONSOLE_KEY_PAGE_UP, "\x1b[5~" }, { CONSOLE_KEY_PAGE_DOWN, "\x1b[6~" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        ck_assert_str_eq(console_key_sequence(keys[i].key), keys[i].seq);
    }
}
END_TEST

START_TEST(test_input_waits_until_the_frontend_has_room)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);

    fe.room = 2;
    console_input(console_main(), (const uint8_t *)"hello", 5);
    ck_assert_str_eq(fe.in->str, "he");
    fe.room = 0;
    qemu_chr_accept_input(chr);
    ck_assert_str_eq(fe.in->str, "he");
    fe.room = 100;
    qemu_chr_accept_input(chr);
    ck_assert_str_eq(fe.in->str, "hello");
    vc_close(chr, &fe);
}
END_TEST

START_TEST(test_input_beyond_the_limit_is_dropped_while_the_guest_reads_none)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);
    g_autofree char *lots = g_strnfill(CONSOLE_INPUT_MAX + 100, 'k');

    fe.room = 0;
    console_input(console_main(), (const uint8_t *)lots, strlen(lots));
    console_input(console_main(), (const uint8_t *)"!", 1);
    fe.room = 1 << 20;
    qemu_chr_accept_input(chr);
    ck_assert_uint_eq(fe.in->len, CONSOLE_INPUT_MAX);
    ck_assert(!strchr(fe.in->str, '!'));
    vc_close(chr, &fe);
}
END_TEST

START_TEST(test_input_without_a_frontend_waits_for_one)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);

    qemu_chr_add_handlers(chr, NULL, NULL, NULL, NULL);
    console_input(console_main(), (const uint8_t *)"early", 5);
    qemu_chr_add_handlers(chr, fe_can_read, fe_read, NULL, &fe);
    qemu_chr_accept_input(chr);
    ck_assert_str_eq(fe.in->str, "early");
    vc_close(chr, &fe);
}
END_TEST

START_TEST(test_the_display_has_one_vc_at_a_time)
{
    Frontend fe;
    CharDriverState *chr = vc_open(&fe);
    GError *err = NULL;

    ck_assert_ptr_null(qemu_chr_new("vc1", "vc", &err));
    ck_assert_str_eq(err->message,
                     "the display has one console, and chardev 'vc0' has it already");
    g_error_free(err);
    vc_close(chr, &fe);

    /* Once deleted, a new one can be opened. */
    chr = vc_open(&fe);
    vc_close(chr, &fe);
}
END_TEST

START_TEST(test_screendump_without_a_display_fails_clearly)
{
    GError *err = NULL;

    ck_assert_int_lt(console_screendump(console_main(), "/tmp/never.ppm", &err), 0);
    ck_assert_str_eq(err->message, "no display (start with -display sdl)");
    g_error_free(err);
}
END_TEST

typedef struct FakeDisplay {
    int changes;
    char *dumped;
} FakeDisplay;

static void fake_changed(void *opaque)
{
    ((FakeDisplay *)opaque)->changes++;
}

static int fake_screendump(void *opaque, const char *filename, GError **errp)
{
    ((FakeDisplay *)opaque)->dumped = g_strdup(filename);
    return 0;
}

START_TEST(test_the_display_hears_of_each_change_and_does_screendump)
{
    Console *con = console_new(20, 5);
    FakeDisplay fake = { 0 };
    ConsoleDisplay display = { fake_changed, fake_screendump, &fake };

    console_write(con, (const uint8_t *)"before", 6);
    console_set_display(con, &display);
    console_write(con, (const uint8_t *)"x", 1);
    console_write(con, (const uint8_t *)"y", 1);
    ck_assert_int_eq(fake.changes, 2);
    ck_assert_int_eq(console_screendump(con, "/tmp/screen.ppm", NULL), 0);
    ck_assert_str_eq(fake.dumped, "/tmp/screen.ppm");

    console_set_display(con, NULL);
    console_write(con, (const uint8_t *)"z", 1);
    ck_assert_int_eq(fake.changes, 2);
    assert_console_row(con, 0, "beforexyz");
    g_free(fake.dumped);
    console_free(con);
}
END_TEST

static Suite *console_suite(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("grid");
    tcase_add_test(tc, test_a_new_terminal_is_blank_with_the_cursor_home);
    tcase_add_test(tc, test_text_is_written_at_the_cursor_which_advances);
    tcase_add_test(tc, test_carriage_return_goes_back_to_column_0_and_overwrites);
    tcase_add_test(tc, test_newline_starts_the_next_line_at_column_0);
    tcase_add_test(tc, test_backspace_moves_left_and_stops_at_column_0);
    tcase_add_test(tc, test_backspace_space_backspace_erases_the_last_character);
    tcase_add_test(tc, test_tab_moves_to_the_next_multiple_of_8);
    tcase_add_test(tc, test_a_long_line_wraps_to_the_next);
    tcase_add_test(tc, test_a_full_line_then_newline_leaves_no_blank_line);
    tcase_add_test(tc, test_output_past_the_last_row_scrolls_up);
    tcase_add_test(tc, test_wrapping_on_the_last_row_scrolls_too);
    tcase_add_test(tc, test_other_control_bytes_and_del_show_nothing);
    tcase_add_test(tc, test_bytes_above_0x7f_are_kept_in_their_cell);
    suite_add_tcase(s, tc);

    tc = tcase_create("escapes");
    tcase_add_test(tc, test_cursor_position_is_1_based_row_then_column);
    tcase_add_test(tc, test_cursor_moves_stay_inside_the_grid);
    tcase_add_test(tc, test_erase_display_clears_all_below_or_above);
    tcase_add_test(tc, test_erase_line_clears_to_the_end_the_start_or_all);
    tcase_add_test(tc, test_colours_apply_to_the_characters_written_after);
    tcase_add_test(tc, test_sgr_without_parameters_resets);
    tcase_add_test(tc, test_cursor_can_be_hidden_and_shown);
    tcase_add_test(tc, test_escape_c_resets_the_terminal);
    tcase_add_test(tc, test_unsupported_sequences_are_swallowed_whole);
    tcase_add_test(tc, test_title_strings_are_swallowed_up_to_bel_or_st);
    tcase_add_test(tc, test_an_unterminated_string_does_not_hide_later_output);
    tcase_add_test(tc, test_sequences_split_across_writes_are_understood);
    tcase_add_test(tc, test_control_bytes_inside_a_sequence_are_obeyed);
    tcase_add_test(tc, test_huge_and_many_parameters_are_harmless);
    tcase_add_test(tc, test_random_bytes_never_move_the_cursor_out_of_the_grid);
    suite_add_tcase(s, tc);

    tc = tcase_create("font");
    tcase_add_test(tc, test_space_is_blank_and_every_other_printable_has_pixels);
    tcase_add_test(tc, test_printable_characters_have_distinct_glyphs);
    tcase_add_test(tc, test_bytes_outside_printable_ascii_show_as_a_box);
    tcase_add_test(tc, test_font_pixel_reads_the_glyph_rows_from_the_left);
    suite_add_tcase(s, tc);

    tc = tcase_create("vc");
    tcase_add_test(tc, test_the_main_console_is_80_by_25);
    tcase_add_test(tc, test_output_to_the_vc_chardev_appears_on_the_console);
    tcase_add_test(tc, test_typed_text_and_keys_reach_the_frontend);
    tcase_add_test(tc, test_each_key_sends_its_terminal_sequence);
    tcase_add_test(tc, test_input_waits_until_the_frontend_has_room);
    tcase_add_test(tc, test_input_beyond_the_limit_is_dropped_while_the_guest_reads_none);
    tcase_add_test(tc, test_input_without_a_frontend_waits_for_one);
    tcase_add_test(tc, test_the_display_has_one_vc_at_a_time);
    tcase_add_test(tc, test_screendump_without_a_display_fails_clearly);
    tcase_add_test(tc, test_the_display_hears_of_each_change_and_does_screendump);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(console_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
