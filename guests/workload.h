/*
 * What a built-in workload is, and the services it may use. The same
 * workload source is compiled twice: into a guest ELF whose ring-3 runtime
 * (guests/runtime.c) runs it under KVM, and into the emulator, where the
 * software accelerator (soft-all.c) runs it natively against guest RAM.
 * All workload state lives in guest RAM (the state block at
 * WORKLOAD_STATE_GPA and the pages it writes), so it migrates either way.
 */
#ifndef GUESTS_WORKLOAD_H
#define GUESTS_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/boot-protocol.h"

typedef struct GuestEnv GuestEnv;

typedef struct Workload {
    const char *name;
    /* Reads its parameters (the -append string) and sets up `state`
     * (WORKLOAD_STATE_SIZE bytes of guest RAM, zeroed). */
    void (*init)(GuestEnv *env, void *state);
    /*
     * Does one bounded slice of work (well under a millisecond): the
     * software accelerator serves a stop request between slices.
     */
    void (*step)(GuestEnv *env, void *state);
} Workload;

extern const Workload workload_seed;
extern const Workload workload_a_b;
extern const Workload workload_sparse;
extern const Workload workload_dense;
extern const Workload workload_idle;
extern const Workload workload_writer;

/* --- services, provided by the runtime or the soft accelerator ---------- */

const struct boot_info *genv_boot_info(GuestEnv *env);
void genv_putc(GuestEnv *env, char c);
/* Asks the VMM to exit with status (code << 1) | 1 (the debug-exit device). */
void genv_exit(GuestEnv *env, unsigned code);
/* Waits until the vCPU is kicked (stop/cont); returns to the caller then. */
void genv_halt(GuestEnv *env);

/* --- guest memory by guest-physical address ------------------------------ */

#ifdef WORKLOAD_HOST
/* In the emulator: RAM is one block mapped at 0 and at HIGH_RAM_BASE; every
 * write marks its page in the accelerator's dirty log. */
struct GuestEnv {
    uint8_t *ram;                 /* host address of the RAM block */
    uint64_t low_size;            /* bytes of the block below LOW_RAM_MAX */
    unsigned long *dirty_log;     /* one bit per page of the block */
    const struct boot_info *boot;
    void *runner;                 /* the soft accelerator's vCPU */
};

static inline uint64_t genv_ram_offset(GuestEnv *env, uint64_t gpa)
{
    return gpa < LOW_RAM_MAX ? gpa : gpa - HIGH_RAM_BASE + env->low_size;
}

static inline uint8_t *genv_ptr(GuestEnv *env, uint64_t gpa)
{
    return env->ram + genv_ram_offset(env, gpa);
}

static inline void genv_mark_dirty(GuestEnv *env, uint64_t gpa)
{
    uint64_t page = genv_ram_offset(env, gpa) >> 12;
    unsigned long *word = &env->dirty_log[page / (8 * sizeof(long))];
    unsigned long bit = 1ul << (page % (8 * sizeof(long)));

    /*
     * A locked OR every time, not "test, then set": the sync takes the log
     * word and then reads the page, so this side needs its data store
     * visible before it looks at the word (x86 lets a load pass an older
     * store), or a write landing between the two would be lost.
     */
    __atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
}
#else
/* In the guest: RAM is identity-mapped, and KVM logs writes itself. */
static inline uint8_t *genv_ptr(GuestEnv *env, uint64_t gpa)
{
    return (uint8_t *)(uintptr_t)gpa;
}

static inline void genv_mark_dirty(GuestEnv *env, uint64_t gpa)
{
}
#endif

static inline void genv_add8(GuestEnv *env, uint64_t gpa, uint8_t delta)
{
    *genv_ptr(env, gpa) += delta;
    genv_mark_dirty(env, gpa);
}

static inline void genv_store64(GuestEnv *env, uint64_t gpa, uint64_t value)
{
    *(uint64_t *)genv_ptr(env, gpa) = value;
    genv_mark_dirty(env, gpa);
}

/* --- helpers shared by the workloads (guests/wlib.c) --------------------- */

void genv_puts(GuestEnv *env, const char *s);
void genv_put_u64(GuestEnv *env, uint64_t value);

/* Finds "key=value" in the -append string; sizes take K/M/G suffixes.
 * Returns `fallback` when the key is absent or malformed. */
uint64_t genv_arg_u64(GuestEnv *env, const char *key, uint64_t fallback);

/* The usable RAM from GUEST_FREE_RAM_START on, as (gpa, size) ranges. */
int genv_free_ram_ranges(GuestEnv *env, struct boot_ram_range *out, int max);
uint64_t genv_free_ram_size(GuestEnv *env);
/* True when the page holding gpa is free RAM (at or above 1 MiB). */
bool genv_is_free_ram(GuestEnv *env, uint64_t gpa);
/* The gpa of byte `offset` of the free RAM, counting across ranges. */
uint64_t genv_free_ram_gpa(GuestEnv *env, uint64_t offset);

/* xorshift64*: fast and good enough to spread writes; state never 0. */
static inline uint64_t wl_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
