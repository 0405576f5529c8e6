/*
 * Specification of the line editor (readline.h): keys typed in, the line
 * that comes out, what the terminal is told to show, history and completion.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "readline.h"

typedef struct Terminal {
    ReadLineState *rs;
    GString *screen;        /* everything printed */
    GPtrArray *lines;       /* lines entered */
} Terminal;

static void on_print(void *opaque, const char *text, size_t len)
{
    Terminal *t = opaque;
    g_string_append_len(t->screen, text, len);
}

static void on_line(void *opaque, const char *line)
{
    Terminal *t = opaque;
    g_ptr_array_add(t->lines, g_strdup(line));
}

static void on_complete(void *opaque, const char *before, GPtrArray *matches)
{
    static const char *const words[] = { "info", "migrate", "migrate_cancel",
                                         "quit" };
    const char *word = strrchr(before, ' ');
    word = word ? word + 1 : before;
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        if (g_str_has_prefix(words[i], word)) {
            g_ptr_array_add(matches, g_strdup(words[i]));
        }
    }
}

static Terminal *term_new(void)
{
    Terminal *t = g_new0(Terminal, 1);
    t->screen = g_string_new(NULL);
    t->lines = g_ptr_array_new_with_free_func(g_free);
    t->rs = readline_new("(qemu) ", on_print, on_line, on_complete, t);
    return t;
}

static void term_free(Terminal *t)
{
    readline_free(t->rs);
    g_string_free(t->screen, TRUE);
    g_ptr_array_unref(t->lines);
    g_free(t);
}

static void type(Terminal *t, const char *keys)
{
    for (const char *p = keys; *p; p++) {
        readline_handle_byte(t->rs, (unsigned char)*p);
    }
}

static const char *last_line(Terminal *t)
{
    ck_assert_uint_gt(t->lines->len, 0);
    return g_ptr_array_index(t->lines, t->lines->len - 1);
}

/* Types keys and Enter; returns the line that came out. */
static const char *enter(Terminal *t, const char *keys)
{
    guint before = t->lines->len;
    type(t, keys);
    type(t, "\r");
    ck_assert_uint_eq(t->lines->len, before + 1);
    return last_line(t);
}

#define UP "\033[A"
#define DOWN "\033[B"
#define RIGHT "\033[C"
#define LEFT "\033[D"

/* ---------------------------------------------------------------------- */

START_TEST(test_typed_characters_are_echoed_and_entered)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "info status"), "info status");
    ck_assert(g_str_has_prefix(t->screen->str, "info status\r\n"));
    term_free(t);
}
END_TEST

START_TEST(test_prompt_is_shown_on_request)
{
    Terminal *t = term_new();

    readline_show_prompt(t->rs);
    ck_assert_ptr_nonnull(strstr(t->screen->str, "(qemu) "));
    term_free(t);
}
END_TEST

START_TEST(test_lf_after_cr_is_not_a_second_line)
{
    Terminal *t = term_new();

    type(t, "stop\r\ncont\n");
    ck_assert_uint_eq(t->lines->len, 2);
    ck_assert_str_eq(g_ptr_array_index(t->lines, 0), "stop");
    ck_assert_str_eq(g_ptr_array_index(t->lines, 1), "cont");
    term_free(t);
}
END_TEST

START_TEST(test_backspace_and_delete_key_erase_backwards)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "stopx\177"), "stop");
    ck_assert_str_eq(enter(t, "stopy\b"), "stop");
    ck_assert_str_eq(enter(t, "\177\177"), "");
    term_free(t);
}
END_TEST

START_TEST(test_cursor_moves_and_inserts_in_the_middle)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "info sttus" LEFT LEFT LEFT "a"), "info status");
    ck_assert_str_eq(enter(t, "nfo" "\001" "i"), "info");           /* C-a */
    ck_assert_str_eq(enter(t, "ab" "\002" "X" "\005" "Y"), "aXbY"); /* C-b C-e */
    ck_assert_str_eq(enter(t, "ab" LEFT LEFT RIGHT "X"), "aXb");
    term_free(t);
}
END_TEST

