/*
 * Live migration (migration.c): placeholder header, filled in by the
 * migration work.
 */
#ifndef MIGRATION_H
#define MIGRATION_H

#include <stdbool.h>
#include <glib.h>

int qemu_start_incoming_migration(const char *uri, bool start_stopped,
                                  GError **errp);
void migration_shutdown(void);

#endif
