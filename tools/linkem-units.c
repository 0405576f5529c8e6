/*
 * linkem: parsing and printing the control protocol's values. Numbers are
 * strict (digits, an optional fraction, then a unit): no signs, exponents,
 * "inf" or spaces, so that a typo is an error and never a surprise.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linkem-units.h"

#define MAX_RATE 1000000000000ull          /* 1 Tbit/s */
#define MAX_DELAY_NS 3600000000000ll       /* one hour */
#define MAX_LIMIT (1ull << 40)

typedef struct Unit {
    const char *suffix;
    double scale;
} Unit;

/* Splits "12.5mbit" into 12.5 and "mbit"; false unless it starts with a
 * plain decimal number. */
static bool split_number(const char *text, double *value, const char **suffix)
{
    const char *p = text;
    double v = 0;

    if (*p < '0' || *p > '9') {
        return false;
    }
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
    }
    if (*p == '.') {
        double place = 0.1;
        p++;
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            v += (*p++ - '0') * place;
            place /= 10;
        }
    }
    *value = v;
    *suffix = p;
    return isfinite(v);
}

/* The number times its unit's scale; false if the suffix is none of them. */
static bool parse_with_units(const char *text, const Unit *units, double *out)
{
    double v;
    const char *suffix;

    if (!split_number(text, &v, &suffix)) {
        return false;
    }
    for (const Unit *u = units; u->suffix; u++) {
        if (!strcmp(suffix, u->suffix)) {
            *out = v * u->scale;
            return true;
        }
    }
    return false;
}

bool units_parse_rate(const char *text, uint64_t *bits_per_s, const char **why)
{
    static const Unit units[] = {
        { "", 1 }, { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 },
        { "gbit", 1e9 }, { NULL, 0 },
    };
    double v;

    if (!strcmp(text, "unlimited")) {
        *bits_per_s = 0;
        return true;
    }
    if (!parse_with_units(text, units, &v)) {
        *why = "a rate is a number with bit, kbit, mbit or gbit, or unlimited";
        return false;
    }
    if (v > MAX_RATE || (v > 0 && v < 1)) {
        *why = "a rate is 0 (unlimited) or between 1bit and 1000gbit";
        return false;
    }
    *bits_per_s = (uint64_t)llround(v);
    return true;
}

bool units_parse_delay(const char *text, int64_t *ns, const char **why)
{
    static const Unit units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { NULL, 0 },
    };
    double v;

    if (!strcmp(text, "0")) {
        *ns = 0;
        return true;
    }
    if (!parse_with_units(text, units, &v)) {
        *why = "a delay is a number with ns, us, ms or s";
        return false;
    }
    if (v > MAX_DELAY_NS) {
        *why = "a delay is at most one hour";
        return false;
    }
    *ns = llround(v);
    return true;
}

bool units_parse_loss(const char *text, double *probability, const char **why)
{
    static const Unit units[] = { { "%", 0.01 }, { NULL, 0 } };
    double v;

    if (!strcmp(text, "0")) {
        *probability = 0;
        return true;
    }
    if (!parse_with_units(text, units, &v) || v > 1) {
        *why = "a loss is a percentage from 0% to 100%";
        return false;
    }
    *probability = v;
    return true;
}

bool units_parse_limit(const char *text, QueueLimit *limit, const char **why)
{
    static const Unit packets[] = { { "p", 1 }, { NULL, 0 } };
    static const Unit bytes[] = {
        { "b", 1 }, { "kb", 1024 }, { "mb", 1024 * 1024 }, { NULL, 0 },
    };
    double v;

    *why = "a limit is packets (1000p), bytes (1500b, 64kb, 2mb) or none";
    if (!strcmp(text, "none") || !strcmp(text, "0")) {
        *limit = (QueueLimit){ 0, 0 };
        return true;
    }
    if (parse_with_units(text, packets, &v)) {
        *limit = (QueueLimit){ .packets = (uint64_t)v };
    } else if (parse_with_units(text, bytes, &v)) {
        *limit = (QueueLimit){ .bytes = (uint64_t)v };
    } else {
        return false;
    }
    if (v < 1 || v > MAX_LIMIT || v != floor(v)) {
        *why = "a limit is a whole number of packets or bytes, at least 1";
        return false;
    }
    return true;
}

bool units_parse_u64(const char *text, uint64_t *value, const char **why)
{
    uint64_t v = 0;

    *why = "expected a decimal number";
    if (!*text) {
        return false;
    }
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (*p - '0')) / 10) {
            return false;
        }
        v = v * 10 + (*p - '0');
    }
    *value = v;
    return true;
}

void units_format_rate(char *buf, size_t size, uint64_t bits_per_s)
{
    if (!bits_per_s) {
        snprintf(buf, size, "unlimited");
    } else if (bits_per_s % 1000000000 == 0) {
        snprintf(buf, size, "%llugbit", (unsigned long long)(bits_per_s / 1000000000));
    } else if (bits_per_s % 1000000 == 0) {
        snprintf(buf, size, "%llumbit", (unsigned long long)(bits_per_s / 1000000));
    } else if (bits_per_s % 1000 == 0) {
        snprintf(buf, size, "%llukbit", (unsigned long long)(bits_per_s / 1000));
    } else {
        snprintf(buf, size, "%llubit", (unsigned long long)bits_per_s);
    }
}

void units_format_delay(char *buf, size_t size, int64_t ns)
{
    if (!ns) {
        snprintf(buf, size, "0");
    } else if (ns % 1000000000 == 0) {
        snprintf(buf, size, "%llds", (long long)(ns / 1000000000));
    } else if (ns % 1000000 == 0) {
        snprintf(buf, size, "%lldms", (long long)(ns / 1000000));
    } else if (ns % 1000 == 0) {
        snprintf(buf, size, "%lldus", (long long)(ns / 1000));
    } else {
        snprintf(buf, size, "%lldns", (long long)ns);
    }
}

void units_format_loss(char *buf, size_t size, double probability)
{
    snprintf(buf, size, "%.6g%%", probability * 100);
}

void units_format_limit(char *buf, size_t size, const QueueLimit *limit)
{
    if (limit->packets) {
        snprintf(buf, size, "%llup", (unsigned long long)limit->packets);
    } else if (limit->bytes) {
        snprintf(buf, size, "%llub", (unsigned long long)limit->bytes);
    } else {
        snprintf(buf, size, "none");
    }
}
