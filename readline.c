/*
 * A small line editor for the human monitor on a terminal (see readline.h):
 * an escape-sequence state machine in front of an edit buffer, a history
 * ring, and redraws that rewrite the whole line after the prompt, which is
 * simple and fast enough for lines typed by a person.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "readline.h"

typedef enum {
    KEY_NORMAL,
    KEY_ESC,    /* after ESC */
    KEY_CSI,    /* after ESC [ (digits may follow) */
    KEY_SS3,    /* after ESC O */
} KeyState;

struct ReadLineState {
    char *prompt;
    char buf[READLINE_MAX_LINE + 1];
    size_t len;
    size_t cursor;

    KeyState key_state;
    int csi_param;
    bool last_was_cr;

    char *history[READLINE_HISTORY];   /* oldest first, NULL-padded */
    int history_len;
    int history_pos;    /* entry shown, or history_len for the new line */
    char *saved_line;   /* the new line, while browsing the history */

    ReadLinePrintFunc *print;
    ReadLineLineFunc *line_done;
    ReadLineCompleteFunc *complete;
    void *opaque;
};

static void rl_print(ReadLineState *rs, const char *text)
{
    rs->print(rs->opaque, text, strlen(text));
}

static void rl_printf(ReadLineState *rs, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void rl_printf(ReadLineState *rs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rl_print(rs, text);
}

/* Rewrites prompt and line, erases what followed, puts the cursor back. */
static void rl_redraw(ReadLineState *rs)
{
    rl_printf(rs, "\r%s%.*s\033[K", rs->prompt, (int)rs->len, rs->buf);
    if (rs->cursor < rs->len) {
        rl_printf(rs, "\033[%zuD", rs->len - rs->cursor);
    }
}

static void rl_set_line(ReadLineState *rs, const char *text)
{
    size_t n = MIN(strlen(text), (size_t)READLINE_MAX_LINE);
    memcpy(rs->buf, text, n);
    rs->len = rs->cursor = n;
    rs->buf[n] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Editing */

static void rl_insert(ReadLineState *rs, const char *text, size_t n)
{
    if (rs->len + n > READLINE_MAX_LINE) {
        rl_print(rs, "\a");
        return;
    }
    memmove(rs->buf + rs->cursor + n, rs->buf + rs->cursor,
            rs->len - rs->cursor);
    memcpy(rs->buf + rs->cursor, text, n);
    bool at_end = rs->cursor == rs->len;
    rs->len += n;
    rs->cursor += n;
    rs->buf[rs->len] = '\0';
    if (at_end) {
        rs->print(rs->opaque, text, n);   /* plain echo */
    } else {
        rl_redraw(rs);
    }
}

/* Deletes [from, to) of the line. */
static void rl_delete(ReadLineState *rs, size_t from, size_t to)
{
    if (from >= to) {
        return;
    }
    memmove(rs->buf + from, rs->buf + to, rs->len - to);
    rs->len -= to - from;
    rs->buf[rs->len] = '\0';
    rs->cursor = from;
    rl_redraw(rs);
}

static void rl_move_to(ReadLineState *rs, size_t pos)
{
    if (pos != rs->cursor) {
        rs->cursor = pos;
        rl_redraw(rs);
    }
}

static size_t rl_word_left(ReadLineState *rs)
{
    size_t p = rs->cursor;
    while (p > 0 && rs->buf[p - 1] == ' ') {
        p--;
    }
    while (p > 0 && rs->buf[p - 1] != ' ') {
        p--;
    }
    return p;
}

static size_t rl_word_right(ReadLineState *rs)
{
    size_t p = rs->cursor;
    while (p < rs->len && rs->buf[p] == ' ') {
        p++;
    }
    while (p < rs->len && rs->buf[p] != ' ') {
        p++;
    }
    return p;
}

/* ------------------------------------------------------------------------ */
/* History */

static void rl_history_add(ReadLineState *rs, const char *line)
{
    if (!line[0]) {
        return;
    }
    /* A line entered again moves to the end instead of appearing twice. */
    for (int i = 0; i < rs->history_len; i++) {
        if (!strcmp(rs->history[i], line)) {
            char *same = rs->history[i];
            memmove(&rs->history[i], &rs->history[i + 1],
                    (rs->history_len - i - 1) * sizeof(char *));
            rs->history[rs->history_len - 1] = same;
            return;
        }
    }
    if (rs->history_len == READLINE_HISTORY) {
        g_free(rs->history[0]);
        memmove(&rs->history[0], &rs->history[1],
                (READLINE_HISTORY - 1) * sizeof(char *));
        rs->history_len--;
    }
    rs->history[rs->history_len++] = g_strdup(line);
}

static void rl_history_go(ReadLineState *rs, int pos)
{
    if (pos < 0 || pos > rs->history_len || pos == rs->history_pos) {
        return;
    }
    if (rs->history_pos == rs->history_len) {
        g_free(rs->saved_line);
        rs->saved_line = g_strndup(rs->buf, rs->len);
    }
    rs->history_pos = pos;
    rl_set_line(rs, pos == rs->history_len ? rs->saved_line
                                           : rs->history[pos]);
    rl_redraw(rs);
}

const char *readline_get_history(ReadLineState *rs, unsigned n)
{
    if (n >= (unsigned)rs->history_len) {
        return NULL;
    }
    return rs->history[rs->history_len - 1 - n];
}

/* ------------------------------------------------------------------------ */
/* Enter and Tab */

static void rl_enter(ReadLineState *rs)
{
    g_autofree char *line = g_strndup(rs->buf, rs->len);

    rl_print(rs, "\r\n");
    rl_history_add(rs, line);
    rs->history_pos = rs->history_len;
    g_clear_pointer(&rs->saved_line, g_free);
    rl_set_line(rs, "");
    rs->line_done(rs->opaque, line);
}

static size_t common_prefix_len(GPtrArray *words)
{
    const char *first = g_ptr_array_index(words, 0);
    size_t n = strlen(first);
    for (guint i = 1; i < words->len; i++) {
        const char *w = g_ptr_array_index(words, i);
        size_t k = 0;
        while (k < n && w[k] == first[k]) {
            k++;
        }
        n = k;
    }
    return n;
}

static void rl_list_matches(ReadLineState *rs, GPtrArray *matches)
{
    rl_print(rs, "\r\n");
    for (guint i = 0; i < matches->len; i++) {
        rl_printf(rs, "%s%s", i ? " " : "",
                  (const char *)g_ptr_array_index(matches, i));
    }
    rl_print(rs, "\r\n");
    rl_redraw(rs);
}

static void rl_complete(ReadLineState *rs)
{
    if (!rs->complete) {
        return;
    }
    g_autofree char *before = g_strndup(rs->buf, rs->cursor);
    g_autoptr(GPtrArray) matches = g_ptr_array_new_with_free_func(g_free);
    rs->complete(rs->opaque, before, matches);
    if (matches->len == 0) {
        return;
    }
    const char *word = strrchr(before, ' ');
    size_t typed = strlen(word ? word + 1 : before);
    size_t common = common_prefix_len(matches);
    const char *first = g_ptr_array_index(matches, 0);
    if (common > typed) {
        rl_insert(rs, first + typed, common - typed);
    }
    if (matches->len == 1) {
        rl_insert(rs, " ", 1);
    } else if (common == typed) {
        rl_list_matches(rs, matches);
    }
}

/* ------------------------------------------------------------------------ */
/* Keys */

static void rl_key_normal(ReadLineState *rs, int ch)
{
    switch (ch) {
    case 1:   rl_move_to(rs, 0); break;                         /* C-a */
    case 2:   rl_move_to(rs, rs->cursor ? rs->cursor - 1 : 0); break;
    case 4:   rl_delete(rs, rs->cursor, MIN(rs->cursor + 1, rs->len)); break;
    case 5:   rl_move_to(rs, rs->len); break;                   /* C-e */
    case 6:   rl_move_to(rs, MIN(rs->cursor + 1, rs->len)); break;
    case 9:   rl_complete(rs); break;
    case 11:  rl_delete(rs, rs->cursor, rs->len); break;        /* C-k */
    case 12:  rl_print(rs, "\r\n"); rl_redraw(rs); break;       /* C-l */
    case 14:  rl_history_go(rs, rs->history_pos + 1); break;    /* C-n */
    case 16:  rl_history_go(rs, rs->history_pos - 1); break;    /* C-p */
    case 21:  rl_delete(rs, 0, rs->cursor); break;              /* C-u */
    case 23:  rl_delete(rs, rl_word_left(rs), rs->cursor); break; /* C-w */
    case 27:  rs->key_state = KEY_ESC; break;
    case 8:
    case 127:
        if (rs->cursor > 0) {
            rl_delete(rs, rs->cursor - 1, rs->cursor);
        }
        break;
    default:
        if (ch >= 32 && ch < 127) {
            char c = ch;
            rl_insert(rs, &c, 1);
        }
        break;
    }
}

static void rl_key_final(ReadLineState *rs, int ch, int param)
{
    switch (ch) {
    case 'A': rl_history_go(rs, rs->history_pos - 1); break;
    case 'B': rl_history_go(rs, rs->history_pos + 1); break;
    case 'C': rl_move_to(rs, MIN(rs->cursor + 1, rs->len)); break;
    case 'D': rl_move_to(rs, rs->cursor ? rs->cursor - 1 : 0); break;
    case 'H': rl_move_to(rs, 0); break;
    case 'F': rl_move_to(rs, rs->len); break;
    case '~':
        if (param == 1 || param == 7) {
            rl_move_to(rs, 0);
        } else if (param == 4 || param == 8) {
            rl_move_to(rs, rs->len);
        } else if (param == 3) {
            rl_delete(rs, rs->cursor, MIN(rs->cursor + 1, rs->len));
        }
        break;
    default:
        break;
    }
}

void readline_handle_byte(ReadLineState *rs, int ch)
{
    bool after_cr = rs->last_was_cr;
    rs->last_was_cr = ch == '\r';

    switch (rs->key_state) {
    case KEY_NORMAL:
        if (ch == '\r' || (ch == '\n' && !after_cr)) {
            rl_enter(rs);
        } else if (ch != '\n') {
            rl_key_normal(rs, ch);
        }
        break;
    case KEY_ESC:
        rs->key_state = KEY_NORMAL;
        if (ch == '[') {
            rs->key_state = KEY_CSI;
            rs->csi_param = 0;
        } else if (ch == 'O') {
            rs->key_state = KEY_SS3;
        } else if (ch == 'b') {
            rl_move_to(rs, rl_word_left(rs));
        } else if (ch == 'f') {
            rl_move_to(rs, rl_word_right(rs));
        }
        break;
    case KEY_CSI:
        if (ch >= '0' && ch <= '9') {
            rs->csi_param = MIN(rs->csi_param * 10 + (ch - '0'), 1000);
        } else if (ch != ';') {
            rs->key_state = KEY_NORMAL;
            rl_key_final(rs, ch, rs->csi_param);
        }
        break;
    case KEY_SS3:
        rs->key_state = KEY_NORMAL;
        rl_key_final(rs, ch, 0);
        break;
    }
}

const char *readline_get_line(ReadLineState *rs)
{
    return rs->buf;
}

void readline_show_prompt(ReadLineState *rs)
{
    rl_redraw(rs);
}

ReadLineState *readline_new(const char *prompt, ReadLinePrintFunc *print,
                            ReadLineLineFunc *line_done,
                            ReadLineCompleteFunc *complete, void *opaque)
{
    ReadLineState *rs = g_new0(ReadLineState, 1);

    rs->prompt = g_strdup(prompt);
    rs->print = print;
    rs->line_done = line_done;
    rs->complete = complete;
    rs->opaque = opaque;
    return rs;
}

void readline_free(ReadLineState *rs)
{
    if (!rs) {
        return;
    }
    for (int i = 0; i < rs->history_len; i++) {
        g_free(rs->history[i]);
    }
    g_free(rs->saved_line);
    g_free(rs->prompt);
    g_free(rs);
}
