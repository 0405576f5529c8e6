/*
 * linkem: the control protocol's interpreter (see linkem-command.h). A
 * line is split into words, checked completely, and only then applied, so
 * that an error never leaves one direction changed and not the other.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "linkem-command.h"

#define LINE_MAX_LEN 256
#define MAX_WORDS 3

static const char *const direction_names[LINK_DIRECTIONS] = { "a2b", "b2a" };

/* A parsed line: which directions, the verb, its value (or NULL). */
typedef struct Command {
    bool selected[LINK_DIRECTIONS];
    const char *verb;
    const char *value;
} Command;

/* A parameter: parses its value into its own field of params. */
typedef struct Setting {
    const char *verb;
    bool (*parse)(const char *value, ShaperParams *params, const char **why);
} Setting;

static bool parse_rate(const char *value, ShaperParams *p, const char **why)
{
    return units_parse_rate(value, &p->rate, why);
}

static bool parse_delay(const char *value, ShaperParams *p, const char **why)
{
    return units_parse_delay(value, &p->delay_ns, why);
}

static bool parse_loss(const char *value, ShaperParams *p, const char **why)
{
    return units_parse_loss(value, &p->loss, why);
}

static bool parse_limit(const char *value, ShaperParams *p, const char **why)
{
    return units_parse_limit(value, &p->limit, why);
}

static bool parse_dead(const char *value, ShaperParams *p, const char **why)
{
    if (strcmp(value, "on") && strcmp(value, "off")) {
        *why = "dead is on or off";
        return false;
    }
    p->dead = !strcmp(value, "on");
    return true;
}

static const Setting settings[] = {
    { "rate", parse_rate },
    { "delay", parse_delay },
    { "loss", parse_loss },
    { "limit", parse_limit },
    { "dead", parse_dead },
};

static bool reply_with(char *reply, size_t size, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool reply_with(char *reply, size_t size, bool ok, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(reply, size, ok ? "ok" : "error: ");
    if (n < 0 || (size_t)n >= size) {
        return ok;
    }
    va_start(ap, fmt);
    vsnprintf(reply + n, size - n, fmt, ap);
    va_end(ap);
    return ok;
}

/* Appends to a reply being built; silently stops at its end. */
static void append(char *reply, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *reply, size_t size, const char *fmt, ...)
{
    size_t used = strlen(reply);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reply + used, size - used, fmt, ap);
    va_end(ap);
}

/* Splits the line into the command; false (and the reason in why) if it
 * is not one. `buf` holds the words. */
static bool split_command(const char *line, char *buf, Command *cmd,
                          const char **why)
{
    char *words[MAX_WORDS + 1];
    int n = 0;
    char *save;

    size_t len = strcspn(line, "\r\n");
    if (len >= LINE_MAX_LEN) {
        *why = "line too long";
        return false;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (n == MAX_WORDS) {
            *why = "too many words (try help)";
            return false;
        }
        words[n++] = w;
    }
    words[n] = NULL;

    int first = 0;
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        cmd->selected[d] = true;
    }
    for (int d = 0; n > 0 && d < LINK_DIRECTIONS; d++) {
        if (!strcmp(words[0], direction_names[d])) {
            cmd->selected[!d] = false;
            first = 1;
        }
    }
    if (first >= n) {
        *why = "empty command (try help)";
        return false;
    }
    cmd->verb = words[first];
    cmd->value = words[first + 1];
    if (cmd->value && words[first + 2]) {
        *why = "too many words (try help)";
        return false;
    }
    return true;
}

static bool run_setting(Shaper *const link[], const Command *cmd,
                        const Setting *setting, char *reply, size_t size)
{
    const char *why = NULL;

    if (!cmd->value) {
        return reply_with(reply, size, false, "%s needs a value", setting->verb);
    }
    /* Check the value on a copy first: a bad one changes nothing. */
    ShaperParams probe = *shaper_params(link[0]);
    if (!setting->parse(cmd->value, &probe, &why)) {
        return reply_with(reply, size, false, "%s '%s': %s", setting->verb,
                          cmd->value, why);
    }
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        if (cmd->selected[d]) {
            ShaperParams params = *shaper_params(link[d]);
            setting->parse(cmd->value, &params, &why);
            shaper_configure(link[d], &params);
        }
    }
    return reply_with(reply, size, true, "%s", "");
}

