/*
 * Drawing a text screen (ui/vt.h) with pixman: one FONT_WIDTH x FONT_HEIGHT
 * cell per character, in a 16-colour palette; and saving an image as a PPM.
 * Independent of SDL; built with it, since both come with the display.
 */
#ifndef UI_RENDER_H
#define UI_RENDER_H

#include <stdint.h>
#include <glib.h>
#include <pixman.h>

#include "ui/vt.h"

#define RENDER_PALETTE_SIZE 16

/* Colour `index` of the palette as 0xRRGGBB (0-7 normal, 8-15 bright). */
uint32_t render_palette_rgb(int index);

/* A new PIXMAN_x8r8g8b8 image of the screen (cols * FONT_WIDTH by
 * rows * FONT_HEIGHT): each cell's background, its glyph in its foreground
 * colour, the cursor (when visible) as the cell with the two swapped.
 * pixman_image_unref it. Thread-safe. */
pixman_image_t *render_screen(const VtScreen *screen);

/* Writes an x8r8g8b8 image to `filename` as a binary PPM (P6, maxval 255);
 * on failure nothing is left behind. */
int render_write_ppm(pixman_image_t *image, const char *filename,
                     GError **errp);

#endif
