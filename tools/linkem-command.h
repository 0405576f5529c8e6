/*
 * linkem: the control protocol. One command per line, one reply line per
 * command: "ok", "ok" followed by data, or "error: " and why. A command
 * that fails changes nothing.
 *
 *   [a2b|b2a] rate RATE         100mbit, 1gbit, 64kbit, unlimited
 *   [a2b|b2a] delay DELAY       20ms, 500us, 0 (one way)
 *   [a2b|b2a] loss LOSS         1%, 0.5%, 100%, 0
 *   [a2b|b2a] limit LIMIT       1000p, 64kb, 1500b, none
 *   [a2b|b2a] dead on|off       silently drop everything (or stop)
 *   [a2b|b2a] seed N            restart the loss generator
 *   [a2b|b2a] show              ok a2b rate=... delay=... loss=... ...
 *   [a2b|b2a] stats             ok a2b.received=N a2b.delivered=N ...
 *   help                        ok and the list of commands
 *
 * Without a2b (from interface a to b) or b2a the command applies to both
 * directions; `seed N` then seeds b2a with N + 1 so they differ.
 */
#ifndef LINKEM_COMMAND_H
#define LINKEM_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkem-shaper.h"

enum { LINK_A2B, LINK_B2A, LINK_DIRECTIONS };

/* Runs `line` (a trailing newline or \r is ignored) on the two directions
 * and writes the reply, without a newline, into reply. True if "ok". */
bool command_run(Shaper *const link[LINK_DIRECTIONS], const char *line,
                 int64_t now_ns, char *reply, size_t size);

/* A reply buffer of this size holds any reply. */
#define COMMAND_REPLY_MAX 2048

#endif
