/*
 * linkem: the two ends of the link are tun devices (IFF_TUN | IFF_NO_PI):
 * reading one gives the IP packets its namespace sends, writing one hands
 * packets to its namespace.
 */
#ifndef LINKEM_TUN_H
#define LINKEM_TUN_H

#include <stddef.h>

/* Creates the tun device `name` (non-persistent: it goes with the last
 * descriptor) with this MTU and transmit queue length, and returns its
 * non-blocking descriptor; -1 with a message in err otherwise. */
int tun_create(const char *name, int mtu, int txqueuelen, char *err, size_t err_size);

#endif
