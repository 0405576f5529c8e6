/*
 * The return path: messages from the destination back to the source, on the
 * same connection, once the source has opened it with
 * MIG_CMD_OPEN_RETURN_PATH (migration-rp.c has the grammar).
 */
#ifndef MIGRATION_RP_H
#define MIGRATION_RP_H

#include <stdint.h>
#include <glib.h>

#include "qemu-file.h"

typedef enum MigrationRpMessage {
    MIG_RP_MSG_PONG = 0x0002,       /* be32: the value of the PING answered */
    MIG_RP_MSG_REQ_PAGES_ID = 0x0003, /* be64 start, be32 length (bytes of a
                                       block), u8 len, idstr: send these now */
    MIG_RP_MSG_RECV_BITMAP = 0x0005, /* u8 len, idstr, be64 pages, bitmap:
                                       the pages a broken post-copy has */
    MIG_RP_MSG_RESUME_ACK = 0x0006, /* ready to go on after a recovery */
    MIG_RP_MSG_X_LOADED = 0x0080,   /* all loaded; the guest runs on COMMIT */
    MIG_RP_MSG_X_RESUMED = 0x0081,  /* the guest is runnable here now */
    MIG_RP_MSG_X_ERROR = 0x0082,    /* text: the destination gives up, why */
} MigrationRpMessage;

#define MIG_RP_MAX_LEN 512

/* Sends one message and flushes; errors stay on rp (sticky). */
void migrate_rp_send(QEMUFile *rp, MigrationRpMessage type, const void *data,
                     uint16_t len);
/* An error message, its text cut to MIG_RP_MAX_LEN bytes. */
void migrate_rp_send_error(QEMUFile *rp, const char *text);

/*
 * Reads the next message: its type, its data into `data` (room for
 * MIG_RP_MAX_LEN bytes plus a terminating NUL, which is added). -1 with
 * *errp at the end of the connection, on a read error or a malformed
 * message.
 */
int migrate_rp_receive(QEMUFile *rp, uint16_t *type, uint8_t *data,
                       uint16_t *len, GError **errp);

#endif
