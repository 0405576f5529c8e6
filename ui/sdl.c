/*
 * The SDL display: a window showing the main text console, and the keyboard
 * as its input. Every SDL call happens in one thread of its own, which
 * sleeps in SDL's event queue until an event or a change of the console
 * wakes it, and draws at most FRAME_MS apart.
 */
#include <string.h>
#include <SDL.h>

#include "main-loop.h"
#include "qemu-error.h"
#include "sysemu.h"
#include "ui/console.h"
#include "ui/font.h"
#include "ui/render.h"

#define FRAME_MS 16     /* about 60 frames a second at most */

typedef struct SdlDisplay {
    Console *con;
    GThread *thread;

    GMutex lock;            /* guards the fields up to `running` */
    GCond started_cond;
    bool started;           /* the thread finished opening the window */
    GError *start_error;    /* ... and failed with this */
    bool running;           /* SDL is up: events may be pushed to it */

    gint dirty;             /* atomic: the console changed since drawn */
    gint shutdown_asked;    /* atomic: the window was closed once */

    /* The display thread's own. */
    Uint32 wake_event;      /* a change to draw; wake_event + 1: stop */
    bool quit;
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    Uint64 last_frame;      /* SDL_GetTicks64() of the last frame */
} SdlDisplay;

/* One display per process, alive until exit: other threads may still hold
 * a pointer to it when it closes. */
static SdlDisplay sdl_display;

/* ------------------------------------------------------------------------ */
/* Waking the display thread (any thread) */

static void sdl_push_event(SdlDisplay *d, Uint32 type)
{
    g_mutex_lock(&d->lock);
    if (d->running) {
        SDL_Event ev = { .type = type };
        SDL_PushEvent(&ev);     /* thread-safe, as SDL documents */
    }
    g_mutex_unlock(&d->lock);
}

static void sdl_console_changed(void *opaque)
{
    SdlDisplay *d = opaque;

    /* One wake-up per frame is enough, however many writes come. */
    if (g_atomic_int_compare_and_exchange(&d->dirty, 0, 1)) {
        sdl_push_event(d, d->wake_event);
    }
}

/* ------------------------------------------------------------------------ */
/* Input: from the display thread to the console in the main thread */

static gboolean sdl_deliver_input(gpointer opaque)
{
    GBytes *bytes = opaque;
    gsize len;
    const uint8_t *data = g_bytes_get_data(bytes, &len);

    console_input(sdl_display.con, data, len);
    g_bytes_unref(bytes);
    return G_SOURCE_REMOVE;
}

static void sdl_send_input(const void *buf, size_t len)
{
    main_loop_invoke(sdl_deliver_input, g_bytes_new(buf, len));
}

static bool sdl_console_key(SDL_Keycode sym, ConsoleKey *key)
{
    switch (sym) {
    case SDLK_RETURN:
    case SDLK_KP_ENTER:  *key = CONSOLE_KEY_ENTER; return true;
    case SDLK_BACKSPACE: *key = CONSOLE_KEY_BACKSPACE; return true;
    case SDLK_TAB:       *key = CONSOLE_KEY_TAB; return true;
    case SDLK_ESCAPE:    *key = CONSOLE_KEY_ESCAPE; return true;
    case SDLK_UP:        *key = CONSOLE_KEY_UP; return true;
    case SDLK_DOWN:      *key = CONSOLE_KEY_DOWN; return true;
    case SDLK_RIGHT:     *key = CONSOLE_KEY_RIGHT; return true;
    case SDLK_LEFT:      *key = CONSOLE_KEY_LEFT; return true;
    case SDLK_HOME:      *key = CONSOLE_KEY_HOME; return true;
    case SDLK_END:       *key = CONSOLE_KEY_END; return true;
    case SDLK_INSERT:    *key = CONSOLE_KEY_INSERT; return true;
    case SDLK_DELETE:    *key = CONSOLE_KEY_DELETE; return true;
    case SDLK_PAGEUP:    *key = CONSOLE_KEY_PAGE_UP; return true;
    case SDLK_PAGEDOWN:  *key = CONSOLE_KEY_PAGE_DOWN; return true;
    default:             return false;
    }
}

/* Keys that produce no text event: the special keys and Ctrl+letter
 * (printable characters come as SDL_TEXTINPUT, already laid out). */
