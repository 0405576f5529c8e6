/*
 * qemu-system-x86_64: the command line, then start-up in a fixed order
 * (accelerator, RAM and devices, kernel, vCPU, monitors, incoming migration)
 * and the main loop; teardown in reverse.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib-unix.h>

#include "accel.h"
#include "arch_init.h"
#include "authz/simple.h"
#include "config-host.h"
#include "cpus.h"
#include "crypto/tlscreds.h"
#include "cutils.h"
#include "hw/pc.h"
#include "main-loop.h"
#include "migration.h"
#include "migration-qmp.h"
#include "monitor.h"
#include "object.h"
#include "qemu-char.h"
#include "qemu-char-opts.h"
#include "qemu-error.h"
#include "qemu-option.h"
#include "sysemu.h"
#include "target-i386/machine.h"
#include "ui/console.h"

#define DEFAULT_RAM_SIZE (128ull << 20)
#define MAX_MONITORS 4

typedef struct MonitorSpec {
    const char *spec;           /* -monitor/-qmp DEV; NULL for -mon */
    const char *chardev;        /* -mon: the id of a -chardev... */
    CharDriverState *chr;       /* ...found once the chardevs are made */
    char *option;               /* the option as typed, for messages */
    MonitorMode mode;
    bool pretty;
} MonitorSpec;

typedef struct ChardevArg {
    char *option;               /* "-chardev TEXT", for messages */
    ChardevOpts *opts;
} ChardevArg;

typedef struct VLConfig {
    uint64_t ram_size;
    bool mem_prealloc;           /* touch all guest RAM at start */
    const char *name;
    bool start_stopped;          /* -S */
    const char *pidfile;
    bool daemonize;
    bool nographic;
    const char *display;         /* none | sdl */
    const char *accel;           /* kvm | soft | NULL (choose) */
    const char *kernel;
    const char *append;
    const char *serial;
    GPtrArray *chardevs;         /* ChardevArg, in order */
    MonitorSpec monitors[MAX_MONITORS];
    int nr_monitors;
    const char *incoming;
    GPtrArray *objects;          /* -object arguments, in order */
} VLConfig;

static VLConfig config = {
    .ram_size = DEFAULT_RAM_SIZE,
    .display = "none",
};

static int daemon_pipe = -1;
static char *pidfile_written;
static GHashTable *chardevs_in_use;    /* ids of -chardevs with a frontend */

/* --- errors at start-up ------------------------------------------------------ */

static G_GNUC_NORETURN G_GNUC_PRINTF(2, 3)
void option_error(const char *option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("%s: %s", option, msg);
    exit(1);
}

/* An option whose argument is refused: "-opt ARG: why". Takes err. */
static G_GNUC_NORETURN void option_arg_error(const char *option,
                                             const char *arg, GError *err)
{
    error_report("%s %s: %s", option, arg, err->message);
    g_error_free(err);
    exit(1);
}

static G_GNUC_NORETURN void startup_failed(GError *err)
{
    error_report_err(err);
    if (daemon_pipe >= 0) {
        char status = 1;
        (void)!write(daemon_pipe, &status, 1);
    }
    exit(1);
}

/* --- the options ---------------------------------------------------------------- */

