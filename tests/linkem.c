/*
 * linkem (tests; see linkem.h): runs `scripts/linkem-net run` for each
 * link, talks to the forwarder's control socket, and creates sockets in
 * the link's namespaces. The script owns the namespaces and the forwarder:
 * stopping it (SIGTERM) removes everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <glib.h>

#include "libqmp.h"
#include "linkem.h"

#define SCRIPT "scripts/linkem-net"
#define DEFAULT_SUBNET "10.199.0"
#define STOP_TIMEOUT_MS 10000

struct Linkem {
    char *name;
    char *netns[2];
    char *addr[2];
    char *dir;          /* the control socket */
    pid_t script;
    int ready_fd;       /* the script's stdout: "ready" */
    int messages_fd;    /* its stderr and the forwarder's: why it failed */
    int control_fd;
};

static GList *live_links;
static unsigned links_started;
static bool cleanup_registered;

/* ------------------------------------------------------------------------ */
/* Where things are */

/* The forwarder next to the test program (BUILD/tests/x -> BUILD/tools),
 * unless LINKEM names one. */
static char *forwarder_path(void)
{
    const char *env = getenv("LINKEM");
    if (env && env[0]) {
        return g_strdup(env);
    }
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *bin_dir = g_path_get_dirname(exe ? exe : ".");
    return g_build_filename(bin_dir, "..", "tools", "linkem", NULL);
}

