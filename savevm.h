/*
 * The migration stream's framing (savevm.c): the header, the sections of the
 * registered state handlers, and EOF. Live handlers (RAM) send their state
 * in many parts while the guest runs; device handlers send theirs once, with
 * the guest stopped.
 */
#ifndef SAVEVM_H
#define SAVEVM_H

#include <glib.h>

#include "qemu-file.h"

/*
 * A live handler, as QEMU 1.0's: stage 1 sets up and sends the preamble,
 * stage 2 sends part of what is dirty and returns 1 once nothing is left
 * for now (0 otherwise), stage 3 sends the rest with the guest stopped,
 * stage -1 cancels. Negative on error (recorded on f).
 */
typedef int SaveLiveStateHandler(QEMUFile *f, int stage, void *opaque);
typedef void SaveStateHandler(QEMUFile *f, void *opaque);
/* Loads one section's payload; -1 with *errp on anything malformed. */
typedef int LoadStateHandler(QEMUFile *f, void *opaque, int version_id,
                             GError **errp);

int register_savevm_live(const char *idstr, int instance_id, int version_id,
                         SaveLiveStateHandler *save_live,
                         LoadStateHandler *load, void *opaque);
int register_savevm(const char *idstr, int instance_id, int version_id,
                    SaveStateHandler *save, LoadStateHandler *load,
                    void *opaque);

/*
 * Commands in the stream (besides sections): the migration's own messages
 * to the destination. QEMU's numbers where QEMU has the command.
 */
typedef enum MigrationCommand {
    MIG_CMD_OPEN_RETURN_PATH = 0x0001, /* the source reads replies (migration-rp.h) */
    MIG_CMD_PING = 0x0002,             /* be32 value: answer with a PONG */
    MIG_CMD_POSTCOPY_ADVISE = 0x0003,  /* be64 host page size, be64 target page
                                          size: the source may switch to post-copy */
    MIG_CMD_POSTCOPY_RUN = 0x0005,     /* the guest runs here from now on */
    MIG_CMD_POSTCOPY_RAM_DISCARD = 0x0006, /* u8 0, u8 len, idstr, u8 flags
                                          (0x01: keep them for deltas), then
                                          (be64 start, be64 length) byte ranges
                                          of the block: drop these pages */
    MIG_CMD_POSTCOPY_RESUME = 0x0007,  /* a broken post-copy goes on here */
    MIG_CMD_X_HANDSHAKE = 0x0080,      /* the end is LOADED, then COMMIT */
    MIG_CMD_X_COMMIT = 0x0081,         /* after EOF: run the guest */
} MigrationCommand;

#define MIG_CMD_MAX_LEN 256

/* The sender: the header, then any commands, then the three phases, and
 * the end of its work (after completing, failing or cancelling: dirty
 * logging stops there). */
void qemu_savevm_state_header(QEMUFile *f);
void qemu_savevm_send_command(QEMUFile *f, MigrationCommand cmd,
                              const uint8_t *data, uint16_t len);
int qemu_savevm_state_begin(QEMUFile *f, GError **errp);
/* Returns 1 when every live handler has nothing left for now, 0 if more. */
int qemu_savevm_state_iterate(QEMUFile *f, GError **errp);
int qemu_savevm_state_complete(QEMUFile *f, GError **errp);
/* Post-copy: the devices alone (at the switch), and the end of the live
 * sections and the stream (once every page went). */
int qemu_savevm_state_devices(QEMUFile *f, GError **errp);
int qemu_savevm_state_complete_postcopy(QEMUFile *f, GError **errp);
void qemu_savevm_state_cleanup(QEMUFile *f);

/*
 * The receiver. Commands met while loading go to ops->handle (none
 * accepted when ops is NULL); it returns -1 with *errp to stop the load.
 * After any error, ops->recover (when set) may give a new stream to go on
 * from (the sections started before stay known): it returns 0 with *f
 * replaced and *errp cleared, or -1 to end the load.
 */
typedef struct LoadCommandOps {
    int (*handle)(uint16_t cmd, const uint8_t *data, uint16_t len,
                  void *opaque, GError **errp);
    int (*recover)(void *opaque, QEMUFile **f, GError **errp);
    void *opaque;
} LoadCommandOps;

#define QEMU_VM_HEADER_SIZE 8

/* Whether the first QEMU_VM_HEADER_SIZE bytes of a stream are a header
 * this emulator loads; -1 with a message saying what they are not. */
int qemu_loadvm_check_header(const uint8_t *header, GError **errp);

/* Reads a whole stream up to its EOF. -1 with a message naming what was
 * wrong. The _main form starts after the header (checked by the caller). */
int qemu_loadvm_state(QEMUFile *f, const LoadCommandOps *ops, GError **errp);
int qemu_loadvm_state_main(QEMUFile *f, const LoadCommandOps *ops, GError **errp);

/* Reads one command after the stream's EOF; its number in *cmd (the data,
 * if any, is dropped). */
int qemu_loadvm_get_command(QEMUFile *f, uint16_t *cmd, GError **errp);

#endif
