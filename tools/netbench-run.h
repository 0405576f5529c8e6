/*
 * One migration of the network benchmark (tools/bench-network.c): a source
 * in namespace a and a destination in namespace b of a linkem link, driven
 * through QMP as an operator would, in one of five modes; what it did, and
 * whether the destination ended with the source's RAM.
 */
#ifndef TOOLS_NETBENCH_RUN_H
#define TOOLS_NETBENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/linkem.h"

typedef enum NetbenchMode {
    MODE_PLAIN,             /* pages whole, nothing else */
    MODE_XBZRLE,
    MODE_AUTO_CONVERGE,     /* XBZRLE + auto-converge */
    MODE_POSTCOPY,          /* XBZRLE, then post-copy after the first pass */
    MODE_AUTO_POLICY,       /* XBZRLE + post-copy when x-postcopy-auto says */
    MODE_COUNT
} NetbenchMode;

/* "plain", "xbzrle", "xbzrle+auto-converge", ... (CSV, file names) */
const char *netbench_mode_name(NetbenchMode mode);
/* "plain", "XBZRLE", "XBZRLE + auto-converge", ... (tables, titles) */
const char *netbench_mode_title(NetbenchMode mode);

/* A link's setting: the same in both directions. */
typedef struct NetbenchLink {
    const char *rate;           /* linkem's: "1gbit" */
    double rate_mbit;           /* 1000 */
    unsigned delay_ms;          /* one way */
    double loss_pct;
} NetbenchLink;

/* Sets the link (rate, delay, loss) as the setting says. */
void netbench_link_apply(Linkem *l, const NetbenchLink *setting);
/* "1 Gbit/s, 1 ms, 0% loss" (g_free it) */
char *netbench_link_title(const NetbenchLink *setting);

typedef struct NetbenchRun {
    const char *guest;          /* guests/GUEST.elf */
    uint64_t ram;               /* bytes */
    NetbenchMode mode;
    Linkem *link;               /* already set to the run's rate, delay, loss */
    uint64_t downtime_limit_ms;
    double cap_s;               /* pre-copy still running then: cancelled */
    bool stopped;               /* the reference: a stopped guest, sent once */
    int switch_at_sync;         /* MODE_POSTCOPY: switch once dirty-sync-count
                                   reaches this; 0: after the first pass (2),
                                   1: at once */
    const char *plot_png;       /* draw the timeline there (NULL: no) */
    const char *plot_title;
} NetbenchRun;

typedef enum NetbenchOutcome {
    OUTCOME_COMPLETED,
    OUTCOME_NOT_CONVERGED,      /* cancelled at the cap */
    OUTCOME_FAILED,
} NetbenchOutcome;

typedef enum RamCheck {
    RAM_NOT_CHECKED,            /* the migration did not complete */
    RAM_IDENTICAL,              /* the destination (-S) holds the source's RAM */
    RAM_A_B_CONSISTENT,         /* the a-b guest ran there: its invariant holds */
    RAM_DIFFERENT,
} RamCheck;

typedef struct NetbenchResult {
    NetbenchOutcome outcome;
    double total_s;             /* query-migrate's total-time (the cap if cancelled) */
    int64_t downtime_ms;        /* completed: the stop, or the post-copy switch */
    uint64_t stream_bytes;      /* RAM records in the stream (ram.transferred) */
    uint64_t link_bytes;        /* IP bytes the link delivered, both ways */
    uint64_t link_lost;         /* packets it dropped for the loss rate */
    int64_t passes;             /* dirty-sync-count */
    int max_throttle;           /* auto-converge's highest percentage */
    int64_t switch_pass;        /* switched to post-copy after this pass, 0: never */
    int64_t postcopy_requests;  /* pages the destination's guest asked for */
    RamCheck ram;
    char *detail;               /* why it failed, or which page differs (g_free) */
} NetbenchResult;

/* Runs one migration; the link's loss generator restarts from its seed
 * first, so runs repeat. Fails the Check test only on a broken tool
 * (an emulator that dies, QMP that does not answer). */
void netbench_run(const NetbenchRun *run, NetbenchResult *result);

const char *netbench_outcome_name(NetbenchOutcome outcome);
const char *netbench_ram_check_name(RamCheck check);

#endif
