/*
 * Stream sockets from the address strings users type: "HOST:PORT" for TCP
 * and a path for Unix sockets. Shared by the chardevs (monitor, serial) and
 * the migration transports; every function is blocking and thread-safe.
 */
#ifndef QEMU_SOCKETS_H
#define QEMU_SOCKETS_H

#include <glib.h>

/*
 * Splits "HOST:PORT" ("[::1]:4444", ":4444" for any address) into its parts.
 * PORT must be a decimal number from 1 to 65535: getaddrinfo would quietly
 * wrap a larger one (99999 listens on 34463), and port 0 (a port the kernel
 * picks) is nothing the user could tell the other end. Service names such
 * as "http" are refused as well: they resolve through the host's
 * /etc/services, which a minimal Debian system may lack, so the same
 * command line would work on one end of a migration and fail on the other;
 * refusing them also keeps a typo like "44a4" from being looked up as a
 * name. *port is the number in decimal, without leading zeros.
 * Returns 0, or -1 with an error naming the string.
 */
int inet_parse(const char *host_port, char **host, char **port, GError **errp);

/*
 * Listens on "HOST:PORT" (an empty host means every address; the port as
 * inet_parse accepts it). Returns the listening fd (close-on-exec,
 * SO_REUSEADDR) or -1 with *errp set.
 */
int inet_listen(const char *host_port, GError **errp);

/*
 * Listens on HOST (a name or address, without a port; empty for every
 * address) at a free port the kernel picks: socket_local_port tells which.
 * For the program's own listeners and tests, never a user-typed address.
 * Returns the listening fd like inet_listen, or -1 with *errp set.
 */
int inet_listen_any_port(const char *host, GError **errp);

/* Connects to "HOST:PORT" (the port as inet_parse accepts it), trying each
 * address HOST resolves to. Returns the connected fd (close-on-exec,
 * TCP_NODELAY) or -1 with *errp set. */
int inet_connect(const char *host_port, GError **errp);

/* Listens on a Unix socket at `path`, replacing a stale socket file there.
 * Returns the fd or -1 with *errp set. */
int unix_listen(const char *path, GError **errp);

/* Connects to the Unix socket at `path`. Returns the fd or -1. */
int unix_connect(const char *path, GError **errp);

/* Accepts one connection (retrying on EINTR); the new fd is close-on-exec. */
int socket_accept(int listen_fd, GError **errp);

/* The local TCP port a socket is bound to, or -1 with *errp set. */
int socket_local_port(int fd, GError **errp);

/* Sets or clears O_NONBLOCK. Returns 0 or -1 (errno set). */
int socket_set_nonblock(int fd, gboolean nonblock);

#endif