/* What the script and the forwarder said, up to their exit. */
static char *messages(Linkem *l)
{
    GString *text = g_string_new(NULL);
    char buf[4096];
    struct pollfd pfd = { .fd = l->messages_fd, .events = POLLIN };

    while (poll(&pfd, 1, STOP_TIMEOUT_MS) == 1) {
        ssize_t n = read(l->messages_fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(text, buf, n);
    }
    if (!text->len) {
        g_string_append(text, "(no messages)");
    }
    return g_string_free(text, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Availability */

bool linkem_available(char **why)
{
    g_autofree char *ip = g_find_program_in_path("ip");
    g_autofree char *probe = g_strdup_printf("lkmprobe%d", (int)getpid());
    g_autofree char *err = NULL;
    int status = -1;

    if (geteuid() != 0) {
        *why = g_strdup("network namespaces need root");
        return false;
    }
    if (!ip) {
        *why = g_strdup("no ip command (apt-get install iproute2)");
        return false;
    }
    const char *add[] = { ip, "netns", "add", probe, NULL };
    if (!g_spawn_sync(NULL, (char **)add, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      NULL, &err, &status, NULL) || !g_spawn_check_wait_status(status, NULL)) {
        *why = g_strdup_printf("cannot create a network namespace: %s",
                               err ? g_strstrip(err) : "ip failed");
        return false;
    }
    const char *del[] = { ip, "netns", "del", probe, NULL };
    g_spawn_sync(NULL, (char **)del, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, NULL, NULL, NULL, NULL);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Starting: the script in the foreground, in a session of its own (a
 * timed-out test's process group is killed at once), told to clean up by
 * SIGTERM when the test process dies. */

static void add_setting(GPtrArray *argv, const char *option, const char *value)
{
    if (value) {
        g_ptr_array_add(argv, g_strdup(option));
        g_ptr_array_add(argv, g_strdup(value));
    }
}

static GPtrArray *script_argv(Linkem *l, const LinkemParams *p, const char *subnet)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    const char *words[] = { "/bin/sh", SCRIPT, "run", l->name, "--subnet", subnet,
                            "--dir", l->dir, "--forwarder", NULL };

    for (int i = 0; words[i]; i++) {
        g_ptr_array_add(argv, g_strdup(words[i]));
    }
    g_ptr_array_add(argv, forwarder_path());
    g_ptr_array_add(argv, g_strdup("--"));
    add_setting(argv, "--rate", p->rate);
    add_setting(argv, "--delay", p->delay);
    add_setting(argv, "--loss", p->loss);
    add_setting(argv, "--limit", p->limit);
    g_ptr_array_add(argv, g_strdup_printf("--seed=%" G_GUINT64_FORMAT,
                                          p->seed ? p->seed : 1));
    if (p->dead) {
        g_ptr_array_add(argv, g_strdup("--dead"));
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* Between fork and exec: async-signal-safe calls only. */
static void child_exec(char **argv, int out, int err, pid_t parent, const sigset_t *mask)
{
    setsid();
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigprocmask(SIG_SETMASK, mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(126);
    }
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
}

/* Pipes rather than files for its output: a killed test leaves nothing
 * behind once the script has cleaned up. */
static void spawn_script(Linkem *l, char **argv)
{
    int out[2], err[2];
    sigset_t all, old;

    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        ck_abort_msg("linkem: pipe: %s", g_strerror(errno));
    }
    pid_t parent = getpid();
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    l->script = fork();
    if (l->script == 0) {
        child_exec(argv, out[1], err[1], parent, &old);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(out[1]);
    close(err[1]);
    if (l->script < 0) {
        ck_abort_msg("linkem: fork: %s", g_strerror(errno));
    }
    l->ready_fd = out[0];
    l->messages_fd = err[0];
}

/* Waits for the script's "ready"; false if it ends or times out first. */
static bool wait_ready(Linkem *l)
{
    char buf[64];
    size_t len = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64)qtest_timeout_ms() * 1000;

    while (len < sizeof(buf) - 1) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd pfd = { .fd = l->ready_fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            return false;
        }
        ssize_t n = read(l->ready_fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0) {
            return false;
        }
        len += n;
        buf[len] = '\0';
        if (strstr(buf, "ready\n")) {
            return true;
        }
    }
    return false;
}

static int connect_control(Linkem *l)
{
    g_autofree char *path = g_build_filename(l->dir, "control.sock", NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = saved;
        return -1;
    }
    return fd;
}

static void stop_all_links(void)
{
    while (live_links) {
        linkem_stop(live_links->data);
    }
}

static Linkem *linkem_new(const char *subnet)
{
    Linkem *l = g_new0(Linkem, 1);
    g_autoptr(GError) err = NULL;

    l->name = g_strdup_printf("lkm%d-%u", (int)getpid(), links_started++);
    l->netns[LINKEM_A] = g_strdup_printf("%s-a", l->name);
    l->netns[LINKEM_B] = g_strdup_printf("%s-b", l->name);
    l->addr[LINKEM_A] = g_strdup_printf("%s.1", subnet);
    l->addr[LINKEM_B] = g_strdup_printf("%s.2", subnet);
    l->dir = g_dir_make_tmp("linkem-XXXXXX", &err);
    if (!l->dir) {
        ck_abort_msg("linkem: temporary directory: %s", err->message);
    }
    l->ready_fd = -1;
    l->messages_fd = -1;
    l->control_fd = -1;
    return l;
}

Linkem *linkem_start(const LinkemParams *params)
{
    static const LinkemParams plain;
    const LinkemParams *p = params ? params : &plain;
    const char *subnet = p->subnet ? p->subnet : DEFAULT_SUBNET;

    if (access(SCRIPT, X_OK) < 0) {
        ck_abort_msg("linkem: no %s here (run the tests from the top of the tree)", SCRIPT);
    }
    if (!cleanup_registered) {
        atexit(stop_all_links);
        cleanup_registered = true;
    }
    Linkem *l = linkem_new(subnet);
    live_links = g_list_prepend(live_links, l);
    g_autoptr(GPtrArray) argv = script_argv(l, p, subnet);
    spawn_script(l, (char **)argv->pdata);
    if (!wait_ready(l) || (l->control_fd = connect_control(l)) < 0) {
        kill(l->script, SIGTERM);
        g_autofree char *said = messages(l);
        linkem_stop(l);
        ck_abort_msg("linkem: the link did not come up:\n%s", said);
    }
    return l;
}

/* ------------------------------------------------------------------------ */
/* Stopping */

/* Waits for the script to exit; false on timeout. */
static bool reap_script(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            return true;
        }
        g_usleep(10000);
    }
    return false;
}

/* A script that does not end on SIGTERM is killed; then `down` removes
 * what it left. */
static void force_down(Linkem *l)
{
    kill(l->script, SIGKILL);
    waitpid(l->script, NULL, 0);
    const char *down[] = { "/bin/sh", SCRIPT, "down", l->name, "--dir", l->dir, NULL };
    g_spawn_sync(NULL, (char **)down, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL);
}

void linkem_stop(Linkem *l)
{
    if (!l) {
        return;
    }
    live_links = g_list_remove(live_links, l);
    if (l->control_fd >= 0) {
        close(l->control_fd);
    }
    if (l->script > 0) {
        kill(l->script, SIGTERM);
        if (!reap_script(l->script, STOP_TIMEOUT_MS)) {
            force_down(l);
        }
    }
    if (l->ready_fd >= 0) {
        close(l->ready_fd);
    }
    if (l->messages_fd >= 0) {
        close(l->messages_fd);
    }
    rmdir(l->dir);
    for (int side = 0; side < 2; side++) {
        g_free(l->netns[side]);
        g_free(l->addr[side]);
    }
    g_free(l->name);
    g_free(l->dir);
    g_free(l);
}

/* ------------------------------------------------------------------------ */
/* The control socket */

static char *read_reply(Linkem *l, const char *command)
{
    GString *reply = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)qtest_timeout_ms() * 1000;
    char c;

    for (;;) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd pfd = { .fd = l->control_fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, left) <= 0 || read(l->control_fd, &c, 1) != 1) {
            ck_abort_msg("linkem: no reply to '%s'", command);
        }
        if (c == '\n') {
            return g_string_free(reply, FALSE);
        }
        g_string_append_c(reply, c);
    }
}

