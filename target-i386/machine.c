/*
 * The vCPU's section of the migration stream: "cpu" for KVM (the whole
 * architectural state of kvm.h, field by field, big-endian) and "soft-cpu"
 * for the software accelerator (which workload, and whether it started).
 * A stream from one accelerator does not load into the other.
 *
 *   cpu      := regs sregs xsave xcrs events debugregs mp_state msrs
 *   regs     := be64 x 18 (rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags)
 *   sregs    := segment x 8 (cs ds es fs gs ss tr ldt) dtable x 2 (gdt idt)
 *               be64 x 7 (cr0 cr2 cr3 cr4 cr8 efer apic_base) be64 x 4 (pending irqs)
 *   segment  := be64 base, be32 limit, be16 selector,
 *               u8 x 9 (type present dpl db s l g avl unusable)
 *   dtable   := be64 base, be16 limit
 *   xsave    := be32 x 1024
 *   xcrs     := be32 count (<= 16), be32 flags, { be32 xcr, be64 value } x count
 *   events   := the fields of struct kvm_vcpu_events in order, u8/be32/be64
 *   debugregs:= be64 x 7 (db0..db3 dr6 dr7 flags)
 *   mp_state := be32
 *   msrs     := be32 count (<= KVM_CPU_MAX_MSRS), { be32 index, be64 data } x count
 *
 *   soft-cpu := u8 len, workload name[len], u8 started
 */
#include <string.h>

#include "accel.h"
#include "cpus.h"
#include "kvm.h"
#include "qemu-error.h"
#include "savevm.h"
#include "soft.h"
#include "target-i386/machine.h"

#define CPU_SECTION_VERSION 1

/* --- KVM ------------------------------------------------------------------------ */

static void put_segment(QEMUFile *f, const struct kvm_segment *s)
{
    qemu_put_be64(f, s->base);
    qemu_put_be32(f, s->limit);
    qemu_put_be16(f, s->selector);
    qemu_put_byte(f, s->type);
    qemu_put_byte(f, s->present);
    qemu_put_byte(f, s->dpl);
    qemu_put_byte(f, s->db);
    qemu_put_byte(f, s->s);
    qemu_put_byte(f, s->l);
    qemu_put_byte(f, s->g);
    qemu_put_byte(f, s->avl);
    qemu_put_byte(f, s->unusable);
}

static void get_segment(QEMUFile *f, struct kvm_segment *s)
{
    s->base = qemu_get_be64(f);
    s->limit = qemu_get_be32(f);
    s->selector = qemu_get_be16(f);
    s->type = qemu_get_byte(f);
    s->present = qemu_get_byte(f);
    s->dpl = qemu_get_byte(f);
    s->db = qemu_get_byte(f);
    s->s = qemu_get_byte(f);
    s->l = qemu_get_byte(f);
    s->g = qemu_get_byte(f);
    s->avl = qemu_get_byte(f);
    s->unusable = qemu_get_byte(f);
}

static void put_regs(QEMUFile *f, const struct kvm_regs *r)
{
    const uint64_t v[] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi,
                           r->rsp, r->rbp, r->r8, r->r9, r->r10, r->r11,
                           r->r12, r->r13, r->r14, r->r15, r->rip, r->rflags };
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        qemu_put_be64(f, v[i]);
    }
}

static void get_regs(QEMUFile *f, struct kvm_regs *r)
{
    __u64 *v[] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
                   &r->rsp, &r->rbp, &r->r8, &r->r9, &r->r10, &r->r11,
                   &r->r12, &r->r13, &r->r14, &r->r15, &r->rip, &r->rflags };
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        *v[i] = qemu_get_be64(f);
    }
}

static struct kvm_segment *sregs_segments(struct kvm_sregs *s, int i)
{
    struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs,
                                   &s->ss, &s->tr, &s->ldt };
    return segs[i];
}

