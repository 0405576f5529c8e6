/*
 * Authorization: whether an identity that a TLS handshake proved (the x509
 * distinguished name of a client certificate, or a PSK username) may come
 * in. One kind of authorization object so far, QEMU's authz-simple:
 *
 *   -object authz-simple,id=auth0,identity=CN=laptop.example.com,,O=Example
 *
 * allows exactly that identity (",," is a comma on the command line).
 * Identities are compared byte for byte; distinguished names are written
 * as GnuTLS prints them (RFC 4514: "CN=...,O=...", most specific first).
 * Lookups and checks work from any thread.
 */
#ifndef AUTHZ_SIMPLE_H
#define AUTHZ_SIMPLE_H

#include <stdbool.h>
#include <glib.h>

#include "object.h"

/* Registers the type authz-simple (property identity, required). */
void authz_simple_register_type(void);

/* The authorization object `authz_id` with a new reference (object_unref()
 * it), or NULL with *errp set when there is no such object or it is not an
 * authorization object. While referenced it cannot be deleted. */
Object *authz_ref(const char *authz_id, GError **errp);

/* Whether `authz` (from authz_ref()) lets `identity` in. */
bool authz_allows(Object *authz, const char *identity);

/*
 * The same by id, as QEMU's qauthz_is_allowed_by_id(): true when allowed;
 * false with *errp set when `authz_id` names no authorization object; false
 * with *errp untouched when the identity is not allowed (the caller says
 * what was denied).
 */
bool authz_is_allowed(const char *authz_id, const char *identity,
                      GError **errp);

#endif
