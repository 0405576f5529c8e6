/*
 * The software accelerator: for machines without a usable /dev/kvm. It runs
 * the built-in workload named by the guest ELF's note as native code against
 * guest RAM (guests/workload.h), logs the pages it writes like KVM does, and
 * keeps all workload state in guest RAM so that it migrates like a guest.
 */
/* The workloads' host flavour of GuestEnv (guests/workload.h). */
#define WORKLOAD_HOST 1

#include <string.h>

#include "accel.h"
#include "cpus.h"
#include "guests/workload.h"
#include "memory.h"
#include "qemu-error.h"
#include "soft.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define SYNC_CHUNK_WORDS 512

static const Workload *const builtin_workloads[] = {
    &workload_seed, &workload_a_b, &workload_sparse,
    &workload_dense, &workload_idle, &workload_writer,
};

typedef struct SoftCPU {
    const Workload *workload;
    GuestEnv env;
    void *state;            /* host address of WORKLOAD_STATE_GPA */
    bool initialized;       /* the workload's init ran (migrated) */
} SoftCPU;

static struct {
    RAMBlock *block;        /* the one RAM block the workloads address */
    uint64_t low_size;      /* bytes of it mapped below LOW_RAM_MAX */
    uint64_t npages;
    unsigned long *log;     /* written by the vCPU thread, atomically */
    SoftCPU *cpu;
} soft;

static const Workload *soft_find_workload(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(builtin_workloads); i++) {
        if (strcmp(builtin_workloads[i]->name, name) == 0) {
            return builtin_workloads[i];
        }
    }
    return NULL;
}

static bool soft_available(GError **errp)
{
    return true;
}

static int soft_init(GError **errp)
{
    return 0;
}

/* The workloads translate addresses with the fixed layout of hw/pc.c: one
 * block at 0 and its remainder at HIGH_RAM_BASE. Anything else is refused. */
static int soft_map_ram(const RAMMapping *m, GError **errp)
{
    if (soft.block && soft.block != m->block) {
        error_setg(errp, "accel=soft supports a single RAM block");
        return -1;
    }
    bool low = m->gpa == 0 && m->offset == 0 && m->size <= LOW_RAM_MAX;
    bool high = m->gpa == HIGH_RAM_BASE && m->offset == soft.low_size &&
                soft.low_size == LOW_RAM_MAX;
    if (!low && !high) {
        error_setg(errp, "accel=soft cannot map RAM at 0x%" G_GINT64_MODIFIER "x",
                   m->gpa);
        return -1;
    }
    if (!soft.block) {
        soft.block = m->block;
        soft.npages = ram_block_length(m->block) / TARGET_PAGE_SIZE;
        soft.log = g_new0(unsigned long, (soft.npages + BITS_PER_LONG - 1) / BITS_PER_LONG);
    }
    if (low) {
        soft.low_size = m->size;
    }
    return 0;
}

static uint64_t log_words(void)
{
    return (soft.npages + BITS_PER_LONG - 1) / BITS_PER_LONG;
}

static int soft_dirty_log_start(GError **errp)
{
    for (uint64_t i = 0; i < log_words(); i++) {
        __atomic_store_n(&soft.log[i], 0, __ATOMIC_RELAXED);
    }
    return 0;
}

static void soft_dirty_log_stop(void)
{
}

/* Takes the log a chunk at a time (each word atomically, so no write of
 * the running workload is lost) and merges it into the block's bitmap. */
static void soft_dirty_log_sync(void)
{
    unsigned long chunk[SYNC_CHUNK_WORDS];
    uint64_t nwords = log_words();

    for (uint64_t w = 0; w < nwords; w += SYNC_CHUNK_WORDS) {
        uint64_t n = MIN(SYNC_CHUNK_WORDS, nwords - w);
        bool any = false;
        for (uint64_t i = 0; i < n; i++) {
            chunk[i] = __atomic_exchange_n(&soft.log[w + i], 0, __ATOMIC_ACQ_REL);
            any |= chunk[i] != 0;
        }
        if (any) {
            ram_block_merge_dirty_bitmap(soft.block, w * BITS_PER_LONG, chunk,
                                         n * BITS_PER_LONG);
        }
    }
}