START_TEST(test_home_and_end_keys)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "bc" "\033[H" "a" "\033[F" "d"), "abcd");
    ck_assert_str_eq(enter(t, "bc" "\033[1~" "a" "\033[4~" "d"), "abcd");
    ck_assert_str_eq(enter(t, "bc" "\033OH" "a" "\033OF" "d"), "abcd");
    term_free(t);
}
END_TEST

START_TEST(test_delete_key_and_ctrl_d_erase_under_the_cursor)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "abc" LEFT LEFT "\033[3~"), "ac");
    ck_assert_str_eq(enter(t, "abc" LEFT LEFT "\004"), "ac");
    term_free(t);
}
END_TEST

START_TEST(test_kill_keys)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "info status" LEFT LEFT LEFT "\013"), "info sta"); /* C-k */
    ck_assert_str_eq(enter(t, "garbage\025stop"), "stop");                      /* C-u */
    ck_assert_str_eq(enter(t, "migrate tcp:x\027unix:y"), "migrate unix:y");    /* C-w */
    term_free(t);
}
END_TEST

START_TEST(test_word_motions)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "one three" "\033b" "two "), "one two three");
    ck_assert_str_eq(enter(t, "a c" "\001" "\033f" " b"), "a b c");
    term_free(t);
}
END_TEST

START_TEST(test_redraw_shows_prompt_line_and_cursor_position)
{
    Terminal *t = term_new();

    type(t, "abc" LEFT);
    ck_assert_ptr_nonnull(strstr(t->screen->str, "\r(qemu) abc\033[K\033[1D"));
    term_free(t);
}
END_TEST

START_TEST(test_unknown_control_characters_are_ignored)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "st\007\x1a" "op\033[Z"), "stop");
    term_free(t);
}
END_TEST

