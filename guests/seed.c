/*
 * The load generator of the XBZRLE proposal: a 16 MiB buffer in which every
 * pass increments one byte every 1 KiB, so every page is dirtied at full
 * speed with 4 bytes changed. Prints '.' every `interval` passes.
 * Parameters: buf=SIZE (16M), interval=N (1000).
 */
#include "guests/workload.h"

struct seed_state {
    uint64_t buf;        /* gpa of the buffer */
    uint64_t buf_size;
    uint64_t interval;
    uint64_t passes;
};

static void seed_init(GuestEnv *env, void *opaque)
{
    struct seed_state *s = opaque;
    struct boot_ram_range r[BOOT_RAM_RANGES_MAX];

    s->buf_size = genv_arg_u64(env, "buf", 16 << 20) & ~1023ull;
    s->interval = genv_arg_u64(env, "interval", 1000);
    if (!s->interval) {
        s->interval = 1;
    }
    /* The buffer must be contiguous: it lives in the first free range. */
    if (genv_free_ram_ranges(env, r, BOOT_RAM_RANGES_MAX) < 1 ||
        r[0].size < s->buf_size || s->buf_size == 0) {
        genv_puts(env, "seed: not enough RAM for the buffer\n");
        genv_exit(env, 2);
        return;
    }
    s->buf = r[0].gpa;
    genv_puts(env, "seed: buf=");
    genv_put_u64(env, s->buf_size);
    genv_puts(env, " interval=");
    genv_put_u64(env, s->interval);
    genv_puts(env, "\n");
}

static void seed_step(GuestEnv *env, void *opaque)
{
    struct seed_state *s = opaque;
    uint64_t n = s->buf_size / 1024;

    for (uint64_t i = 0; i < n; i++) {
        genv_add8(env, s->buf + i * 1024, 1);
    }
    if (++s->passes % s->interval == 0) {
        genv_putc(env, '.');
    }
}

const Workload workload_seed = {
    .name = "seed",
    .init = seed_init,
    .step = seed_step,
};
