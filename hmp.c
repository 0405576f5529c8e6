/*
 * The HMP handlers of the machine-level commands: each passes its parsed
 * arguments to the QMP handler of the same operation and prints the result
 * for a person. xp, which QMP lacks, reads guest memory itself.
 */
#include <inttypes.h>
#include <string.h>

#include "memory.h"
#include "monitor.h"
#include "qemu-error.h"

#include "hmp-handlers.h"
#include "qmp-handlers.h"

#define XP_MAX_BYTES (1024 * 1024)

void hmp_stop(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_stop, args);
}

void hmp_cont(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_cont, args);
}

void hmp_quit(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_quit, args);
}

void hmp_system_reset(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_system_reset, args);
}

void hmp_pmemsave(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_pmemsave, args);
}

void hmp_getfd(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_getfd, args);
}

void hmp_closefd(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_closefd, args);
}

void hmp_info_status(Monitor *mon, JsonObject *args)
{
    g_autoptr(JsonNode) ret = hmp_call_qmp(mon, qmp_query_status, args);
    if (!ret) {
        return;
    }
    JsonObject *info = json_node_get_object(ret);
    bool running = json_object_get_boolean_member(info, "running");
    const char *status = json_object_get_string_member(info, "status");

    monitor_printf(mon, "VM status: %s", running ? "running" : "paused");
    if (!running && strcmp(status, "paused")) {
        monitor_printf(mon, " (%s)", status);
    }
    monitor_printf(mon, "\n");
}

void hmp_info_version(Monitor *mon, JsonObject *args)
{
    g_autoptr(JsonNode) ret = hmp_call_qmp(mon, qmp_query_version, args);
    if (!ret) {
        return;
    }
    JsonObject *info = json_node_get_object(ret);
    JsonObject *qemu = json_object_get_object_member(info, "qemu");
    const char *package = json_object_get_string_member(info, "package");

    monitor_printf(mon, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%"
                   G_GINT64_FORMAT "%s%s%s\n",
                   json_object_get_int_member(qemu, "major"),
                   json_object_get_int_member(qemu, "minor"),
                   json_object_get_int_member(qemu, "micro"),
                   package[0] ? " (" : "", package, package[0] ? ")" : "");
}

void hmp_info_name(Monitor *mon, JsonObject *args)
{
    g_autoptr(JsonNode) ret = hmp_call_qmp(mon, qmp_query_name, args);
    if (!ret) {
        return;
    }
    JsonObject *info = json_node_get_object(ret);
    if (json_object_has_member(info, "name")) {
        monitor_printf(mon, "%s\n", json_object_get_string_member(info, "name"));
    }
}

void hmp_info_commands(Monitor *mon, JsonObject *args)
{
    g_autoptr(JsonNode) ret = hmp_call_qmp(mon, qmp_query_commands, args);
    if (!ret) {
        return;
    }
    JsonArray *list = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *cmd = json_array_get_object_element(list, i);
        monitor_printf(mon, "%s\n", json_object_get_string_member(cmd, "name"));
    }
}

/* ------------------------------------------------------------------------ */
/* xp: a memory dump in QEMU's layout */

static uint64_t load_le(const uint8_t *p, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static int64_t sign_extend(uint64_t v, int size)
{
    int shift = 64 - 8 * size;
    return (int64_t)(v << shift) >> shift;
}

static void append_char(GString *out, uint8_t c)
{
    switch (c) {
    case '\'': g_string_append(out, "'\\''"); break;
    case '\\': g_string_append(out, "'\\\\'"); break;
    case '\n': g_string_append(out, "'\\n'"); break;
    case '\r': g_string_append(out, "'\\r'"); break;
    default:
        if (c >= 32 && c < 127) {
            g_string_append_printf(out, "'%c'", c);
        } else {
            g_string_append_printf(out, "'\\x%02x'", c);
        }
        break;
    }
}

/* One unit, padded to the width of the largest value of its size. */
static void append_unit(GString *out, char format, uint64_t v, int size)
{
    int bits = 8 * size;

    g_string_append_c(out, ' ');
    switch (format) {
    case 'x':
        g_string_append_printf(out, "0x%0*" PRIx64, bits / 4, v);
        break;
    case 'o':
        g_string_append_printf(out, "%#*" PRIo64, (bits + 2) / 3, v);
        break;
    case 'u':
        g_string_append_printf(out, "%*" PRIu64, (bits * 10 + 32) / 33, v);
        break;
    case 'd':
        g_string_append_printf(out, "%*" PRId64, (bits * 10 + 32) / 33,
                               sign_extend(v, size));
        break;
    case 'c':
        append_char(out, v);
        break;
    }
}

static int xp_line(Monitor *mon, uint64_t addr, size_t len, char format,
                   int size)
{
    uint8_t buf[16];
    GError *err = NULL;

    if (cpu_physical_memory_read(addr, buf, len, &err) < 0) {
        error_prepend(&err, "xp");
        monitor_report_error(mon, err);
        return -1;
    }
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append_printf(out, "%016" PRIx64 ":", addr);
    for (size_t i = 0; i < len; i += size) {
        append_unit(out, format, load_le(buf + i, size), size);
    }
    monitor_printf(mon, "%s\n", out->str);
    return 0;
}

void hmp_xp(Monitor *mon, JsonObject *args)
{
    int64_t count = json_object_get_int_member(args, "count");
    char format = json_object_get_string_member(args, "format")[0];
    int size = format == 'c' ? 1 : json_object_get_int_member(args, "size");
    uint64_t addr = json_object_get_int_member(args, "addr");
    uint64_t len = (uint64_t)count * size;
    size_t line_size = size == 1 ? 8 : 16;

    if (len > XP_MAX_BYTES) {
        monitor_printf(mon, "xp: at most %d bytes at once\n", XP_MAX_BYTES);
        return;
    }
    while (len > 0) {
        size_t n = MIN(len, line_size);
        if (xp_line(mon, addr, n, format, size) < 0) {
            return;
        }
        addr += n;
        len -= n;
    }
}
