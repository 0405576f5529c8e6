/*
 * Displays. The machine has no framebuffer: the SDL display shows the
 * serial console (what the guest writes to the UART) in a window, and
 * passes keystrokes back to it.
 */
#ifndef UI_CONSOLE_H
#define UI_CONSOLE_H

#include <glib.h>

#include "qemu-char.h"

/* Opens the window; output written to `serial` is shown in it too. */
int console_sdl_init(CharDriverState *serial, GError **errp);

#endif
