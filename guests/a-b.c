/*
 * The a-b guest: increments the first byte of every page from 1 MiB to the
 * end of RAM in ascending order, forever, printing 'B' after each pass. At
 * any stop, each such byte equals the previous page's except at one place
 * where it is one more (mod 256): any other break is a lost or stale page.
 */
#include "guests/workload.h"

#define AB_PAGES_PER_STEP 1024

struct ab_state {
    uint64_t total;      /* bytes of free RAM (a multiple of the page size) */
    uint64_t next;       /* offset into free RAM of the next page to touch */
    uint64_t passes;
};

static void ab_init(GuestEnv *env, void *opaque)
{
    struct ab_state *s = opaque;

    s->total = genv_free_ram_size(env) & ~4095ull;
    genv_puts(env, "a-b: pages=");
    genv_put_u64(env, s->total / 4096);
    genv_puts(env, "\n");
}

static void ab_step(GuestEnv *env, void *opaque)
{
    struct ab_state *s = opaque;

    for (int n = 0; n < AB_PAGES_PER_STEP && s->next < s->total; n++) {
        genv_add8(env, genv_free_ram_gpa(env, s->next), 1);
        s->next += 4096;
    }
    if (s->next >= s->total) {
        s->next = 0;
        s->passes++;
        genv_putc(env, 'B');
    }
}

const Workload workload_a_b = {
    .name = "a-b",
    .init = ab_init,
    .step = ab_step,
};
