/*
 * Post-copy's messages, both ends (migration-postcopy.c): the pages the
 * destination must drop at the switch (MIG_CMD_POSTCOPY_RAM_DISCARD), the
 * pages it asks for (MIG_RP_MSG_REQ_PAGES_ID) and the source's queue of
 * them, and the bitmap of pages a destination has after a broken link
 * (MIG_RP_MSG_RECV_BITMAP). The state machines are migration.c's and
 * migration-incoming.c's.
 */
#ifndef MIGRATION_POSTCOPY_H
#define MIGRATION_POSTCOPY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory.h"
#include "qemu-file.h"

/* --- the source --------------------------------------------------------------- */

/* Sends the advice that the migration may switch (after the header). */
void postcopy_send_advise(QEMUFile *f);

/* Sends, as discard commands, every page dirty now (guest stopped, log
 * synced): the destination's copies of them are stale. Those that will go
 * as deltas are marked to be kept, as many as the destination can copy in
 * about half of downtime_limit_ms (the guest is stopped meanwhile). */
void postcopy_send_discards(QEMUFile *f, uint64_t downtime_limit_ms);

/* The queue of pages the destination waits for: filled by the return-path
 * thread, emptied by the RAM section (a RamPageRequestFn). */
void postcopy_requests_reset(void);
int postcopy_requests_push_message(const uint8_t *data, uint16_t len, GError **errp);
bool postcopy_requests_pop(RAMBlock **block, uint64_t *page, void *opaque);

/* A destination's bitmap message (after a broken link): the pages it does
 * not have become dirty again, to be sent. */
int postcopy_apply_recv_bitmap(const uint8_t *data, uint16_t len, GError **errp);

/*
 * The auto policy (x-postcopy-auto): the switch when pre-copy will not end.
 * After each pass over RAM it gets the pass number (1: the first, bulk
 * pass) and the expected downtime against the limit; it says to switch
 * once PASSES_BEFORE_AUTO passes are done (the first sends everything,
 * the second fills XBZRLE's cache, the third is the first that can use
 * it) and the expected downtime has stayed above the limit without
 * falling by AUTO_PROGRESS_PERCENT for AUTO_STALLED_PASSES passes in a
 * row: pre-copy is no longer getting closer.
 */
#define PASSES_BEFORE_AUTO 3
#define AUTO_STALLED_PASSES 2
#define AUTO_PROGRESS_PERCENT 10

typedef struct PostcopyAuto {
    uint64_t last_expected_ns;
    int stalled;
} PostcopyAuto;

void postcopy_auto_reset(PostcopyAuto *a);
bool postcopy_auto_should_switch(PostcopyAuto *a, uint64_t pass, uint64_t expected_ns,
                                 uint64_t limit_ns);

/* --- the destination ------------------------------------------------------------ */

int postcopy_check_advise(const uint8_t *data, uint16_t len, GError **errp);
int postcopy_apply_discard(const uint8_t *data, uint16_t len, GError **errp);

/* A page request's payload into buf (MIG_RP_MAX_LEN bytes); its length. */
uint16_t postcopy_format_request(RAMBlock *block, uint64_t page, uint8_t *buf);

/* Calls send(data, len) for each message of this destination's
 * received-pages bitmap, block by block, in pieces that fit. */
void postcopy_format_recv_bitmap(void (*send)(const uint8_t *data, uint16_t len,
                                              void *opaque),
                                 void *opaque);

#endif
