/*
 * Error helpers on top of GError (see qemu-error.h for the convention) and
 * the one place that prints errors for the user.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qemu-error.h"

G_DEFINE_QUARK(qemu-error-quark, qemu_error)

static const char *const class_names[] = {
    [QEMU_ERROR_GENERIC] = "GenericError",
    [QEMU_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [QEMU_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [QEMU_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
};

const char *error_class_name(const GError *err)
{
    if (err->domain != QEMU_ERROR || err->code < 0 ||
        err->code >= (int)G_N_ELEMENTS(class_names)) {
        return class_names[QEMU_ERROR_GENERIC];
    }
    return class_names[err->code];
}

static void error_setv(GError **errp, int code, const char *suffix,
                       const char *fmt, va_list ap)
{
    if (!errp) {
        return;
    }
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_return_if_fail(*errp == NULL);
    if (suffix) {
        *errp = g_error_new(QEMU_ERROR, code, "%s: %s", msg, suffix);
    } else {
        *errp = g_error_new_literal(QEMU_ERROR, code, msg);
    }
}

void error_setg(GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, QEMU_ERROR_GENERIC, NULL, fmt, ap);
    va_end(ap);
}

void error_set_class(GError **errp, QemuErrorClass cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, cls, NULL, fmt, ap);
    va_end(ap);
}

void error_setg_errno(GError **errp, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, QEMU_ERROR_GENERIC, g_strerror(errnum), fmt, ap);
    va_end(ap);
}

void error_prepend(GError **errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *msg = g_strdup_printf("%s: %s", prefix, (*errp)->message);
    g_free((*errp)->message);
    (*errp)->message = msg;
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_get_prgname() ? g_get_prgname() : "qemu");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void error_report_err(GError *err)
{
    error_report("%s", err->message);
    g_error_free(err);
}