static int soft_cpu_create(CPUState *cpu, GError **errp)
{
    const char *name = cpus_boot_entry()->workload;
    const Workload *wl = soft_find_workload(name);

    if (!wl) {
        error_setg(errp, "accel=soft runs only the built-in guests, and this "
                   "kernel names no built-in workload%s%s",
                   *name ? ": " : "", name);
        return -1;
    }
    if (!soft.block) {
        error_setg(errp, "accel=soft: no guest RAM");
        return -1;
    }
    SoftCPU *s = g_new0(SoftCPU, 1);
    s->workload = wl;
    s->env.ram = ram_block_host(soft.block, 0);
    s->env.low_size = soft.low_size;
    s->env.dirty_log = soft.log;
    s->env.boot = (const struct boot_info *)gpa_to_host(BOOT_INFO_GPA,
                                                          sizeof(struct boot_info));
    s->env.runner = cpu;
    s->state = gpa_to_host(WORKLOAD_STATE_GPA, WORKLOAD_STATE_SIZE);
    if (!s->env.boot || !s->state) {
        g_free(s);
        error_setg(errp, "accel=soft: guest RAM is too small");
        return -1;
    }
    cpu->accel_state = s;
    soft.cpu = s;
    return 0;
}

static int soft_cpu_reset(CPUState *cpu, const BootEntry *entry, GError **errp)
{
    SoftCPU *s = cpu->accel_state;

    s->initialized = false;
    return 0;
}

static void soft_start_workload(SoftCPU *s)
{
    memset(s->state, 0, WORKLOAD_STATE_SIZE);
    genv_mark_dirty(&s->env, WORKLOAD_STATE_GPA);
    s->initialized = true;
    s->workload->init(&s->env, s->state);
}

static ExecResult soft_cpu_exec(CPUState *cpu)
{
    SoftCPU *s = cpu->accel_state;

    if (!s->initialized) {
        soft_start_workload(s);
    }
    for (;;) {
        if (g_atomic_int_get(&cpu->kick_pending)) {
            g_atomic_int_set(&cpu->kick_pending, 0);
            return EXEC_KICKED;
        }
        s->workload->step(&s->env, s->state);
        /* The state block is guest RAM the step wrote. */
        genv_mark_dirty(&s->env, WORKLOAD_STATE_GPA);
        if (cpu->panic_request) {
            return EXEC_PANICKED;
        }
        if (cpu->halt_request) {
            cpu->halt_request = false;
            return EXEC_HALTED;
        }
    }
}

static void soft_cpu_kick(CPUState *cpu)
{
    g_atomic_int_set(&cpu->kick_pending, 1);
}

const AccelOps soft_accel_ops = {
    .name = "soft",
    .available = soft_available,
    .init = soft_init,
    .map_ram = soft_map_ram,
    .dirty_log_start = soft_dirty_log_start,
    .dirty_log_stop = soft_dirty_log_stop,
    .dirty_log_sync = soft_dirty_log_sync,
    .cpu_create = soft_cpu_create,
    .cpu_reset = soft_cpu_reset,
    .cpu_exec = soft_cpu_exec,
    .cpu_kick = soft_cpu_kick,
};

/* --- services of workload.h, on the emulator's devices -------------------- */

const struct boot_info *genv_boot_info(GuestEnv *env)
{
    return env->boot;
}

/* How long a character waits for a console that takes no output (in
 * polls 100 us apart) before it is given up. */
#define PUTC_MAX_POLLS 1000

/*
 * As the guest runtime does, but a workload step cannot be interrupted:
 * while the transmitter is busy (the console is not reading), wait a
 * little, then give the character up rather than keep a stop waiting.
 */
void genv_putc(GuestEnv *env, char c)
{
    CPUState *cpu = env->runner;
    uint8_t lsr, ch = (uint8_t)c;

    for (int polls = 0;; polls++) {
        mmio_dispatch(UART_MMIO_GPA + 5, &lsr, 1, false);
        if (lsr & 0x20) {
            break;
        }
        if (polls == PUTC_MAX_POLLS || g_atomic_int_get(&cpu->kick_pending)) {
            return;
        }
        g_usleep(100);
    }
    mmio_dispatch(UART_MMIO_GPA, &ch, 1, true);
}

void genv_exit(GuestEnv *env, unsigned code)
{
    uint8_t v[8];

    for (int i = 0; i < 8; i++) {
        v[i] = (uint8_t)((uint64_t)code >> (8 * i));
    }
    mmio_dispatch(DEBUG_EXIT_MMIO_GPA, v, 4, true);
}

void genv_halt(GuestEnv *env)
{
    uint8_t one[8] = { 1 };

    mmio_dispatch(GUEST_CTL_MMIO_GPA + GUEST_CTL_HALT, one, 8, true);
}

/* --- state for migration ---------------------------------------------------- */

const char *soft_cpu_workload_name(void)
{
    return soft.cpu ? soft.cpu->workload->name : "";
}

bool soft_cpu_initialized(void)
{
    return soft.cpu && soft.cpu->initialized;
}

void soft_cpu_set_initialized(bool initialized)
{
    if (soft.cpu) {
        soft.cpu->initialized = initialized;
    }
}
