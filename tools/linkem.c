/*
 * linkem: an emulated network link between two tun devices (usually moved
 * into two network namespaces by scripts/linkem-net), with rate, delay,
 * loss, a queue limit and a silent "dead" mode in each direction, changed
 * at run time through a control socket. This file: the command line and
 * the event loop (one thread, ppoll, packets read and written in bursts).
 *
 *   linkem --tun-a NAME --tun-b NAME --control PATH [options]
 *   linkem ctl PATH COMMAND...
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "linkem-client.h"
#include "linkem-command.h"
#include "linkem-control.h"
#include "linkem-shaper.h"
#include "linkem-tun.h"

#define DEFAULT_MTU 1500
#define DEFAULT_SLOTS 32768
#define TX_QUEUE_LEN 1000
#define BURST 64                /* packets read per ready descriptor */
#define MAX_SETTINGS 16
#define SETTING_MAX 128
#define ERR_MAX 512

typedef struct Options {
    const char *tun[LINK_DIRECTIONS];   /* a, b */
    const char *control;
    int mtu;
    size_t slots;
    bool exit_with_parent;
    char settings[MAX_SETTINGS][SETTING_MAX];  /* commands to start with */
    int nsettings;
} Options;

typedef struct Forwarder {
    int tun[LINK_DIRECTIONS];           /* a2b reads tun[0], writes tun[1] */
    Shaper *link[LINK_DIRECTIONS];
    ControlServer *control;
    int signal_fd;
} Forwarder;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: linkem --tun-a NAME --tun-b NAME --control PATH [options]\n"
        "       linkem ctl PATH COMMAND...\n"
        "\n"
        "Creates the tun devices a and b and forwards IP packets between them\n"
        "through an emulated link, controlled through the Unix socket PATH.\n"
        "\n"
        "  --rate RATE        100mbit, 1gbit, unlimited (default)\n"
        "  --delay DELAY      one way: 20ms, 500us, 0 (default)\n"
        "  --loss LOSS        1%%, 0 (default)\n"
        "  --limit LIMIT      queue limit: 1000p, 64kb, none (default)\n"
        "  --seed N           seed of the loss generator (default: from the clock)\n"
        "  --dead             start dead (drop everything silently)\n"
        "  --mtu N            MTU of both devices (default %d)\n"
        "  --slots N          packets held per direction at most (default %d)\n"
        "  --exit-with-parent exit (cleanly) when the parent process dies\n"
        "\n"
        "Each setting applies to both directions; the control socket can set\n"
        "one (a2b, b2a). `linkem ctl PATH help` lists the commands.\n",
        DEFAULT_MTU, DEFAULT_SLOTS);
}

static void complain(const char *fmt, va_list ap)
{
    fprintf(stderr, "linkem: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
}

/* Before the control socket exists: nothing to clean up but the process. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    complain(fmt, ap);
    va_end(ap);
    exit(1);
}

/* While forwarding: the caller leaves through the cleanup. */
static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    complain(fmt, ap);
    va_end(ap);
    return false;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* The command line */

static long parse_number(const char *option, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        die("%s '%s': expected a number from %ld to %ld", option, text, min, max);
    }
    return v;
}

static void add_setting(Options *o, const char *name, const char *value)
{
    if (o->nsettings == MAX_SETTINGS) {
        die("too many settings");
    }
    int n = snprintf(o->settings[o->nsettings++], SETTING_MAX, "%s %s", name, value);
    if (n >= SETTING_MAX) {
        die("--%s '%s': too long", name, value);
    }
}

