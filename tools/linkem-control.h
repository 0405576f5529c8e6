/*
 * linkem: the control socket, a Unix stream socket at a path. Each client
 * sends command lines and reads one reply line for each; a few clients may
 * be connected at once. What a line means is the handler's business.
 */
#ifndef LINKEM_CONTROL_H
#define LINKEM_CONTROL_H

#include <poll.h>
#include <stddef.h>

#define CONTROL_MAX_FDS 9   /* the listening socket and 8 clients */

typedef struct ControlServer ControlServer;

/* Writes the reply to `line` (without a newline) into reply. */
typedef void ControlHandler(const char *line, char *reply, size_t size, void *opaque);

/* Listens at path; a stale socket left there is replaced, one in use or
 * any other file is not. NULL with a message in err on failure. */
ControlServer *control_open(const char *path, ControlHandler *handler, void *opaque,
                            char *err, size_t err_size);
/* Closes every connection and removes the socket file. NULL is fine. */
void control_close(ControlServer *c);

/* The descriptors to poll (at most CONTROL_MAX_FDS); returns how many. */
int control_pollfds(const ControlServer *c, struct pollfd *fds);
/* Serves what those descriptors reported, as filled by control_pollfds. */
void control_dispatch(ControlServer *c, const struct pollfd *fds, int n);

#endif
