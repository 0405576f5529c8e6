/*
 * Outgoing migration: the state machine (none, setup, active, completed |
 * failed | cancelled), the migration thread that sends while the guest runs
 * and decides when to stop it, the closing handshake, and the bounds that
 * make a failure end in bounded time with the source guest running.
 *
 * The end of a migration over a connection that can carry replies, so that
 * exactly one guest runs: the source announces the handshake in the stream
 * (MIG_CMD_OPEN_RETURN_PATH, MIG_CMD_X_HANDSHAKE); the destination, having
 * loaded everything, sends LOADED and waits; the source, on LOADED, sends
 * COMMIT and from then on never resumes its guest; the destination runs the
 * guest only on COMMIT and answers RESUMED. Without a way back (exec:, a
 * pipe), QEMU's semantics hold: the destination runs at the end of the
 * stream and the source stays stopped. docs/migration.md has the whole story.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cutils.h"
#include "main-loop.h"
#include "memory.h"
#include "migration.h"
#include "migration-params.h"
#include "migration-postcopy.h"
#include "migration-rp.h"
#include "migration-throttle.h"
#include "migration-tls.h"
#include "qemu-error.h"
#include "qemu-file.h"
#include "qemu-sockets.h"
#include "savevm.h"
#include "sysemu.h"

/* How long, after COMMIT, the source waits to hear that the guest runs
 * there (only for the downtime figure: the outcome is decided). */
#define RESUMED_WAIT_MS 1000
/* How long a failed source waits for the return path's last words once the
 * connection is gone (they are already in the socket: a formality). */
#define RP_DRAIN_MS 1000
/* Device sections sent in the final stage (vCPU, UART): a few KiB. */
#define DEVICE_STATE_BYTES 16384

typedef struct MigrationState {
    GMutex lock;                /* everything below but the thread's own locals */
    GCond rp_cond;              /* news from the return path */
    gint status;                /* MigrationStatus */
    /* the current (or last) migration */
    bool use_xbzrle;
    bool handshake;             /* the end is LOADED / COMMIT */
    char *uri;
    QEMUFile *file;
    QEMUFile *rp;
    GThread *thread;
    GThread *rp_thread;
    GPid child;                 /* exec: the command */
    int pending_fd;             /* opened by migrate, the thread takes it */
    gint cancel_requested;
    uint64_t start_ns;
    uint64_t setup_end_ns;
    uint64_t end_ns;
    char *error_desc;
    /* what the return path said */
    bool dest_loaded;
    bool dest_resumed;
    bool rp_ended;
    char *rp_error;             /* the connection's failure, if the return
                                   path's reader heard of it */
    int rp_errno;               /* and its errno */
    char *dest_error;
    uint64_t resumed_ns;
    bool resume_acked;          /* a recovered post-copy may go on */
    /* post-copy */
    bool postcopy;              /* the capability, fixed at the start */
    gint postcopy_requested;    /* migrate-start-postcopy came */
    GCond resume_cond;          /* a paused post-copy waits for migrate -r */
    char *resume_uri;
    uint64_t postcopy_stop_ns;  /* when the switch stopped the guest */
    PostcopyAuto auto_policy;
    uint64_t auto_switched_pass; /* the pass after which the policy switched */
    /* figures of the current migration */
    uint64_t expected_downtime_ms;
    uint64_t downtime_ms;
    uint64_t throughput_mbps_x1000;     /* query-migrate's: see ThroughputWindow */
    uint64_t pages_per_second;
    uint64_t rtt_us;
    uint64_t base_rtt_us;       /* the smallest rtt_us seen: the link's own,
                                   without the queues that inflate the rest */
} MigrationState;

static MigrationState current = {
    .status = MIG_STATE_NONE,
    .pending_fd = -1,
};

static MigrationListener listener;

static const char *const status_names[] = {
    [MIG_STATE_NONE] = "none",
    [MIG_STATE_SETUP] = "setup",
    [MIG_STATE_ACTIVE] = "active",
    [MIG_STATE_COMPLETED] = "completed",
    [MIG_STATE_FAILED] = "failed",
    [MIG_STATE_CANCELLED] = "cancelled",
    [MIG_STATE_POSTCOPY_ACTIVE] = "postcopy-active",
    [MIG_STATE_POSTCOPY_PAUSED] = "postcopy-paused",
    [MIG_STATE_POSTCOPY_RECOVER] = "postcopy-recover",
};