static void parse_options(int argc, char **argv, Options *o)
{
    enum { OPT_TUN_A = 256, OPT_TUN_B, OPT_CONTROL, OPT_MTU, OPT_SLOTS,
           OPT_EXIT_WITH_PARENT, OPT_DEAD, OPT_SETTING };
    static const struct option longopts[] = {
        { "tun-a", required_argument, NULL, OPT_TUN_A },
        { "tun-b", required_argument, NULL, OPT_TUN_B },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "mtu", required_argument, NULL, OPT_MTU },
        { "slots", required_argument, NULL, OPT_SLOTS },
        { "exit-with-parent", no_argument, NULL, OPT_EXIT_WITH_PARENT },
        { "dead", no_argument, NULL, OPT_DEAD },
        { "rate", required_argument, NULL, OPT_SETTING },
        { "delay", required_argument, NULL, OPT_SETTING },
        { "loss", required_argument, NULL, OPT_SETTING },
        { "limit", required_argument, NULL, OPT_SETTING },
        { "seed", required_argument, NULL, OPT_SETTING },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt, index;

    *o = (Options){ .mtu = DEFAULT_MTU, .slots = DEFAULT_SLOTS };
    while ((opt = getopt_long(argc, argv, "h", longopts, &index)) != -1) {
        switch (opt) {
        case OPT_TUN_A: o->tun[0] = optarg; break;
        case OPT_TUN_B: o->tun[1] = optarg; break;
        case OPT_CONTROL: o->control = optarg; break;
        case OPT_MTU: o->mtu = parse_number("--mtu", optarg, 68, 65535); break;
        case OPT_SLOTS: o->slots = parse_number("--slots", optarg, 16, 1 << 22); break;
        case OPT_EXIT_WITH_PARENT: o->exit_with_parent = true; break;
        case OPT_DEAD: add_setting(o, "dead", "on"); break;
        case OPT_SETTING: add_setting(o, longopts[index].name, optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "linkem: unexpected argument '%s' (linkem --help)\n", argv[optind]);
        exit(2);
    }
    if (!o->tun[0] || !o->tun[1] || !o->control) {
        fprintf(stderr, "linkem: --tun-a, --tun-b and --control are needed (linkem --help)\n");
        exit(2);
    }
}

/* ------------------------------------------------------------------------ */
/* Setting up and tearing down */

static void control_handler(const char *line, char *reply, size_t size, void *opaque)
{
    Forwarder *f = opaque;
    command_run(f->link, line, now_ns(), reply, size);
}

/* The options' settings go through the control protocol: one parser, one
 * set of messages. */
static void apply_settings(Forwarder *f, const Options *o)
{
    char reply[COMMAND_REPLY_MAX];

    for (int i = 0; i < o->nsettings; i++) {
        if (!command_run(f->link, o->settings[i], now_ns(), reply, sizeof(reply))) {
            die("%s", reply + strlen("error: "));
        }
    }
}

/* SIGTERM, SIGINT and SIGHUP end the loop through a descriptor, so that
 * the forwarder always leaves through its cleanup. */
static int open_signal_fd(void)
{
    static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        /* A shell starts background jobs with SIGINT ignored, and an
         * ignored signal never reaches the descriptor. */
        signal(stops[i], SIG_DFL);
        sigaddset(&set, stops[i]);
    }
    sigprocmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        die("signalfd: %s", strerror(errno));
    }
    return fd;
}

static void watch_parent(void)
{
    pid_t parent = getppid();

    /* The death signal goes through the signal descriptor like any other
     * SIGTERM; a parent gone before prctl is caught by the check. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        die("the parent process is gone");
    }
}

static void forwarder_open(Forwarder *f, const Options *o)
{
    char err[ERR_MAX];
    uint64_t seed = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);

    f->signal_fd = open_signal_fd();
    if (o->exit_with_parent) {
        watch_parent();
    }
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        f->link[d] = shaper_new(o->slots, o->mtu, seed + d);
        if (!f->link[d]) {
            die("out of memory for %zu packets of %d bytes", o->slots, o->mtu);
        }
        f->tun[d] = tun_create(o->tun[d], o->mtu, TX_QUEUE_LEN, err, sizeof(err));
        if (f->tun[d] < 0) {
            die("%s", err);
        }
    }
    apply_settings(f, o);
    /* Last: a control socket that answers means the devices are there. */
    f->control = control_open(o->control, control_handler, f, err, sizeof(err));
    if (!f->control) {
        die("%s", err);
    }
}

static void forwarder_close(Forwarder *f)
{
    control_close(f->control);
    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        close(f->tun[d]);
        shaper_free(f->link[d]);
    }
    close(f->signal_fd);
}

/* ------------------------------------------------------------------------ */
/* Forwarding */

/* Reads what tun `from` has (a burst at most) into direction `from`;
 * false if the device failed. */
