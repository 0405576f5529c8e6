/*
 * The terminal behind the virtual console: a grid of character cells with a
 * cursor, fed the bytes a guest writes to its serial port. Not thread-safe:
 * ui/console.c locks around it.
 *
 * Understood: printable bytes (0x20-0x7e; 0x80-0xff are kept and drawn as a
 * box), \r, \n (which also returns the carriage, as a terminal with ONLCR
 * shows guest output), \b, \t (stops every 8 columns), and the escapes
 *   ESC [ n A/B/C/D   cursor up/down/right/left (default 1)
 *   ESC [ r ; c H/f   cursor to row r, column c (1-based, default 1)
 *   ESC [ n J         erase below (0), above (1) or all (2, 3)
 *   ESC [ n K         erase to the end (0), from the start (1) or all (2)
 *                     of the line
 *   ESC [ ... m       0 reset, 1 bold (bright colour), 7 reverse, 22, 27,
 *                     30-37/90-97 foreground, 39 default, 40-47/100-107
 *                     background, 49 default
 *   ESC [ ? 25 h/l    show/hide the cursor
 *   ESC c             reset
 * Any other escape sequence is consumed whole and ignored, including the
 * strings of ESC ] (a window title...), ESC P, ESC X, ESC ^ and ESC _ up to
 * BEL or ESC \ (or VT_STRING_MAX bytes, so that a stray ESC ] never hides
 * the rest of the output); other control bytes and DEL are ignored.
 */
#ifndef UI_VT_H
#define UI_VT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_DEFAULT_FG 7     /* light grey, in the 16-colour palette */
#define VT_DEFAULT_BG 0     /* black */
#define VT_MAX_PARAMS 16
#define VT_TAB_WIDTH 8
#define VT_STRING_MAX 512

typedef struct VtCell {
    uint8_t ch;             /* the byte shown; ' ' when blank */
    uint8_t fg, bg;         /* palette indices 0-15 (8-15: bright) */
} VtCell;

/* What the terminal shows. */
typedef struct VtScreen {
    int cols, rows;
    VtCell *cells;          /* rows * cols, row by row */
    int cursor_x, cursor_y;
    bool cursor_visible;
} VtScreen;

typedef enum {
    VT_STATE_TEXT,
    VT_STATE_ESCAPE,        /* after ESC */
    VT_STATE_CSI,           /* after ESC [ */
    VT_STATE_STRING,        /* after ESC ] and the like: until BEL, ESC \ */
} VtState;

typedef struct Vt {
    VtScreen screen;
    /* A character went to the last column: the next one starts a new line
     * (so that a full line followed by \r\n is not a blank line too). */
    bool wrap_pending;
    uint8_t fg, bg;         /* set by ESC [ m, before bold and reverse */
    bool bold, reverse;
    VtState state;
    int params[VT_MAX_PARAMS];
    int nparams;
    bool private_mode;      /* ESC [ ? ...: DEC modes */
    int string_len;         /* bytes of the string so far */
} Vt;

void vt_init(Vt *vt, int cols, int rows);
void vt_destroy(Vt *vt);

/* Interprets `len` bytes of output. */
void vt_write(Vt *vt, const uint8_t *buf, size_t len);

const VtCell *vt_screen_cell(const VtScreen *screen, int x, int y);

/* Copies `src` into `dst` (which owns its cells: vt_screen_free it). */
void vt_screen_copy(VtScreen *dst, const VtScreen *src);
void vt_screen_free(VtScreen *screen);

/* The characters of row y without the trailing blanks (g_free it). */
char *vt_screen_row_text(const VtScreen *screen, int y);

#endif