static bool run_seed(Shaper *const link[], const Command *cmd, char *reply,
                     size_t size)
{
    const char *why;
    uint64_t seed;

    if (!cmd->value) {
        return reply_with(reply, size, false, "seed needs a value");
    }
    if (!units_parse_u64(cmd->value, &seed, &why)) {
        return reply_with(reply, size, false, "seed '%s': %s", cmd->value, why);
    }
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        if (cmd->selected[d]) {
            bool both = cmd->selected[0] && cmd->selected[1];
            shaper_seed(link[d], seed + (both ? (uint64_t)d : 0));
        }
    }
    return reply_with(reply, size, true, "%s", "");
}

static void show_direction(const Shaper *s, const char *name, char *reply,
                           size_t size)
{
    const ShaperParams *p = shaper_params(s);
    char rate[32], delay[32], loss[32], limit[32];

    units_format_rate(rate, sizeof(rate), p->rate);
    units_format_delay(delay, sizeof(delay), p->delay_ns);
    units_format_loss(loss, sizeof(loss), p->loss);
    units_format_limit(limit, sizeof(limit), &p->limit);
    append(reply, size, " %s rate=%s delay=%s loss=%s limit=%s dead=%s seed=%llu",
           name, rate, delay, loss, limit, p->dead ? "on" : "off",
           (unsigned long long)shaper_seed_value(s));
}

static void stats_direction(Shaper *s, const char *name, int64_t now_ns,
                            char *reply, size_t size)
{
    const ShaperStats *st = shaper_stats(s);
    const struct { const char *key; uint64_t value; } counters[] = {
        { "received", st->received },
        { "received_bytes", st->received_bytes },
        { "delivered", st->delivered },
        { "delivered_bytes", st->delivered_bytes },
        { "lost", st->lost },
        { "dead_drops", st->dead_drops },
        { "queue_drops", st->queue_drops },
        { "overflow_drops", st->overflow_drops },
        { "oversize_drops", st->oversize_drops },
        { "write_drops", st->write_drops },
    };
    uint64_t queued, queued_bytes;

    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        append(reply, size, " %s.%s=%llu", name, counters[i].key,
               (unsigned long long)counters[i].value);
    }
    shaper_backlog(s, now_ns, &queued, &queued_bytes);
    append(reply, size, " %s.queued=%llu %s.queued_bytes=%llu %s.held=%zu", name,
           (unsigned long long)queued, name, (unsigned long long)queued_bytes,
           name, shaper_held(s));
}

/* show and stats: one group of fields per selected direction. */
static bool run_report(Shaper *const link[], const Command *cmd, int64_t now_ns,
                       char *reply, size_t size)
{
    if (cmd->value) {
        return reply_with(reply, size, false, "%s takes no value", cmd->verb);
    }
    reply_with(reply, size, true, "%s", "");
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        if (!cmd->selected[d]) {
            continue;
        }
        if (!strcmp(cmd->verb, "show")) {
            show_direction(link[d], direction_names[d], reply, size);
        } else {
            stats_direction(link[d], direction_names[d], now_ns, reply, size);
        }
    }
    return true;
}

static bool run_help(char *reply, size_t size)
{
    return reply_with(reply, size, true, "%s",
                      " commands: [a2b|b2a] rate RATE (100mbit, unlimited) | "
                      "delay DELAY (20ms) | loss LOSS (1%) | "
                      "limit LIMIT (1000p, 64kb, none) | dead on|off | seed N | "
                      "show | stats; help");
}

bool command_run(Shaper *const link[LINK_DIRECTIONS], const char *line,
                 int64_t now_ns, char *reply, size_t size)
{
    char words[LINE_MAX_LEN];
    const char *why;
    Command cmd;

    if (!split_command(line, words, &cmd, &why)) {
        return reply_with(reply, size, false, "%s", why);
    }
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        if (!strcmp(cmd.verb, settings[i].verb)) {
            return run_setting(link, &cmd, &settings[i], reply, size);
        }
    }
    if (!strcmp(cmd.verb, "seed")) {
        return run_seed(link, &cmd, reply, size);
    }
    if (!strcmp(cmd.verb, "show") || !strcmp(cmd.verb, "stats")) {
        return run_report(link, &cmd, now_ns, reply, size);
    }
    if (!strcmp(cmd.verb, "help")) {
        return cmd.value ? reply_with(reply, size, false, "help takes no value")
                         : run_help(reply, size);
    }
    return reply_with(reply, size, false, "unknown command '%s' (try help)", cmd.verb);
}
