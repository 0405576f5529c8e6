/*
 * Guest RAM's backing, read from /proc and from KVM's binary statistics
 * (see bench-mapping.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <glib.h>

#include "bench/bench-mapping.h"

/* A "Name:   N kB" line of /proc/self/smaps_rollup, in KiB (0: absent). */
static uint64_t smaps_rollup_kib(const char *text, const char *name)
{
    g_autofree char *key = g_strdup_printf("\n%s:", name);
    const char *line = strstr(text, key);
    unsigned long long kib = 0;

    if (line) {
        sscanf(line + strlen(key), " %llu kB", &kib);
    }
    return kib;
}

/*
 * The process's VM file descriptor. kvm-all.c keeps it to itself, and the
 * emulator has no use for a getter: a benchmark finds it among its open
 * files, by what the kernel calls it.
 */
static int find_kvm_vm_fd(void)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    int found = -1;

    while (dir && found < 0 && (e = readdir(dir))) {
        g_autofree char *path = g_strdup_printf("/proc/self/fd/%s", e->d_name);
        char target[64];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (!strcmp(target, "anon_inode:kvm-vm")) {
                found = atoi(e->d_name);
            }
        }
    }
    if (dir) {
        closedir(dir);
    }
    return found;
}

/* Reads the statistics named pages_4k and pages_2m of a VM's statistics
 * file (its header, its descriptors, then one u64 per value). */
static bool read_kvm_page_stats(int stats_fd, BenchBacking *b)
{
    struct kvm_stats_header h;
    int found = 0;

    if (pread(stats_fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        return false;
    }
    size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    g_autofree uint8_t *descs = g_malloc(desc_size * h.num_desc);
    if (pread(stats_fd, descs, desc_size * h.num_desc, h.desc_offset) !=
        (ssize_t)(desc_size * h.num_desc)) {
        return false;
    }
    for (uint32_t i = 0; i < h.num_desc; i++) {
        const struct kvm_stats_desc *d = (const void *)(descs + i * desc_size);
        uint64_t *out = !strcmp(d->name, "pages_4k") ? &b->kvm_pages_4k :
                        !strcmp(d->name, "pages_2m") ? &b->kvm_pages_2m : NULL;
        if (out && pread(stats_fd, out, sizeof(*out), h.data_offset + d->offset) ==
                   (ssize_t)sizeof(*out)) {
            found++;
        }
    }
    return found == 2;
}

static void read_kvm_backing(BenchBacking *b)
{
    int vm_fd = find_kvm_vm_fd();
    int stats_fd = vm_fd < 0 ? -1 : ioctl(vm_fd, KVM_GET_STATS_FD, NULL);

    if (stats_fd >= 0) {
        b->kvm_known = read_kvm_page_stats(stats_fd, b);
        close(stats_fd);
    }
}

void bench_backing(BenchBacking *b)
{
    g_autofree char *text = NULL;

    memset(b, 0, sizeof(*b));
    if (g_file_get_contents("/proc/self/smaps_rollup", &text, NULL, NULL)) {
        b->rss_kib = smaps_rollup_kib(text, "Rss");
        b->anon_huge_kib = smaps_rollup_kib(text, "AnonHugePages");
    }
    read_kvm_backing(b);
}