static void usage(void)
{
    printf("usage: qemu-system-x86_64 [options]\n"
           "\n"
           "Machine:\n"
           "  -m SIZE              guest RAM (default 128M; K/M/G suffixes, MiB without)\n"
           "  -mem-prealloc        allocate all guest RAM at start (default: as touched)\n"
           "  -smp 1               number of vCPUs (only 1 for now)\n"
           "  -machine accel=kvm|soft  accelerator (default: kvm when /dev/kvm works)\n"
           "  -enable-kvm          same as -machine accel=kvm\n"
           "  -name NAME           name of the guest\n"
           "  -kernel FILE         a 64-bit ELF guest (default: the built-in seed guest)\n"
           "  -append STRING       its command line (e.g. \"wss=256M seed=7\")\n"
           "\n"
           "Objects:\n"
           "  -object TYPE,id=ID[,PROP=VALUE...]  an object: tls-creds-x509,\n"
           "                       tls-creds-psk (TLS credentials), authz-simple\n"
           "                       (who may connect); see object-add in docs/qmp.md\n"
           "\n"
           "Character devices and monitors (QEMU's syntax):\n"
           "  -chardev socket,id=ID,host=HOST,port=PORT[,server=on|off][,wait=on|off]\n"
           "           [,tls-creds=ID[,tls-authz=ID]]\n"
           "                       a TCP socket (path=PATH instead of host and port: a\n"
           "                       Unix socket); server=on listens, and waits for the\n"
           "                       first client unless wait=off (old flags: server,\n"
           "                       nowait). tls-creds: every client does a TLS handshake\n"
           "                       (a server's tls-creds-x509 with verify-peer=on asks\n"
           "                       for a client certificate); tls-authz: only the client\n"
           "                       identity an authz-simple object allows (docs/security.md)\n"
           "  -chardev stdio|null|pty,id=ID   -chardev file,id=ID,path=PATH\n"
           "  -mon chardev=ID[,mode=readline|control][,pretty=on|off]\n"
           "                       a monitor on chardev ID: readline is the human\n"
           "                       monitor (the default), control is QMP (pretty=on:\n"
           "                       indented JSON)\n"
           "\n"
           "Start-up:\n"
           "  -S                   do not start the vCPU (use 'cont')\n"
           "  -incoming URI        wait for a migration: tcp:HOST:PORT, unix:PATH,\n"
           "                       exec:COMMAND or fd:NAME\n"
           "  -incoming defer      wait for one, listening once migrate-incoming gives\n"
           "                       the URI\n"
           "  -pidfile FILE        write the process id to FILE\n"
           "  -daemonize           run in the background once started\n"
           "\n"
           "Input and output:\n"
           "  -serial DEV          the UART: stdio, null, file:PATH, unix:PATH,server,nowait,\n"
           "                       tcp:HOST:PORT,server,nowait, mon:stdio, vc (the SDL\n"
           "                       display's console; default stdio, vc with -display sdl)\n"
           "  -monitor DEV         a human monitor on DEV (same forms)\n"
           "  -qmp DEV             a QMP monitor on DEV (unix: or tcp:)\n"
           "                       (-serial, -monitor, -qmp: also chardev:ID, a -chardev)\n"
           "  -nographic           no display; serial port and monitor on stdio (Ctrl-a h)\n"
           "  -display none|sdl    the display (sdl: the serial console in a window)\n"
           "\n"
           "  -version             print the version\n"
           "  -h, -help            print this help\n");
}

static void parse_machine(const char *arg)
{
    g_auto(GStrv) props = g_strsplit(arg, ",", -1);

    for (int i = 0; props[i]; i++) {
        const char *p = props[i];
        if (g_str_has_prefix(p, "accel=")) {
            const char *a = p + strlen("accel=");
            if (strcmp(a, "kvm") && strcmp(a, "soft")) {
                option_error("-machine", "unknown accelerator '%s' (kvm or soft)", a);
            }
            config.accel = a == p ? NULL : g_strdup(a);
        } else if (strcmp(p, "pc") && strcmp(p, "type=pc") && *p) {
            option_error("-machine", "unknown property '%s' (accel=kvm|soft)", p);
        }
    }
}

static void parse_smp(const char *arg)
{
    int64_t n;

    if (parse_int64(arg, &n, NULL) < 0 || n < 1) {
        option_error("-smp", "invalid vCPU count '%s'", arg);
    }
    if (n != 1) {
        option_error("-smp", "only 1 vCPU is supported for now");
    }
}

static void parse_ram_size(const char *arg)
{
    GError *err = NULL;
    uint64_t size;

    /* As QEMU: a number without a suffix is in MiB. */
    if (parse_size(arg, 1 << 20, &size, &err) < 0) {
        option_error("-m", "%s", err->message);
    }
    if (size < (2 << 20) || size % 4096) {
        option_error("-m", "guest RAM must be at least 2M and a multiple of 4K");
    }
    config.ram_size = size;
}

static void add_monitor(MonitorSpec m, const char *opt)
{
    if (config.nr_monitors == MAX_MONITORS) {
        option_error(opt, "at most %d monitors", MAX_MONITORS);
    }
    if (!m.option) {
        m.option = g_strdup_printf("%s %s", opt, m.spec);
    }
    config.monitors[config.nr_monitors++] = m;
}

static void add_monitor_spec(const char *spec, MonitorMode mode, const char *opt)
{
    add_monitor((MonitorSpec){ .spec = spec, .mode = mode }, opt);
}

