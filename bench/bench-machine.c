/*
 * A machine in a benchmark's child process (see bench-machine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench-machine.h"
#include "bench/bench-util.h"
#include "cpus.h"
#include "hw/boot-protocol.h"
#include "memory.h"
#include "sysemu.h"

#define PROGRESS_TIMEOUT_NS 300000000000ull
/* Fine enough for the first-touch times (a tenth of a millisecond or more
 * each), coarse enough to leave the CPU to the guest. */
#define STATE_POLL_US 100

void bench_die(const char *what, GError *err)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
            err ? err->message : "failed");
    exit(1);
}

void bench_run_child(void (*fn)(const void *arg), const void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "%s: a measurement failed\n", program_invocation_short_name);
        exit(1);
    }
}

void *bench_shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

void bench_check_guests_built(const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        g_autofree char *path = g_strdup_printf("guests/%s.elf", names[i]);
        if (access(path, R_OK) < 0) {
            fprintf(stderr, "%s: %s is missing: run make (from the top of the tree) "
                    "first\n", program_invocation_short_name, path);
            exit(1);
        }
    }
}

bool bench_kvm_usable(void)
{
    GError *err = NULL;

    if (kvm_accel_ops.available(&err)) {
        return true;
    }
    printf("kvm: not measured (%s)\n", err->message);
    g_error_free(err);
    return false;
}

void bench_thp_disable(void)
{
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "%s: PR_SET_THP_DISABLE: %s\n", program_invocation_short_name,
                g_strerror(errno));
        exit(1);
    }
}

void bench_build_machine(const AccelOps *accel, const MachineConfig *cfg)
{
    GError *err = NULL;
    BootEntry entry;

    accel_select(accel);
    if (accel->init(&err) < 0) {
        bench_die("accelerator", err);
    }
    if (pc_init(cfg, &entry, &err) < 0 || cpus_init(&entry, &err) < 0) {
        bench_die("machine", err);
    }
}

void bench_start_guest(void)
{
    GError *err = NULL;

    if (vm_start(&err) < 0) {
        bench_die("vm_start", err);
    }
}

void bench_reset_guest(void)
{
    GError *err = NULL;

    if (qemu_system_reset(&err) < 0) {
        bench_die("system_reset", err);
    }
}

void bench_start_dirty_log(void)
{
    GError *err = NULL;

    if (memory_global_dirty_log_start(&err) < 0) {
        bench_die("dirty log", err);
    }
}

volatile uint64_t *bench_guest_state_word(unsigned offset)
{
    return (volatile uint64_t *)gpa_to_host(WORKLOAD_STATE_GPA + offset, 8);
}

uint64_t bench_sync_and_take_all(void)
{
    uint64_t taken = 0;

    memory_global_dirty_log_sync();
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
        for (uint64_t p = ram_block_take_dirty(b, 0); p < npages;
             p = ram_block_take_dirty(b, p + 1)) {
            taken++;
        }
    }
    return taken;
}

void bench_wait_state_at_least(unsigned offset, uint64_t value)
{
    volatile uint64_t *word = bench_guest_state_word(offset);
    uint64_t deadline = bench_now_ns() + PROGRESS_TIMEOUT_NS;

    while (*word < value) {
        if (bench_now_ns() > deadline) {
            fprintf(stderr, "%s: the guest made no progress\n",
                    program_invocation_short_name);
            exit(1);
        }
        usleep(STATE_POLL_US);
    }
}
