/*
 * The complete architectural state of a KVM vCPU, fetched and restored as
 * one package: what migration saves in the "cpu" section.
 */
#ifndef KVM_H
#define KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/kvm.h>

#include "cpus.h"

#define KVM_CPU_MAX_MSRS 32

typedef struct KVMCPUState {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xcrs xcrs;
    struct kvm_vcpu_events events;
    struct kvm_debugregs debugregs;
    struct kvm_mp_state mp_state;
    uint32_t nmsrs;
    struct {
        uint32_t index;
        uint64_t data;
    } msrs[KVM_CPU_MAX_MSRS];
    /* Last: newer headers end it with a flexible array. */
    struct kvm_xsave xsave;        /* FPU, SSE and AVX state (4 KiB) */
} KVMCPUState;

/* The vCPU must be stopped (not inside KVM_RUN). */
int kvm_cpu_get_state(CPUState *cpu, KVMCPUState *st, GError **errp);
int kvm_cpu_put_state(CPUState *cpu, const KVMCPUState *st, GError **errp);

#endif
