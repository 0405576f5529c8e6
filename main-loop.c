/*
 * The glib main loop of the main thread, and the two ways other threads (or
 * the main thread itself, later) get code run in it.
 */
#include "main-loop.h"

static GMainLoop *main_loop;
static int exit_status;
static gint quitting;

void main_loop_init(void)
{
    g_main_context_acquire(g_main_context_default());
}

int main_loop_run(void)
{
    main_loop = g_main_loop_new(NULL, FALSE);
    if (!g_atomic_int_get(&quitting)) {
        g_main_loop_run(main_loop);
    }
    g_main_loop_unref(main_loop);
    main_loop = NULL;
    return exit_status;
}

static gboolean quit_in_main_thread(gpointer opaque)
{
    if (main_loop) {
        g_main_loop_quit(main_loop);
    }
    return G_SOURCE_REMOVE;
}

void main_loop_quit(int status)
{
    /* The first request decides the exit status. */
    if (g_atomic_int_compare_and_exchange(&quitting, 0, 1)) {
        exit_status = status;
    }
    main_loop_defer(quit_in_main_thread, NULL);
}

gboolean main_loop_quitting(void)
{
    return g_atomic_int_get(&quitting);
}

void main_loop_invoke(GSourceFunc fn, gpointer opaque)
{
    /* Not g_main_context_invoke: with no owner it would run fn right here,
     * in whatever thread calls. */
    if (g_main_context_is_owner(g_main_context_default())) {
        fn(opaque);
    } else {
        main_loop_defer(fn, opaque);
    }
}

void main_loop_defer(GSourceFunc fn, gpointer opaque)
{
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, fn, opaque, NULL);
    g_source_attach(src, NULL);
    g_source_unref(src);
}