const char *migration_status_name(MigrationStatus status)
{
    return status_names[status];
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void migration_set_listener(const MigrationListener *l)
{
    listener = *l;
}

void migration_notify_status(MigrationStatus status, bool incoming)
{
    if (listener.status_changed) {
        listener.status_changed(status, incoming, listener.opaque);
    }
}

void migration_notify_pass(uint64_t pass)
{
    if (listener.pass_done) {
        listener.pass_done(pass, listener.opaque);
    }
}

static MigrationStatus migration_status(void)
{
    return (MigrationStatus)g_atomic_int_get(&current.status);
}

static void set_status(MigrationStatus status)
{
    g_atomic_int_set(&current.status, status);
    migration_notify_status(status, false);
}

static bool in_postcopy(MigrationStatus s)
{
    return s == MIG_STATE_POSTCOPY_ACTIVE || s == MIG_STATE_POSTCOPY_PAUSED ||
           s == MIG_STATE_POSTCOPY_RECOVER;
}

static bool migration_is_active(void)
{
    MigrationStatus s = migration_status();
    return s == MIG_STATE_SETUP || s == MIG_STATE_ACTIVE || in_postcopy(s);
}

static bool cancel_requested(void)
{
    return g_atomic_int_get(&current.cancel_requested);
}

static bool postcopy_switch_requested(void)
{
    return current.postcopy && g_atomic_int_get(&current.postcopy_requested);
}

/* --- the return path (its own thread) ------------------------------------------ */

/* A malformed message from the destination ends the migration's link. */
static void rp_protocol_error(GError *err)
{
    if (!current.dest_error) {
        current.dest_error = g_strdup_printf("the destination's return path: %s",
                                             err->message);
    }
    g_error_free(err);
    if (current.file) {
        qemu_file_cancel(current.file);
    }
}

static void rp_handle_page_request(const uint8_t *data, uint16_t len)
{
    GError *err = NULL;

    if (postcopy_requests_push_message(data, len, &err) < 0) {
        rp_protocol_error(err);
    }
}

static void rp_handle_recv_bitmap(const uint8_t *data, uint16_t len)
{
    GError *err = NULL;

    /* Only while a recovery waits for RESUME_ACK: then the migration
     * thread sends nothing, and the pages it marks are its alone. */
    if (migration_status() != MIG_STATE_POSTCOPY_RECOVER || current.resume_acked) {
        error_setg(&err, "a received-pages bitmap outside a post-copy recovery");
        rp_protocol_error(err);
        return;
    }
    if (postcopy_apply_recv_bitmap(data, len, &err) < 0) {
        rp_protocol_error(err);
    }
}

static void rp_handle(uint16_t type, const uint8_t *data, uint16_t len)
{
    g_mutex_lock(&current.lock);
    switch (type) {
    case MIG_RP_MSG_X_LOADED:
        current.dest_loaded = true;
        break;
    case MIG_RP_MSG_X_RESUMED:
        current.dest_resumed = true;
        current.resumed_ns = now_ns();
        break;
    case MIG_RP_MSG_REQ_PAGES_ID:
        rp_handle_page_request(data, len);
        break;
    case MIG_RP_MSG_RECV_BITMAP:
        rp_handle_recv_bitmap(data, len);
        break;
    case MIG_RP_MSG_RESUME_ACK:
        current.resume_acked = true;
        break;
    case MIG_RP_MSG_X_ERROR:
        if (!current.dest_error) {
            current.dest_error = g_strdup_printf("the destination gave up: %s", data);
        }
        /* Stop sending into a stream nobody loads any more. */
        if (current.file) {
            qemu_file_cancel(current.file);
        }
        break;
    default:
        break;
    }
    g_cond_broadcast(&current.rp_cond);
    g_mutex_unlock(&current.lock);
}

static gpointer rp_thread(gpointer opaque)
{
    QEMUFile *rp = opaque;
    uint8_t data[MIG_RP_MAX_LEN + 1];
    uint16_t type, len;
    GError *err = NULL;

    while (migrate_rp_receive(rp, &type, data, &len, &err) == 0) {
        rp_handle(type, data, len);
    }
    g_mutex_lock(&current.lock);
    current.rp_ended = true;
    current.rp_errno = qemu_file_get_errno(rp);
    if (current.rp_errno) {
        /* The connection broke (not an end the destination chose): see
         * pick_error. */
        current.rp_error = g_strdup(err->message);
    }
    g_clear_error(&err);
    g_cond_broadcast(&current.rp_cond);
    g_mutex_unlock(&current.lock);
    return NULL;
}

static void rp_start(QEMUFile *f)
{
    QEMUFile *rp = qemu_file_open_return_path(f);

    g_mutex_lock(&current.lock);
    current.rp = rp;
    current.dest_loaded = current.rp_ended = current.resume_acked = false;
    g_clear_pointer(&current.rp_error, g_free);
    current.rp_errno = 0;
    g_clear_pointer(&current.dest_error, g_free);
    g_mutex_unlock(&current.lock);
    current.rp_thread = g_thread_new("migration-rp", rp_thread, rp);
}

static void rp_stop(void)
{
    if (!current.rp_thread) {
        return;
    }
    qemu_file_cancel(current.rp);
    g_thread_join(current.rp_thread);
    current.rp_thread = NULL;
    g_mutex_lock(&current.lock);
    QEMUFile *rp = current.rp;
    current.rp = NULL;
    g_mutex_unlock(&current.lock);
    qemu_fclose(rp, NULL);
}

/*
 * Waits until *flag is set by the return path, or until deadline_ns; false
 * with *errp (the destination's own error when it sent one) otherwise.
 */
static bool rp_wait(bool *flag, uint64_t deadline_ns, const char *what, GError **errp)
{
    bool ok;

    g_mutex_lock(&current.lock);
    while (!*flag && !current.rp_ended && !current.dest_error && !cancel_requested()) {
        uint64_t now = now_ns();
        if (now >= deadline_ns) {
            break;
        }
        gint64 until = g_get_monotonic_time() + (gint64)((deadline_ns - now) / 1000);
        g_cond_wait_until(&current.rp_cond, &current.lock, until);
    }
    ok = *flag;
    if (!ok && errp) {
        if (current.dest_error) {
            error_setg(errp, "%s", current.dest_error);
        } else if (current.rp_ended) {
            error_setg(errp, "the destination closed the connection before %s", what);
        } else if (cancel_requested()) {
            error_setg(errp, "migration cancelled");
        } else {
            error_setg(errp, "the destination did not confirm %s in time", what);
        }
    }
    g_mutex_unlock(&current.lock);
    return ok;
}

/* --- the estimate ------------------------------------------------------------------- */

/*
 * How fast the destination takes the stream: the bytes that left this
 * host (written, less what the kernel still holds), over windows of this
 * length. Bytes merely written can run far ahead of the link into socket
 * buffers; these cannot. Migration thread only.
 */
#define DELIVERY_WINDOW_NS 250000000ull
/*
 * A window in which the queue ran (nearly) dry measured what this side
 * gave the link, not what the link carries: a stopped guest's passes, or
 * XBZRLE's small ones, would make the estimate fall towards zero and the
 * expected downtime grow without end. Such a window can only raise it.
 */
#define DELIVERY_DRY_BYTES (64 * 1024)

static struct {
    uint64_t start_ns;
    uint64_t start_delivered;
    bool ran_dry;           /* in this window */
    double bps;             /* of the last whole window; 0 before one */
} delivery;

static void delivery_reset(void)
{
    memset(&delivery, 0, sizeof(delivery));
}

static void delivery_track(QEMUFile *f)
{
    uint64_t now = now_ns();
    uint64_t unsent = qemu_file_unsent_bytes(f);
    uint64_t delivered = qemu_file_total_bytes(f) - unsent;

    if (!delivery.start_ns) {
        delivery.start_ns = now;
        delivery.start_delivered = delivered;
        return;
    }
    delivery.ran_dry |= unsent <= DELIVERY_DRY_BYTES;
    if (now - delivery.start_ns < DELIVERY_WINDOW_NS) {
        return;
    }
    double bps = (double)(delivered - delivery.start_delivered) * 1e9 /
                 (double)(now - delivery.start_ns);
    delivery.bps = delivery.ran_dry ? MAX(delivery.bps, bps) : bps;
    delivery.start_ns = now;
    delivery.start_delivered = delivered;
    delivery.ran_dry = false;
}

/* Bytes per second the final stage can count on: the delivery rate (the
 * last pass's rate until a window ended), never above the limit. */
static double estimate_bandwidth(uint64_t pass_bytes, uint64_t pass_ns, uint64_t limit)
{
    double bw = delivery.bps;

    if (bw <= 0) {
        bw = pass_ns ? (double)pass_bytes * 1e9 / (double)pass_ns : 0;
    }
    if (limit && (bw == 0 || bw > (double)limit)) {
        bw = (double)limit;
    }
    return bw;
}

/* The kernel's round-trip estimate of the connection, now. */
static void note_rtt(QEMUFile *f)
{
    uint64_t rtt = migration_socket_rtt_us(qemu_file_fd(f));
    uint64_t base = stat_get(&current.base_rtt_us);

    stat_set(&current.rtt_us, rtt);
    if (rtt && (!base || rtt < base)) {
        stat_set(&current.base_rtt_us, rtt);
    }
}

/*
 * What stopping the guest now would cost, in ns: the final dirty-log sync
 * (as long as the last one took), what is still queued towards the
 * destination plus what is dirty plus the devices at the pass's bandwidth,
 * and the closing handshake's round trips (the last byte's way there,
 * LOADED back, COMMIT there).
 */
static uint64_t expected_downtime_ns(QEMUFile *f, double bw)
{
    uint64_t bytes = qemu_file_unsent_bytes(f) + ram_save_expected_bytes() +
                     DEVICE_STATE_BYTES;
    uint64_t rtt_ns = stat_get(&current.rtt_us) * 1000;
    uint64_t trips = current.handshake ? 3 : 1;

    return stat_get(&ram_save_stats()->sync_ns) + (uint64_t)((double)bytes * 1e9 / bw) +
           trips * rtt_ns / 2;
}

/* x-postcopy-auto: asks for the switch once pre-copy stalls (the policy is
 * in migration-postcopy.h). */
static void postcopy_auto_check(const MigrationParams *p, uint64_t expected_ns)
{
    uint64_t pass = stat_get(&ram_save_stats()->iterations);

    if (!current.postcopy || !p->postcopy_auto || postcopy_switch_requested()) {
        return;
    }
    if (postcopy_auto_should_switch(&current.auto_policy, pass, expected_ns,
                                    p->downtime_limit * 1000000)) {
        current.auto_switched_pass = pass;
        g_atomic_int_set(&current.postcopy_requested, 1);
    }
}

/*
 * Called at the end of each pass: fetches the dirty log and decides whether
 * the final stage fits within the downtime limit.
 */
static bool pass_converged(QEMUFile *f, uint64_t pass_bytes, uint64_t pass_ns)
{
    MigrationParams p;

    migrate_params_get(&p);
    ram_save_sync();
    migration_throttle_pass(pass_bytes, pass_ns);
    note_rtt(f);
    migration_notify_pass(stat_get(&ram_save_stats()->iterations));

    double bw = estimate_bandwidth(pass_bytes, pass_ns, p.max_bandwidth);
    if (bw <= 0) {
        return false;
    }
    uint64_t expected = expected_downtime_ns(f, bw);
    stat_set(&current.expected_downtime_ms, expected / 1000000);
    postcopy_auto_check(&p, expected);
    return expected <= p.downtime_limit * 1000000;
}

/* --- the migration thread ------------------------------------------------------------ */

/* Applies parameters that act on a running migration (bandwidth, cache). */
static void apply_live_params(QEMUFile *f)
{
    MigrationParams p;

    migrate_params_get(&p);
    qemu_file_set_rate_limit(f, p.max_bandwidth);
    ram_save_set_cache_size(p.xbzrle_cache_size);
}

/*
 * query-migrate's mbps and pages-per-second: what the stream carried over
 * the last window of about THROUGHPUT_WINDOW_NS, as QEMU measures them, so
 * that they mean something from the start of the first pass (a pass over a
 * large guest on a slow link takes minutes).
 */
#define THROUGHPUT_WINDOW_NS 100000000ull

typedef struct ThroughputWindow {
    uint64_t start_ns;
    uint64_t start_bytes;       /* everything the stream carried */
    uint64_t start_pages;       /* RAM pages sent, of any kind */
} ThroughputWindow;

static uint64_t pages_sent(void)
{
    RamStats *st = ram_save_stats();
    return stat_get(&st->dup_pages) + stat_get(&st->normal_pages) +
           stat_get(&st->xbzrle_pages);
}

static void throughput_window_start(ThroughputWindow *w, QEMUFile *f, uint64_t now)
{
    w->start_ns = now;
    w->start_bytes = qemu_file_total_bytes(f);
    w->start_pages = pages_sent();
}

static void throughput_window_update(ThroughputWindow *w, QEMUFile *f)
{
    uint64_t now = now_ns();
    double seconds = (double)(now - w->start_ns) / 1e9;

    if (now - w->start_ns < THROUGHPUT_WINDOW_NS) {
        return;
    }
    double bits = (double)(qemu_file_total_bytes(f) - w->start_bytes) * 8;
    stat_set(&current.throughput_mbps_x1000, (uint64_t)(bits / 1e6 / seconds * 1000));
    stat_set(&current.pages_per_second,
             (uint64_t)((double)(pages_sent() - w->start_pages) / seconds));
    throughput_window_start(w, f, now);
}

/* Once completed, mbps is QEMU's average over the whole transfer (the
 * setup excluded). */
static void throughput_record_average(QEMUFile *f)
{
    uint64_t ns = now_ns() - current.setup_end_ns;

    if (ns) {
        double bits = (double)qemu_file_total_bytes(f) * 8;
        stat_set(&current.throughput_mbps_x1000,
                 (uint64_t)(bits / 1e6 / ((double)ns / 1e9) * 1000));
    }
}

/*
 * A pass over what is dirty can end at once (a guest that writes little,
 * a link whose round trip alone exceeds the downtime limit): the next sync
 * waits until this long after the last one, so that passes (and their
 * MIGRATION_PASS events, and dirty-log syncs) do not spin. False when
 * cancelled meanwhile.
 */
#define MIN_PASS_NS 50000000ull

static bool wait_pass_interval(QEMUFile *f, uint64_t pass_start_ns)
{
    uint64_t elapsed = now_ns() - pass_start_ns;

    return elapsed >= MIN_PASS_NS || qemu_file_pause(f, MIN_PASS_NS - elapsed);
}

typedef enum IterateResult {
    ITERATE_FAILED,         /* error or cancel */
    ITERATE_CONVERGED,      /* the final stage fits the downtime limit */
    ITERATE_POSTCOPY,       /* switch to post-copy now */
} IterateResult;

/* Stage 2 until the dirty set is small enough or post-copy is asked for. */
static IterateResult migration_iterate(QEMUFile *f, GError **errp)
{
    uint64_t pass_start_ns = now_ns();
    uint64_t pass_start_bytes = qemu_file_total_bytes(f);
    ThroughputWindow window;

    delivery_reset();
    throughput_window_start(&window, f, pass_start_ns);
    while (!cancel_requested()) {
        if (postcopy_switch_requested()) {
            return ITERATE_POSTCOPY;
        }
        apply_live_params(f);
        int r = qemu_savevm_state_iterate(f, errp);
        delivery_track(f);
        if (r < 0) {
            return ITERATE_FAILED;
        }
        throughput_window_update(&window, f);
        if (r == 1 && !wait_pass_interval(f, pass_start_ns)) {
            break;
        }
        if (r == 1) {
            uint64_t now = now_ns();
            uint64_t bytes = qemu_file_total_bytes(f);
            if (pass_converged(f, bytes - pass_start_bytes, now - pass_start_ns)) {
                return ITERATE_CONVERGED;
            }
            pass_start_ns = now;
            pass_start_bytes = bytes;
        }
        if (qemu_file_rate_limit(f) && !qemu_file_rate_limit_wait(f)) {
            break;
        }
    }
    qemu_file_get_error(f, errp);
    return ITERATE_FAILED;
}

/*
 * The closing handshake, guest stopped and the stream sent: LOADED within
 * the deadline, then COMMIT. Returns true once COMMIT is with the kernel:
 * from then on the destination may run, and the source never resumes.
 */
static bool migration_commit(QEMUFile *f, uint64_t deadline_ns, GError **errp)
{
    if (!rp_wait(&current.dest_loaded, deadline_ns, "loading the stream", errp)) {
        return false;
    }
    qemu_savevm_send_command(f, MIG_CMD_X_COMMIT, NULL, 0);
    qemu_fflush(f);
    return qemu_file_get_error(f, errp) == 0;
}

/*
 * After COMMIT: when the guest became runnable there, on this side's
 * clock (RESUMED's arrival less half a round trip; without RESUMED soon,
 * COMMIT's departure plus half a round trip). Only the downtime figure
 * depends on it: the outcome is decided.
 */
static uint64_t migration_wait_resumed(uint64_t deadline_ns)
{
    uint64_t commit_ns = now_ns();
    uint64_t until = MIN(commit_ns + RESUMED_WAIT_MS * 1000000ull,
                         MAX(deadline_ns, commit_ns));
    uint64_t half_rtt_ns = stat_get(&current.rtt_us) * 500;

    if (!rp_wait(&current.dest_resumed, until, "resuming", NULL)) {
        return commit_ns + half_rtt_ns;
    }
    return current.resumed_ns - MIN(half_rtt_ns, current.resumed_ns - commit_ns);
}

/*
 * Stage 3 with the guest stopped, within the final stage's bound. Returns
 * true when the stream went out whole (and, with the handshake, COMMIT
 * did): *committed says the destination may run the guest already.
 */
static bool migration_complete(QEMUFile *f, bool *was_running, bool *committed,
                               GError **errp)
{
    MigrationParams p;
    uint64_t stop_ns = now_ns();

    migrate_params_get(&p);
    uint64_t bound_ms = migrate_commit_timeout_ms(&p);
    uint64_t deadline_ns = stop_ns + bound_ms * 1000000;
    g_autofree char *why = g_strdup_printf("the destination did not confirm the "
                                           "migration within %" G_GUINT64_FORMAT
                                           " ms of stopping the guest", bound_ms);

    *was_running = vm_stop(RUN_STATE_FINISH_MIGRATE);
    qemu_file_set_deadline(f, deadline_ns, why);
    if (qemu_savevm_state_complete(f, errp) < 0) {
        return false;
    }
    /* The final stage began with a dirty-log sync: a pass, as QEMU counts. */
    migration_notify_pass(stat_get(&ram_save_stats()->iterations));
    if (!current.handshake) {
        /* QEMU's semantics: the end of the stream is the end. */
        stat_set(&current.downtime_ms, (now_ns() - stop_ns) / 1000000);
        return true;
    }
    if (!migration_commit(f, deadline_ns, errp)) {
        return false;
    }
    *committed = true;
    stat_set(&current.downtime_ms, (migration_wait_resumed(deadline_ns) - stop_ns) / 1000000);
    return true;
}

/* --- post-copy (source) -------------------------------------------------------------- */

/*
 * Before the switch stops the guest, the pages already queued towards the
 * destination (the socket holds a few MB: tens of ms at 1 Gbit/s, hundreds
 * at 100 Mbit/s) leave first, with the guest still running: the switch's
 * commands would otherwise wait behind them with the guest stopped on both
 * sides. Nothing new is queued meanwhile. Bounded: past the bound (a link
 * that stopped carrying anything) the switch goes on as it would have,
 * and the stall timeout deals with the link.
 */
#define SWITCH_QUEUE_LEFT_BYTES (64 * 1024)
#define SWITCH_DRAIN_STEP_NS 1000000ull
#define SWITCH_DRAIN_MAX_NS 2000000000ull

static bool postcopy_drain_queue(QEMUFile *f)
{
    uint64_t deadline_ns = now_ns() + SWITCH_DRAIN_MAX_NS;

    while (qemu_file_unsent_bytes(f) > SWITCH_QUEUE_LEFT_BYTES && now_ns() < deadline_ns) {
        if (!qemu_file_pause(f, SWITCH_DRAIN_STEP_NS)) {
            return false;
        }
    }
    return true;
}

/*
 * The switch, guest stopped: the destination drops what is dirty here,
 * takes the devices, and runs the guest on RUN. True once RUN is with the
 * kernel: from then on the guest lives there, and never resumes here.
 */
static bool postcopy_switch(QEMUFile *f, bool *was_running, GError **errp)
{
    MigrationParams p;

    if (!postcopy_drain_queue(f)) {
        qemu_file_get_error(f, errp);
        return false;
    }
    note_rtt(f);
    uint64_t stop_ns = now_ns();
    migrate_params_get(&p);
    uint64_t deadline_ns = stop_ns + migrate_commit_timeout_ms(&p) * 1000000;
    *was_running = vm_stop(RUN_STATE_FINISH_MIGRATE);
    current.postcopy_stop_ns = stop_ns;
    qemu_file_set_deadline(f, deadline_ns, "the switch to post-copy did not go "
                           "through in time");
    ram_save_sync();
    migration_notify_pass(stat_get(&ram_save_stats()->iterations));
    postcopy_send_discards(f, p.downtime_limit);
    if (qemu_savevm_state_devices(f, errp) < 0) {
        return false;
    }
    qemu_savevm_send_command(f, MIG_CMD_POSTCOPY_RUN, NULL, 0);
    qemu_fflush(f);
    if (qemu_file_get_error(f, errp) < 0) {
        return false;
    }
    qemu_file_set_deadline(f, 0, NULL);
    return true;
}

/*
 * After the switch: every page still dirty (and first those the guest is
 * waiting for), then the end of the stream, then LOADED. False when the
 * link broke (or the migration is being shut down).
 */
static bool postcopy_stream(QEMUFile *f, GError **errp)
{
    MigrationParams p;
    ThroughputWindow window;

    /* query-migrate's mbps goes on being measured (it would stay at the
     * pre-copy's last figure). */
    throughput_window_start(&window, f, now_ns());
    while (!cancel_requested()) {
        apply_live_params(f);
        int r = qemu_savevm_state_iterate(f, errp);
        if (r < 0) {
            return false;
        }
        throughput_window_update(&window, f);
        /* A pass's end is the end once nothing is dirty (a recovery may
         * have marked pages behind the scan). */
        if (r == 1 && ram_dirty_pages() == 0) {
            break;
        }
        if (qemu_file_rate_limit(f) && !qemu_file_rate_limit_wait(f)) {
            break;
        }
    }
    if (cancel_requested() || qemu_savevm_state_complete_postcopy(f, errp) < 0) {
        qemu_file_get_error(f, errp);
        return false;
    }
    migrate_params_get(&p);
    return rp_wait(&current.dest_loaded, now_ns() + p.stall_timeout * 1000000,
                   "placing every page", errp);
}

/* The downtime of the switch: stop here to the guest running there, less
 * RESUMED's way back. The queue drained before the switch, so that way
 * took the link's own time: the smallest round trip seen, not the last
 * one, which the queue inflated. */
static void postcopy_record_downtime(void)
{
    uint64_t half_rtt_ns = stat_get(&current.base_rtt_us) * 500;

    g_mutex_lock(&current.lock);
    if (current.dest_resumed && current.resumed_ns > current.postcopy_stop_ns) {
        uint64_t ns = current.resumed_ns - current.postcopy_stop_ns;
        stat_set(&current.downtime_ms, (ns - MIN(ns, half_rtt_ns)) / 1000000);
    }
    g_mutex_unlock(&current.lock);
}

/* Keeps the reason a post-copy paused (query-migrate shows it if it ends
 * there). */
static void record_error(const GError *err)
{
    g_mutex_lock(&current.lock);
    g_free(current.error_desc);
    current.error_desc = g_strdup(err->message);
    g_mutex_unlock(&current.lock);
}

/* Blocks until migrate -r gives a URI; NULL when the migration is being
 * shut down. */
static char *postcopy_wait_resume_uri(void)
{
    g_mutex_lock(&current.lock);
    while (!current.resume_uri && !cancel_requested()) {
        g_cond_wait(&current.resume_cond, &current.lock);
    }
    char *uri = g_steal_pointer(&current.resume_uri);
    g_mutex_unlock(&current.lock);
    return uri;
}

/* Drops the broken link (the stream and its return path). */
static void drop_link(void)
{
    rp_stop();
    g_mutex_lock(&current.lock);
    QEMUFile *f = current.file;
    current.file = NULL;
    g_mutex_unlock(&current.lock);
    if (f) {
        qemu_fclose(f, NULL);
    }
}

static int connect_socket(const char *uri, GError **errp)
{
    if (g_str_has_prefix(uri, "tcp:")) {
        return tcp_start_outgoing_migration(uri + 4, errp);
    }
    if (g_str_has_prefix(uri, "unix:")) {
        return unix_start_outgoing_migration(uri + 5, errp);
    }
    error_setg(errp, "a post-copy resumes over tcp: or unix:, not '%s'", uri);
    return -1;
}

/*
 * A new link for a paused post-copy: the header, OPEN_RETURN_PATH and
 * POSTCOPY_RESUME; the destination answers with the bitmaps of the pages
 * it has (those it lacks become dirty here) and RESUME_ACK.
 */
static bool postcopy_reconnect(const char *uri, QEMUFile **fp, GError **errp)
{
    MigrationParams p;

    set_status(MIG_STATE_POSTCOPY_RECOVER);
    drop_link();
    migrate_params_get(&p);
    int fd = connect_socket(uri, errp);
    if (fd < 0) {
        return false;
    }
    /* The new link is protected as the first was. */
    IOChannel *ioc = migrate_params_tls(&p)
                     ? migration_tls_client(fd, uri, p.tls_creds, p.tls_hostname,
                                            (unsigned)p.stall_timeout, cancel_requested, errp)
                     : io_channel_new_fd(fd);
    if (!ioc) {
        return false;
    }
    QEMUFile *f = qemu_fopen_channel(ioc, uri, true);
    g_mutex_lock(&current.lock);
    current.file = f;
    g_clear_pointer(&current.dest_error, g_free);
    g_mutex_unlock(&current.lock);
    qemu_file_set_stall_timeout(f, (unsigned)p.stall_timeout);
    migration_socket_set_timeouts(fd, (unsigned)p.stall_timeout);
    rp_start(f);
    qemu_savevm_state_header(f);
    qemu_savevm_send_command(f, MIG_CMD_OPEN_RETURN_PATH, NULL, 0);
    qemu_savevm_send_command(f, MIG_CMD_POSTCOPY_RESUME, NULL, 0);
    qemu_fflush(f);
    if (qemu_file_get_error(f, errp) < 0 ||
        !rp_wait(&current.resume_acked, now_ns() + p.stall_timeout * 1000000,
                 "resuming the post-copy", errp)) {
        return false;
    }
    *fp = f;
    set_status(MIG_STATE_POSTCOPY_ACTIVE);
    return true;
}

/*
 * The link broke after the switch: the guest lives there, its missing
 * pages here. Wait (paused) for migrate -r with a new URI, then reconnect
 * and learn which pages the destination has. False when shut down.
 */
static bool postcopy_recover(QEMUFile **fp, GError **errp)
{
    for (;;) {
        g_autofree char *uri = postcopy_wait_resume_uri();
        if (!uri) {
            return false;
        }
        g_clear_error(errp);
        if (postcopy_reconnect(uri, fp, errp)) {
            return true;
        }
        error_report("migration: recovery over %s failed: %s", uri, (*errp)->message);
        set_status(MIG_STATE_POSTCOPY_PAUSED);
    }
}

static bool migration_postcopy(QEMUFile **fp, bool *was_running, bool *committed,
                               GError **errp)
{
    if (!postcopy_switch(*fp, was_running, errp)) {
        return false;
    }
    *committed = true;
    set_status(MIG_STATE_POSTCOPY_ACTIVE);
    ram_save_start_postcopy(postcopy_requests_pop, NULL);
    while (!postcopy_stream(*fp, errp)) {
        if (cancel_requested()) {
            return false;
        }
        record_error(*errp);
        error_report("migration: post-copy paused: %s", (*errp)->message);
        set_status(MIG_STATE_POSTCOPY_PAUSED);
        if (!postcopy_recover(fp, errp)) {
            return false;
        }
    }
    postcopy_record_downtime();
    return true;
}

/*
 * The stream failed because the connection did (a reset, a timeout): the
 * destination may have said why just before (it refuses a second source
 * that way), and its message, already in the socket, is read by the return
 * path's thread, which then ends at once. Wait for that, so that the
 * writer's "Connection reset by peer" does not win the race against the
 * destination's reason.
 */
static void rp_wait_end(QEMUFile *f)
{
    if (!current.rp_thread || !qemu_file_get_errno(f)) {
        return;
    }
    gint64 until = g_get_monotonic_time() + RP_DRAIN_MS * 1000;
    g_mutex_lock(&current.lock);
    while (!current.rp_ended && !current.dest_error &&
           g_cond_wait_until(&current.rp_cond, &current.lock, until)) {
    }
    g_mutex_unlock(&current.lock);
}

/*
 * A failure that names no cause: a write to a broken connection, a TLS
 * session the other direction found dead (EPIPE), a TLS connection closed
 * without ending the session (ECONNABORTED; the peer's alert, if any, is
 * what the other direction read).
 */
static bool errno_names_no_cause(int e)
{
    return e == EPIPE || e == ECONNABORTED;
}

/*
 * The error to report: the destination's own reason first; then the
 * connection's failure as the return path's reader heard it, unless only
 * the stream's writer heard the cause. The kernel reports a broken
 * connection (a reset, TCP_USER_TIMEOUT expired) once, to whichever call
 * asks first: the other one only gets a failure that names no cause.
 */
static GError *pick_error(QEMUFile *f, GError *err)
{
    g_mutex_lock(&current.lock);
    const char *why = current.dest_error;
    if (!why && !(errno_names_no_cause(current.rp_errno) &&
                  !errno_names_no_cause(qemu_file_get_errno(f)))) {
        why = current.rp_error;
    }
    if (why) {
        g_clear_error(&err);
        err = g_error_new_literal(QEMU_ERROR, QEMU_ERROR_GENERIC, why);
    }
    g_mutex_unlock(&current.lock);
    return err;
}

static void close_outgoing(MigrationStatus status, GError **errp)
{
    g_mutex_lock(&current.lock);
    QEMUFile *f = current.file;
    current.file = NULL;     /* migrate_cancel must not touch it any more */
    GPid child = current.child;
    current.child = 0;
    g_mutex_unlock(&current.lock);

    rp_stop();
    if (f) {
        /* Dirty logging stops here, once the guest runs (or is gone). */
        qemu_savevm_state_cleanup(f);
        qemu_fclose(f, status == MIG_STATE_COMPLETED ? errp : NULL);
    }
    if (child) {
        MigrationParams p;
        migrate_params_get(&p);
        exec_finish_child(child, status != MIG_STATE_COMPLETED, p.stall_timeout,
                          status == MIG_STATE_COMPLETED ? errp : NULL);
    }
}

/* A migration that did not complete leaves the source guest as it was. */
static void resume_source(bool was_running)
{
    if (runstate_get() != RUN_STATE_FINISH_MIGRATE) {
        return;
    }
    runstate_set(RUN_STATE_PAUSED);
    if (was_running) {
        vm_start(NULL);
    }
}

/*
 * The end: resumes the source guest unless the migration completed, closes
 * the channel (for exec:, waits for the command: without the handshake its
 * exit decides), reports.
 */
static void migration_finish(MigrationStatus status, bool was_running,
                             bool committed, GError *err)
{
    GError *close_err = NULL;

    /* Before the guest may run again here, and before anyone can see
     * the end: no migration leaves the vCPU throttled. */
    migration_throttle_end();
    if (status != MIG_STATE_COMPLETED && !committed) {
        resume_source(was_running);     /* first of all: nothing is lost */
    }
    close_outgoing(status, &close_err);
    if (close_err && !committed && status == MIG_STATE_COMPLETED) {
        /* Without the handshake the close (the command's exit) decides. */
        status = MIG_STATE_FAILED;
        err = close_err;
        resume_source(was_running);
    } else if (close_err) {
        error_report("migration: %s", close_err->message);
        g_error_free(close_err);
    }
    if (status == MIG_STATE_COMPLETED && runstate_get() == RUN_STATE_FINISH_MIGRATE) {
        runstate_set(RUN_STATE_POSTMIGRATE);
    }
    g_mutex_lock(&current.lock);
    current.end_ns = now_ns();
    if (err) {
        g_free(current.error_desc);
        current.error_desc = g_strdup(err->message);
    }
    g_mutex_unlock(&current.lock);
    migrate_params_set_busy(false);
    set_status(status);
    if (err) {
        g_error_free(err);
    }
}

/*
 * The stream's channel: the descriptor opened by migrate (or, for tcp:,
 * the connection made here rather than in the monitor), wrapped in TLS
 * when tls-creds is set.
 */
static IOChannel *open_channel(GError **errp)
{
    MigrationParams p;
    int fd = current.pending_fd;

    current.pending_fd = -1;
    if (fd < 0) {
        fd = tcp_start_outgoing_migration(current.uri + strlen("tcp:"), errp);
    }
    if (fd < 0) {
        return NULL;
    }
    migrate_params_get(&p);
    if (!migrate_params_tls(&p)) {
        return io_channel_new_fd(fd);
    }
    if (!migration_fd_is_socket(fd)) {
        error_setg(errp, "TLS migration needs a socket (tcp:, unix:, or fd: of a socket)");
        close(fd);
        return NULL;
    }
    return migration_tls_client(fd, current.uri, p.tls_creds, p.tls_hostname,
                                (unsigned)p.stall_timeout, cancel_requested, errp);
}

static QEMUFile *open_outgoing_file(GError **errp)
{
    IOChannel *ioc = open_channel(errp);

    if (!ioc) {
        return NULL;
    }
    g_mutex_lock(&current.lock);
    current.file = qemu_fopen_channel(ioc, current.uri, true);
    g_mutex_unlock(&current.lock);
    if (cancel_requested()) {
        qemu_file_cancel(current.file);   /* migrate_cancel came meanwhile */
    }
    return current.file;
}

/*
 * Prepares the channel: timeouts, and the return path when the channel can
 * carry replies and the return-path capability is on.
 */
static int migration_setup_channel(QEMUFile *f, GError **errp)
{
    MigrationParams p;
    int fd = qemu_file_fd(f);

    migrate_params_get(&p);
    qemu_file_set_stall_timeout(f, (unsigned)p.stall_timeout);
    migration_socket_set_timeouts(fd, (unsigned)p.stall_timeout);
    current.handshake = migrate_cap_enabled(MIGRATION_CAP_RETURN_PATH) &&
                        migration_fd_is_socket(fd);
    note_rtt(f);
    if (current.postcopy && !current.handshake) {
        error_setg(errp, "post-copy needs a connection that carries replies (tcp:, "
                   "unix:, fd: of a socket) and the return-path capability");
        return -1;
    }
    if (current.handshake) {
        rp_start(f);
    }
    return 0;
}

static void migration_send_preamble(QEMUFile *f)
{
    qemu_savevm_state_header(f);
    if (current.handshake) {
        qemu_savevm_send_command(f, MIG_CMD_OPEN_RETURN_PATH, NULL, 0);
        qemu_savevm_send_command(f, MIG_CMD_X_HANDSHAKE, NULL, 0);
    }
    if (current.postcopy) {
        postcopy_send_advise(f);
    }
}

static gpointer migration_thread(gpointer opaque)
{
    GError *err = NULL;
    bool was_running = false, committed = false;
    MigrationStatus result = MIG_STATE_FAILED;
    QEMUFile *f = open_outgoing_file(&err);

    if (!f || migration_setup_channel(f, &err) < 0) {
        result = cancel_requested() ? MIG_STATE_CANCELLED : MIG_STATE_FAILED;
        migration_finish(result, false, false, result == MIG_STATE_FAILED ? err : NULL);
        return NULL;
    }
    migration_send_preamble(f);
    apply_live_params(f);
    bool sent = false;
    if (qemu_savevm_state_begin(f, &err) == 0) {
        /* As in QEMU: the setup's dirty-log sync is pass 1, then the
         * setup ends and the first pass starts. */
        migration_notify_pass(stat_get(&ram_save_stats()->iterations));
        current.setup_end_ns = now_ns();
        set_status(MIG_STATE_ACTIVE);
        IterateResult it = migration_iterate(f, &err);
        if (it == ITERATE_CONVERGED) {
            sent = migration_complete(f, &was_running, &committed, &err);
        } else if (it == ITERATE_POSTCOPY) {
            sent = migration_postcopy(&f, &was_running, &committed, &err);
        }
    }
    if (sent || (committed && !current.postcopy_stop_ns)) {
        /* With COMMIT sent the destination may run the guest, whatever
         * happens now. */
        g_clear_error(&err);
        throughput_record_average(f);
        result = MIG_STATE_COMPLETED;
    } else if (committed) {
        /* A post-copy that never ended: the guest runs there without all
         * its memory; it must not run here too. */
        err = err ? err : g_error_new_literal(QEMU_ERROR, QEMU_ERROR_GENERIC,
                                              "post-copy stopped before every page "
                                              "was sent");
    } else if (cancel_requested()) {
        result = MIG_STATE_CANCELLED;
        g_clear_error(&err);
    } else {
        rp_wait_end(f);
        err = pick_error(f, err);
    }
    migration_finish(result, was_running, committed, err);
    return NULL;
}

/* --- starting, cancelling ------------------------------------------------------------ */

/*
 * Opens the sending end, except for tcp: whose connection may take as long
 * as the network does: that one the migration thread makes (-1, no error).
 */
static int open_outgoing(const char *uri, int passed_fd, GPid *child, GError **errp)
{
    const char *p;

    if (g_str_has_prefix(uri, "tcp:")) {
        g_autofree char *host = NULL;
        g_autofree char *port = NULL;
        /* A typing error is the command's error, not a failed migration. */
        inet_parse(uri + 4, &host, &port, errp);
        return -1;
    }
    if ((p = g_str_has_prefix(uri, "unix:") ? uri + 5 : NULL)) {
        return unix_start_outgoing_migration(p, errp);
    }
    if ((p = g_str_has_prefix(uri, "exec:") ? uri + 5 : NULL)) {
        return exec_start_outgoing_migration(p, child, errp);
    }
    if (g_str_has_prefix(uri, "fd:")) {
        g_assert(passed_fd >= 0);
        return passed_fd;
    }
    error_setg(errp, "unknown migration protocol: '%s' (tcp:, unix:, exec: or fd:)", uri);
    return -1;
}

static void reset_figures(void)
{
    stat_set(&current.expected_downtime_ms, 0);
    stat_set(&current.downtime_ms, 0);
    stat_set(&current.throughput_mbps_x1000, 0);
    stat_set(&current.pages_per_second, 0);
    stat_set(&current.rtt_us, 0);
    stat_set(&current.base_rtt_us, 0);
}

/* QEMU's messages where QEMU refuses too. */
static int check_can_migrate(GError **errp)
{
    RunState rs = runstate_get();

    if (migration_is_active()) {
        error_setg(errp, "There's a migration process in progress");
        return -1;
    }
    if (rs == RUN_STATE_INMIGRATE) {
        error_setg(errp, "Guest is waiting for an incoming migration");
        return -1;
    }
    if (rs == RUN_STATE_INTERNAL_ERROR || rs == RUN_STATE_GUEST_PANICKED ||
        rs == RUN_STATE_SHUTDOWN) {
        error_setg(errp, "cannot migrate a machine in state '%s'", runstate_name(rs));
        return -1;
    }
    return 0;
}

int migrate_start(const char *uri, int passed_fd, bool xbzrle, GError **errp)
{
    GError *err = NULL;
    GPid child = 0;
    MigrationParams p;

    if (check_can_migrate(errp) < 0) {
        if (passed_fd >= 0) {
            close(passed_fd);
        }
        return -1;
    }
    int fd = open_outgoing(uri, passed_fd, &child, &err);
    if (err) {
        g_propagate_error(errp, err);
        return -1;
    }
    if (current.thread) {
        g_thread_join(current.thread);
        current.thread = NULL;
    }
    migrate_params_get(&p);
    g_mutex_lock(&current.lock);
    current.use_xbzrle = xbzrle || migrate_cap_enabled(MIGRATION_CAP_XBZRLE);
    ram_save_configure(current.use_xbzrle, p.xbzrle_cache_size);
    reset_figures();
    g_clear_pointer(&current.error_desc, g_free);
    g_clear_pointer(&current.rp_error, g_free);
    current.rp_errno = 0;
    g_clear_pointer(&current.dest_error, g_free);
    current.dest_resumed = false;
    current.resumed_ns = 0;
    current.postcopy = migrate_cap_enabled(MIGRATION_CAP_POSTCOPY_RAM);
    current.postcopy_stop_ns = 0;
    postcopy_auto_reset(&current.auto_policy);
    current.auto_switched_pass = 0;
    postcopy_requests_reset();
    g_atomic_int_set(&current.postcopy_requested, 0);
    g_clear_pointer(&current.resume_uri, g_free);
    current.start_ns = now_ns();
    current.setup_end_ns = current.end_ns = 0;
    g_atomic_int_set(&current.cancel_requested, 0);
    g_free(current.uri);
    current.uri = g_strdup(uri);
    current.pending_fd = fd;
    current.file = NULL;
    current.child = child;
    current.handshake = false;
    g_mutex_unlock(&current.lock);

    migrate_params_set_busy(true);
    set_status(MIG_STATE_SETUP);
    current.thread = g_thread_new("migration", migration_thread, NULL);
    return 0;
}

/* Stops the migration thread's I/O and waits (a shutdown, or a cancel). */
static void cancel_now(void)
{
    g_atomic_int_set(&current.cancel_requested, 1);
    g_mutex_lock(&current.lock);
    if (current.file) {
        qemu_file_cancel(current.file);
    }
    g_cond_broadcast(&current.rp_cond);
    g_cond_broadcast(&current.resume_cond);
    g_mutex_unlock(&current.lock);
}

int migrate_cancel(GError **errp)
{
    MigrationStatus s = migration_status();

    if (in_postcopy(s)) {
        /* The guest runs there already: this side can no longer take it back. */
        error_setg(errp, "Postcopy migration in progress, cannot cancel.");
        return -1;
    }
    if (migration_is_active()) {
        cancel_now();
    }
    return 0;
}

int migrate_start_postcopy(GError **errp)
{
    if (!migrate_cap_enabled(MIGRATION_CAP_POSTCOPY_RAM) && !current.postcopy) {
        error_setg(errp, "Enable postcopy with migrate_set_capability before"
                   " the start of migration");
        return -1;
    }
    if (migration_status() == MIG_STATE_NONE) {
        error_setg(errp, "Postcopy must be started after migration has been started");
        return -1;
    }
    /* As QEMU: no error once the migration ended (that would race with it). */
    g_atomic_int_set(&current.postcopy_requested, 1);
    return 0;
}

int migrate_resume(const char *uri, GError **errp)
{
    if (migration_status() != MIG_STATE_POSTCOPY_PAUSED) {
        error_setg(errp, "Cannot resume if there is no paused migration");
        return -1;
    }
    if (!g_str_has_prefix(uri, "tcp:") && !g_str_has_prefix(uri, "unix:")) {
        error_setg(errp, "a post-copy resumes over tcp: or unix:, not '%s'", uri);
        return -1;
    }
    g_mutex_lock(&current.lock);
    g_free(current.resume_uri);
    current.resume_uri = g_strdup(uri);
    g_cond_broadcast(&current.resume_cond);
    g_mutex_unlock(&current.lock);
    return 0;
}

/* A parameter changed: a running migration's rate limit follows at once
 * (also during the final stage). */
static void params_changed(void *opaque)
{
    MigrationParams p;

    migrate_params_get(&p);
    g_mutex_lock(&current.lock);
    if (current.file) {
        qemu_file_set_rate_limit(current.file, p.max_bandwidth);
    }
    g_mutex_unlock(&current.lock);
}

void migration_init(void)
{
    migrate_params_set_listener(params_changed, NULL);
}

void migration_shutdown(void)
{
    if (migration_is_active()) {
        cancel_now();
    }
    if (current.thread) {
        g_thread_join(current.thread);
        current.thread = NULL;
    }
    migration_incoming_shutdown();
}

/* --- query ---------------------------------------------------------------------------- */

void migration_get_info(MigrationInfo *info)
{
    uint64_t now = now_ns();

    memset(info, 0, sizeof(*info));
    info->status = migration_status();
    g_mutex_lock(&current.lock);
    uint64_t end = current.end_ns ? current.end_ns : now;
    info->total_time_ms = (end - current.start_ns) / 1000000;
    if (current.setup_end_ns) {
        info->setup_time_ms = (current.setup_end_ns - current.start_ns) / 1000000;
    }
    info->error_desc = g_strdup(current.error_desc);
    info->use_xbzrle = current.use_xbzrle;
    info->postcopy_auto_pass = current.auto_switched_pass;
    g_mutex_unlock(&current.lock);
    info->downtime_ms = stat_get(&current.downtime_ms);
    info->expected_downtime_ms = stat_get(&current.expected_downtime_ms);
    info->mbps_x1000 = stat_get(&current.throughput_mbps_x1000);
    info->pages_per_second = stat_get(&current.pages_per_second);
    info->rtt_us = stat_get(&current.rtt_us);
    info->cpu_throttle_percentage = migration_throttle_percentage();
    RamStats *rs = ram_save_stats();
    for (size_t i = 0; i < sizeof(RamStats) / sizeof(uint64_t); i++) {
        ((uint64_t *)&info->ram)[i] = stat_get(&((uint64_t *)rs)[i]);
    }
}