static void put_sregs(QEMUFile *f, struct kvm_sregs *s)
{
    for (int i = 0; i < 8; i++) {
        put_segment(f, sregs_segments(s, i));
    }
    qemu_put_be64(f, s->gdt.base);
    qemu_put_be16(f, s->gdt.limit);
    qemu_put_be64(f, s->idt.base);
    qemu_put_be16(f, s->idt.limit);
    const uint64_t v[] = { s->cr0, s->cr2, s->cr3, s->cr4, s->cr8, s->efer,
                           s->apic_base };
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        qemu_put_be64(f, v[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(s->interrupt_bitmap); i++) {
        qemu_put_be64(f, s->interrupt_bitmap[i]);
    }
}

static void get_sregs(QEMUFile *f, struct kvm_sregs *s)
{
    for (int i = 0; i < 8; i++) {
        get_segment(f, sregs_segments(s, i));
    }
    s->gdt.base = qemu_get_be64(f);
    s->gdt.limit = qemu_get_be16(f);
    s->idt.base = qemu_get_be64(f);
    s->idt.limit = qemu_get_be16(f);
    __u64 *v[] = { &s->cr0, &s->cr2, &s->cr3, &s->cr4, &s->cr8, &s->efer,
                   &s->apic_base };
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        *v[i] = qemu_get_be64(f);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(s->interrupt_bitmap); i++) {
        s->interrupt_bitmap[i] = qemu_get_be64(f);
    }
}

static void put_events(QEMUFile *f, const struct kvm_vcpu_events *e)
{
    const uint8_t b1[] = { e->exception.injected, e->exception.nr,
                           e->exception.has_error_code, e->exception.pending };
    qemu_put_buffer(f, b1, sizeof(b1));
    qemu_put_be32(f, e->exception.error_code);
    const uint8_t b2[] = { e->interrupt.injected, e->interrupt.nr,
                           e->interrupt.soft, e->interrupt.shadow,
                           e->nmi.injected, e->nmi.pending, e->nmi.masked };
    qemu_put_buffer(f, b2, sizeof(b2));
    qemu_put_be32(f, e->sipi_vector);
    qemu_put_be32(f, e->flags);
    const uint8_t b3[] = { e->smi.smm, e->smi.pending, e->smi.smm_inside_nmi,
                           e->smi.latched_init, e->triple_fault.pending,
                           e->exception_has_payload };
    qemu_put_buffer(f, b3, sizeof(b3));
    qemu_put_be64(f, e->exception_payload);
}

static void get_events(QEMUFile *f, struct kvm_vcpu_events *e)
{
    e->exception.injected = qemu_get_byte(f);
    e->exception.nr = qemu_get_byte(f);
    e->exception.has_error_code = qemu_get_byte(f);
    e->exception.pending = qemu_get_byte(f);
    e->exception.error_code = qemu_get_be32(f);
    e->interrupt.injected = qemu_get_byte(f);
    e->interrupt.nr = qemu_get_byte(f);
    e->interrupt.soft = qemu_get_byte(f);
    e->interrupt.shadow = qemu_get_byte(f);
    e->nmi.injected = qemu_get_byte(f);
    e->nmi.pending = qemu_get_byte(f);
    e->nmi.masked = qemu_get_byte(f);
    e->sipi_vector = qemu_get_be32(f);
    e->flags = qemu_get_be32(f);
    e->smi.smm = qemu_get_byte(f);
    e->smi.pending = qemu_get_byte(f);
    e->smi.smm_inside_nmi = qemu_get_byte(f);
    e->smi.latched_init = qemu_get_byte(f);
    e->triple_fault.pending = qemu_get_byte(f);
    e->exception_has_payload = qemu_get_byte(f);
    e->exception_payload = qemu_get_be64(f);
}

static void put_kvm_state(QEMUFile *f, KVMCPUState *st)
{
    put_regs(f, &st->regs);
    put_sregs(f, &st->sregs);
    for (int i = 0; i < 1024; i++) {
        qemu_put_be32(f, st->xsave.region[i]);
    }
    uint32_t nxcrs = MIN(st->xcrs.nr_xcrs, KVM_MAX_XCRS);
    qemu_put_be32(f, nxcrs);
    qemu_put_be32(f, st->xcrs.flags);
    for (uint32_t i = 0; i < nxcrs; i++) {
        qemu_put_be32(f, st->xcrs.xcrs[i].xcr);
        qemu_put_be64(f, st->xcrs.xcrs[i].value);
    }
    put_events(f, &st->events);
    for (int i = 0; i < 4; i++) {
        qemu_put_be64(f, st->debugregs.db[i]);
    }
    qemu_put_be64(f, st->debugregs.dr6);
    qemu_put_be64(f, st->debugregs.dr7);
    qemu_put_be64(f, st->debugregs.flags);
    qemu_put_be32(f, st->mp_state.mp_state);
    qemu_put_be32(f, st->nmsrs);
    for (uint32_t i = 0; i < st->nmsrs; i++) {
        qemu_put_be32(f, st->msrs[i].index);
        qemu_put_be64(f, st->msrs[i].data);
    }
}