static void sdl_key_down(const SDL_Keysym *keysym)
{
    ConsoleKey key;

    if (sdl_console_key(keysym->sym, &key)) {
        const char *seq = console_key_sequence(key);
        sdl_send_input(seq, strlen(seq));
    } else if ((keysym->mod & KMOD_CTRL) && keysym->sym >= SDLK_a &&
               keysym->sym <= SDLK_z) {
        char c = (char)(keysym->sym - SDLK_a + 1);
        sdl_send_input(&c, 1);
    }
}

/* ------------------------------------------------------------------------ */
/* The display thread */

static gboolean sdl_request_shutdown(gpointer opaque)
{
    qemu_system_shutdown_request();
    return G_SOURCE_REMOVE;
}

static void sdl_window_closed(SdlDisplay *d)
{
    /* Closing the last window sends both events: shut down once. */
    if (g_atomic_int_compare_and_exchange(&d->shutdown_asked, 0, 1)) {
        main_loop_invoke(sdl_request_shutdown, NULL);
    }
}

static void sdl_window_event(SdlDisplay *d, const SDL_WindowEvent *ev)
{
    switch (ev->event) {
    case SDL_WINDOWEVENT_CLOSE:
        sdl_window_closed(d);
        break;
    case SDL_WINDOWEVENT_EXPOSED:
    case SDL_WINDOWEVENT_SIZE_CHANGED:
        g_atomic_int_set(&d->dirty, 1);
        break;
    default:
        break;
    }
}

static void sdl_handle_event(SdlDisplay *d, const SDL_Event *ev)
{
    if (ev->type == d->wake_event) {
        return;     /* d->dirty says what to do */
    }
    if (ev->type == d->wake_event + 1) {
        d->quit = true;
        return;
    }
    switch (ev->type) {
    case SDL_QUIT:
        sdl_window_closed(d);
        break;
    case SDL_WINDOWEVENT:
        sdl_window_event(d, &ev->window);
        break;
    case SDL_KEYDOWN:
        sdl_key_down(&ev->key.keysym);
        break;
    case SDL_TEXTINPUT:
        sdl_send_input(ev->text.text, strlen(ev->text.text));
        break;
    default:
        break;
    }
}

static void sdl_draw(SdlDisplay *d)
{
    VtScreen screen;

    /* Cleared first: a change while drawing asks for another frame. */
    g_atomic_int_set(&d->dirty, 0);
    console_screen(d->con, &screen);
    pixman_image_t *image = render_screen(&screen);
    SDL_UpdateTexture(d->texture, NULL, pixman_image_get_data(image),
                      pixman_image_get_stride(image));
    SDL_RenderClear(d->renderer);
    SDL_RenderCopy(d->renderer, d->texture, NULL, NULL);
    SDL_RenderPresent(d->renderer);
    pixman_image_unref(image);
    vt_screen_free(&screen);
    d->last_frame = SDL_GetTicks64();
}

/* How long to sleep in the event queue: until the next frame is allowed
 * when there is something to draw, else until an event. */
static int sdl_wait_ms(SdlDisplay *d)
{
    if (!g_atomic_int_get(&d->dirty)) {
        return -1;
    }
    Uint64 next = d->last_frame + FRAME_MS, now = SDL_GetTicks64();
    return next > now ? (int)(next - now) : 0;
}

static void sdl_loop(SdlDisplay *d)
{
    while (!d->quit) {
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, sdl_wait_ms(d))) {
            sdl_handle_event(d, &ev);
            while (!d->quit && SDL_PollEvent(&ev)) {
                sdl_handle_event(d, &ev);
            }
        }
        if (!d->quit && sdl_wait_ms(d) == 0) {
            sdl_draw(d);
        }
    }
}

static void sdl_close(SdlDisplay *d)
{
    if (d->texture) {
        SDL_DestroyTexture(d->texture);
    }
    if (d->renderer) {
        SDL_DestroyRenderer(d->renderer);
    }
    if (d->window) {
        SDL_DestroyWindow(d->window);
    }
    SDL_Quit();
}

