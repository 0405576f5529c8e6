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

/* The sender's three phases, and the end of its work (after completing,
 * failing or cancelling: dirty logging stops there). */
int qemu_savevm_state_begin(QEMUFile *f, GError **errp);
/* Returns 1 when every live handler has nothing left for now, 0 if more. */
int qemu_savevm_state_iterate(QEMUFile *f, GError **errp);
int qemu_savevm_state_complete(QEMUFile *f, GError **errp);
void qemu_savevm_state_cleanup(QEMUFile *f);

/* Reads a whole stream. -1 with a message naming what was wrong. */
int qemu_loadvm_state(QEMUFile *f, GError **errp);

#endif
