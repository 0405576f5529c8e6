/*
 * The QMP handlers of the machine-level commands (run state, version, name,
 * reset, quit, pmemsave). Each is the one implementation of its operation;
 * the HMP commands in hmp.c call them.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "config-host.h"
#include "memory.h"
#include "monitor.h"
#include "qemu-error.h"
#include "sysemu.h"

#include "qmp-handlers.h"

#define PMEMSAVE_CHUNK (64 * 1024)

JsonNode *qmp_query_version(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonObject *qemu = json_object_new();
    json_object_set_int_member(qemu, "major", QEMU_VERSION_MAJOR);
    json_object_set_int_member(qemu, "minor", QEMU_VERSION_MINOR);
    json_object_set_int_member(qemu, "micro", QEMU_VERSION_MICRO);

    JsonObject *info = json_object_new();
    json_object_set_object_member(info, "qemu", qemu);
    json_object_set_string_member(info, "package", QEMU_PKGVERSION);
    return monitor_result_object(info);
}

JsonNode *qmp_query_status(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonObject *info = json_object_new();

    json_object_set_boolean_member(info, "running", runstate_is_running());
    json_object_set_boolean_member(info, "singlestep", FALSE);
    json_object_set_string_member(info, "status", runstate_name(runstate_get()));
    return monitor_result_object(info);
}

JsonNode *qmp_query_name(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonObject *info = json_object_new();
    const char *name = qemu_get_vm_name();

    if (name) {
        json_object_set_string_member(info, "name", name);
    }
    return monitor_result_object(info);
}

JsonNode *qmp_stop(JsonObject *args, Monitor *mon, GError **errp)
{
    /* As QEMU 1.0: only a running machine changes state (a destination
     * waiting for its migration stays "inmigrate"). */
    if (runstate_is_running()) {
        vm_stop(RUN_STATE_PAUSED);
    }
    return monitor_result_empty();
}

JsonNode *qmp_cont(JsonObject *args, Monitor *mon, GError **errp)
{
    if (vm_start(errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

JsonNode *qmp_quit(JsonObject *args, Monitor *mon, GError **errp)
{
    qemu_system_shutdown_request();
    return monitor_result_empty();
}

JsonNode *qmp_system_reset(JsonObject *args, Monitor *mon, GError **errp)
{
    if (qemu_system_reset(errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

static int pmemsave_copy(int fd, uint64_t addr, uint64_t size,
                         const char *filename, GError **errp)
{
    g_autofree uint8_t *buf = g_malloc(PMEMSAVE_CHUNK);

    for (uint64_t done = 0; done < size;) {
        uint64_t n = MIN(size - done, (uint64_t)PMEMSAVE_CHUNK);
        if (cpu_physical_memory_read(addr + done, buf, n, errp) < 0) {
            return -1;
        }
        if (write_all(fd, buf, n) < 0) {
            error_setg_errno(errp, errno, "could not write '%s'", filename);
            return -1;
        }
        done += n;
    }
    return 0;
}

JsonNode *qmp_pmemsave(JsonObject *args, Monitor *mon, GError **errp)
{
    int64_t addr = json_object_get_int_member(args, "val");
    int64_t size = json_object_get_int_member(args, "size");
    const char *filename = json_object_get_string_member(args, "filename");

    if (addr < 0 || size < 0 || (uint64_t)addr + (uint64_t)size < (uint64_t)addr) {
        error_setg(errp, "Invalid memory range: address %" G_GINT64_FORMAT
                   ", size %" G_GINT64_FORMAT, addr, size);
        return NULL;
    }
    int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg_errno(errp, errno, "could not open '%s'", filename);
        return NULL;
    }
    int rc = pmemsave_copy(fd, addr, size, filename, errp);
    if (close(fd) < 0 && rc == 0) {
        error_setg_errno(errp, errno, "could not write '%s'", filename);
        rc = -1;
    }
    if (rc < 0) {
        unlink(filename);   /* no partial dump that looks like a good one */
        return NULL;
    }
    return monitor_result_empty();
}
