/*
 * The KVM accelerator: the VM and its memory slots, dirty logging through
 * KVM's log, and the vCPU run loop that hands I/O-port and MMIO exits to the
 * devices. vCPU register state is packaged in kvm.h for migration.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "accel.h"
#include "cpus.h"
#include "ioport.h"
#include "kvm.h"
#include "memory.h"
#include "qemu-error.h"

#define KVM_DEVICE "/dev/kvm"
#define SIG_IPI SIGUSR1
#define MAX_SLOTS 8
/* Intel VT-x needs three pages for a real-mode TSS and one for an identity
 * map, outside guest RAM; these sit in the hole below 4 GiB. */
#define KVM_TSS_ADDR 0xfffbd000
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000

typedef struct KVMSlot {
    uint32_t slot;
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
    RAMBlock *block;
    uint64_t block_offset;
    unsigned long *log;     /* scratch bitmap for KVM_GET_DIRTY_LOG */
} KVMSlot;

typedef struct KVMCPU {
    int fd;
    struct kvm_run *run;
    /* The last exit was I/O or MMIO: KVM finishes that instruction (e.g.
     * stores the value read) only on the next KVM_RUN. */
    bool io_pending;
} KVMCPU;

static struct {
    int fd;
    int vmfd;
    int run_size;
    bool manual_protect;    /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled */
    KVMSlot slots[MAX_SLOTS];
    int nr_slots;
    bool logging;
} kvm = { .fd = -1, .vmfd = -1 };

/* --- the VM ------------------------------------------------------------------ */

static bool kvm_available(GError **errp)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open " KVM_DEVICE);
        return false;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    if (version != KVM_API_VERSION) {
        error_setg(errp, KVM_DEVICE " has API version %d, not %d", version,
                   KVM_API_VERSION);
        return false;
    }
    return true;
}

