/*
 * The one error convention of the tree: a function that can fail returns a
 * negative number (or NULL/false) and, when the caller passed a GError **,
 * fills it with a human-readable message in the QEMU_ERROR domain. The code
 * is the QMP error class the monitor reports.
 */
#ifndef QEMU_ERROR_H
#define QEMU_ERROR_H

#include <glib.h>

#define QEMU_ERROR (qemu_error_quark())

/* QMP error classes (the "class" member of an error reply). */
typedef enum {
    QEMU_ERROR_GENERIC,             /* GenericError */
    QEMU_ERROR_COMMAND_NOT_FOUND,   /* CommandNotFound */
    QEMU_ERROR_DEVICE_NOT_ACTIVE,   /* DeviceNotActive */
    QEMU_ERROR_DEVICE_NOT_FOUND,    /* DeviceNotFound */
} QemuErrorClass;

GQuark qemu_error_quark(void);

/* The QMP class name of an error ("GenericError" for foreign domains). */
const char *error_class_name(const GError *err);

void error_setg(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void error_set_class(GError **errp, QemuErrorClass cls, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Appends ": strerror(errnum)" to the message. */
void error_setg_errno(GError **errp, int errnum, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Prefixes an existing error's message with "prefix: ". */
void error_prepend(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints "qemu-system-x86_64: message" on stderr. */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Prints the error's message as error_report() does, then frees it. */
void error_report_err(GError *err);

#endif
