/*
 * linkem: one direction of the emulated link. Packets enter a FIFO that
 * models a bottleneck queue, a wire of a given rate and a propagation
 * delay; each is given its delivery time when it arrives, or dropped (loss,
 * dead link, full queue) silently.
 *
 * The queue limit counts the packets still waiting for (or in) their
 * serialisation, not those already on the wire: like a router's buffer in
 * front of a slow link. Without a rate nothing waits, so nothing is dropped
 * for the limit. Packets never overtake each other: a delay made shorter at
 * run time holds new packets behind the old ones.
 */
#ifndef LINKEM_SHAPER_H
#define LINKEM_SHAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkem-units.h"

typedef struct ShaperParams {
    uint64_t rate;          /* bit/s; 0: unlimited */
    int64_t delay_ns;       /* one way */
    double loss;            /* probability of dropping each packet */
    QueueLimit limit;
    bool dead;              /* drops everything, queued packets included */
} ShaperParams;

typedef struct ShaperStats {
    uint64_t received;          /* packets offered to the link */
    uint64_t received_bytes;
    uint64_t delivered;         /* packets written out at the far end */
    uint64_t delivered_bytes;
    uint64_t lost;              /* random loss */
    uint64_t dead_drops;        /* dropped while dead */
    uint64_t queue_drops;       /* tail drops at the queue limit */
    uint64_t overflow_drops;    /* no room left in the forwarder's buffer */
    uint64_t oversize_drops;    /* longer than the link's MTU */
    uint64_t write_drops;       /* the far end refused it (interface down) */
} ShaperStats;

typedef struct Shaper Shaper;

/* A direction holding at most `slots` packets of up to `mtu` bytes (the
 * buffer is virtual memory, touched as it fills). NULL if out of memory. */
Shaper *shaper_new(size_t slots, size_t mtu, uint64_t seed);
void shaper_free(Shaper *s);

const ShaperParams *shaper_params(const Shaper *s);
/* Applies to packets arriving from now on. */
void shaper_configure(Shaper *s, const ShaperParams *params);
/* Restarts the loss generator: the same seed gives the same losses. */
void shaper_seed(Shaper *s, uint64_t seed);
uint64_t shaper_seed_value(const Shaper *s);

/* Receiving: the buffer to read the next packet into (room bytes; a
 * packet that fills it is too long), then its length. */
uint8_t *shaper_intake(Shaper *s, size_t *room);
void shaper_admit(Shaper *s, size_t len, int64_t now_ns);

/* Delivering: the oldest packet if its time has come (NULL otherwise),
 * then whether the far end took it, which removes it. */
const uint8_t *shaper_due(Shaper *s, int64_t now_ns, size_t *len);
void shaper_delivered(Shaper *s, bool written);
/* When the oldest packet is due; INT64_MAX if there is none. */
int64_t shaper_next_due(const Shaper *s);

const ShaperStats *shaper_stats(const Shaper *s);
/* Packets and bytes queued at now_ns (waiting for the wire). */
void shaper_backlog(Shaper *s, int64_t now_ns, uint64_t *packets, uint64_t *bytes);
/* Everything held, on the wire included. */
size_t shaper_held(const Shaper *s);

#endif
