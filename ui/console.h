/*
 * The text console and the displays. The machine has no framebuffer: the
 * SDL display shows a text console (ui/vt.h), and the "vc" chardev connects
 * it to the serial port (-serial vc, the default with -display sdl): what the
 * guest writes appears in the window, and keystrokes go back as input.
 */
#ifndef UI_CONSOLE_H
#define UI_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-char.h"
#include "ui/vt.h"

#define CONSOLE_COLS 80
#define CONSOLE_ROWS 25
#define CONSOLE_INPUT_MAX 4096  /* typed bytes kept while the guest reads none */

typedef struct Console Console;

/* Keys that send escape sequences or control bytes rather than text. */
typedef enum {
    CONSOLE_KEY_ENTER,          /* \r */
    CONSOLE_KEY_BACKSPACE,      /* DEL (0x7f) */
    CONSOLE_KEY_TAB,
    CONSOLE_KEY_ESCAPE,
    CONSOLE_KEY_UP,             /* ESC [ A */
    CONSOLE_KEY_DOWN,           /* ESC [ B */
    CONSOLE_KEY_RIGHT,          /* ESC [ C */
    CONSOLE_KEY_LEFT,           /* ESC [ D */
    CONSOLE_KEY_HOME,           /* ESC [ H */
    CONSOLE_KEY_END,            /* ESC [ F */
    CONSOLE_KEY_INSERT,         /* ESC [ 2 ~ */
    CONSOLE_KEY_DELETE,         /* ESC [ 3 ~ */
    CONSOLE_KEY_PAGE_UP,        /* ESC [ 5 ~ */
    CONSOLE_KEY_PAGE_DOWN,      /* ESC [ 6 ~ */
} ConsoleKey;

/* What a display gives the console. */
typedef struct ConsoleDisplay {
    /* The screen changed; from any thread, the console's lock not held. */
    void (*changed)(void *opaque);
    /* Writes what the display shows as a binary PPM (main thread). */
    int (*screendump)(void *opaque, const char *filename, GError **errp);
    void *opaque;
} ConsoleDisplay;

Console *console_new(int cols, int rows);
void console_free(Console *con);

/* The console of the "vc" chardev and of the display (CONSOLE_COLS x
 * CONSOLE_ROWS), created on first use (main thread). */
Console *console_main(void);

/* The "vc" chardev of the main console (qemu_chr_new calls it); one at a
 * time. */
CharDriverState *console_vc_open(const char *label, GError **errp);

/* The chardev connected to `con`, or NULL. */
CharDriverState *console_chr(Console *con);

/* Output shown on the console; from any thread. */
void console_write(Console *con, const uint8_t *buf, size_t len);

/* A copy of what the console shows (vt_screen_free it); from any thread. */
void console_screen(Console *con, VtScreen *screen);

/* Input typed on the display (main thread): handed to the chardev's
 * frontend as fast as it takes it; beyond CONSOLE_INPUT_MAX waiting bytes,
 * keystrokes are dropped. */
void console_input(Console *con, const uint8_t *buf, size_t len);
void console_key(Console *con, ConsoleKey key);
/* The bytes a key sends (a NUL-terminated string); callable from any thread. */
const char *console_key_sequence(ConsoleKey key);

/* Attaches the display that shows `con` (NULL: detaches it). */
void console_set_display(Console *con, const ConsoleDisplay *display);

/* Writes what the display of `con` shows to `filename` as a binary PPM;
 * fails when no display shows it. */
int console_screendump(Console *con, const char *filename, GError **errp);

/*
 * The SDL display (ui/sdl.c, built with CONFIG_SDL): opens a window, titled
 * with the machine's -name, that shows the main console from its own thread;
 * closing it shuts the machine down. `serial` is the UART's chardev; when
 * no chardev is on the console (the UART is not on -serial vc), the console
 * says so. The window closes at exit.
 */
int console_sdl_init(CharDriverState *serial, GError **errp);

#endif
