/*
 * The migration's QMP face (migration-qmp.c): its commands are declared by
 * the generated qmp-handlers.h; this header has the rest.
 */
#ifndef MIGRATION_QMP_H
#define MIGRATION_QMP_H

/* Subscribes the MIGRATION and MIGRATION_PASS events to the migration's
 * news (start-up, once). */
void migration_qmp_init(void);

#endif
