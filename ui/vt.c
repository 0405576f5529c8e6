/*
 * The virtual console's terminal: the byte-by-byte parser (text, ESC, CSI)
 * and the grid operations it drives (put a character, move, erase, scroll).
 * The escapes understood are listed in ui/vt.h.
 */
#include <string.h>
#include <glib.h>

#include "ui/vt.h"

#define PARAM_MAX 9999      /* larger numbers mean nothing to a grid */

/* ------------------------------------------------------------------------ */
/* The grid */

static VtCell *cell_at(Vt *vt, int x, int y)
{
    return &vt->screen.cells[y * vt->screen.cols + x];
}

/* Erased cells take the current background, as terminals do. */
static VtCell blank_cell(const Vt *vt)
{
    return (VtCell){ .ch = ' ', .fg = VT_DEFAULT_FG, .bg = vt->bg };
}

static void erase_cells(Vt *vt, int from, int to)
{
    VtCell blank = blank_cell(vt);

    for (int i = from; i < to; i++) {
        vt->screen.cells[i] = blank;
    }
}

static int cursor_index(const Vt *vt)
{
    return vt->screen.cursor_y * vt->screen.cols + vt->screen.cursor_x;
}

static void scroll_up(Vt *vt)
{
    int cols = vt->screen.cols, rows = vt->screen.rows;

    memmove(vt->screen.cells, vt->screen.cells + cols,
            (size_t)(rows - 1) * cols * sizeof(VtCell));
    erase_cells(vt, (rows - 1) * cols, rows * cols);
}

static void line_feed(Vt *vt)
{
    if (vt->screen.cursor_y == vt->screen.rows - 1) {
        scroll_up(vt);
    } else {
        vt->screen.cursor_y++;
    }
}

static void move_cursor(Vt *vt, int x, int y)
{
    vt->screen.cursor_x = CLAMP(x, 0, vt->screen.cols - 1);
    vt->screen.cursor_y = CLAMP(y, 0, vt->screen.rows - 1);
    vt->wrap_pending = false;
}

static void put_char(Vt *vt, uint8_t ch)
{
    if (vt->wrap_pending) {
        vt->wrap_pending = false;
        vt->screen.cursor_x = 0;
        line_feed(vt);
    }
    uint8_t fg = vt->bold && vt->fg < 8 ? vt->fg + 8 : vt->fg;
    uint8_t bg = vt->bg;
    if (vt->reverse) {
        uint8_t t = fg;
        fg = bg;
        bg = t;
    }
    *cell_at(vt, vt->screen.cursor_x, vt->screen.cursor_y) =
        (VtCell){ .ch = ch, .fg = fg, .bg = bg };
    if (vt->screen.cursor_x == vt->screen.cols - 1) {
        vt->wrap_pending = true;
    } else {
        vt->screen.cursor_x++;
    }
}

static void reset_attributes(Vt *vt)
{
    vt->fg = VT_DEFAULT_FG;
    vt->bg = VT_DEFAULT_BG;
    vt->bold = false;
    vt->reverse = false;
}

static void reset(Vt *vt)
{
    reset_attributes(vt);
    erase_cells(vt, 0, vt->screen.rows * vt->screen.cols);
    move_cursor(vt, 0, 0);
    vt->screen.cursor_visible = true;
    vt->state = VT_STATE_TEXT;
}

/* ------------------------------------------------------------------------ */
/* Control bytes */

static void control(Vt *vt, uint8_t c)
{
    int x = vt->screen.cursor_x;

    switch (c) {
    case '\r':
        move_cursor(vt, 0, vt->screen.cursor_y);
        break;
    case '\n':
        vt->wrap_pending = false;
        vt->screen.cursor_x = 0;
        line_feed(vt);
        break;
    case '\b':
        /* After a character in the last column the cursor still shows
         * there, so "\b \b" must erase that character, not the one before. */
        if (vt->wrap_pending) {
            vt->wrap_pending = false;
        } else {
            move_cursor(vt, x - 1, vt->screen.cursor_y);
        }
        break;
    case '\t':
        move_cursor(vt, (x / VT_TAB_WIDTH + 1) * VT_TAB_WIDTH,
                    vt->screen.cursor_y);
        break;
    default:
        break;      /* BEL and the rest: nothing to show */
    }
}

