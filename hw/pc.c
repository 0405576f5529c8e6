/*
 * Machine creation: RAM (one "pc.ram" block, split around the MMIO hole
 * below 4 GiB), devices, and the kernel; system_reset reloads the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/boot-protocol.h"
#include "hw/debugexit.h"
#include "hw/guest-ctl.h"
#include "hw/loader.h"
#include "hw/pc.h"
#include "memory.h"
#include "qemu-error.h"
#include "sysemu.h"

extern const uint8_t builtin_seed_elf[];
extern const uint8_t builtin_seed_elf_end[];

static struct {
    SerialState *serial;
    uint8_t *image;            /* the kernel file's bytes (or NULL: built-in) */
    size_t image_len;
    char *image_name;
    char *cmdline;
    char *name;
    BootEntry entry;
} pc;

/* A /proc/meminfo figure in bytes ("MemAvailable"), or 0 when it cannot
 * be told. */
static uint64_t meminfo_bytes(const char *field)
{
    g_autofree char *text = NULL;
    g_autofree char *key = g_strdup_printf("%s:", field);
    unsigned long long kib;

    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
        return 0;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], key) &&
            sscanf(lines[i] + strlen(key), " %llu kB", &kib) == 1) {
            return (uint64_t)kib << 10;
        }
    }
    return 0;
}

/*
 * Guest RAM the host can never back (more than its memory and swap) is
 * refused at start rather than left to the OOM killer later; preallocated
 * RAM is all taken now, so it must fit in what is available now.
 */
static int check_host_memory(uint64_t ram_size, bool prealloc, GError **errp)
{
    uint64_t avail = meminfo_bytes("MemAvailable");
    uint64_t total = meminfo_bytes("MemTotal") + meminfo_bytes("SwapTotal");

    if (prealloc && avail && ram_size > avail) {
        error_setg(errp, "-m: %" G_GUINT64_FORMAT " MiB of guest RAM to preallocate "
                   "is more than the %" G_GUINT64_FORMAT " MiB this host has available",
                   ram_size >> 20, avail >> 20);
        return -1;
    }
    if (total && ram_size > total) {
        error_setg(errp, "-m: %" G_GUINT64_FORMAT " MiB of guest RAM is more than "
                   "the %" G_GUINT64_FORMAT " MiB of memory and swap this host has",
                   ram_size >> 20, total >> 20);
        return -1;
    }
    return 0;
}

static int pc_map_ram(uint64_t ram_size, bool prealloc, GError **errp)
{
    RAMBlock *ram = qemu_ram_alloc("pc.ram", ram_size, prealloc, errp);
    uint64_t low = MIN(ram_size, LOW_RAM_MAX);

    if (!ram || ram_block_map(ram, 0, low, 0, errp) < 0) {
        return -1;
    }
    if (ram_size > low &&
        ram_block_map(ram, low, ram_size - low, HIGH_RAM_BASE, errp) < 0) {
        return -1;
    }
    return 0;
}

static int pc_load_kernel(GError **errp)
{
    const uint8_t *image = pc.image ? pc.image : builtin_seed_elf;
    size_t len = pc.image ? pc.image_len : (size_t)(builtin_seed_elf_end - builtin_seed_elf);

    return load_kernel(image, len, pc.image_name, pc.cmdline, &pc.entry, errp);
}

/* Reads the -kernel file into pc.image; errors name the option, the file
 * and the reason in plain words, whatever the locale. */
static int read_kernel_file(const char *path, GError **errp)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "-kernel %s", path);
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "-kernel %s: not a regular file", path);
        goto fail;
    }
    pc.image_len = (size_t)st.st_size;
    pc.image = g_malloc(pc.image_len ? pc.image_len : 1);
    for (size_t done = 0; done < pc.image_len;) {
        ssize_t n = read(fd, pc.image + done, pc.image_len - done);
        if (n <= 0) {
            error_setg_errno(errp, n < 0 ? errno : EIO, "-kernel %s", path);
            g_clear_pointer(&pc.image, g_free);
            goto fail;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

static int pc_reset(void *opaque, GError **errp)
{
    return pc_load_kernel(errp);
}

int pc_init(const MachineConfig *cfg, BootEntry *entry, GError **errp)
{
    if (cfg->ram_size > loader_max_ram_size()) {
        error_setg(errp, "-m: at most %" G_GUINT64_FORMAT " MiB of guest RAM (what "
                   "the boot page tables map)", loader_max_ram_size() >> 20);
        return -1;
    }
    if (check_host_memory(cfg->ram_size, cfg->mem_prealloc, errp) < 0 ||
        pc_map_ram(cfg->ram_size, cfg->mem_prealloc, errp) < 0) {
        return -1;
    }
    pc.serial = serial_init(UART_IO_PORT, UART_MMIO_GPA, cfg->serial, errp);
    if (!pc.serial ||
        debugexit_init(DEBUG_EXIT_IO_PORT, DEBUG_EXIT_MMIO_GPA, errp) < 0 ||
        guest_ctl_init(GUEST_CTL_MMIO_GPA, errp) < 0) {
        return -1;
    }
    if (cfg->kernel) {
        if (read_kernel_file(cfg->kernel, errp) < 0) {
            return -1;
        }
        /* The loader names the image in its errors: name the option too. */
        pc.image_name = g_strdup_printf("-kernel %s", cfg->kernel);
    } else {
        pc.image_name = g_strdup("built-in seed guest");
    }
    pc.cmdline = g_strdup(cfg->append ? cfg->append : "");
    pc.name = g_strdup(cfg->name);
    if (pc_load_kernel(errp) < 0) {
        return -1;
    }
    qemu_register_reset(pc_reset, NULL);
    *entry = pc.entry;
    return 0;
}

const char *qemu_get_vm_name(void)
{
    return pc.name;
}