/* -chardev: checked now, made at start-up (after the objects it names). */
static void parse_chardev(const char *arg)
{
    GError *err = NULL;
    ChardevOpts *opts = chardev_opts_parse(arg, &err);

    if (!opts) {
        option_arg_error("-chardev", arg, err);
    }
    if (!config.chardevs) {
        config.chardevs = g_ptr_array_new();
    }
    ChardevArg *c = g_new(ChardevArg, 1);
    c->option = g_strdup_printf("-chardev %s", arg);
    c->opts = opts;
    g_ptr_array_add(config.chardevs, c);
}

static const QemuOptDesc mon_keys[] = {
    { "chardev", QEMU_OPT_STRING },
    { "mode", QEMU_OPT_STRING },
    { "pretty", QEMU_OPT_BOOL },
    { NULL }
};

static int parse_mon_mode(const char *mode, MonitorMode *out, GError **errp)
{
    if (!mode || !strcmp(mode, "readline")) {
        *out = MONITOR_MODE_HMP;
    } else if (!strcmp(mode, "control")) {
        *out = MONITOR_MODE_QMP;
    } else {
        error_setg(errp, "Parameter 'mode' does not accept value '%s' "
                   "(expected readline or control)", mode);
        return -1;
    }
    return 0;
}

/* -mon [chardev=]ID[,mode=readline|control][,pretty=on|off] */
static int mon_spec_parse(const char *arg, MonitorSpec *m, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "chardev", mon_keys, errp);

    if (!opts ||
        parse_mon_mode(qemu_opt_get(opts, "mode"), &m->mode, errp) < 0) {
        return -1;
    }
    const char *chardev = qemu_opt_get(opts, "chardev");
    if (!chardev) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return -1;
    }
    m->pretty = qemu_opt_get_bool(opts, "pretty", false);
    if (m->pretty && m->mode == MONITOR_MODE_HMP) {
        error_setg(errp, "'pretty' is not compatible with HMP monitors");
        return -1;
    }
    m->chardev = g_strdup(chardev);
    return 0;
}

static void parse_mon(const char *arg)
{
    MonitorSpec m = { 0 };
    GError *err = NULL;

    if (mon_spec_parse(arg, &m, &err) < 0) {
        option_arg_error("-mon", arg, err);
    }
    m.option = g_strdup_printf("-mon %s", arg);
    add_monitor(m, "-mon");
}

typedef enum { ARG_NONE, ARG_ONE } ArgKind;

typedef struct Option {
    const char *name;
    ArgKind arg;
    void (*handle)(const char *arg);
} Option;

static void opt_m(const char *a) { parse_ram_size(a); }
static void opt_mem_prealloc(const char *a) { config.mem_prealloc = true; }
static void opt_smp(const char *a) { parse_smp(a); }
static void opt_name(const char *a) { config.name = a; }
static void opt_S(const char *a) { config.start_stopped = true; }
static void opt_pidfile(const char *a) { config.pidfile = a; }
static void opt_daemonize(const char *a) { config.daemonize = true; }
static void opt_nographic(const char *a) { config.nographic = true; }
static void opt_machine(const char *a) { parse_machine(a); }
static void opt_enable_kvm(const char *a) { config.accel = "kvm"; }
static void opt_kernel(const char *a) { config.kernel = a; }
static void opt_append(const char *a) { config.append = a; }
static void opt_serial(const char *a) { config.serial = a; }
static void opt_monitor(const char *a) { add_monitor_spec(a, MONITOR_MODE_HMP, "-monitor"); }
static void opt_qmp(const char *a) { add_monitor_spec(a, MONITOR_MODE_QMP, "-qmp"); }
static void opt_chardev(const char *a) { parse_chardev(a); }
static void opt_mon(const char *a) { parse_mon(a); }
static void opt_incoming(const char *a) { config.incoming = a; }

static void opt_object(const char *a)
{
    if (!config.objects) {
        config.objects = g_ptr_array_new();
    }
    g_ptr_array_add(config.objects, (gpointer)a);
}

static void opt_display(const char *a)
{
    if (strcmp(a, "none") && strcmp(a, "sdl")) {
        option_error("-display", "unknown display '%s' (none or sdl)", a);
    }
    config.display = a;
}

static void opt_help(const char *a)
{
    usage();
    exit(0);
}

static void opt_version(const char *a)
{
    printf("QEMU emulator version %s (%s)\n", QEMU_VERSION, QEMU_PKGVERSION);
    exit(0);
}

