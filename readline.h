/*
 * Line editing with history for the human monitor on a terminal: bytes typed
 * in go in, a finished line comes out through a callback, and what the user
 * should see is printed (ANSI/VT100 sequences) through another.
 */
#ifndef READLINE_H
#define READLINE_H

#include <stddef.h>
#include <glib.h>

#define READLINE_MAX_LINE 4096   /* longer input is ignored (with a bell) */
#define READLINE_HISTORY 64      /* lines remembered */

typedef struct ReadLineState ReadLineState;

/* Shows `len` bytes of text (echo, redraws, control sequences). */
typedef void ReadLinePrintFunc(void *opaque, const char *text, size_t len);

/* A line was entered (without its end of line); already in the history. */
typedef void ReadLineLineFunc(void *opaque, const char *line);

/*
 * Tab completion: `before_cursor` is the line up to the cursor; adds to
 * `matches` (g_free'd strings) the complete words the last, partly typed
 * word of it may become.
 */
typedef void ReadLineCompleteFunc(void *opaque, const char *before_cursor,
                                  GPtrArray *matches);

ReadLineState *readline_new(const char *prompt, ReadLinePrintFunc *print,
                            ReadLineLineFunc *line_done,
                            ReadLineCompleteFunc *complete, void *opaque);
void readline_free(ReadLineState *rs);

/* Prints the prompt and the line being edited (after command output). */
void readline_show_prompt(ReadLineState *rs);

/*
 * Feeds one byte from the terminal. Understood: printable ASCII; Enter (CR
 * or LF; LF right after CR is ignored); Backspace and DEL; C-a/Home, C-e/End,
 * C-b/Left, C-f/Right, M-b and M-f (word left/right), C-d/Delete, C-k (kill to
 * end), C-u (kill to start), C-w (kill word), C-p/Up and C-n/Down (history),
 * Tab (completion). Everything else is ignored.
 */
void readline_handle_byte(ReadLineState *rs, int ch);

/* The text being edited (for tests). */
const char *readline_get_line(ReadLineState *rs);

/* History entry `n` counting back from the most recent (0), or NULL. */
const char *readline_get_history(ReadLineState *rs, unsigned n);

#endif