static int sdl_create_window(SdlDisplay *d, GError **errp)
{
    const char *name = qemu_get_vm_name();
    g_autofree char *title = name ? g_strdup_printf("QEMU (%s)", name)
                                  : g_strdup("QEMU");
    int width = CONSOLE_COLS * FONT_WIDTH, height = CONSOLE_ROWS * FONT_HEIGHT;

    d->window = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED,
                                 SDL_WINDOWPOS_UNDEFINED, width, height, 0);
    if (!d->window) {
        error_setg(errp, "SDL: cannot open a window: %s", SDL_GetError());
        return -1;
    }
    /* The default renderer first; the software one where there is no GL. */
    d->renderer = SDL_CreateRenderer(d->window, -1, 0);
    if (!d->renderer) {
        d->renderer = SDL_CreateRenderer(d->window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!d->renderer) {
        error_setg(errp, "SDL: cannot create a renderer: %s", SDL_GetError());
        return -1;
    }
    /* SDL's RGB888 is pixman's x8r8g8b8: frames are copied as they are. */
    d->texture = SDL_CreateTexture(d->renderer, SDL_PIXELFORMAT_RGB888,
                                   SDL_TEXTUREACCESS_STREAMING, width, height);
    if (!d->texture) {
        error_setg(errp, "SDL: cannot create a texture: %s", SDL_GetError());
        return -1;
    }
    return 0;
}

static int sdl_open(SdlDisplay *d, GError **errp)
{
    /* SIGINT and SIGTERM belong to the main loop, which shuts down cleanly. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        error_setg(errp, "SDL: cannot initialise video: %s", SDL_GetError());
        return -1;
    }
    d->wake_event = SDL_RegisterEvents(2);
    if (d->wake_event == (Uint32)-1) {
        error_setg(errp, "SDL: no user events left");
        return -1;
    }
    if (sdl_create_window(d, errp) < 0) {
        return -1;
    }
    SDL_StartTextInput();
    g_atomic_int_set(&d->dirty, 1);
    return 0;
}

static void sdl_report_start(SdlDisplay *d, GError *err)
{
    g_mutex_lock(&d->lock);
    d->start_error = err;
    d->running = !err;
    d->started = true;
    g_cond_signal(&d->started_cond);
    g_mutex_unlock(&d->lock);
}

static gpointer sdl_thread_fn(gpointer opaque)
{
    SdlDisplay *d = opaque;
    GError *err = NULL;

    if (sdl_open(d, &err) < 0) {
        sdl_close(d);
        sdl_report_start(d, err);
        return NULL;
    }
    sdl_report_start(d, NULL);
    sdl_loop(d);

    g_mutex_lock(&d->lock);
    d->running = false;
    g_mutex_unlock(&d->lock);
    sdl_close(d);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop (main thread) */

static int sdl_screendump(void *opaque, const char *filename, GError **errp)
{
    SdlDisplay *d = opaque;
    VtScreen screen;

    /* Drawn afresh from the console: exactly what the next frame shows. */
    console_screen(d->con, &screen);
    pixman_image_t *image = render_screen(&screen);
    int rc = render_write_ppm(image, filename, errp);
    pixman_image_unref(image);
    vt_screen_free(&screen);
    return rc;
}

static void sdl_display_stop(void)
{
    SdlDisplay *d = &sdl_display;

    console_set_display(d->con, NULL);
    sdl_push_event(d, d->wake_event + 1);
    g_thread_join(d->thread);
}

/* With the UART elsewhere (-serial stdio ...), an empty window would look
 * like a guest that prints nothing. */
static void sdl_say_console_unused(Console *con)
{
    static const char notice[] =
        "Nothing is connected to this console: the serial port is on "
        "another chardev. Start with -serial vc to see it here.\n";

    console_write(con, (const uint8_t *)notice, strlen(notice));
}

static int sdl_wait_started(SdlDisplay *d, GError **errp)
{
    g_mutex_lock(&d->lock);
    while (!d->started) {
        g_cond_wait(&d->started_cond, &d->lock);
    }
    GError *err = d->start_error;
    g_mutex_unlock(&d->lock);

    if (err) {
        g_thread_join(d->thread);
        g_propagate_error(errp, err);
        return -1;
    }
    return 0;
}

int console_sdl_init(CharDriverState *serial, GError **errp)
{
    SdlDisplay *d = &sdl_display;
    static const ConsoleDisplay display = {
        .changed = sdl_console_changed,
        .screendump = sdl_screendump,
        .opaque = &sdl_display,
    };

    if (d->thread) {
        error_setg(errp, "the SDL display is already open");
        return -1;
    }
    d->con = console_main();
    g_mutex_init(&d->lock);
    g_cond_init(&d->started_cond);
    d->thread = g_thread_new("sdl", sdl_thread_fn, d);
    if (sdl_wait_started(d, errp) < 0) {
        return -1;
    }
    console_set_display(d->con, &display);
    if (!console_chr(d->con)) {
        sdl_say_console_unused(d->con);
    }
    atexit(sdl_display_stop);
    return 0;
}