static int get_kvm_state(QEMUFile *f, KVMCPUState *st, GError **errp)
{
    memset(st, 0, sizeof(*st));
    get_regs(f, &st->regs);
    get_sregs(f, &st->sregs);
    for (int i = 0; i < 1024; i++) {
        st->xsave.region[i] = qemu_get_be32(f);
    }
    st->xcrs.nr_xcrs = qemu_get_be32(f);
    st->xcrs.flags = qemu_get_be32(f);
    if (st->xcrs.nr_xcrs > KVM_MAX_XCRS) {
        error_setg(errp, "%u XCRs in the stream (at most %d)", st->xcrs.nr_xcrs,
                   KVM_MAX_XCRS);
        return -1;
    }
    for (uint32_t i = 0; i < st->xcrs.nr_xcrs; i++) {
        st->xcrs.xcrs[i].xcr = qemu_get_be32(f);
        st->xcrs.xcrs[i].value = qemu_get_be64(f);
    }
    get_events(f, &st->events);
    for (int i = 0; i < 4; i++) {
        st->debugregs.db[i] = qemu_get_be64(f);
    }
    st->debugregs.dr6 = qemu_get_be64(f);
    st->debugregs.dr7 = qemu_get_be64(f);
    st->debugregs.flags = qemu_get_be64(f);
    st->mp_state.mp_state = qemu_get_be32(f);
    st->nmsrs = qemu_get_be32(f);
    if (st->nmsrs > KVM_CPU_MAX_MSRS) {
        error_setg(errp, "%u MSRs in the stream (at most %d)", st->nmsrs,
                   KVM_CPU_MAX_MSRS);
        return -1;
    }
    for (uint32_t i = 0; i < st->nmsrs; i++) {
        st->msrs[i].index = qemu_get_be32(f);
        st->msrs[i].data = qemu_get_be64(f);
    }
    return qemu_file_get_error(f, errp);
}

static void kvm_cpu_save(QEMUFile *f, void *opaque)
{
    KVMCPUState *st = g_new(KVMCPUState, 1);
    GError *err = NULL;

    if (kvm_cpu_get_state(first_cpu(), st, &err) < 0) {
        error_prepend(&err, "saving the vCPU");
        qemu_file_set_error(f, err);
    } else {
        put_kvm_state(f, st);
    }
    g_free(st);
}

static int kvm_cpu_load(QEMUFile *f, void *opaque, int version_id, GError **errp)
{
    KVMCPUState *st = g_new(KVMCPUState, 1);
    int ret = get_kvm_state(f, st, errp);

    if (ret == 0) {
        ret = kvm_cpu_put_state(first_cpu(), st, errp);
    }
    g_free(st);
    return ret;
}

/* --- the software accelerator ---------------------------------------------------- */

static void soft_cpu_save(QEMUFile *f, void *opaque)
{
    const char *name = soft_cpu_workload_name();

    qemu_put_byte(f, (uint8_t)strlen(name));
    qemu_put_buffer(f, (const uint8_t *)name, strlen(name));
    qemu_put_byte(f, soft_cpu_initialized());
}

static int soft_cpu_load(QEMUFile *f, void *opaque, int version_id, GError **errp)
{
    char name[256];
    uint8_t len = qemu_get_byte(f);

    qemu_get_buffer(f, (uint8_t *)name, len);
    name[len] = '\0';
    uint8_t started = qemu_get_byte(f);
    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    if (strcmp(name, soft_cpu_workload_name()) != 0) {
        error_setg(errp, "the source ran workload '%s', this machine '%s': start "
                   "the destination with the same -kernel", name,
                   soft_cpu_workload_name());
        return -1;
    }
    if (started > 1) {
        error_setg(errp, "invalid soft-cpu state %u", started);
        return -1;
    }
    soft_cpu_set_initialized(started);
    return 0;
}

void cpu_register_migration(void)
{
    if (current_accel() == &kvm_accel_ops) {
        register_savevm("cpu", 0, CPU_SECTION_VERSION, kvm_cpu_save, kvm_cpu_load, NULL);
    } else {
        register_savevm("soft-cpu", 0, CPU_SECTION_VERSION, soft_cpu_save,
                        soft_cpu_load, NULL);
    }
}