START_TEST(test_overlong_line_is_cut_with_a_bell)
{
    Terminal *t = term_new();
    g_autofree char *big = g_strnfill(READLINE_MAX_LINE + 10, 'x');

    const char *line = enter(t, big);
    ck_assert_uint_eq(strlen(line), READLINE_MAX_LINE);
    ck_assert_ptr_nonnull(strchr(t->screen->str, '\a'));
    term_free(t);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* History */

START_TEST(test_up_recalls_the_previous_line)
{
    Terminal *t = term_new();

    enter(t, "info status");
    enter(t, "stop");
    ck_assert_str_eq(enter(t, UP), "stop");
    ck_assert_str_eq(enter(t, UP UP), "info status");
    term_free(t);
}
END_TEST

START_TEST(test_down_returns_to_the_line_being_typed)
{
    Terminal *t = term_new();

    enter(t, "stop");
    type(t, "cont");
    type(t, UP);
    ck_assert_str_eq(readline_get_line(t->rs), "stop");
    ck_assert_str_eq(enter(t, DOWN), "cont");
    term_free(t);
}
END_TEST

START_TEST(test_ctrl_p_and_ctrl_n_walk_the_history)
{
    Terminal *t = term_new();

    enter(t, "a");
    enter(t, "b");
    ck_assert_str_eq(enter(t, "\020\020\016"), "b");
    term_free(t);
}
END_TEST

START_TEST(test_up_beyond_the_oldest_stays_there)
{
    Terminal *t = term_new();

    enter(t, "only");
    ck_assert_str_eq(enter(t, UP UP UP), "only");
    term_free(t);
}
END_TEST

START_TEST(test_history_skips_empty_lines_and_moves_repeats_to_the_end)
{
    Terminal *t = term_new();

    enter(t, "a");
    enter(t, "b");
    enter(t, "");
    enter(t, "a");
    ck_assert_str_eq(readline_get_history(t->rs, 0), "a");
    ck_assert_str_eq(readline_get_history(t->rs, 1), "b");
    ck_assert_ptr_null(readline_get_history(t->rs, 2));
    term_free(t);
}
END_TEST

START_TEST(test_history_keeps_the_most_recent_lines)
{
    Terminal *t = term_new();

    for (int i = 0; i < READLINE_HISTORY + 5; i++) {
        g_autofree char *line = g_strdup_printf("cmd%d", i);
        enter(t, line);
    }
    g_autofree char *newest = g_strdup_printf("cmd%d", READLINE_HISTORY + 4);
    g_autofree char *oldest = g_strdup_printf("cmd%d", 5);
    ck_assert_str_eq(readline_get_history(t->rs, 0), newest);
    ck_assert_str_eq(readline_get_history(t->rs, READLINE_HISTORY - 1), oldest);
    ck_assert_ptr_null(readline_get_history(t->rs, READLINE_HISTORY));
    term_free(t);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Completion */

START_TEST(test_tab_completes_a_unique_word)
{
    Terminal *t = term_new();

    ck_assert_str_eq(enter(t, "in\t"), "info ");
    term_free(t);
}
END_TEST

START_TEST(test_tab_extends_to_the_common_prefix)
{
    Terminal *t = term_new();

    type(t, "mi\t");
    ck_assert_str_eq(readline_get_line(t->rs), "migrate");
    term_free(t);
}
END_TEST

START_TEST(test_tab_lists_ambiguous_candidates)
{
    Terminal *t = term_new();

    type(t, "migrate\t");
    ck_assert_ptr_nonnull(strstr(t->screen->str, "\r\nmigrate migrate_cancel\r\n"));
    ck_assert_str_eq(readline_get_line(t->rs), "migrate");
    term_free(t);
}
END_TEST

START_TEST(test_tab_without_candidates_changes_nothing)
{
    Terminal *t = term_new();

    type(t, "zz\t");
    ck_assert_str_eq(readline_get_line(t->rs), "zz");
    term_free(t);
}
END_TEST

static Suite *readline_suite(void)
{
    Suite *s = suite_create("readline");
    TCase *tc = tcase_create("editing");
    tcase_add_test(tc, test_typed_characters_are_echoed_and_entered);
    tcase_add_test(tc, test_prompt_is_shown_on_request);
    tcase_add_test(tc, test_lf_after_cr_is_not_a_second_line);
    tcase_add_test(tc, test_backspace_and_delete_key_erase_backwards);
    tcase_add_test(tc, test_cursor_moves_and_inserts_in_the_middle);
    tcase_add_test(tc, test_home_and_end_keys);
    tcase_add_test(tc, test_delete_key_and_ctrl_d_erase_under_the_cursor);
    tcase_add_test(tc, test_kill_keys);
    tcase_add_test(tc, test_word_motions);
    tcase_add_test(tc, test_redraw_shows_prompt_line_and_cursor_position);
    tcase_add_test(tc, test_unknown_control_characters_are_ignored);
    tcase_add_test(tc, test_overlong_line_is_cut_with_a_bell);
    suite_add_tcase(s, tc);

    tc = tcase_create("history");
    tcase_add_test(tc, test_up_recalls_the_previous_line);
    tcase_add_test(tc, test_down_returns_to_the_line_being_typed);
    tcase_add_test(tc, test_ctrl_p_and_ctrl_n_walk_the_history);
    tcase_add_test(tc, test_up_beyond_the_oldest_stays_there);
    tcase_add_test(tc, test_history_skips_empty_lines_and_moves_repeats_to_the_end);
    tcase_add_test(tc, test_history_keeps_the_most_recent_lines);
    suite_add_tcase(s, tc);

    tc = tcase_create("completion");
    tcase_add_test(tc, test_tab_completes_a_unique_word);
    tcase_add_test(tc, test_tab_extends_to_the_common_prefix);
    tcase_add_test(tc, test_tab_lists_ambiguous_candidates);
    tcase_add_test(tc, test_tab_without_candidates_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(readline_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
