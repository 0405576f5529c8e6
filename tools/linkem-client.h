/*
 * linkem: the other side of the control socket, for scripts and people
 * (`linkem ctl PATH COMMAND...`): one command sent, its reply printed.
 */
#ifndef LINKEM_CLIENT_H
#define LINKEM_CLIENT_H

/* Sends `command` to the forwarder listening at path and prints the reply
 * on stdout. Returns 0 for "ok", 1 for an error reply, 2 (with a message
 * on stderr) when there is no forwarder to ask. */
int client_run(const char *path, const char *command);

#endif
