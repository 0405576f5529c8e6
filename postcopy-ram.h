/*
 * Post-copy on the destination, below the protocol (postcopy-ram.c): guest
 * RAM registered with userfaultfd, so that a touch of a page that has not
 * arrived blocks the toucher (a vCPU, KVM's or the soft one's) and is
 * reported; pages placed atomically as they arrive; stale pages dropped
 * at the switch.
 */
#ifndef POSTCOPY_RAM_H
#define POSTCOPY_RAM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory.h"

/* Whether this host lets the emulator use userfaultfd; if not, why. */
bool postcopy_ram_supported(GError **errp);

/* Drops pages [first, first + count) of a block: the next touch is a
 * missing-page fault (or, before registration, reads zeros). */
int postcopy_ram_discard(RAMBlock *block, uint64_t first, uint64_t count,
                         GError **errp);

typedef struct PostcopyRAM PostcopyRAM;

/*
 * A page nobody has placed was touched: `block`, page index `page`. Called
 * from the fault thread, once per page until it is placed (even if many
 * threads wait on it).
 */
typedef void PostcopyFaultFn(RAMBlock *block, uint64_t page, void *opaque);

/* Registers every RAM block for missing-page faults and starts the fault
 * thread. */
PostcopyRAM *postcopy_ram_start(PostcopyFaultFn *fault, void *opaque, GError **errp);

/* Places a page's contents (TARGET_PAGE_SIZE bytes) at host, waking whoever
 * waits on it; a page already there is left as it is. */
int postcopy_ram_place(PostcopyRAM *pr, uint8_t *host, const uint8_t *data,
                       GError **errp);
int postcopy_ram_place_zero(PostcopyRAM *pr, uint8_t *host, GError **errp);

/* Calls fn for each page reported and not placed yet (after a broken link:
 * to ask for them again). */
void postcopy_ram_foreach_waited(PostcopyRAM *pr, PostcopyFaultFn *fn, void *opaque);

/* Stops the fault thread and unregisters the RAM (everything placed). */
void postcopy_ram_stop(PostcopyRAM *pr);

/* Missing-page faults reported so far. */
uint64_t postcopy_ram_faults(PostcopyRAM *pr);

#endif
