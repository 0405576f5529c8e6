/*
 * make bench-migration: live migrations of the built-in guests between two
 * local instances, with and without XBZRLE, at 32 MiB/s, 1 Gbit/s and no
 * limit; prints a Markdown table (docs/performance.md) and, measured in the
 * same run, what a plain socket pair carries, beside the raw-page
 * throughput of a migration.
 *
 *   bench-migration [all|targets|downtime [RUNS]|thp|tls] [GUEST...]
 *
 * "targets" runs only the checks of the targets; "downtime" runs
 * each downtime target RUNS times (default 10) and counts the runs within
 * the limit; "thp" compares migrations of emulators with and without
 * transparent huge pages; "tls" compares migrations over TLS with
 * plaintext ones in the same run (raw pages, and the seed guest at
 * 32 MiB/s), beside what GnuTLS's cipher does alone on this CPU; "all" (the default) the whole
 * table, for the named guests or all four.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "crypto/tlscreds.h"
#include "crypto/tlssession.h"
#include "io-channel-tls.h"
#include "io-channel.h"
#include "object.h"
#include "tests/libqmp.h"
#include "tests/linkem.h"
#include "tests/tlscerts.h"

#define GIB ((uint64_t)1 << 30)
#define MIB ((uint64_t)1 << 20)
/* A migration that has not converged by then is cancelled and reported. */
#define RUN_CAP_SECONDS 20.0
/* The longest a guest may take to get ready: a first pass over 1 GiB of
 * lazily allocated RAM without huge pages takes 10 s and more under PVM. */
#define READY_TIMEOUT_MS 120000

typedef struct RunConfig {
    const char *guest;
    const char *append;
    uint64_t ram;
    uint64_t speed;        /* bytes/s, 0 = no limit */
    const char *speed_name;
    bool xbzrle;
    uint64_t cache;
    bool stop_first;       /* migrate a stopped guest (raw throughput) */
    const char *ready;     /* what the guest prints once it has done its warm-up
                            * work (NULL: its first line) */
    double warmup;         /* seconds the guest runs after that */
    double cap;            /* seconds before a cancel (0: RUN_CAP_SECONDS) */
    Linkem *link;          /* through an emulated link: source in a, destination in b */
    uint64_t downtime_ms;  /* the limit (0: the default, 30 ms) */
    bool dst_prealloc;     /* -mem-prealloc on the destination */
    bool tls;              /* x509 with client verification and authz */
} RunConfig;

typedef struct ProcessMemory {
    uint64_t rss_kib;
    uint64_t anon_huge_kib;  /* of which in transparent huge pages */
} ProcessMemory;

typedef struct RunResult {
    bool completed;
    double seconds;
    int64_t downtime_ms;
    int64_t transferred;
    int64_t dup_pages;
    int64_t normal_pages;
    int64_t xbzrle_pages;
    int64_t overflow;
    int64_t hits;
    int64_t lookups;
    double encoding_rate;
    double mbps;           /* the last pass's throughput (query-migrate) */
    int64_t iterations;
    double cpu_total;      /* source process CPU seconds during the run */
    double cpu_vcpu;       /* of which the vCPU thread */
    int64_t setup_ms;
    ProcessMemory src_mem; /* after the migration */
    ProcessMemory dst_mem;
    double cpu_dst;        /* destination process CPU seconds during the run */
    char tls_session[160]; /* what the destination logged of it (TLS runs) */
} RunResult;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* --- CPU time from /proc --------------------------------------------------- */

static double stat_cpu_seconds(const char *path)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return 0;
    }
    /* Fields after the ")" of the command name: state is field 3. */
    const char *p = strrchr(text, ')');
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &utime, &stime) != 2) {
        return 0;
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double process_cpu(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    return stat_cpu_seconds(path);
}

/* CPU seconds of the process's thread named `name`. */
static double thread_cpu(pid_t pid, const char *name)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", pid);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *tid;
    double cpu = 0;

    while (d && (tid = g_dir_read_name(d))) {
        g_autofree char *comm_path = g_strdup_printf("%s/%s/comm", dir, tid);
        g_autofree char *comm = NULL;
        if (g_file_get_contents(comm_path, &comm, NULL, NULL) &&
            !strncmp(comm, name, strlen(name))) {
            g_autofree char *stat_path = g_strdup_printf("%s/%s/stat", dir, tid);
            cpu = stat_cpu_seconds(stat_path);
        }
    }
    if (d) {
        g_dir_close(d);
    }
    return cpu;
}

/* A "Name:   N kB" figure of a process's smaps_rollup (0: none). */
static uint64_t smaps_rollup_kib(const char *text, const char *name)
{
    g_autofree char *key = g_strdup_printf("\n%s:", name);
    const char *line = text ? strstr(text, key) : NULL;
    unsigned long long kib = 0;

    if (line) {
        sscanf(line + strlen(key), " %llu kB", &kib);
    }
    return kib;
}

static void process_memory(pid_t pid, ProcessMemory *m)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/smaps_rollup", pid);
    g_autofree char *text = NULL;

    g_file_get_contents(path, &text, NULL, NULL);
    m->rss_kib = smaps_rollup_kib(text, "Rss");
    m->anon_huge_kib = smaps_rollup_kib(text, "AnonHugePages");
}

/* --- one migration ------------------------------------------------------------ */

static int64_t member_int(JsonObject *o, const char *group, const char *name)
{
    JsonObject *g = group ? (json_object_has_member(o, group) ?
                             json_object_get_object_member(o, group) : NULL) : o;
    return g && json_object_has_member(g, name) ? json_object_get_int_member(g, name) : 0;
}

