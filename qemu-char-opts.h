/*
 * -chardev: named chardevs made from QEMU's option syntax, and found by id
 * (-mon chardev=ID; -serial, -monitor and -qmp chardev:ID).
 *
 *   -chardev socket,id=ID,host=HOST,port=PORT[,server=on|off][,wait=on|off]
 *            [,tls-creds=ID[,tls-authz=ID]]
 *   -chardev socket,id=ID,path=PATH[,server=on|off][,wait=on|off]
 *            [,tls-creds=ID[,tls-authz=ID]]
 *   -chardev stdio,id=ID
 *   -chardev null,id=ID
 *   -chardev file,id=ID,path=PATH
 *   -chardev pty,id=ID
 *
 * A socket connects unless server=on; a server waits for its first client
 * at start-up unless wait=off. QEMU's older flags work too ("server",
 * "nowait"), and "nodelay" (delay=off), which is what every socket does
 * anyway. tls-creds and tls-authz name objects made with -object (see
 * qemu-char.h for what TLS does on a socket chardev).
 *
 * Errors carry QEMU's messages where QEMU has one: "'x' is not a valid char
 * driver name", "chardev: no id specified", "Chardev 'x' already exists",
 * "Invalid parameter 'x'", "No TLS credentials with id 'x'".
 */
#ifndef QEMU_CHAR_OPTS_H
#define QEMU_CHAR_OPTS_H

#include <glib.h>

#include "qemu-char.h"

typedef struct ChardevOpts ChardevOpts;

/* Reads the text of -chardev and checks what can be checked without making
 * anything: the backend, the id, the parameters the backend takes and
 * their values. NULL with *errp set. */
ChardevOpts *chardev_opts_parse(const char *text, GError **errp);
/* NULL is fine. */
void chardev_opts_free(ChardevOpts *opts);

const char *chardev_opts_id(const ChardevOpts *opts);
/* "socket", "stdio", "null", "file" or "pty". */
const char *chardev_opts_backend(const ChardevOpts *opts);

/* Makes the chardev, named by its id (main thread). NULL with *errp set. */
CharDriverState *chardev_new(const ChardevOpts *opts, GError **errp);

/* The chardev made with that id, or NULL. */
CharDriverState *chardev_find(const char *id);

#endif
