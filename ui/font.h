/*
 * The bitmap font of the text console: one 8x16 glyph per byte, drawn by
 * hand in ui/font.c for printable ASCII; other bytes show as a hollow box.
 */
#ifndef UI_FONT_H
#define UI_FONT_H

#include <stdbool.h>
#include <stdint.h>

#define FONT_WIDTH 8
#define FONT_HEIGHT 16

/* The FONT_HEIGHT rows of the glyph of `c`, top first; bit 7 of a row is
 * its leftmost pixel. Valid for the life of the program. */
const uint8_t *font_glyph(uint8_t c);

/* Whether pixel (x, y) of the glyph of `c` is set (0 <= x < FONT_WIDTH,
 * 0 <= y < FONT_HEIGHT). */
bool font_pixel(uint8_t c, int x, int y);

#endif