static double member_double(JsonObject *o, const char *group, const char *name)
{
    JsonObject *g = json_object_has_member(o, group) ? json_object_get_object_member(o, group) : NULL;
    return g && json_object_has_member(g, name) ? json_object_get_double_member(g, name) : 0;
}

static void collect(JsonObject *info, RunResult *r)
{
    r->downtime_ms = member_int(info, NULL, "downtime");
    r->setup_ms = member_int(info, NULL, "setup-time");
    r->transferred = member_int(info, "ram", "transferred");
    r->dup_pages = member_int(info, "ram", "duplicate");
    r->normal_pages = member_int(info, "ram", "normal");
    r->iterations = member_int(info, "ram", "dirty-sync-count");
    r->xbzrle_pages = member_int(info, "xbzrle-cache", "pages");
    r->overflow = member_int(info, "xbzrle-cache", "overflow");
    r->hits = member_int(info, "xbzrle-cache", "cache-hit");
    r->lookups = member_int(info, "xbzrle-cache", "cache-lookup");
    r->encoding_rate = member_double(info, "xbzrle-cache", "encoding-rate");
    r->mbps = member_double(info, "ram", "mbps");
}

static const char *status_of(JsonObject *info)
{
    return json_object_has_member(info, "status") ?
           json_object_get_string_member(info, "status") : "none";
}

/* The destination's address: a Unix socket, or TCP across the link. */
static char *destination_uri(const RunConfig *c, QTestState *src)
{
    if (c->link) {
        return g_strdup_printf("tcp:%s:4444", linkem_addr_b(c->link));
    }
    g_autofree char *sock = qtest_path(src, "mig.sock");
    return g_strdup_printf("unix:%s", sock);
}

/* --- TLS as docs/security.md sets it up ------------------------------------------- */

/* Made on the first TLS run (certtool), kept for the others. */
static TlsCerts *tls_certs;

/* x509 credentials `id` for `endpoint`, as -object takes them; client
 * certificates checked by the server (verify-peer, the default). */
static char *tls_creds_spec(const char *endpoint, const char *id)
{
    if (!tls_certs) {
        tls_certs = tls_certs_new();
    }
    g_autofree char *dir = tls_certs_path(tls_certs, !strcmp(endpoint, "server")
                                          ? TLS_CERTS_X509_SERVER : TLS_CERTS_X509_CLIENT);
    return g_strdup_printf("tls-creds-x509,id=%s,endpoint=%s,dir=%s", id, endpoint, dir);
}

static char *tls_creds_option(const char *endpoint)
{
    g_autofree char *spec = tls_creds_spec(endpoint, "tls0");
    return g_strdup_printf("-object %s", spec);
}

/* The destination takes only the test client's certificate (tls-authz),
 * then listens. */
static QTestState *start_tls_destination(const QTestOptions *opts, const char *ram,
                                         const char *guest, const char *uri)
{
    g_autofree char *creds = tls_creds_option("server");
    QTestState *dst = qtest_start_opts(opts, "-m %s -kernel guests/%s.elf -S -incoming defer "
                                       "%s -object \"authz-simple,id=auth0,identity=%s\"",
                                       ram, guest, creds, "CN=" TLS_CERTS_CLIENT_CN
                                       ",,O=QEMU test");

    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'tls-creds': 'tls0', 'tls-authz': 'auth0'}}");
    qtest_qmp_ok_discard(dst, "{'execute': 'migrate-incoming', 'arguments': {'uri': '%s'}}",
                         uri);
    return dst;
}

/* What the destination logged of the session: "(TLS1.3)-(...)-(CIPHER)". */
static void tls_session_logged(QTestState *dst, char *out, size_t len)
{
    g_autofree char *err = qtest_stderr(dst);
    const char *line = strstr(err, "TLS session with ");
    const char *desc = line ? strstr(line, ": (") : NULL;

    g_strlcpy(out, "(not logged)", len);
    if (desc) {
        desc += 2;
        size_t n = strcspn(desc, ",\n");
        g_strlcpy(out, desc, MIN(len, n + 1));
    }
}

static void wait_until_ready(QTestState *src, const RunConfig *c)
{
    const char *ready = c->ready ? c->ready : "\n";

    ck_assert_msg(qtest_wait_stdout(src, ready, 0, READY_TIMEOUT_MS),
                  "the %s guest did not print \"%s\"", c->guest, ready);
}