static bool receive_burst(Forwarder *f, int from)
{
    Shaper *s = f->link[from];

    for (int i = 0; i < BURST; i++) {
        size_t room;
        uint8_t *buf = shaper_intake(s, &room);
        ssize_t n = read(f->tun[from], buf, room);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return true;
        }
        if (n < 0) {
            return fail("reading tun %c: %s", 'a' + from, strerror(errno));
        }
        shaper_admit(s, n, now_ns());
    }
    return true;
}

/* Writes every packet of direction d whose time has come. A write the far
 * end refuses (its interface is down) drops the packet, as a wire would;
 * false only if the device is gone. */
static bool deliver_due(Forwarder *f, int d, int64_t now)
{
    Shaper *s = f->link[d];
    int to = f->tun[!d];
    const uint8_t *pkt;
    size_t len;

    while ((pkt = shaper_due(s, now, &len))) {
        ssize_t n = write(to, pkt, len);
        if (n < 0 && errno == EBADFD) {
            return fail("tun %c is gone", 'a' + !d);
        }
        shaper_delivered(s, n == (ssize_t)len);
    }
    return true;
}

/* How long ppoll may sleep: until the next packet is due, or for ever. */
static struct timespec *time_to_next(const Forwarder *f, int64_t now,
                                     struct timespec *ts)
{
    int64_t next = INT64_MAX;

    for (int d = 0; d < LINK_DIRECTIONS; d++) {
        int64_t due = shaper_next_due(f->link[d]);
        next = due < next ? due : next;
    }
    if (next == INT64_MAX) {
        return NULL;
    }
    int64_t wait = next > now ? next - now : 0;
    ts->tv_sec = wait / 1000000000;
    ts->tv_nsec = wait % 1000000000;
    return ts;
}

/* Forwards until a signal (true) or a failed device (false). */
static bool run(Forwarder *f)
{
    enum { FD_TUN_A, FD_TUN_B, FD_SIGNAL, FD_CONTROL };
    struct pollfd fds[FD_CONTROL + CONTROL_MAX_FDS];
    struct timespec ts;

    fds[FD_TUN_A] = (struct pollfd){ .fd = f->tun[0], .events = POLLIN };
    fds[FD_TUN_B] = (struct pollfd){ .fd = f->tun[1], .events = POLLIN };
    fds[FD_SIGNAL] = (struct pollfd){ .fd = f->signal_fd, .events = POLLIN };
    for (;;) {
        int ncontrol = control_pollfds(f->control, fds + FD_CONTROL);
        if (ppoll(fds, FD_CONTROL + ncontrol, time_to_next(f, now_ns(), &ts),
                  NULL) < 0 && errno != EINTR) {
            return fail("ppoll: %s", strerror(errno));
        }
        if (fds[FD_SIGNAL].revents) {
            return true;
        }
        for (int d = 0; d < LINK_DIRECTIONS; d++) {
            if (fds[FD_TUN_A + d].revents && !receive_burst(f, d)) {
                return false;
            }
            if (!deliver_due(f, d, now_ns())) {
                return false;
            }
        }
        control_dispatch(f->control, fds + FD_CONTROL, ncontrol);
    }
}

/* linkem ctl PATH COMMAND...: the words are one command. */
static int ctl_main(int argc, char **argv)
{
    char command[1024] = "";

    if (argc < 4) {
        fprintf(stderr, "usage: linkem ctl PATH COMMAND...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        size_t used = strlen(command);
        snprintf(command + used, sizeof(command) - used, "%s%s",
                 i > 3 ? " " : "", argv[i]);
    }
    return client_run(argv[2], command);
}

int main(int argc, char **argv)
{
    Options options;
    Forwarder forwarder;

    if (argc >= 2 && !strcmp(argv[1], "ctl")) {
        return ctl_main(argc, argv);
    }
    parse_options(argc, argv, &options);
    /* Packets are due to the microsecond: do not let the kernel batch
     * our wake-ups by its default 50 us. */
    prctl(PR_SET_TIMERSLACK, 1000UL);
    forwarder_open(&forwarder, &options);
    bool ok = run(&forwarder);
    forwarder_close(&forwarder);
    return ok ? 0 : 1;
}
