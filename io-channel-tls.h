/*
 * A channel (io-channel.h) through a TLS session whose handshake is done:
 * the stream and its return path both go through the one session, one
 * thread writing and one reading, as GnuTLS allows.
 */
#ifndef IO_CHANNEL_TLS_H
#define IO_CHANNEL_TLS_H

#include "crypto/tlssession.h"
#include "io-channel.h"

/* Takes over the session and the socket (closed with the channel); the
 * session is ended (close_notify, without waiting) and freed then. */
IOChannel *io_channel_new_tls(TlsSession *session);

#endif