static char *vcommand(Linkem *l, const char *fmt, va_list ap)
{
    g_autofree char *command = g_strdup_vprintf(fmt, ap);
    g_autofree char *line = g_strdup_printf("%s\n", command);
    size_t len = strlen(line);

    if (send(l->control_fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
        ck_abort_msg("linkem: sending '%s': %s", command, g_strerror(errno));
    }
    return read_reply(l, command);
}

char *linkem_command(Linkem *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reply = vcommand(l, fmt, ap);
    va_end(ap);
    return reply;
}

void linkem_set(Linkem *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *reply = vcommand(l, fmt, ap);
    va_end(ap);
    ck_assert_msg(g_str_has_prefix(reply, "ok"), "linkem: %s", reply);
}

uint64_t linkem_stat(Linkem *l, const char *name)
{
    g_autofree char *reply = linkem_command(l, "stats");
    g_autofree char *key = g_strdup_printf(" %s=", name);
    const char *at = strstr(reply, key);

    ck_assert_msg(at, "linkem: no counter %s in '%s'", name, reply);
    return g_ascii_strtoull(at + strlen(key), NULL, 10);
}

/* ------------------------------------------------------------------------ */
/* The namespaces */

void linkem_link_down(Linkem *l, bool down)
{
    const char *argv[] = { "/bin/sh", SCRIPT, down ? "link-down" : "link-up", l->name,
                           NULL };
    g_autofree char *err = NULL;
    int status = -1;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      NULL, &err, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        ck_abort_msg("linkem: %s %s: %s", argv[2], l->name, err ? err : "failed");
    }
}

const char *linkem_addr_a(Linkem *l)
{
    return l->addr[LINKEM_A];
}

const char *linkem_addr_b(Linkem *l)
{
    return l->addr[LINKEM_B];
}

const char *linkem_netns_a(Linkem *l)
{
    return l->netns[LINKEM_A];
}

const char *linkem_netns_b(Linkem *l)
{
    return l->netns[LINKEM_B];
}

/* The script writes it before it says ready. */
pid_t linkem_forwarder_pid(Linkem *l)
{
    g_autofree char *path = g_build_filename(l->dir, "forwarder.pid", NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        ck_abort_msg("linkem: no %s", path);
    }
    return atoi(text);
}

/* setns() moves only the calling thread: enter, create, come back. */
int linkem_socket(Linkem *l, LinkemSide side, int type)
{
    g_autofree char *path = g_strdup_printf("/run/netns/%s", l->netns[side]);
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int there = open(path, O_RDONLY | O_CLOEXEC);

    if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0) {
        ck_abort_msg("linkem: entering %s: %s", path, g_strerror(errno));
    }
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int saved = errno;
    if (setns(home, CLONE_NEWNET) < 0) {
        ck_abort_msg("linkem: back from %s: %s", path, g_strerror(errno));
    }
    close(home);
    close(there);
    ck_assert_msg(fd >= 0, "linkem: socket in %s: %s", path, g_strerror(saved));
    return fd;
}
