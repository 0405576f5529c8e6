/*
 * A TCP proxy on loopback, run by a thread of the test, between a
 * migration's source and destination: it passes bytes both ways, or stops
 * passing them without closing anything (a link gone silent), in both
 * directions or only back towards the source, or cuts every connection.
 */
#ifndef TESTS_PROXY_H
#define TESTS_PROXY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct TestProxy TestProxy;

typedef enum ProxyMode {
    PROXY_PASS,          /* bytes flow both ways */
    PROXY_SILENT,        /* nothing flows, nothing is closed */
    PROXY_SILENT_BACK,   /* the source's bytes flow, the replies do not */
} ProxyMode;

/* Listens on 127.0.0.1 (a free port) and relays every connection to
 * target ("HOST:PORT"). */
TestProxy *test_proxy_start(const char *target);
int test_proxy_port(TestProxy *p);
void test_proxy_set_mode(TestProxy *p, ProxyMode mode);
/* Closes every connection now (both ends see it), and keeps listening. */
void test_proxy_cut(TestProxy *p);
/* Bytes passed towards the target so far. */
uint64_t test_proxy_forwarded(TestProxy *p);
/* Stops the thread and closes everything; NULL is fine. */
void test_proxy_stop(TestProxy *p);

#endif
