/*
 * A test guest that writes one byte to each of a known set of pages, prints
 * "writer: done", then halts: the dirty log must report exactly those pages.
 * Parameters: start=GPA (2M), count=N (16), stride=N pages (1), value=N (1).
 */
#include "guests/workload.h"

struct writer_state {
    uint64_t done;      /* set once every page is written */
};

static void writer_init(GuestEnv *env, void *opaque)
{
    genv_puts(env, "writer: ready\n");
}

static bool writer_write_pages(GuestEnv *env)
{
    uint64_t start = genv_arg_u64(env, "start", 2 << 20) & ~4095ull;
    uint64_t count = genv_arg_u64(env, "count", 16);
    uint64_t stride = genv_arg_u64(env, "stride", 1);
    uint8_t value = (uint8_t)genv_arg_u64(env, "value", 1);

    /* Parameters come from the user: check every page before the first
     * write, so that nothing outside the free RAM is ever touched. */
    for (uint64_t i = 0; i < count; i++) {
        if (!genv_is_free_ram(env, start + i * stride * 4096)) {
            return false;
        }
    }
    for (uint64_t i = 0; i < count; i++) {
        genv_add8(env, start + i * stride * 4096, value);
    }
    return true;
}

static void writer_step(GuestEnv *env, void *opaque)
{
    struct writer_state *s = opaque;

    if (!s->done) {
        if (!writer_write_pages(env)) {
            genv_puts(env, "writer: pages outside the free RAM\n");
            /* Under accel=soft the exit request returns here: the program
             * ends only when this step does. */
            genv_exit(env, 2);
            return;
        }
        /* Only now: the host reads `done` as "every page is written". */
        s->done = 1;
        genv_puts(env, "writer: done\n");
    }
    genv_halt(env);
}

const Workload workload_writer = {
    .name = "writer",
    .init = writer_init,
    .step = writer_step,
};