static void run_one(const RunConfig *c, RunResult *r)
{
    g_autofree char *ram = g_strdup_printf("%" G_GUINT64_FORMAT "M", c->ram / MIB);
    QTestOptions src_opts = { .netns = c->link ? linkem_netns_a(c->link) : NULL };
    QTestOptions dst_opts = { .netns = c->link ? linkem_netns_b(c->link) : NULL };
    g_autofree char *src_creds = c->tls ? tls_creds_option("client") : g_strdup("");
    QTestState *src = qtest_start_opts(&src_opts, "-m %s -kernel guests/%s.elf -append \"%s\" %s",
                                       ram, c->guest, c->append ? c->append : "", src_creds);
    g_autofree char *uri = destination_uri(c, src);
    QTestState *dst = c->tls ? start_tls_destination(&dst_opts, ram, c->guest, uri)
                      : qtest_start_opts(&dst_opts, "-m %s%s -kernel guests/%s.elf -S "
                                         "-incoming %s", ram,
                                         c->dst_prealloc ? " -mem-prealloc" : "", c->guest, uri);

    memset(r, 0, sizeof(*r));
    wait_until_ready(src, c);
    usleep((useconds_t)(c->warmup * 1e6));
    if (c->stop_first) {
        /* Every page written once (the dense guest's first '.'): on a
         * busy machine the warm-up alone may not be enough. */
        qtest_expect_stdout(src, ".", 0);
        qtest_qmp_ok_discard(src, "{'execute': 'stop'}");
    }
    qtest_qmp_ok_discard(src, "{'execute': 'migrate_set_speed', 'arguments': {'value': %"
                         G_GUINT64_FORMAT "}}", c->speed);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate_set_cachesize', 'arguments': {'value': %"
                         G_GUINT64_FORMAT "}}", c->cache);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'downtime-limit': %" G_GUINT64_FORMAT "}}",
                         c->downtime_ms ? c->downtime_ms : 30);
    if (c->tls) {
        /* A unix: URI names no host: the certificate's name is given. */
        qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                             "{'tls-creds': 'tls0', 'tls-hostname': '%s'}}",
                             TLS_CERTS_HOSTNAME);
    }
    double cpu0 = process_cpu(qtest_pid(src));
    double dst_cpu0 = process_cpu(qtest_pid(dst));
    double vcpu0 = thread_cpu(qtest_pid(src), "vcpu0");
    double t0 = now_s();
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': '%s', "
                         "'xbzrle': %s}}", uri, c->xbzrle ? "true" : "false");
    for (;;) {
        g_autoptr(JsonObject) info = qtest_query_migrate(src);
        const char *status = status_of(info);
        if (!strcmp(status, "completed") || !strcmp(status, "failed")) {
            r->completed = !strcmp(status, "completed");
            r->seconds = member_int(info, NULL, "total-time") / 1000.0;
            collect(info, r);
            break;
        }
        if (now_s() - t0 > (c->cap ? c->cap : RUN_CAP_SECONDS)) {
            collect(info, r);
            r->seconds = now_s() - t0;
            qtest_qmp_ok_discard(src, "{'execute': 'migrate_cancel'}");
            break;
        }
        usleep(20000);
    }
    r->cpu_total = process_cpu(qtest_pid(src)) - cpu0;
    r->cpu_vcpu = thread_cpu(qtest_pid(src), "vcpu0") - vcpu0;
    process_memory(qtest_pid(src), &r->src_mem);
    process_memory(qtest_pid(dst), &r->dst_mem);
    r->cpu_dst = process_cpu(qtest_pid(dst)) - dst_cpu0;
    if (c->tls) {
        tls_session_logged(dst, r->tls_session, sizeof(r->tls_session));
    }
    qtest_quit(src);
    qtest_quit(dst);
}

/* --- a plain socket pair, the limit raw pages are compared with ------------- */

static double median3(double a, double b, double c)
{
    return MAX(MIN(a, b), MIN(MAX(a, b), c));
}

typedef struct PairArgs {
    int fd;
    uint8_t *dst;          /* where the bytes go */
    uint64_t dst_len;      /* wrapping around: 1 MiB (hot) or all of it */
    uint64_t bytes;
} PairArgs;

static void *pair_reader(void *opaque)
{
    PairArgs *a = opaque;
    uint64_t got = 0;

    while (got < a->bytes) {
        uint64_t off = got % a->dst_len;
        ssize_t n = read(a->fd, a->dst + off, MIN(MIB, a->dst_len - off));
        if (n <= 0) {
            break;
        }
        got += (uint64_t)n;
    }
    return NULL;
}

/*
 * Bytes per second through a Unix socket pair in 1 MiB writes. `span` is
 * how much memory each side walks: 1 MiB (the data stays in cache: the
 * socket alone) or `bytes` (memory to memory, as a migration moves RAM).
 */
static double socket_pair_throughput(uint64_t bytes, uint64_t span)
{
    int sv[2];
    pthread_t reader;
    uint8_t *src = g_malloc(span);
    uint8_t *dst = g_malloc(span);

    memset(src, 0x5a, span);
    memset(dst, 0, span);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    PairArgs a = { sv[1], dst, span, bytes };
    double t0 = now_s();
    pthread_create(&reader, NULL, pair_reader, &a);
    for (uint64_t sent = 0; sent < bytes;) {
        ssize_t n = write(sv[0], src + sent % span, MIN(MIB, span - sent % span));
        ck_assert_int_gt(n, 0);
        sent += (uint64_t)n;
    }
    pthread_join(reader, NULL);
    double rate = (double)bytes / (now_s() - t0);
    close(sv[0]);
    close(sv[1]);
    g_free(src);
    g_free(dst);
    return rate;
}

static double median_pair_throughput(uint64_t span)
{
    return median3(socket_pair_throughput(GIB, span), socket_pair_throughput(GIB, span),
                   socket_pair_throughput(GIB, span));
}

/* --- the channel alone: pages through a socket pair, plaintext or TLS ------- */

/*
 * What a migration's transport does without the emulator around it: one
 * thread writes 1 GiB of 4 KiB pages, each after a 9-byte header (the
 * iovec a migration writes, 32 pages per call), through an IOChannel over
 * a Unix socket pair; another reads it in 1 MiB reads. Plaintext, or TLS
 * with the migration's x509 credentials: no guest RAM is faulted in, so
 * this is TLS's own cost beside plaintext's.
 */
#define CHANNEL_PAGES_PER_CALL 32

typedef struct ChannelEnd {
    IOChannel *ioc;
    TlsSession *server;    /* to complete the handshake in the reader */
    uint64_t bytes;
} ChannelEnd;

static void wait_channel(IOChannel *ioc, short events)
{
    struct pollfd p = { .fd = io_channel_fd(ioc), .events = events };
    poll(&p, 1, 1000);
}

