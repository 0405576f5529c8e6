/*
 * A guest that does nothing: it halts, so its RAM never changes after boot.
 */
#include "guests/workload.h"

static void idle_init(GuestEnv *env, void *opaque)
{
    genv_puts(env, "idle: halting\n");
}

static void idle_step(GuestEnv *env, void *opaque)
{
    genv_halt(env);
}

const Workload workload_idle = {
    .name = "idle",
    .init = idle_init,
    .step = idle_step,
};