/* ------------------------------------------------------------------------ */
/* CSI sequences */

static int param(const Vt *vt, int i, int dflt)
{
    return i < vt->nparams && vt->params[i] > 0 ? vt->params[i] : dflt;
}

static void erase_display(Vt *vt, int mode)
{
    int end = vt->screen.rows * vt->screen.cols;

    switch (mode) {
    case 0:
        erase_cells(vt, cursor_index(vt), end);
        break;
    case 1:
        erase_cells(vt, 0, cursor_index(vt) + 1);
        break;
    case 2:
    case 3:
        erase_cells(vt, 0, end);
        break;
    }
}

static void erase_line(Vt *vt, int mode)
{
    int start = vt->screen.cursor_y * vt->screen.cols;
    int end = start + vt->screen.cols;

    switch (mode) {
    case 0:
        erase_cells(vt, cursor_index(vt), end);
        break;
    case 1:
        erase_cells(vt, start, cursor_index(vt) + 1);
        break;
    case 2:
        erase_cells(vt, start, end);
        break;
    }
}

static void select_graphic_rendition(Vt *vt, int p)
{
    if (p == 0) {
        reset_attributes(vt);
    } else if (p == 1) {
        vt->bold = true;
    } else if (p == 7) {
        vt->reverse = true;
    } else if (p == 22) {
        vt->bold = false;
    } else if (p == 27) {
        vt->reverse = false;
    } else if (p >= 30 && p <= 37) {
        vt->fg = p - 30;
    } else if (p == 39) {
        vt->fg = VT_DEFAULT_FG;
    } else if (p >= 40 && p <= 47) {
        vt->bg = p - 40;
    } else if (p == 49) {
        vt->bg = VT_DEFAULT_BG;
    } else if (p >= 90 && p <= 97) {
        vt->fg = p - 90 + 8;
    } else if (p >= 100 && p <= 107) {
        vt->bg = p - 100 + 8;
    }
}

static void set_dec_mode(Vt *vt, bool on)
{
    for (int i = 0; i < vt->nparams; i++) {
        if (vt->params[i] == 25) {
            vt->screen.cursor_visible = on;
        }
    }
}

static void csi_dispatch(Vt *vt, uint8_t final)
{
    int x = vt->screen.cursor_x, y = vt->screen.cursor_y;

    if (vt->private_mode) {
        if (final == 'h' || final == 'l') {
            set_dec_mode(vt, final == 'h');
        }
        return;
    }
    switch (final) {
    case 'A':
        move_cursor(vt, x, y - param(vt, 0, 1));
        break;
    case 'B':
        move_cursor(vt, x, y + param(vt, 0, 1));
        break;
    case 'C':
        move_cursor(vt, x + param(vt, 0, 1), y);
        break;
    case 'D':
        move_cursor(vt, x - param(vt, 0, 1), y);
        break;
    case 'H':
    case 'f':
        move_cursor(vt, param(vt, 1, 1) - 1, param(vt, 0, 1) - 1);
        break;
    case 'J':
        erase_display(vt, param(vt, 0, 0));
        break;
    case 'K':
        erase_line(vt, param(vt, 0, 0));
        break;
    case 'm':
        for (int i = 0; i < MAX(vt->nparams, 1); i++) {
            select_graphic_rendition(vt, param(vt, i, 0));
        }
        break;
    default:
        break;      /* understood as a sequence, not implemented */
    }
}

/* ------------------------------------------------------------------------ */
/* The parser */

static void csi_start(Vt *vt)
{
    vt->state = VT_STATE_CSI;
    vt->nparams = 0;
    vt->private_mode = false;
    memset(vt->params, 0, sizeof(vt->params));
}