static const Option options[] = {
    { "m", ARG_ONE, opt_m },
    { "mem-prealloc", ARG_NONE, opt_mem_prealloc },
    { "smp", ARG_ONE, opt_smp },
    { "name", ARG_ONE, opt_name },
    { "S", ARG_NONE, opt_S },
    { "pidfile", ARG_ONE, opt_pidfile },
    { "daemonize", ARG_NONE, opt_daemonize },
    { "nographic", ARG_NONE, opt_nographic },
    { "display", ARG_ONE, opt_display },
    { "machine", ARG_ONE, opt_machine },
    { "M", ARG_ONE, opt_machine },
    { "enable-kvm", ARG_NONE, opt_enable_kvm },
    { "kernel", ARG_ONE, opt_kernel },
    { "append", ARG_ONE, opt_append },
    { "serial", ARG_ONE, opt_serial },
    { "monitor", ARG_ONE, opt_monitor },
    { "qmp", ARG_ONE, opt_qmp },
    { "chardev", ARG_ONE, opt_chardev },
    { "mon", ARG_ONE, opt_mon },
    { "incoming", ARG_ONE, opt_incoming },
    { "object", ARG_ONE, opt_object },
    { "h", ARG_NONE, opt_help },
    { "help", ARG_NONE, opt_help },
    { "version", ARG_NONE, opt_version },
};

static const Option *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        if (strcmp(options[i].name, name) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

static void parse_command_line(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            option_error(arg, "unexpected argument (options start with '-')");
        }
        /* QEMU accepts --option as -option. */
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const Option *opt = find_option(name);
        if (!opt) {
            option_error(arg, "invalid option");
        }
        if (opt->arg == ARG_ONE) {
            if (i + 1 == argc) {
                option_error(arg, "requires an argument");
            }
            opt->handle(argv[++i]);
        } else {
            opt->handle(NULL);
        }
    }
}

