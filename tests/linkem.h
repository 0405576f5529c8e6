/*
 * linkem (tests): emulated network links for Check tests. Each link is two
 * network namespaces joined by the linkem forwarder, set up and removed by
 * scripts/linkem-net (see docs/linkem.md):
 *
 *   LinkemParams p = { .rate = "100mbit", .delay = "20ms", .loss = "1%" };
 *   Linkem *l = linkem_start(&p);
 *   int fd = linkem_socket(l, LINKEM_B, SOCK_STREAM);   // bind to addr_b
 *   QTestOptions o = { .netns = linkem_netns_a(l) };    // an emulator in a
 *   linkem_set(l, "dead on");                           // silence
 *   linkem_stop(l);
 *
 * Namespace a has linkem0 with SUBNET.1/24, b has SUBNET.2/24. Values are
 * the control protocol's (tools/linkem-command.h). A call that fails
 * fails the test, saying why (a link that does not come up, with the
 * script's and the forwarder's messages).
 *
 * Cleanup: links still up when the test process exits are stopped
 * (atexit); when it dies without exit handlers (a failed Check test ends
 * with _exit, a timeout kills it) the script gets SIGTERM as its parent
 * dies and removes everything. Start links from the test's main thread:
 * that death signal follows the thread that started the script.
 */
#ifndef TESTS_LINKEM_H
#define TESTS_LINKEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

typedef struct Linkem Linkem;

typedef struct LinkemParams {
    const char *rate;       /* "100mbit"; NULL: unlimited */
    const char *delay;      /* one way, "20ms"; NULL: none */
    const char *loss;       /* "1%"; NULL: none */
    const char *limit;      /* "1000p", "64kb"; NULL: none */
    bool dead;              /* start silent */
    const char *subnet;     /* "A.B.C" (a /24); NULL: 10.199.0 */
    uint64_t seed;          /* of the loss generator; 0: 1 (runs repeat) */
} LinkemParams;

typedef enum LinkemSide { LINKEM_A, LINKEM_B } LinkemSide;

/* Whether links can be made here: root, ip(8), a network namespace can be
 * created. If not, *why (g_free it) says what is missing. */
bool linkem_available(char **why);

/* Sets up a link (NULL params: a plain one) and waits until it forwards. */
Linkem *linkem_start(const LinkemParams *params);
/* Removes the namespaces and stops the forwarder. NULL is fine. */
void linkem_stop(Linkem *l);

/* Sends a control command (a printf format) and returns the reply line
 * ("ok ..." or "error: ..."; g_free it). */
char *linkem_command(Linkem *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The same, failing the test unless the reply is ok. */
void linkem_set(Linkem *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A counter of the stats command: "a2b.lost", "b2a.delivered", ... */
uint64_t linkem_stat(Linkem *l, const char *name);

/* Takes both interfaces down (true) or up again (false): the link
 * unplugged, unlike dead where the interfaces stay up. */
void linkem_link_down(Linkem *l, bool down);

const char *linkem_addr_a(Linkem *l);       /* "10.199.0.1" */
const char *linkem_addr_b(Linkem *l);       /* "10.199.0.2" */
const char *linkem_netns_a(Linkem *l);      /* for ip netns exec, QTestOptions */
const char *linkem_netns_b(Linkem *l);

/* The forwarder's process (for its CPU time in benchmarks). */
pid_t linkem_forwarder_pid(Linkem *l);

/* An AF_INET socket (SOCK_STREAM, SOCK_DGRAM; close-on-exec) created in
 * that side's namespace, usable from anywhere in the test. */
int linkem_socket(Linkem *l, LinkemSide side, int type);

#endif
