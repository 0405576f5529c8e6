/*
 * How a benchmark's guest RAM is backed at a given moment: the process's
 * resident memory and how much of it the kernel holds as transparent huge
 * pages, and KVM's own mappings of guest memory by size, which tell whether
 * KVM maps 2 MiB at once and whether dirty logging splits those mappings.
 */
#ifndef BENCH_MAPPING_H
#define BENCH_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

typedef struct BenchBacking {
    uint64_t rss_kib;           /* Rss of /proc/self/smaps_rollup */
    uint64_t anon_huge_kib;     /* AnonHugePages: of it, in huge pages */
    bool kvm_known;             /* this process has a KVM VM whose
                                 * statistics could be read */
    uint64_t kvm_pages_4k;      /* KVM's 4 KiB mappings of guest memory */
    uint64_t kvm_pages_2m;      /* and 2 MiB ones */
} BenchBacking;

/* Fills *b for this process now. */
void bench_backing(BenchBacking *b);

#endif
