/*
 * An enterprise-like write pattern: a working set where each pass updates a
 * few 8-byte words in a pseudo-random 25% of its pages — what XBZRLE is for.
 * Parameters: wss=SIZE (half the RAM), pct=N (25), words=N (4),
 * seed=N (1), interval=N passes between '.' (1).
 */
#include "guests/workload.h"

#define SPARSE_PAGES_PER_STEP 1024

struct sparse_state {
    uint64_t wss_pages;
    uint64_t pct;
    uint64_t words;
    uint64_t rng;
    uint64_t interval;
    uint64_t next_page;
    uint64_t passes;
};

static void sparse_init(GuestEnv *env, void *opaque)
{
    struct sparse_state *s = opaque;
    uint64_t free_pages = genv_free_ram_size(env) / 4096;

    s->wss_pages = genv_arg_u64(env, "wss", genv_boot_info(env)->ram_size / 2) / 4096;
    if (s->wss_pages > free_pages) {
        s->wss_pages = free_pages;
    }
    s->pct = genv_arg_u64(env, "pct", 25);
    s->words = genv_arg_u64(env, "words", 4);
    s->rng = genv_arg_u64(env, "seed", 1) | 1;
    s->interval = genv_arg_u64(env, "interval", 1);
    if (!s->interval) {
        s->interval = 1;
    }
    genv_puts(env, "sparse: wss=");
    genv_put_u64(env, s->wss_pages * 4096);
    genv_puts(env, " pct=");
    genv_put_u64(env, s->pct);
    genv_puts(env, " words=");
    genv_put_u64(env, s->words);
    genv_puts(env, "\n");
}

static void sparse_touch_page(GuestEnv *env, struct sparse_state *s,
                              uint64_t gpa)
{
    for (uint64_t w = 0; w < s->words; w++) {
        uint64_t r = wl_rand(&s->rng);
        genv_store64(env, gpa + (r % 512) * 8, r);
    }
}

static void sparse_step(GuestEnv *env, void *opaque)
{
    struct sparse_state *s = opaque;

    for (int n = 0; n < SPARSE_PAGES_PER_STEP && s->next_page < s->wss_pages;
         n++, s->next_page++) {
        if (wl_rand(&s->rng) % 100 < s->pct) {
            sparse_touch_page(env, s, genv_free_ram_gpa(env, s->next_page * 4096));
        }
    }
    if (s->next_page >= s->wss_pages) {
        s->next_page = 0;
        if (++s->passes % s->interval == 0) {
            genv_putc(env, '.');
        }
    }
}

const Workload workload_sparse = {
    .name = "sparse",
    .init = sparse_init,
    .step = sparse_step,
};
