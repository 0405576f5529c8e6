/*
 * Text screens to pixels with pixman: a rectangle fill for each cell's
 * background, then the glyph as an a8 mask through which a solid foreground
 * colour is composited; and the PPM writer for screendump.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-error.h"
#include "ui/font.h"
#include "ui/render.h"

/* The usual 16 terminal colours, normal then bright. */
static const uint32_t palette[RENDER_PALETTE_SIZE] = {
    0x000000, 0xaa0000, 0x00aa00, 0xaa5500,
    0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
    0x555555, 0xff5555, 0x55ff55, 0xffff55,
    0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

#define GLYPH_BYTES (FONT_WIDTH * FONT_HEIGHT)

/* The glyphs as 8-bit alpha, one byte per pixel (a mask format whose layout
 * does not depend on endianness); pixman wants rows 32-bit aligned. */
static uint8_t glyph_alpha[256][GLYPH_BYTES] __attribute__((aligned(4)));

/* The pixman images one render uses: made per call, so that the display
 * thread and a screendump in the main thread share nothing mutable. */
typedef struct RenderCtx {
    pixman_image_t *dst;
    pixman_image_t *colour[RENDER_PALETTE_SIZE];
    pixman_image_t *mask[256];
} RenderCtx;

uint32_t render_palette_rgb(int index)
{
    return palette[index % RENDER_PALETTE_SIZE];
}

static pixman_color_t pixman_colour(int index)
{
    uint32_t rgb = render_palette_rgb(index);

    /* pixman colours have 16 bits per channel: 0xab becomes 0xabab. */
    return (pixman_color_t){
        .red = ((rgb >> 16) & 0xff) * 0x101,
        .green = ((rgb >> 8) & 0xff) * 0x101,
        .blue = (rgb & 0xff) * 0x101,
        .alpha = 0xffff,
    };
}

static void build_glyph_alpha(void)
{
    for (int c = 0; c < 256; c++) {
        for (int y = 0; y < FONT_HEIGHT; y++) {
            for (int x = 0; x < FONT_WIDTH; x++) {
                glyph_alpha[c][y * FONT_WIDTH + x] =
                    font_pixel(c, x, y) ? 0xff : 0x00;
            }
        }
    }
}

static pixman_image_t *glyph_mask(RenderCtx *ctx, uint8_t ch)
{
    static gsize built;

    if (g_once_init_enter(&built)) {
        build_glyph_alpha();
        g_once_init_leave(&built, 1);
    }
    if (!ctx->mask[ch]) {
        ctx->mask[ch] = pixman_image_create_bits(PIXMAN_a8, FONT_WIDTH,
                                                 FONT_HEIGHT,
                                                 (uint32_t *)glyph_alpha[ch],
                                                 FONT_WIDTH);
    }
    return ctx->mask[ch];
}

static pixman_image_t *solid_colour(RenderCtx *ctx, int index)
{
    index %= RENDER_PALETTE_SIZE;
    if (!ctx->colour[index]) {
        pixman_color_t c = pixman_colour(index);
        ctx->colour[index] = pixman_image_create_solid_fill(&c);
    }
    return ctx->colour[index];
}

static void draw_cell(RenderCtx *ctx, int x, int y, VtCell cell)
{
    pixman_color_t bg = pixman_colour(cell.bg);
    pixman_rectangle16_t rect = {
        .x = x * FONT_WIDTH, .y = y * FONT_HEIGHT,
        .width = FONT_WIDTH, .height = FONT_HEIGHT,
    };

    pixman_image_fill_rectangles(PIXMAN_OP_SRC, ctx->dst, &bg, 1, &rect);
    if (cell.ch == ' ') {
        return;
    }
    pixman_image_composite32(PIXMAN_OP_OVER, solid_colour(ctx, cell.fg),
                             glyph_mask(ctx, cell.ch), ctx->dst,
                             0, 0, 0, 0, rect.x, rect.y,
                             FONT_WIDTH, FONT_HEIGHT);
}

static void render_ctx_free(RenderCtx *ctx)
{
    for (int i = 0; i < RENDER_PALETTE_SIZE; i++) {
        if (ctx->colour[i]) {
            pixman_image_unref(ctx->colour[i]);
        }
    }
    for (int i = 0; i < 256; i++) {
        if (ctx->mask[i]) {
            pixman_image_unref(ctx->mask[i]);
        }
    }
}

pixman_image_t *render_screen(const VtScreen *screen)
{
    RenderCtx ctx = {
        .dst = pixman_image_create_bits(PIXMAN_x8r8g8b8,
                                        screen->cols * FONT_WIDTH,
                                        screen->rows * FONT_HEIGHT, NULL, 0),
    };

    for (int y = 0; y < screen->rows; y++) {
        for (int x = 0; x < screen->cols; x++) {
            VtCell cell = *vt_screen_cell(screen, x, y);
            if (screen->cursor_visible && x == screen->cursor_x &&
                y == screen->cursor_y) {
                cell = (VtCell){ .ch = cell.ch, .fg = cell.bg, .bg = cell.fg };
            }
            draw_cell(&ctx, x, y, cell);
        }
    }
    render_ctx_free(&ctx);
    return ctx.dst;
}

/* ------------------------------------------------------------------------ */
/* PPM */

static void ppm_row(const uint32_t *pixels, int width, uint8_t *rgb)
{
    for (int x = 0; x < width; x++) {
        rgb[3 * x] = pixels[x] >> 16;
        rgb[3 * x + 1] = pixels[x] >> 8;
        rgb[3 * x + 2] = pixels[x];
    }
}

static int ppm_write(FILE *f, pixman_image_t *image)
{
    int width = pixman_image_get_width(image);
    int height = pixman_image_get_height(image);
    int stride = pixman_image_get_stride(image);
    const uint8_t *data = (const uint8_t *)pixman_image_get_data(image);
    g_autofree uint8_t *rgb = g_malloc((size_t)width * 3);

    if (fprintf(f, "P6\n%d %d\n255\n", width, height) < 0) {
        return -1;
    }
    for (int y = 0; y < height; y++) {
        ppm_row((const uint32_t *)(data + (size_t)y * stride), width, rgb);
        if (fwrite(rgb, 3, width, f) != (size_t)width) {
            return -1;
        }
    }
    return 0;
}

int render_write_ppm(pixman_image_t *image, const char *filename,
                     GError **errp)
{
    struct stat st;
    FILE *f = fopen(filename, "wbe");

    if (!f) {
        error_setg_errno(errp, errno, "could not open '%s'", filename);
        return -1;
    }
    /* Only a half-written file is removed, never a device (/dev/full). */
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    int rc = ppm_write(f, image);
    int saved_errno = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved_errno = errno;
    }
    if (rc < 0) {
        error_setg_errno(errp, saved_errno, "could not write '%s'", filename);
        if (regular) {
            unlink(filename);
        }
    }
    return rc;
}