static int kvm_check_extension(int cap)
{
    int r = ioctl(kvm.fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

static void kvm_enable_manual_dirty_protect(void)
{
    int caps = kvm_check_extension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
    uint64_t want = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

    if (!(caps & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) {
        return;
    }
    /* With INITIALLY_SET, starting the log does not write-protect every
     * page at once: pages are protected as their bits are cleared. */
    if (caps & KVM_DIRTY_LOG_INITIALLY_SET) {
        want |= KVM_DIRTY_LOG_INITIALLY_SET;
    }
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
        .args = { want },
    };
    kvm.manual_protect = ioctl(kvm.vmfd, KVM_ENABLE_CAP, &cap) == 0;
}

static int kvm_init(GError **errp)
{
    kvm.fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    if (kvm.fd < 0) {
        error_setg_errno(errp, errno, "cannot open " KVM_DEVICE);
        return -1;
    }
    if (!kvm_check_extension(KVM_CAP_USER_MEMORY) ||
        !kvm_check_extension(KVM_CAP_IMMEDIATE_EXIT)) {
        error_setg(errp, "KVM lacks user memory or immediate exit support");
        return -1;
    }
    kvm.run_size = ioctl(kvm.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (kvm.run_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "KVM_GET_VCPU_MMAP_SIZE failed");
        return -1;
    }
    /* A signal (SIGTERM during start-up) makes it fail with EINTR. */
    do {
        kvm.vmfd = ioctl(kvm.fd, KVM_CREATE_VM, 0);
    } while (kvm.vmfd < 0 && errno == EINTR);
    if (kvm.vmfd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VM failed");
        return -1;
    }
    if (kvm_check_extension(KVM_CAP_SET_TSS_ADDR) &&
        ioctl(kvm.vmfd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_TSS_ADDR failed");
        return -1;
    }
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    if (kvm_check_extension(KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        ioctl(kvm.vmfd, KVM_SET_IDENTITY_MAP_ADDR, &identity);
    }
    kvm_enable_manual_dirty_protect();
    return 0;
}

/* --- memory slots and the dirty log ------------------------------------------ */

static int kvm_set_slot(const KVMSlot *s, uint32_t flags, GError **errp)
{
    struct kvm_userspace_memory_region region = {
        .slot = s->slot,
        .flags = flags,
        .guest_phys_addr = s->gpa,
        .memory_size = s->size,
        .userspace_addr = (uint64_t)(uintptr_t)s->host,
    };

    if (ioctl(kvm.vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_USER_MEMORY_REGION (slot %u)",
                         s->slot);
        return -1;
    }
    return 0;
}

static uint64_t slot_pages(const KVMSlot *s)
{
    return s->size / TARGET_PAGE_SIZE;
}

static int kvm_map_ram(const RAMMapping *m, GError **errp)
{
    if (kvm.nr_slots == MAX_SLOTS) {
        error_setg(errp, "out of KVM memory slots");
        return -1;
    }
    KVMSlot *s = &kvm.slots[kvm.nr_slots];
    s->slot = kvm.nr_slots;
    s->gpa = m->gpa;
    s->size = m->size;
    s->host = ram_block_host(m->block, m->offset);
    s->block = m->block;
    s->block_offset = m->offset;
    s->log = g_new0(unsigned long, (slot_pages(s) + 63) / 64);
    if (kvm_set_slot(s, 0, errp) < 0) {
        g_free(s->log);
        return -1;
    }
    kvm.nr_slots++;
    return 0;
}

static int kvm_dirty_log_start(GError **errp)
{
    for (int i = 0; i < kvm.nr_slots; i++) {
        if (kvm_set_slot(&kvm.slots[i], KVM_MEM_LOG_DIRTY_PAGES, errp) < 0) {
            while (--i >= 0) {
                kvm_set_slot(&kvm.slots[i], 0, NULL);
            }
            return -1;
        }
    }
    kvm.logging = true;
    return 0;
}

static void kvm_dirty_log_stop(void)
{
    for (int i = 0; i < kvm.nr_slots; i++) {
        GError *err = NULL;
        if (kvm_set_slot(&kvm.slots[i], 0, &err) < 0) {
            error_report_err(err);
        }
    }
    kvm.logging = false;
}

/* Fetches one slot's log; with manual protection, clears (and so
 * write-protects again) exactly the pages fetched. */
static void kvm_sync_slot(KVMSlot *s)
{
    struct kvm_dirty_log log = { .slot = s->slot, .dirty_bitmap = s->log };

    if (ioctl(kvm.vmfd, KVM_GET_DIRTY_LOG, &log) < 0) {
        error_report("KVM_GET_DIRTY_LOG (slot %u): %s", s->slot, strerror(errno));
        /* Without the log nothing is known: treat every page as dirty. */
        ram_block_mark_dirty(s->block, s->block_offset / TARGET_PAGE_SIZE,
                             slot_pages(s));
        return;
    }
    if (kvm.manual_protect) {
        struct kvm_clear_dirty_log clear = {
            .slot = s->slot,
            .first_page = 0,
            .num_pages = (uint32_t)slot_pages(s),
            .dirty_bitmap = s->log,
        };
        if (ioctl(kvm.vmfd, KVM_CLEAR_DIRTY_LOG, &clear) < 0) {
            error_report("KVM_CLEAR_DIRTY_LOG (slot %u): %s", s->slot,
                         strerror(errno));
        }
    }
    ram_block_merge_dirty_bitmap(s->block, s->block_offset / TARGET_PAGE_SIZE,
                                 s->log, slot_pages(s));
}

static void kvm_dirty_log_sync(void)
{
    for (int i = 0; i < kvm.nr_slots; i++) {
        kvm_sync_slot(&kvm.slots[i]);
    }
}

/* --- the vCPU ------------------------------------------------------------------ */

static void sig_ipi_handler(int sig)
{
    /* Nothing: the signal only interrupts KVM_RUN (kvm_cpu_kick). */
}

static int kvm_set_cpuid(int vcpufd, GError **errp)
{
    int nent = 64;

    for (;;) {
        struct kvm_cpuid2 *cpuid = g_malloc0(sizeof(*cpuid) +
                                             nent * sizeof(struct kvm_cpuid_entry2));
        cpuid->nent = nent;
        if (ioctl(kvm.fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
            g_free(cpuid);
            if (errno == E2BIG && nent < 4096) {
                nent *= 2;
                continue;
            }
            error_setg_errno(errp, errno, "KVM_GET_SUPPORTED_CPUID");
            return -1;
        }
        int r = ioctl(vcpufd, KVM_SET_CPUID2, cpuid);
        g_free(cpuid);
        if (r < 0) {
            error_setg_errno(errp, errno, "KVM_SET_CPUID2");
            return -1;
        }
        return 0;
    }
}

static int kvm_cpu_create(CPUState *cpu, GError **errp)
{
    struct sigaction sa = { .sa_handler = sig_ipi_handler };
    sigset_t set;

    sigaction(SIG_IPI, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    int fd = ioctl(kvm.vmfd, KVM_CREATE_VCPU, cpu->index);
    if (fd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VCPU");
        return -1;
    }
    struct kvm_run *run = mmap(NULL, kvm.run_size, PROT_READ | PROT_WRITE,
                               MAP_SHARED, fd, 0);
    if (run == MAP_FAILED) {
        error_setg_errno(errp, errno, "mmap of the vCPU run area");
        close(fd);
        return -1;
    }
    if (kvm_set_cpuid(fd, errp) < 0) {
        munmap(run, kvm.run_size);
        close(fd);
        return -1;
    }
    KVMCPU *k = g_new0(KVMCPU, 1);
    k->fd = fd;
    k->run = run;
    cpu->accel_state = k;
    return 0;
}

static void set_segment(struct kvm_segment *seg, uint16_t selector, uint8_t type,
                        bool code64)
{
    memset(seg, 0, sizeof(*seg));
    seg->base = 0;
    seg->limit = 0xffffffff;
    seg->selector = selector;
    seg->type = type;
    seg->present = 1;
    seg->dpl = selector & 3;
    seg->db = code64 ? 0 : 1;
    seg->s = 1;
    seg->l = code64 ? 1 : 0;
    seg->g = 1;
}

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define CR4_OSFXSR 0x200ull
#define CR4_OSXMMEXCPT 0x400ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

/* Long mode, ring 0, paging on with the loader's tables (docs/boot-protocol.md). */
static void boot_sregs(struct kvm_sregs *sregs, const BootEntry *entry)
{
    set_segment(&sregs->cs, 0x08, 0xb, true);
    set_segment(&sregs->ds, 0x10, 0x3, false);
    sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;

    memset(&sregs->tr, 0, sizeof(sregs->tr));
    sregs->tr.base = entry->tss_base;
    sregs->tr.limit = 0x67;
    sregs->tr.selector = 0x28;
    sregs->tr.type = 0xb;           /* busy 64-bit TSS */
    sregs->tr.present = 1;

    memset(&sregs->ldt, 0, sizeof(sregs->ldt));
    sregs->ldt.type = 0x2;
    sregs->ldt.unusable = 1;

    sregs->gdt.base = entry->gdt_base;
    sregs->gdt.limit = entry->gdt_limit;
    sregs->idt.base = entry->idt_base;
    sregs->idt.limit = entry->idt_limit;
    sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sregs->cr3 = entry->cr3;
    sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs->efer = EFER_LME | EFER_LMA;
}

static int kvm_cpu_reset(CPUState *cpu, const BootEntry *entry, GError **errp)
{
    KVMCPU *k = cpu->accel_state;
    struct kvm_sregs sregs;
    struct kvm_regs regs = {
        .rip = entry->rip,
        .rsp = entry->rsp,
        .rdi = entry->rdi,
        .rflags = 0x2,
    };
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

    if (ioctl(k->fd, KVM_GET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_SREGS");
        return -1;
    }
    boot_sregs(&sregs, entry);
    if (ioctl(k->fd, KVM_SET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_SREGS");
        return -1;
    }
    if (ioctl(k->fd, KVM_SET_REGS, &regs) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_REGS");
        return -1;
    }
    if (ioctl(k->fd, KVM_SET_FPU, &fpu) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_FPU");
        return -1;
    }
    return 0;
}

/* Prints where the vCPU was, for the error messages below. */
static void report_vcpu_position(KVMCPU *k)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (ioctl(k->fd, KVM_GET_REGS, &regs) < 0 ||
        ioctl(k->fd, KVM_GET_SREGS, &sregs) < 0) {
        return;
    }
    error_report("vCPU state: rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%x "
                 "(cpl %u) cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
                 regs.rip, regs.rsp, regs.rflags, sregs.cs.selector,
                 sregs.cs.dpl, sregs.cr0, sregs.cr3, sregs.cr4, sregs.efer);
}

static void handle_io(struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    for (uint32_t i = 0; i < run->io.count; i++) {
        ioport_dispatch(run->io.port, data + i * run->io.size, run->io.size,
                        is_write);
    }
}

static ExecResult report_internal_error(KVMCPU *k)
{
    struct kvm_run *run = k->run;

    error_report("KVM internal error (suberror %u%s); the vCPU is stopped",
                 run->internal.suberror,
                 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
                 ": instruction emulation failed" : "");
    report_vcpu_position(k);
    return EXEC_ERROR;
}

static bool run_exit_is_io(const struct kvm_run *run)
{
    return run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO;
}

/* Handles one exit; returns -1 to keep running, else why to stop. */
static int handle_exit(CPUState *cpu, KVMCPU *k)
{
    struct kvm_run *run = k->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(run);
        return -1;
    case KVM_EXIT_MMIO:
        mmio_dispatch(run->mmio.phys_addr, run->mmio.data, run->mmio.len,
                      run->mmio.is_write);
        return -1;
    case KVM_EXIT_INTR:
        return -1;
    case KVM_EXIT_HLT:
        return EXEC_HALTED;
    case KVM_EXIT_SHUTDOWN:
        error_report("guest shutdown (triple fault); the vCPU is stopped");
        report_vcpu_position(k);
        return EXEC_SHUTDOWN;
    case KVM_EXIT_SYSTEM_EVENT:
        error_report("guest system event %u; the vCPU is stopped",
                     run->system_event.type);
        return EXEC_SHUTDOWN;
    case KVM_EXIT_INTERNAL_ERROR:
        return report_internal_error(k);
    case KVM_EXIT_FAIL_ENTRY:
        error_report("KVM could not enter the guest (reason 0x%llx); the vCPU is stopped",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        report_vcpu_position(k);
        return EXEC_ERROR;
    default:
        error_report("unexpected KVM exit reason %u; the vCPU is stopped",
                     run->exit_reason);
        report_vcpu_position(k);
        return EXEC_ERROR;
    }
}

/*
 * Before anyone reads or writes the vCPU's state (stop, reset, migration),
 * the instruction that caused an I/O exit must be complete: one KVM_RUN
 * with immediate_exit set does that and returns at once.
 */
static void complete_pending_io(CPUState *cpu, KVMCPU *k)
{
    if (!k->io_pending) {
        return;
    }
    __atomic_store_n(&k->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        int r = ioctl(k->fd, KVM_RUN, 0);
        if (r < 0 && errno == EAGAIN) {
            continue;
        }
        if (r < 0) {
            break;      /* EINTR: done, nothing more executed */
        }
        /* Finishing it took another exit (a string I/O crossing a page,
         * a split MMIO access): serve it and go on finishing. */
        if (run_exit_is_io(k->run)) {
            handle_exit(cpu, k);
            continue;
        }
        break;
    }
    k->io_pending = false;
    /* A kick meanwhile is not lost: kick_pending still says so. */
    __atomic_store_n(&k->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static ExecResult kvm_cpu_exec(CPUState *cpu)
{
    KVMCPU *k = cpu->accel_state;

    for (;;) {
        if (g_atomic_int_get(&cpu->kick_pending)) {
            g_atomic_int_set(&cpu->kick_pending, 0);
            complete_pending_io(cpu, k);
            __atomic_store_n(&k->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
            return EXEC_KICKED;
        }
        k->io_pending = false;
        if (ioctl(k->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            error_report("KVM_RUN failed: %s; the vCPU is stopped", strerror(errno));
            return EXEC_ERROR;
        }
        k->io_pending = run_exit_is_io(k->run);
        int stop = handle_exit(cpu, k);
        if (stop >= 0) {
            return stop;
        }
        if (cpu->panic_request) {
            complete_pending_io(cpu, k);
            return EXEC_PANICKED;
        }
        if (cpu->halt_request) {
            cpu->halt_request = false;
            complete_pending_io(cpu, k);
            return EXEC_HALTED;
        }
    }
}

static void kvm_cpu_kick(CPUState *cpu)
{
    KVMCPU *k = cpu->accel_state;

    /*
     * immediate_exit first: the vCPU clears both when it sees
     * kick_pending, so once kick_pending is set no stale immediate_exit
     * can be left behind to make every later KVM_RUN return at once. It
     * covers a kick that lands just before KVM_RUN is entered; the signal,
     * one already inside it.
     */
    if (k) {
        __atomic_store_n(&k->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
    g_atomic_int_set(&cpu->kick_pending, 1);
    if (k) {
        pthread_kill(cpu->thread, SIG_IPI);
    }
}

const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .available = kvm_available,
    .init = kvm_init,
    .map_ram = kvm_map_ram,
    .dirty_log_start = kvm_dirty_log_start,
    .dirty_log_stop = kvm_dirty_log_stop,
    .dirty_log_sync = kvm_dirty_log_sync,
    .cpu_create = kvm_cpu_create,
    .cpu_reset = kvm_cpu_reset,
    .cpu_exec = kvm_cpu_exec,
    .cpu_kick = kvm_cpu_kick,
};

/* --- vCPU state for migration --------------------------------------------- */

/* MSRs a 64-bit guest may rely on that KVM does not put in sregs. */
static const uint32_t saved_msrs[] = {
    0x00000010, /* TSC */
    0x00000174, /* SYSENTER_CS */
    0x00000175, /* SYSENTER_ESP */
    0x00000176, /* SYSENTER_EIP */
    0x00000277, /* PAT */
    0xc0000081, /* STAR */
    0xc0000082, /* LSTAR */
    0xc0000083, /* CSTAR */
    0xc0000084, /* SFMASK */
    0xc0000102, /* KERNEL_GS_BASE */
    0xc0000103, /* TSC_AUX */
};

/* The subset of saved_msrs this kernel lets us read (cached). */
static int kvm_msr_list(uint32_t *out)
{
    static uint32_t list[G_N_ELEMENTS(saved_msrs)];
    static int n = -1;

    if (n < 0) {
        struct kvm_msr_list probe = { .nmsrs = 0 };
        ioctl(kvm.fd, KVM_GET_MSR_INDEX_LIST, &probe);   /* E2BIG, sets nmsrs */
        struct kvm_msr_list *all = g_malloc0(sizeof(*all) +
                                             probe.nmsrs * sizeof(uint32_t));
        all->nmsrs = probe.nmsrs;
        n = 0;
        if (ioctl(kvm.fd, KVM_GET_MSR_INDEX_LIST, all) == 0) {
            for (size_t i = 0; i < G_N_ELEMENTS(saved_msrs); i++) {
                for (uint32_t j = 0; j < all->nmsrs; j++) {
                    if (all->indices[j] == saved_msrs[i]) {
                        list[n++] = saved_msrs[i];
                        break;
                    }
                }
            }
        }
        g_free(all);
    }
    memcpy(out, list, n * sizeof(uint32_t));
    return n;
}

static int vcpu_ioctl(KVMCPU *k, unsigned long req, void *arg, const char *name,
                      GError **errp)
{
    if (ioctl(k->fd, req, arg) < 0) {
        error_setg_errno(errp, errno, "%s", name);
        return -1;
    }
    return 0;
}

static int kvm_get_msrs(KVMCPU *k, KVMCPUState *st, GError **errp)
{
    uint32_t idx[KVM_CPU_MAX_MSRS];
    int n = kvm_msr_list(idx);
    struct kvm_msrs *msrs = g_malloc0(sizeof(*msrs) + n * sizeof(struct kvm_msr_entry));

    msrs->nmsrs = n;
    for (int i = 0; i < n; i++) {
        msrs->entries[i].index = idx[i];
    }
    int got = ioctl(k->fd, KVM_GET_MSRS, msrs);
    if (got != n) {
        error_setg(errp, "KVM_GET_MSRS returned %d of %d MSRs", got, n);
        g_free(msrs);
        return -1;
    }
    st->nmsrs = n;
    for (int i = 0; i < n; i++) {
        st->msrs[i].index = msrs->entries[i].index;
        st->msrs[i].data = msrs->entries[i].data;
    }
    g_free(msrs);
    return 0;
}

static int kvm_put_msrs(KVMCPU *k, const KVMCPUState *st, GError **errp)
{
    struct kvm_msrs *msrs = g_malloc0(sizeof(*msrs) +
                                      st->nmsrs * sizeof(struct kvm_msr_entry));

    msrs->nmsrs = st->nmsrs;
    for (uint32_t i = 0; i < st->nmsrs; i++) {
        msrs->entries[i].index = st->msrs[i].index;
        msrs->entries[i].data = st->msrs[i].data;
    }
    int put = ioctl(k->fd, KVM_SET_MSRS, msrs);
    g_free(msrs);
    if (put != (int)st->nmsrs) {
        error_setg(errp, "KVM_SET_MSRS accepted %d of %u MSRs", put, st->nmsrs);
        return -1;
    }
    return 0;
}

int kvm_cpu_get_state(CPUState *cpu, KVMCPUState *st, GError **errp)
{
    KVMCPU *k = cpu->accel_state;

    memset(st, 0, sizeof(*st));
    if (vcpu_ioctl(k, KVM_GET_REGS, &st->regs, "KVM_GET_REGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_SREGS, &st->sregs, "KVM_GET_SREGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_XSAVE, &st->xsave, "KVM_GET_XSAVE", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_XCRS, &st->xcrs, "KVM_GET_XCRS", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_VCPU_EVENTS, &st->events, "KVM_GET_VCPU_EVENTS", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_DEBUGREGS, &st->debugregs, "KVM_GET_DEBUGREGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_GET_MP_STATE, &st->mp_state, "KVM_GET_MP_STATE", errp) < 0) {
        return -1;
    }
    return kvm_get_msrs(k, st, errp);
}

int kvm_cpu_put_state(CPUState *cpu, const KVMCPUState *st, GError **errp)
{
    KVMCPU *k = cpu->accel_state;
    /* The ioctls take non-const pointers; they do not write through them. */
    KVMCPUState *s = (KVMCPUState *)st;

    if (vcpu_ioctl(k, KVM_SET_SREGS, &s->sregs, "KVM_SET_SREGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_REGS, &s->regs, "KVM_SET_REGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_XCRS, &s->xcrs, "KVM_SET_XCRS", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_XSAVE, &s->xsave, "KVM_SET_XSAVE", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_VCPU_EVENTS, &s->events, "KVM_SET_VCPU_EVENTS", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_DEBUGREGS, &s->debugregs, "KVM_SET_DEBUGREGS", errp) < 0 ||
        vcpu_ioctl(k, KVM_SET_MP_STATE, &s->mp_state, "KVM_SET_MP_STATE", errp) < 0) {
        return -1;
    }
    return kvm_put_msrs(k, st, errp);
}
