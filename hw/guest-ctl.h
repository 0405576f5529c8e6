/*
 * The guest-control device: how a guest running in ring 3 reports a fatal
 * error (panic) or waits for nothing (halt), which it cannot do with
 * privileged instructions. Registers in hw/boot-protocol.h.
 */
#ifndef HW_GUEST_CTL_H
#define HW_GUEST_CTL_H

#include <stdint.h>
#include <glib.h>

int guest_ctl_init(uint64_t mmio_base, GError **errp);

#endif
