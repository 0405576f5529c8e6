/*
 * Framing of the return path (destination to source):
 *
 *   message := be16 type, be16 len, data[len]    (len <= 512)
 *
 * The types are listed in migration-rp.h; QEMU's number where QEMU has the
 * message. Unknown types are the reader's to refuse.
 */
#include <string.h>

#include "migration-rp.h"
#include "qemu-error.h"

void migrate_rp_send(QEMUFile *rp, MigrationRpMessage type, const void *data,
                     uint16_t len)
{
    g_assert(len <= MIG_RP_MAX_LEN);
    qemu_put_be16(rp, (uint16_t)type);
    qemu_put_be16(rp, len);
    qemu_put_buffer(rp, data, len);
    qemu_fflush(rp);
}

void migrate_rp_send_error(QEMUFile *rp, const char *text)
{
    size_t len = MIN(strlen(text), (size_t)MIG_RP_MAX_LEN);

    migrate_rp_send(rp, MIG_RP_MSG_X_ERROR, text, (uint16_t)len);
}

int migrate_rp_receive(QEMUFile *rp, uint16_t *type, uint8_t *data,
                       uint16_t *len, GError **errp)
{
    *type = qemu_get_be16(rp);
    *len = qemu_get_be16(rp);
    if (qemu_file_get_error(rp, errp) < 0) {
        return -1;
    }
    if (*len > MIG_RP_MAX_LEN) {
        error_setg(errp, "the destination sent a return-path message of %u bytes "
                   "(at most %d)", *len, MIG_RP_MAX_LEN);
        return -1;
    }
    qemu_get_buffer(rp, data, *len);
    data[*len] = '\0';
    return qemu_file_get_error(rp, errp);
}