static void csi_byte(Vt *vt, uint8_t c)
{
    if (c >= '0' && c <= '9') {
        if (vt->nparams == 0) {
            vt->nparams = 1;
        }
        int *p = &vt->params[vt->nparams - 1];
        *p = MIN(*p * 10 + (c - '0'), PARAM_MAX);
    } else if (c == ';') {
        /* "ESC [ ; 5 H": the empty first parameter counts too. */
        vt->nparams = MIN(MAX(vt->nparams, 1) + 1, VT_MAX_PARAMS);
    } else if (c >= 0x3c && c <= 0x3f) {
        vt->private_mode = true;
    } else if (c >= 0x40 && c <= 0x7e) {
        vt->state = VT_STATE_TEXT;
        csi_dispatch(vt, c);
    } else if (c == 0x1b) {
        vt->state = VT_STATE_ESCAPE;
    } else if (c < 0x20) {
        control(vt, c);     /* terminals obey controls inside sequences */
    } else if (c >= 0x80) {
        vt->state = VT_STATE_TEXT;  /* not a sequence after all */
    }
    /* 0x20-0x2f: intermediate bytes, ignored with their sequence */
}

static void string_byte(Vt *vt, uint8_t c)
{
    if (c == 0x07 || ++vt->string_len > VT_STRING_MAX) {
        vt->state = VT_STATE_TEXT;
    } else if (c == 0x1b) {
        vt->state = VT_STATE_ESCAPE;    /* ESC \ ends it */
    }
}

static void escape_byte(Vt *vt, uint8_t c)
{
    if (c == '[') {
        csi_start(vt);
    } else if (c && strchr("]PX^_", c)) {
        vt->state = VT_STATE_STRING;
        vt->string_len = 0;
    } else if (c == 'c') {
        reset(vt);
    } else if (c < 0x20 || c > 0x2f) {
        /* The final byte of a two-byte escape; 0x20-0x2f are intermediates
         * of a longer one (ESC ( B), consumed until its final byte. */
        vt->state = VT_STATE_TEXT;
    }
}

static void text_byte(Vt *vt, uint8_t c)
{
    if (c == 0x1b) {
        vt->state = VT_STATE_ESCAPE;
    } else if (c < 0x20) {
        control(vt, c);
    } else if (c != 0x7f) {
        put_char(vt, c);
    }
}

void vt_write(Vt *vt, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (vt->state) {
        case VT_STATE_TEXT:
            text_byte(vt, buf[i]);
            break;
        case VT_STATE_ESCAPE:
            escape_byte(vt, buf[i]);
            break;
        case VT_STATE_CSI:
            csi_byte(vt, buf[i]);
            break;
        case VT_STATE_STRING:
            string_byte(vt, buf[i]);
            break;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Life cycle and screens */

void vt_init(Vt *vt, int cols, int rows)
{
    *vt = (Vt){ 0 };
    vt->screen.cols = cols;
    vt->screen.rows = rows;
    vt->screen.cells = g_new(VtCell, (size_t)cols * rows);
    reset(vt);
}

void vt_destroy(Vt *vt)
{
    vt_screen_free(&vt->screen);
}

const VtCell *vt_screen_cell(const VtScreen *screen, int x, int y)
{
    return &screen->cells[y * screen->cols + x];
}

void vt_screen_copy(VtScreen *dst, const VtScreen *src)
{
    size_t n = (size_t)src->cols * src->rows;

    *dst = *src;
    dst->cells = g_new(VtCell, n);
    memcpy(dst->cells, src->cells, n * sizeof(VtCell));
}

void vt_screen_free(VtScreen *screen)
{
    g_free(screen->cells);
    screen->cells = NULL;
}

char *vt_screen_row_text(const VtScreen *screen, int y)
{
    GString *text = g_string_sized_new(screen->cols);

    for (int x = 0; x < screen->cols; x++) {
        g_string_append_c(text, (char)vt_screen_cell(screen, x, y)->ch);
    }
    while (text->len && text->str[text->len - 1] == ' ') {
        g_string_truncate(text, text->len - 1);
    }
    return g_string_free(text, FALSE);
}