static void *channel_reader(void *opaque)
{
    ChannelEnd *e = opaque;
    g_autofree uint8_t *buf = g_malloc(MIB);

    if (e->server) {
        ck_assert_int_eq(tls_session_handshake_wait(e->server, 20000, NULL), TLS_SESSION_DONE);
        e->ioc = io_channel_new_tls(e->server);
    }
    for (uint64_t got = 0; got < e->bytes;) {
        ssize_t n = io_channel_read(e->ioc, buf, MIB, NULL);
        if (n == IO_CHANNEL_AGAIN) {
            if (!io_channel_has_buffered(e->ioc)) {
                wait_channel(e->ioc, POLLIN);
            }
            continue;
        }
        ck_assert_int_gt(n, 0);
        got += (uint64_t)n;
    }
    return NULL;
}

/* Writes iov whole, as a QEMUFile does. */
static void channel_write_all(IOChannel *ioc, struct iovec *iov, int cnt)
{
    while (cnt) {
        ssize_t n = io_channel_writev(ioc, iov, cnt, NULL);
        if (n == IO_CHANNEL_AGAIN) {
            wait_channel(ioc, POLLOUT);
            continue;
        }
        ck_assert_int_gt(n, 0);
        while (cnt && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
}

/* The x509 credentials of the migration rows, in this process. */
static void channel_tls_objects(void)
{
    static bool made;
    g_autoptr(GError) err = NULL;

    if (made) {
        return;
    }
    g_autofree char *server = tls_creds_spec("server", "srv");
    g_autofree char *client = tls_creds_spec("client", "cli");
    tls_creds_register_types();
    ck_assert_msg(object_create_from_string(server, &err) == 0 &&
                  object_create_from_string(client, &err) == 0,
                  "%s", err ? err->message : "");
    made = true;
}

static double channel_throughput(bool tls)
{
    static uint8_t header[9];
    const uint64_t pages = GIB / 4096, span = 64 * MIB;
    g_autofree uint8_t *ram = g_malloc(span);
    int sv[2];
    pthread_t reader;
    ChannelEnd end = { .bytes = pages * (4096 + sizeof(header)) };
    IOChannel *w;

    memset(ram, 0x5a, span);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (tls) {
        channel_tls_objects();
        end.server = tls_session_new(sv[1], "srv", TLS_CREDS_ENDPOINT_SERVER, NULL, NULL,
                                     NULL);
        TlsSession *client = tls_session_new(sv[0], "cli", TLS_CREDS_ENDPOINT_CLIENT,
                                             TLS_CERTS_HOSTNAME, NULL, NULL);
        ck_assert(end.server && client);
        pthread_create(&reader, NULL, channel_reader, &end);
        ck_assert_int_eq(tls_session_handshake_wait(client, 20000, NULL), TLS_SESSION_DONE);
        w = io_channel_new_tls(client);
    } else {
        end.ioc = io_channel_new_fd(sv[1]);
        w = io_channel_new_fd(sv[0]);
        pthread_create(&reader, NULL, channel_reader, &end);
    }
    double t0 = now_s();
    for (uint64_t page = 0; page < pages; page += CHANNEL_PAGES_PER_CALL) {
        struct iovec iov[2 * CHANNEL_PAGES_PER_CALL];
        for (int i = 0; i < CHANNEL_PAGES_PER_CALL; i++) {
            iov[2 * i] = (struct iovec){ header, sizeof(header) };
            iov[2 * i + 1] = (struct iovec){ ram + (page + i) * 4096 % span, 4096 };
        }
        channel_write_all(w, iov, G_N_ELEMENTS(iov));
    }
    pthread_join(reader, NULL);
    double rate = end.bytes / (now_s() - t0);
    io_channel_unref(w);
    io_channel_unref(end.ioc);
    return rate;
}

static double median_channel_throughput(bool tls)
{
    return median3(channel_throughput(tls), channel_throughput(tls), channel_throughput(tls));
}

/* --- printing ------------------------------------------------------------------ */

static void print_header(void)
{
    printf("| guest | speed | XBZRLE (cache) | result | total s | downtime ms "
           "| MB on wire | dup / normal / xbzrle pages | overflow | hit rate | enc. rate "
           "| iterations | src CPU s (vCPU) |\n");
    printf("|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
}

static void print_row(const RunConfig *c, const RunResult *r)
{
    char xbzrle[32] = "no", downtime[32] = "-", hit_rate[32] = "-";

    if (c->xbzrle) {
        snprintf(xbzrle, sizeof(xbzrle), "yes (%" G_GUINT64_FORMAT "M)", c->cache / MIB);
    }
    if (r->completed) {
        snprintf(downtime, sizeof(downtime), "%" G_GINT64_FORMAT, r->downtime_ms);
    }
    if (r->lookups) {
        snprintf(hit_rate, sizeof(hit_rate), "%.0f%%", 100.0 * r->hits / r->lookups);
    }
    printf("| %s%s%s | %s | %s | %s | %.2f | %s | %.1f | %" G_GINT64_FORMAT " / %"
           G_GINT64_FORMAT " / %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %s | %.1f | %"
           G_GINT64_FORMAT " | %.2f (%.2f) |\n",
           c->guest, c->stop_first ? " (stopped)" : "", c->tls ? ", TLS" : "", c->speed_name,
           xbzrle,
           r->completed ? "completed" : "**not converged**", r->seconds, downtime,
           r->transferred / 1e6, r->dup_pages, r->normal_pages, r->xbzrle_pages, r->overflow,
           hit_rate, r->encoding_rate, r->iterations, r->cpu_total, r->cpu_vcpu);
    fflush(stdout);
}

/* --- the runs -------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint64_t bytes;
} speeds[] = {
    { "32 MiB/s", 32 * MIB },
    { "1 Gbit/s", 125000000 },
    { "unlimited", 0 },
};

static bool guest_selected(const char *guest, int argc, char **argv)
{
    if (argc <= 2) {
        return true;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], guest)) {
            return true;
        }
    }
    return false;
}

static void run_table(int argc, char **argv)
{
    static const char *const guests[] = { "seed", "sparse", "dense", "idle" };
    const struct { bool x; uint64_t cache; } configs[] = {
        { false, 64 * MIB }, { true, 64 * MIB }, { true, 256 * MIB },
    };

    print_header();
    for (size_t g = 0; g < G_N_ELEMENTS(guests); g++) {
        if (!guest_selected(guests[g], argc, argv)) {
            continue;
        }
        for (size_t s = 0; s < G_N_ELEMENTS(speeds); s++) {
            for (size_t k = 0; k < G_N_ELEMENTS(configs); k++) {
                RunConfig c = { .guest = guests[g], .ram = GIB, .speed = speeds[s].bytes,
                                .speed_name = speeds[s].name, .xbzrle = configs[k].x,
                                .cache = configs[k].cache, .warmup = 1.0 };
                RunResult r;
                run_one(&c, &r);
                print_row(&c, &r);
            }
        }
    }
}

static int compare_seconds(const void *a, const void *b)
{
    const RunResult *x = a, *y = b;
    return (x->seconds > y->seconds) - (x->seconds < y->seconds);
}

/* The run with the median total time (the machine is shared and noisy);
 * sorts `runs`. */
static const RunResult *median_run(RunResult *runs, int n)
{
    qsort(runs, (size_t)n, sizeof(*runs), compare_seconds);
    return &runs[n / 2];
}

/* Runs a configuration `reps` times, printing each; returns the median. */
static void run_median(const RunConfig *c, int reps, RunResult *median)
{
    RunResult runs[5];

    g_assert(reps <= 5);
    for (int i = 0; i < reps; i++) {
        run_one(c, &runs[i]);
        print_row(c, &runs[i]);
    }
    *median = *median_run(runs, reps);
}

/* Runs a and b in turns, `reps` times each, so that the machine's drifts
 * weigh on both alike; returns both medians. */
static void run_alternating(const RunConfig *a, const RunConfig *b, int reps,
                            RunResult *median_a, RunResult *median_b)
{
    RunResult runs_a[5], runs_b[5];

    g_assert(reps <= 5);
    for (int i = 0; i < reps; i++) {
        run_one(a, &runs_a[i]);
        print_row(a, &runs_a[i]);
        run_one(b, &runs_b[i]);
        print_row(b, &runs_b[i]);
    }
    *median_a = *median_run(runs_a, reps);
    *median_b = *median_run(runs_b, reps);
}

static void run_targets(void)
{
    RunResult seed_x_r, seed_r, idle_r, raw_r;
    RunConfig seed_x = { .guest = "seed", .ram = GIB, .speed = 32 * MIB, .speed_name = "32 MiB/s",
                         .xbzrle = true, .cache = 64 * MIB, .warmup = 1.0 };
    RunConfig seed = seed_x;
    RunConfig idle = { .guest = "idle", .ram = 4 * GIB, .speed = 0, .speed_name = "unlimited",
                       .cache = 64 * MIB, .warmup = 0.5 };
    /* Stopped once it has written every page (its first '.'): guest RAM is
     * touched lazily, and a fixed warm-up may end before. */
    RunConfig raw = { .guest = "dense", .append = "wss=1G", .ram = GIB, .speed = 0,
                      .speed_name = "unlimited", .cache = 64 * MIB, .stop_first = true,
                      .ready = ".", .warmup = 0.5 };

    RunConfig dense = { .guest = "dense", .ram = GIB, .speed = 125000000,
                        .speed_name = "1 Gbit/s", .cache = 64 * MIB, .warmup = 1.0,
                        .cap = 10.0 };
    RunConfig dense_x = dense;
    RunResult dense_r, dense_x_r;

    dense_x.xbzrle = true;
    seed.xbzrle = false;
    printf("\nTargets: three runs each (one for the run that never converges), "
           "judged on the median\n\n");
    print_header();
    run_median(&seed_x, 3, &seed_x_r);
    run_median(&seed, 1, &seed_r);
    run_median(&idle, 3, &idle_r);
    run_median(&raw, 3, &raw_r);
    run_median(&dense, 1, &dense_r);
    run_median(&dense_x, 1, &dense_x_r);
    double raw_rate = raw_r.transferred / raw_r.seconds;
    double mig_cpu = dense_r.cpu_total - dense_r.cpu_vcpu;
    double mig_cpu_x = dense_x_r.cpu_total - dense_x_r.cpu_vcpu;
    double pair_hot = median_pair_throughput(MIB);
    double pair_mem = median_pair_throughput(GIB);

    printf("\n- seed, XBZRLE, 32 MiB/s, 30 ms: converges in < 3 s with downtime <= 30 ms: "
           "%.2f s, %" G_GINT64_FORMAT " ms: %s\n", seed_x_r.seconds, seed_x_r.downtime_ms,
           seed_x_r.completed && seed_x_r.seconds < 3.0 && seed_x_r.downtime_ms <= 30 ?
           "met" : "NOT met");
    printf("- seed without XBZRLE never converges (cancelled after %.0f s, %" G_GINT64_FORMAT
           " iterations): %s\n", RUN_CAP_SECONDS, seed_r.iterations,
           !seed_r.completed ? "met" : "NOT met");
    printf("- idle 4 GiB guest at no limit in < 1 s: %.2f s: %s\n", idle_r.seconds,
           idle_r.completed && idle_r.seconds < 1.0 ? "met" : "NOT met");
    printf("- raw pages at >= 70%% of a plain Unix socket pair (1 MiB writes), %.0f MB/s "
           "over the whole migration (its one pass alone: %.0f MB/s): "
           "a pair that keeps its 1 MiB in cache %.0f MB/s (%.0f%%: %s); one that moves "
           "1 GiB memory to memory, as the migration does, %.0f MB/s (%.0f%%: %s)\n",
           raw_rate / 1e6, raw_r.mbps / 8, pair_hot / 1e6, 100 * raw_rate / pair_hot,
           raw_rate >= 0.7 * pair_hot ? "met" : "NOT met", pair_mem / 1e6,
           100 * raw_rate / pair_mem, raw_rate >= 0.7 * pair_mem ? "met" : "NOT met");
    printf("- dense guest, 1 Gbit/s, %.0f s: source CPU with XBZRLE within 10%% of without: "
           "%.2f s vs %.2f s (%+.0f%%); without the vCPU thread %.2f s vs %.2f s (%+.0f%%): %s\n",
           dense.cap, dense_x_r.cpu_total, dense_r.cpu_total,
           100 * (dense_x_r.cpu_total / dense_r.cpu_total - 1), mig_cpu_x, mig_cpu,
           100 * (mig_cpu_x / mig_cpu - 1),
           dense_x_r.cpu_total <= 1.1 * dense_r.cpu_total ? "met" : "NOT met");
}

/* --- TLS against plaintext ---------------------------------------------------------- */

/* The host's CPU as /proc/cpuinfo names it, and whether it has AES-NI
 * (flag "aes") and its vector form (flag "vaes"). */
static void print_cpu(void)
{
    g_autofree char *text = NULL;
    g_autofree char *model = NULL;
    bool aes = false, vaes = false;

    if (g_file_get_contents("/proc/cpuinfo", &text, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
            const char *colon = strchr(*l, ':');
            if (!model && g_str_has_prefix(*l, "model name") && colon) {
                model = g_strstrip(g_strdup(colon + 1));
            }
            if (g_str_has_prefix(*l, "flags") && colon) {
                g_autofree char *flags = g_strdup_printf("%s ", colon + 1);
                aes = aes || strstr(flags, " aes ");
                vaes = vaes || strstr(flags, " vaes ");
            }
        }
    }
    printf("CPU: %s; AES-NI (flag aes): %s; VAES: %s; GnuTLS %s\n",
           model ? model : "unknown", aes ? "yes" : "no", vaes ? "yes" : "no",
           gnutls_check_version(NULL));
}

/* The cipher of a session description "(TLS1.3)-(...)-(AES-256-GCM)". */
static char *cipher_of(const char *session)
{
    const char *open = strrchr(session, '(');
    const char *close = open ? strchr(open, ')') : NULL;

    return close ? g_strndup(open + 1, close - open - 1) : g_strdup(session);
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Bytes per CPU-second that GnuTLS encrypts with the AEAD cipher `name`, in
 * records of TLS's largest size (16 KiB): what one end of a TLS migration
 * can do at most on a core of its own, before copies and system calls
 * (CPU time, not elapsed: the machine is shared). 0 when GnuTLS does not
 * know the cipher.
 */
static double cipher_throughput(const char *name)
{
    gnutls_cipher_algorithm_t algo = gnutls_cipher_get_id(name);
    size_t key_len = gnutls_cipher_get_key_size(algo);
    g_autofree uint8_t *key = g_malloc0(MAX(key_len, 1));
    gnutls_datum_t k = { key, (unsigned)key_len };
    gnutls_aead_cipher_hd_t h;
    static uint8_t in[16384], out[16384 + 64];
    uint8_t nonce[12] = { 0 };
    uint64_t bytes = 0;

    if (algo == GNUTLS_CIPHER_UNKNOWN || gnutls_aead_cipher_init(&h, algo, &k) < 0) {
        return 0;
    }
    double t0 = thread_cpu_s(), t;
    while ((t = thread_cpu_s() - t0) < 0.5) {
        size_t out_len = sizeof(out);
        nonce[0]++;
        ck_assert_int_eq(gnutls_aead_cipher_encrypt(h, nonce, sizeof(nonce), NULL, 0, 16,
                                                    in, sizeof(in), out, &out_len), 0);
        bytes += sizeof(in);
    }
    gnutls_aead_cipher_deinit(h);
    return bytes / t;
}

static void run_tls(void)
{
    RunConfig raw = { .guest = "dense", .append = "wss=1G", .ram = GIB, .speed = 0,
                      .speed_name = "unlimited", .cache = 64 * MIB, .stop_first = true,
                      .warmup = 2.0 };
    RunConfig seed_x = { .guest = "seed", .ram = GIB, .speed = 32 * MIB,
                         .speed_name = "32 MiB/s", .xbzrle = true, .cache = 64 * MIB,
                         .warmup = 1.0 };
    RunConfig raw_tls = raw, seed_x_tls = seed_x;
    RunResult raw_r, raw_tls_r, seed_x_r, seed_x_tls_r;

    raw_tls.tls = seed_x_tls.tls = true;
    printf("\nTLS (x509, client certificate checked, tls-authz) against plaintext, "
           "over a Unix socket, in turns, three runs each, judged on the medians\n\n");
    print_cpu();
    printf("\n");
    print_header();
    run_alternating(&raw, &raw_tls, 3, &raw_r, &raw_tls_r);
    run_alternating(&seed_x, &seed_x_tls, 3, &seed_x_r, &seed_x_tls_r);

    double rate = raw_r.transferred / raw_r.seconds;
    double rate_tls = raw_tls_r.transferred / raw_tls_r.seconds;
    g_autofree char *cipher = cipher_of(raw_tls_r.tls_session);
    double cipher_rate = cipher_throughput(cipher);
    double chacha_rate = cipher_throughput("CHACHA20-POLY1305");
    double channel = median_channel_throughput(false);
    double channel_tls = median_channel_throughput(true);

    printf("\n- TLS session (as the destination logged it): %s\n", raw_tls_r.tls_session);
    printf("- GnuTLS alone, 16 KiB records, per CPU-second: %s %.0f MB/s; CHACHA20-POLY1305 "
           "(what PSK gets) %.0f MB/s\n", cipher, cipher_rate / 1e6, chacha_rate / 1e6);
    printf("- the channel alone (pages and headers through a Unix socket pair between two "
           "threads, no guest RAM): %.0f MB/s over TLS against %.0f MB/s in plaintext (%.0f%%)\n",
           channel_tls / 1e6, channel / 1e6, 100 * channel_tls / channel);
    printf("- CPU per GB of raw pages: source %.2f s plaintext, %.2f s TLS; destination "
           "%.2f s plaintext, %.2f s TLS\n", raw_r.cpu_total / (raw_r.transferred / 1e9),
           raw_tls_r.cpu_total / (raw_tls_r.transferred / 1e9),
           raw_r.cpu_dst / (raw_r.transferred / 1e9),
           raw_tls_r.cpu_dst / (raw_tls_r.transferred / 1e9));
    printf("- raw pages over TLS at >= 50%% of plaintext: %.0f MB/s against %.0f MB/s over the "
           "whole migration (%.0f%%; the pass alone: %.0f against %.0f MB/s): %s\n",
           rate_tls / 1e6, rate / 1e6, 100 * rate_tls / rate, raw_tls_r.mbps / 8,
           raw_r.mbps / 8, raw_tls_r.completed && rate_tls >= 0.5 * rate ? "met" : "NOT met");
    printf("- seed, XBZRLE, 32 MiB/s over TLS converges as without (plaintext %.2f s, "
           "%" G_GINT64_FORMAT " ms) with downtime <= 30 ms: %.2f s, %" G_GINT64_FORMAT
           " ms: %s\n", seed_x_r.seconds, seed_x_r.downtime_ms, seed_x_tls_r.seconds,
           seed_x_tls_r.downtime_ms,
           seed_x_tls_r.completed && seed_x_tls_r.seconds < 3.0 &&
           seed_x_tls_r.downtime_ms <= 30 ? "met" : "NOT met");
}

/* --- downtime: how often the limit holds --------------------------------------- */

/* Runs c `runs` times and prints each downtime; returns the runs that
 * completed within the limit. */
static int count_within_limit(const char *title, const RunConfig *c, int runs)
{
    uint64_t limit = c->downtime_ms ? c->downtime_ms : 30;
    int within = 0;

    printf("\n%s, limit %" G_GUINT64_FORMAT " ms\n\n", title, limit);
    print_header();
    for (int i = 0; i < runs; i++) {
        RunResult r;
        run_one(c, &r);
        print_row(c, &r);
        within += r.completed && (uint64_t)r.downtime_ms <= limit;
    }
    printf("\n%s: %d of %d runs completed within %" G_GUINT64_FORMAT " ms\n", title, within,
           runs, limit);
    return within;
}

/*
 * The a-b guest rewrites every one of its pages all the time: each final
 * stage sends all 32 K pages of a 128 MiB guest, at least ~14 bytes each
 * as XBZRLE deltas (cache as large as RAM), ~450 KB: 36 ms at 100 Mbit/s
 * before any round trip. 30 ms can never hold there (the migration must
 * not stop the guest: it keeps iterating); 100 ms can. Deltas start with
 * the third pass (the first sends every page, the second fills the cache),
 * ~20 s at that rate.
 */
static void run_downtime_over_link(int runs)
{
    g_autofree char *why = NULL;
    RunConfig a_b = { .guest = "a-b", .ram = 128 * MIB, .speed = 0,
                      .speed_name = "unlimited (100 Mbit/s link)", .xbzrle = true,
                      .cache = 128 * MIB, .warmup = 1.0, .downtime_ms = 100,
                      .cap = 60 };

    if (!linkem_available(&why)) {
        printf("\na-b over 100 Mbit/s: skipped (%s)\n", why);
        return;
    }
    LinkemParams link = { .rate = "100mbit" };
    a_b.link = linkem_start(&link);
    count_within_limit("a-b 128 MiB, XBZRLE, over a 100 Mbit/s link", &a_b, runs);
    a_b.downtime_ms = 30;
    a_b.cap = 10;
    count_within_limit("a-b 128 MiB, XBZRLE, over a 100 Mbit/s link (cannot hold)", &a_b, 1);
    linkem_stop(a_b.link);
}

static void run_downtime(int runs)
{
    RunConfig seed = { .guest = "seed", .ram = GIB, .speed = 0, .speed_name = "unlimited",
                       .xbzrle = true, .cache = 64 * MIB, .warmup = 1.0 };
    RunConfig idle = { .guest = "idle", .ram = 8 * GIB, .speed = 0,
                       .speed_name = "unlimited", .cache = 64 * MIB, .warmup = 0.5 };

    count_within_limit("seed, XBZRLE, no bandwidth limit", &seed, runs);
    count_within_limit("idle 8 GiB, no bandwidth limit", &idle, runs);
    run_downtime_over_link(runs);
}

/* --- transparent huge pages: migrations with and without ------------------ */

#define THP_RUNS 3

/*
 * Whether the emulators started from now on may have transparent huge
 * pages. PR_SET_THP_DISABLE is inherited across fork and kept across
 * execve, and beats MADV_HUGEPAGE: the emulator runs unchanged, as on a
 * host that offers none, and nothing else on the machine is affected (the
 * system-wide switch in /sys would be, and would need root).
 */
static void allow_thp_in_emulators(bool allow)
{
    ck_assert_int_eq(prctl(PR_SET_THP_DISABLE, allow ? 0 : 1, 0, 0, 0), 0);
}

/* Why THP cannot be compared here (NULL: it can): the host offers none, or
 * whoever started this benchmark turned it off for it. */
static const char *thp_unavailable(void)
{
    g_autofree char *mode = NULL;

    if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 0) {
        return "THP is disabled for this process (PR_SET_THP_DISABLE by its parent)";
    }
    if (!g_file_get_contents("/sys/kernel/mm/transparent_hugepage/enabled", &mode,
                             NULL, NULL)) {
        return "this kernel has no transparent huge pages";
    }
    if (strstr(mode, "[never]")) {
        return "transparent huge pages are set to \"never\" on this host";
    }
    return NULL;
}

static double kib_mib(uint64_t kib)
{
    return (double)kib / 1024;
}

static void print_thp_header(void)
{
    printf("| guest | RAM | THP | result | total s | setup ms | downtime ms | MB on wire "
           "| src CPU s (vCPU) | RSS src / dst MiB | in huge pages src / dst MiB |\n");
    printf("|---|---:|---|---|---:|---:|---:|---:|---|---|---|\n");
}

static void print_thp_row(const RunConfig *c, bool thp, const RunResult *r)
{
    printf("| %s%s%s%s | %" G_GUINT64_FORMAT " GiB | %s | %s | %.2f | %" G_GINT64_FORMAT
           " | %" G_GINT64_FORMAT " | %.1f | %.2f (%.2f) | %.0f / %.0f | %.0f / %.0f |\n",
           c->guest, c->stop_first ? " (stopped)" : "", c->xbzrle ? ", XBZRLE" : "",
           c->dst_prealloc ? ", destination -mem-prealloc" : "", c->ram / GIB,
           thp ? "on" : "off",
           r->completed ? "completed" : "**not converged**", r->seconds,
           r->setup_ms, r->downtime_ms, r->transferred / 1e6, r->cpu_total, r->cpu_vcpu,
           kib_mib(r->src_mem.rss_kib), kib_mib(r->dst_mem.rss_kib),
           kib_mib(r->src_mem.anon_huge_kib), kib_mib(r->dst_mem.anon_huge_kib));
    fflush(stdout);
}

/*
 * The seed guest with XBZRLE and an idle 4 GiB guest, at no limit, with
 * THP on and off in turn, THP_RUNS times each; then the medians. Each run
 * starts a new source and destination, so each starts from fresh memory.
 * Beside them the raw-page case of the targets (every page of 1 GiB sent
 * once, raw): with the destination's RAM touched lazily, as by default, its
 * first touch of every page falls within the migration; with -mem-prealloc
 * it was paid at its start.
 */
static void run_thp(void)
{
    RunConfig configs[] = {
        { .guest = "seed", .ram = GIB, .speed = 0, .speed_name = "unlimited",
          .xbzrle = true, .cache = 64 * MIB, .warmup = 1.0 },
        { .guest = "idle", .ram = 4 * GIB, .speed = 0, .speed_name = "unlimited",
          .cache = 64 * MIB, .warmup = 0.5 },
        { .guest = "dense", .append = "wss=1G", .ram = GIB, .speed = 0,
          .speed_name = "unlimited", .cache = 64 * MIB, .stop_first = true, .ready = ".",
          .warmup = 0.5 },
        { .guest = "dense", .append = "wss=1G", .ram = GIB, .speed = 0,
          .speed_name = "unlimited", .cache = 64 * MIB, .stop_first = true, .ready = ".",
          .warmup = 0.5, .dst_prealloc = true },
    };
    enum { NCONFIGS = G_N_ELEMENTS(configs) };
    RunResult runs[NCONFIGS][2][THP_RUNS];
    const char *why_not = thp_unavailable();

    if (why_not) {
        printf("\nTransparent huge pages: not compared (%s)\n", why_not);
        return;
    }
    printf("\nTransparent huge pages on (the emulator's default, MADV_HUGEPAGE) and off "
           "(PR_SET_THP_DISABLE on the emulator processes: as a host without THP), "
           "no bandwidth limit, %d runs each, in turn; RSS after the migration. "
           "dense (stopped): every page sent raw once, the destination's RAM touched "
           "lazily (the default) or preallocated\n\n", THP_RUNS);
    print_thp_header();
    for (int i = 0; i < THP_RUNS; i++) {
        for (int thp = 1; thp >= 0; thp--) {
            allow_thp_in_emulators(thp);
            for (int k = 0; k < NCONFIGS; k++) {
                run_one(&configs[k], &runs[k][thp][i]);
                print_thp_row(&configs[k], thp, &runs[k][thp][i]);
            }
        }
    }
    allow_thp_in_emulators(true);
    printf("\nThe runs with the median total time:\n\n");
    print_thp_header();
    for (int k = 0; k < NCONFIGS; k++) {
        for (int thp = 1; thp >= 0; thp--) {
            print_thp_row(&configs[k], thp, median_run(runs[k][thp], THP_RUNS));
        }
    }
}

static int bench_argc;
static char **bench_argv;

START_TEST(bench_migration)
{
    printf("accelerator: %s\n", qtest_accel());
    if (bench_argc >= 2 && !strcmp(bench_argv[1], "thp")) {
        run_thp();
        return;
    }
    if (bench_argc >= 2 && !strcmp(bench_argv[1], "tls")) {
        run_tls();
        tls_certs_free(tls_certs);
        return;
    }
    if (bench_argc >= 2 && !strcmp(bench_argv[1], "downtime")) {
        run_downtime(bench_argc >= 3 ? atoi(bench_argv[2]) : 10);
        return;
    }
    if (bench_argc < 2 || strcmp(bench_argv[1], "targets")) {
        run_table(bench_argc, bench_argv);
    }
    run_targets();
}
END_TEST

int main(int argc, char **argv)
{
    bench_argc = argc;
    bench_argv = argv;
    return qtest_run_in_process("bench-migration", bench_migration, 3600);
}
