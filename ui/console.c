/*
 * The text console: a terminal grid (ui/vt.c) under a lock, written from any
 * thread; the "vc" chardev that connects it to a frontend (the UART) both
 * ways; the display attached to it; and the screendump command.
 */
#include <string.h>

#include "monitor.h"
#include "qemu-error.h"
#include "ui/console.h"

#include "hmp-handlers.h"
#include "qmp-handlers.h"

struct Console {
    GMutex lock;                /* guards vt and display */
    Vt vt;
    ConsoleDisplay display;     /* .changed NULL: no display */

    /* main thread only */
    CharDriverState *chr;
    GByteArray *input;          /* typed, not yet taken by the frontend */
    bool flushing;              /* the frontend is being fed (re-entry) */
};

static Console *main_console;

Console *console_new(int cols, int rows)
{
    Console *con = g_new0(Console, 1);

    g_mutex_init(&con->lock);
    vt_init(&con->vt, cols, rows);
    con->input = g_byte_array_new();
    return con;
}

void console_free(Console *con)
{
    if (con->chr) {
        qemu_chr_delete(con->chr);
    }
    vt_destroy(&con->vt);
    g_byte_array_unref(con->input);
    g_mutex_clear(&con->lock);
    if (con == main_console) {
        main_console = NULL;
    }
    g_free(con);
}

Console *console_main(void)
{
    if (!main_console) {
        main_console = console_new(CONSOLE_COLS, CONSOLE_ROWS);
    }
    return main_console;
}

/* ------------------------------------------------------------------------ */
/* Output */

void console_write(Console *con, const uint8_t *buf, size_t len)
{
    g_mutex_lock(&con->lock);
    vt_write(&con->vt, buf, len);
    ConsoleDisplay display = con->display;
    g_mutex_unlock(&con->lock);

    /* Outside the lock: the display may take its own locks to wake up. */
    if (display.changed) {
        display.changed(display.opaque);
    }
}

void console_screen(Console *con, VtScreen *screen)
{
    g_mutex_lock(&con->lock);
    vt_screen_copy(screen, &con->vt.screen);
    g_mutex_unlock(&con->lock);
}

/* ------------------------------------------------------------------------ */
/* Input */

static void console_flush_input(Console *con)
{
    /* A frontend may call qemu_chr_accept_input from its read handler. */
    if (con->flushing || !con->chr) {
        return;
    }
    con->flushing = true;
    while (con->input->len) {
        uint8_t chunk[64];
        int room = qemu_chr_be_can_write(con->chr);
        if (room <= 0) {
            break;
        }
        int n = MIN(MIN((size_t)room, con->input->len), sizeof(chunk));
        memcpy(chunk, con->input->data, n);
        g_byte_array_remove_range(con->input, 0, n);
        qemu_chr_be_write(con->chr, chunk, n);
    }
    con->flushing = false;
}

void console_input(Console *con, const uint8_t *buf, size_t len)
{
    size_t room = CONSOLE_INPUT_MAX - con->input->len;

    g_byte_array_append(con->input, buf, MIN(len, room));
    console_flush_input(con);
}

const char *console_key_sequence(ConsoleKey key)
{
    switch (key) {
    case CONSOLE_KEY_ENTER:     return "\r";
    case CONSOLE_KEY_BACKSPACE: return "\x7f";
    case CONSOLE_KEY_TAB:       return "\t";
    case CONSOLE_KEY_ESCAPE:    return "\x1b";
    case CONSOLE_KEY_UP:        return "\x1b[A";
    case CONSOLE_KEY_DOWN:      return "\x1b[B";
    case CONSOLE_KEY_RIGHT:     return "\x1b[C";
    case CONSOLE_KEY_LEFT:      return "\x1b[D";
    case CONSOLE_KEY_HOME:      return "\x1b[H";
    case CONSOLE_KEY_END:       return "\x1b[F";
    case CONSOLE_KEY_INSERT:    return "\x1b[2~";
    case CONSOLE_KEY_DELETE:    return "\x1b[3~";
    case CONSOLE_KEY_PAGE_UP:   return "\x1b[5~";
    case CONSOLE_KEY_PAGE_DOWN: return "\x1b[6~";
    }
    return "";
}

void console_key(Console *con, ConsoleKey key)
{
    const char *seq = console_key_sequence(key);

    console_input(con, (const uint8_t *)seq, strlen(seq));
}

/* ------------------------------------------------------------------------ */
/* The vc chardev */

static int vc_write(void *opaque, const uint8_t *buf, int len)
{
    console_write(opaque, buf, len);
    return len;
}

static void vc_accept_input(void *opaque)
{
    console_flush_input(opaque);
}

static void vc_close(void *opaque)
{
    Console *con = opaque;

    con->chr = NULL;
    g_byte_array_set_size(con->input, 0);
}

static const CharBackendOps vc_ops = {
    .write = vc_write,
    .accept_input = vc_accept_input,
    .close = vc_close,
};

CharDriverState *console_vc_open(const char *label, GError **errp)
{
    Console *con = console_main();

    if (con->chr) {
        error_setg(errp, "the display has one console, and chardev '%s' "
                   "has it already", qemu_chr_label(con->chr));
        return NULL;
    }
    con->chr = qemu_chr_new_backend(label, &vc_ops, con);
    return con->chr;
}

CharDriverState *console_chr(Console *con)
{
    return con->chr;
}

/* ------------------------------------------------------------------------ */
/* Displays and screendump */

void console_set_display(Console *con, const ConsoleDisplay *display)
{
    g_mutex_lock(&con->lock);
    con->display = display ? *display : (ConsoleDisplay){ 0 };
    g_mutex_unlock(&con->lock);
}

int console_screendump(Console *con, const char *filename, GError **errp)
{
    g_mutex_lock(&con->lock);
    ConsoleDisplay display = con->display;
    g_mutex_unlock(&con->lock);

    if (!display.screendump) {
        error_setg(errp, "no display (start with -display sdl)");
        return -1;
    }
    return display.screendump(display.opaque, filename, errp);
}

JsonNode *qmp_screendump(JsonObject *args, Monitor *mon, GError **errp)
{
    const char *filename = json_object_get_string_member(args, "filename");

    if (console_screendump(console_main(), filename, errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

void hmp_screendump(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;
    JsonNode *ret = qmp_screendump(args, mon, &err);

    if (!ret) {
        monitor_report_error(mon, err);
        return;
    }
    json_node_unref(ret);
}