static bool monitor_uses_stdio(void)
{
    for (int i = 0; i < config.nr_monitors; i++) {
        const char *spec = config.monitors[i].spec;
        if (spec && (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio"))) {
            return true;
        }
    }
    return false;
}

static bool chardev_uses_stdio(void)
{
    for (guint i = 0; config.chardevs && i < config.chardevs->len; i++) {
        ChardevArg *c = g_ptr_array_index(config.chardevs, i);
        if (!strcmp(chardev_opts_backend(c->opts), "stdio")) {
            return true;
        }
    }
    return false;
}

static void check_option_combinations(void)
{
    bool uses_stdio = config.nographic || monitor_uses_stdio() ||
                      chardev_uses_stdio() || (config.serial &&
                      (!strcmp(config.serial, "stdio") || !strcmp(config.serial, "mon:stdio")));
    if (config.daemonize && uses_stdio) {
        option_error("-daemonize", "cannot be used with stdio (-nographic, -serial stdio "
                     "or -monitor stdio)");
    }
    if (config.nographic && !strcmp(config.display, "sdl")) {
        option_error("-nographic", "cannot be used with -display sdl");
    }
    if (config.serial && !strcmp(config.serial, "vc") &&
        strcmp(config.display, "sdl")) {
        option_error("-serial", "vc is the console of the SDL display: "
                     "it needs -display sdl");
    }
#ifndef CONFIG_SDL
    if (!strcmp(config.display, "sdl")) {
        option_error("-display", "this binary was built without SDL "
                     "(apt-get install libsdl2-dev libpixman-1-dev, then ./configure)");
    }
#endif
}

/* --- start-up steps ---------------------------------------------------------------- */

/* The types -object and object-add can make. */
static void register_object_types(void)
{
    tls_creds_register_types();
    authz_simple_register_type();
}

/* -object, in command-line order: an object may name one made before it. */
static void create_objects(void)
{
    for (guint i = 0; config.objects && i < config.objects->len; i++) {
        const char *arg = g_ptr_array_index(config.objects, i);
        GError *err = NULL;
        if (object_create_from_string(arg, &err) < 0) {
            error_prepend(&err, "-object %s", arg);
            startup_failed(err);
        }
    }
}

/* -chardev, in command-line order, after the objects their tls-creds and
 * tls-authz name; a listening socket without wait=off waits here for its
 * first client. */
static void create_chardevs(void)
{
    for (guint i = 0; config.chardevs && i < config.chardevs->len; i++) {
        ChardevArg *c = g_ptr_array_index(config.chardevs, i);
        GError *err = NULL;
        if (!chardev_new(c->opts, &err)) {
            error_prepend(&err, "%s", c->option);
            startup_failed(err);
        }
    }
}

/* A -chardev for one frontend (a monitor, the UART): each has one. The
 * error names the option that asked for it. */
static CharDriverState *claim_chardev(const char *id, const char *option)
{
    CharDriverState *chr = chardev_find(id);
    GError *err = NULL;

    if (!chr) {
        error_setg(&err, "%s: chardev \"%s\" not found", option, id);
        startup_failed(err);
    }
    if (!chardevs_in_use) {
        chardevs_in_use = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    if (!g_hash_table_add(chardevs_in_use, g_strdup(id))) {
        error_setg(&err, "%s: Device '%s' is in use", option, id);
        startup_failed(err);
    }
    return chr;
}

/* -mon's chardevs, found as soon as they exist: a wrong id stops start-up
 * before anything else happens. */
static void claim_monitor_chardevs(void)
{
    for (int i = 0; i < config.nr_monitors; i++) {
        MonitorSpec *m = &config.monitors[i];
        if (m->chardev) {
            m->chr = claim_chardev(m->chardev, m->option);
        }
    }
}

/* Forks; the parent waits until the child reports start-up done (0) or
 * failed (1) and exits with that status. */
static void daemonize_start(void)
{
    int fds[2];

    if (pipe(fds) < 0) {
        error_report("-daemonize: pipe: %s", strerror(errno));
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        error_report("-daemonize: fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        char status = 1;
        close(fds[1]);
        if (read(fds[0], &status, 1) != 1) {
            status = 1;
        }
        _exit(status);
    }
    close(fds[0]);
    daemon_pipe = fds[1];
    setsid();
}

static void daemonize_finish(void)
{
    char status = 0;
    int null = open("/dev/null", O_RDWR);

    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    (void)!write(daemon_pipe, &status, 1);
    close(daemon_pipe);
    daemon_pipe = -1;
}

static void remove_pidfile(void)
{
    if (pidfile_written) {
        unlink(pidfile_written);
    }
}

static void write_pidfile(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0) {
        option_error("-pidfile", "cannot open '%s': %s", path, strerror(errno));
    }
    /* The lock (held until exit) tells whether another instance uses it. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        option_error("-pidfile", "'%s' is locked by another running instance", path);
    }
    g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
        option_error("-pidfile", "cannot write '%s': %s", path, strerror(errno));
    }
    pidfile_written = g_strdup(path);
    atexit(remove_pidfile);
}

static const AccelOps *choose_accelerator(void)
{
    GError *err = NULL;

    if (config.accel && !strcmp(config.accel, "soft")) {
        return &soft_accel_ops;
    }
    if (kvm_accel_ops.available(&err) && kvm_accel_ops.init(&err) == 0) {
        return &kvm_accel_ops;
    }
    if (config.accel) {
        error_prepend(&err, "-machine accel=kvm");
        startup_failed(err);
    }
    error_report("warning: KVM is not usable (%s); using the software accelerator",
                 err->message);
    g_error_free(err);
    return &soft_accel_ops;
}

static CharDriverState *open_chardev(const char *label, const char *spec,
                                     const char *option)
{
    GError *err = NULL;

    if (g_str_has_prefix(spec, "chardev:")) {
        g_autofree char *what = g_strdup_printf("%s %s", option, spec);
        return claim_chardev(spec + strlen("chardev:"), what);
    }
    CharDriverState *chr = qemu_chr_new(label, spec, &err);

    if (!chr) {
        error_prepend(&err, "%s %s", option, spec);
        startup_failed(err);
    }
    return chr;
}

/* Where the UART goes without -serial, as QEMU does it: -nographic puts it
 * and a monitor on stdio; -display sdl on the display's console; otherwise
 * stdio, unless a monitor has it. */
static const char *default_serial_spec(void)
{
    if (config.nographic) {
        return "mon:stdio";
    }
    if (!strcmp(config.display, "sdl")) {
        return "vc";
    }
    if (config.daemonize || monitor_uses_stdio() || chardev_uses_stdio()) {
        return "null";
    }
    return "stdio";
}

/*
 * Opens the UART's backend. "mon:stdio" also puts a human monitor on it;
 * -nographic with the UART elsewhere puts the monitor on stdio alone.
 * Returns the backend, and in *mux the one a monitor shares, if any.
 */
static CharDriverState *open_serial(CharDriverState **mux)
{
    const char *spec = config.serial ? config.serial : default_serial_spec();
    CharDriverState *chr = open_chardev("serial0", spec, "-serial");

    *mux = NULL;
    if (!strcmp(spec, "mon:stdio")) {
        *mux = chr;
        add_monitor_spec("mon:stdio", MONITOR_MODE_HMP, "-serial");
    } else if (config.nographic && !monitor_uses_stdio()) {
        add_monitor_spec("stdio", MONITOR_MODE_HMP, "-nographic");
    }
    return chr;
}

/* The chardev of monitor number i: a -chardev (-mon), the terminal the
 * UART shares (mon:stdio), or one of its own. */
static CharDriverState *monitor_chardev(const MonitorSpec *m, int i,
                                        CharDriverState *stdio_mux)
{
    if (m->chr) {
        return m->chr;
    }
    if (!strcmp(m->spec, "mon:stdio") && stdio_mux) {
        return stdio_mux;
    }
    g_autofree char *label = g_strdup_printf("monitor%d", i);
    return open_chardev(label, m->spec,
                        m->mode == MONITOR_MODE_QMP ? "-qmp" : "-monitor");
}

static void start_monitors(CharDriverState *stdio_mux)
{
    for (int i = 0; i < config.nr_monitors; i++) {
        MonitorSpec *m = &config.monitors[i];
        GError *err = NULL;
        Monitor *mon = monitor_init(monitor_chardev(m, i, stdio_mux), m->mode,
                                    &err);
        if (!mon) {
            startup_failed(err);
        }
        monitor_set_pretty(mon, m->pretty);
    }
}

static gboolean on_terminating_signal(gpointer opaque)
{
    qemu_system_shutdown_request();
    return G_SOURCE_CONTINUE;
}

static void install_signal_handlers(void)
{
    signal(SIGPIPE, SIG_IGN);
    g_unix_signal_add(SIGINT, on_terminating_signal, NULL);
    g_unix_signal_add(SIGTERM, on_terminating_signal, NULL);
    g_unix_signal_add(SIGHUP, on_terminating_signal, NULL);
}

/* -incoming URI listens now; -incoming defer waits for migrate-incoming,
 * so that parameters can be set before. */
static void start_incoming(void)
{
    GError *err = NULL;

    runstate_set(RUN_STATE_INMIGRATE);
    if (!strcmp(config.incoming, "defer")) {
        migration_incoming_defer(config.start_stopped);
        return;
    }
    if (qemu_start_incoming_migration(config.incoming, config.start_stopped, &err) < 0) {
        error_prepend(&err, "-incoming %s", config.incoming);
        startup_failed(err);
    }
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    CharDriverState *serial, *serial_mux;
    BootEntry entry;

    g_set_prgname("qemu-system-x86_64");
    main_loop_init();
    register_object_types();
    parse_command_line(argc, argv);
    check_option_combinations();
    if (config.daemonize) {
        daemonize_start();
    }
    /* Before the pidfile: from its creation on, SIGTERM must remove it. */
    install_signal_handlers();
    if (config.pidfile) {
        write_pidfile(config.pidfile);
    }
    atexit(qemu_chr_cleanup);
    create_objects();
    create_chardevs();
    claim_monitor_chardevs();

    accel_select(choose_accelerator());
    serial = open_serial(&serial_mux);
    MachineConfig machine = {
        .ram_size = config.ram_size,
        .mem_prealloc = config.mem_prealloc,
        .kernel = config.kernel,
        .append = config.append,
        .name = config.name,
        .serial = serial,
    };
    if (pc_init(&machine, &entry, &err) < 0 || cpus_init(&entry, &err) < 0) {
        startup_failed(err);
    }
    ram_migration_register();
    cpu_register_migration();
    migration_init();
    migration_qmp_init();
    start_monitors(serial_mux);
#ifdef CONFIG_SDL
    if (!strcmp(config.display, "sdl") && console_sdl_init(serial, &err) < 0) {
        startup_failed(err);
    }
#endif

    if (config.incoming) {
        start_incoming();
    } else if (!config.start_stopped && vm_start(&err) < 0) {
        startup_failed(err);
    }
    if (config.daemonize) {
        daemonize_finish();
    }

    int status = main_loop_run();
    vm_stop(RUN_STATE_SHUTDOWN);
    migration_shutdown();
    cpus_fini();
    return status;
}
