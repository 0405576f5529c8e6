/*
 * Helpers every workload uses: printing, the -append parameters, the free
 * RAM ranges. Freestanding: compiled into guests and into the emulator.
 */
#include "guests/workload.h"

void genv_puts(GuestEnv *env, const char *s)
{
    while (*s) {
        genv_putc(env, *s++);
    }
}

void genv_put_u64(GuestEnv *env, uint64_t value)
{
    char digits[21];
    int n = 0;

    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (n) {
        genv_putc(env, digits[--n]);
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Parses a decimal or 0x-hex number with an optional K/M/G suffix that
 * ends at a space or the end of the string. */
static bool parse_number(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    bool any = false;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++) {
        char c = *p;
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            break;
        }
        v = v * base + d;
        any = true;
    }
    if (!any) {
        return false;
    }
    switch (*p) {
    case 'k': case 'K': v <<= 10; p++; break;
    case 'm': case 'M': v <<= 20; p++; break;
    case 'g': case 'G': v <<= 30; p++; break;
    default: break;
    }
    if (*p && !is_space(*p)) {
        return false;
    }
    *out = v;
    return true;
}

uint64_t genv_arg_u64(GuestEnv *env, const char *key, uint64_t fallback)
{
    const char *p = genv_boot_info(env)->cmdline;

    while (*p) {
        while (is_space(*p)) {
            p++;
        }
        const char *k = key;
        const char *q = p;
        while (*k && *q == *k) {
            k++;
            q++;
        }
        uint64_t v;
        if (!*k && *q == '=' && parse_number(q + 1, &v)) {
            return v;
        }
        while (*p && !is_space(*p)) {
            p++;
        }
    }
    return fallback;
}

int genv_free_ram_ranges(GuestEnv *env, struct boot_ram_range *out, int max)
{
    const struct boot_info *bi = genv_boot_info(env);
    int n = 0;

    for (uint32_t i = 0; i < bi->nr_ram_ranges && n < max; i++) {
        uint64_t start = bi->ram[i].gpa;
        uint64_t end = start + bi->ram[i].size;
        if (start < GUEST_FREE_RAM_START) {
            start = GUEST_FREE_RAM_START;
        }
        if (start >= end) {
            continue;
        }
        out[n].gpa = start;
        out[n].size = end - start;
        n++;
    }
    return n;
}

uint64_t genv_free_ram_size(GuestEnv *env)
{
    struct boot_ram_range r[BOOT_RAM_RANGES_MAX];
    int n = genv_free_ram_ranges(env, r, BOOT_RAM_RANGES_MAX);
    uint64_t total = 0;

    for (int i = 0; i < n; i++) {
        total += r[i].size;
    }
    return total;
}

uint64_t genv_free_ram_gpa(GuestEnv *env, uint64_t offset)
{
    struct boot_ram_range r[BOOT_RAM_RANGES_MAX];
    int n = genv_free_ram_ranges(env, r, BOOT_RAM_RANGES_MAX);

    for (int i = 0; i < n; i++) {
        if (offset < r[i].size) {
            return r[i].gpa + offset;
        }
        offset -= r[i].size;
    }
    return 0;
}

bool genv_is_free_ram(GuestEnv *env, uint64_t gpa)
{
    struct boot_ram_range r[BOOT_RAM_RANGES_MAX];
    int n = genv_free_ram_ranges(env, r, BOOT_RAM_RANGES_MAX);

    for (int i = 0; i < n; i++) {
        if (gpa >= r[i].gpa && gpa - r[i].gpa < r[i].size) {
            return true;
        }
    }
    return false;
}
