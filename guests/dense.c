/*
 * Rewrites whole pages of a working set with fresh pseudo-random data: the
 * case where XBZRLE cannot win (every encoding overflows).
 * Parameters: wss=SIZE (half the RAM), seed=N (1), interval=N passes
 * between '.' (1).
 */
#include "guests/workload.h"

#define DENSE_PAGES_PER_STEP 32

struct dense_state {
    uint64_t wss_pages;
    uint64_t rng;
    uint64_t interval;
    uint64_t next_page;
    uint64_t passes;
};

static void dense_init(GuestEnv *env, void *opaque)
{
    struct dense_state *s = opaque;
    uint64_t free_pages = genv_free_ram_size(env) / 4096;

    s->wss_pages = genv_arg_u64(env, "wss", genv_boot_info(env)->ram_size / 2) / 4096;
    if (s->wss_pages > free_pages) {
        s->wss_pages = free_pages;
    }
    s->rng = genv_arg_u64(env, "seed", 1) | 1;
    s->interval = genv_arg_u64(env, "interval", 1);
    if (!s->interval) {
        s->interval = 1;
    }
    genv_puts(env, "dense: wss=");
    genv_put_u64(env, s->wss_pages * 4096);
    genv_puts(env, "\n");
}

static void dense_fill_page(GuestEnv *env, struct dense_state *s, uint64_t gpa)
{
    uint64_t *page = (uint64_t *)genv_ptr(env, gpa);

    for (int i = 0; i < 512; i++) {
        page[i] = wl_rand(&s->rng);
    }
    genv_mark_dirty(env, gpa);
}

static void dense_step(GuestEnv *env, void *opaque)
{
    struct dense_state *s = opaque;

    for (int n = 0; n < DENSE_PAGES_PER_STEP && s->next_page < s->wss_pages;
         n++, s->next_page++) {
        dense_fill_page(env, s, genv_free_ram_gpa(env, s->next_page * 4096));
    }
    if (s->next_page >= s->wss_pages) {
        s->next_page = 0;
        if (++s->passes % s->interval == 0) {
            genv_putc(env, '.');
        }
    }
}

const Workload workload_dense = {
    .name = "dense",
    .init = dense_init,
    .step = dense_step,
};
