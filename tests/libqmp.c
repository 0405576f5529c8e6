/*
 * libqmp (see libqmp.h): emulator processes for end-to-end tests, their QMP
 * and HMP clients, output capture, and a guardian process that cleans up
 * after a test that failed (Check ends a failed test with _exit, so atexit
 * handlers never run).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "libqmp.h"

#define OUTPUT_MAX (32 * 1024 * 1024)   /* then the oldest half goes */
#define STDERR_TAIL 1500                /* shown with a failure */
#define PROMPT "(qemu) "

struct QTestState {
    pid_t pid;
    bool reaped;
    int status;         /* exit status once reaped */
    char *dir;
    int stdin_fd;       /* a pipe, or the pty master */
    int out_fd;
    int err_fd;
    int stop_pipe[2];   /* tells the reader thread to end */
    GThread *reader;
    GMutex lock;
    GCond cond;         /* output arrived or ended */
    GString *out;
    GString *err;
    size_t out_dropped; /* bytes of stdout dropped from the front */
    bool out_eof;
    bool err_eof;
    QmpClient *qmp;
    HmpClient *hmp;
};

struct QmpClient {
    QTestState *s;
    int fd;
    GString *in;
    GQueue replies;
    GQueue events;
    JsonObject *greeting;
    bool eof;
};

struct HmpClient {
    QTestState *s;
    int fd;
    GString *in;
    char *banner;
    bool eof;
};

/* ------------------------------------------------------------------------ */
/* Failing with context */

static void qtest_fail(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3)
    G_GNUC_NORETURN;

static void qtest_fail(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *err = s ? qtest_stderr(s) : g_strdup("");
    size_t n = strlen(err);
    const char *tail = n > STDERR_TAIL ? err + n - STDERR_TAIL : err;

    ck_abort_msg("%s%s%s", msg, tail[0] ? "\n--- emulator stderr (end) ---\n" : "",
                 tail);
    abort();    /* not reached */
}

int qtest_timeout_ms(void)
{
    const char *env = getenv("QTEST_TIMEOUT");
    int seconds = env ? atoi(env) : 0;
    return (seconds > 0 ? seconds : 30) * 1000;
}

double qtest_waits_timeout_s(int waits)
{
    return (double)qtest_timeout_ms() * waits / 1000 + 10;
}

void qtest_tcase_timeout(TCase *tc, int waits)
{
    tcase_set_timeout(tc, qtest_waits_timeout_s(waits));
}

int qtest_run_in_process(const char *name, const TTest *test, double timeout_s)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, timeout_s);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_SILENT);
    int failed = srunner_ntests_failed(runner);
    if (failed) {
        srunner_print(runner, CK_VERBOSE);
    }
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static gint64 deadline_after(int timeout_ms)
{
    return g_get_monotonic_time() +
           (gint64)(timeout_ms < 0 ? qtest_timeout_ms() : timeout_ms) * 1000;
}

static int ms_until(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();
    return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* ------------------------------------------------------------------------ */
/* The guardian: when the test process dies, kill what it started and remove
 * its directories. Plain libc only: it is forked before any thread. */

#define GUARD_MAX 64

static int guardian_fd = -1;

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void guardian_forget(char table[][PATH_MAX], const char *item)
{
    for (int i = 0; i < GUARD_MAX; i++) {
        if (!strcmp(table[i], item)) {
            table[i][0] = '\0';
        }
    }
}

static void guardian_remember(char table[][PATH_MAX], const char *item)
{
    for (int i = 0; i < GUARD_MAX; i++) {
        if (!table[i][0]) {
            size_t n = strnlen(item, PATH_MAX - 1);
            memcpy(table[i], item, n);
            table[i][n] = '\0';
            return;
        }
    }
}

static void guardian_clean(char pids[][PATH_MAX], char dirs[][PATH_MAX])
{
    for (int i = 0; i < GUARD_MAX; i++) {
        if (pids[i][0]) {
            kill(atoi(pids[i]), SIGKILL);
        }
    }
    for (int i = 0; i < GUARD_MAX; i++) {
        if (dirs[i][0]) {
            remove_tree(dirs[i]);
        }
    }
}

/* Lines: "+pid N", "-pid N", "+dir PATH", "-dir PATH". */
static void guardian_run(int fd)
{
    static char pids[GUARD_MAX][PATH_MAX], dirs[GUARD_MAX][PATH_MAX];
    static char line[PATH_MAX + 8];
    size_t len = 0;
    char c;

    while (read(fd, &c, 1) == 1) {
        if (c != '\n') {
            if (len < sizeof(line) - 1) {
                line[len++] = c;
            }
            continue;
        }
        line[len] = '\0';
        len = 0;
        bool add = line[0] == '+';
        char (*table)[PATH_MAX] = !strncmp(line + 1, "pid ", 4) ? pids : dirs;
        if (add) {
            guardian_remember(table, line + 5);
        } else {
            guardian_forget(table, line + 5);
        }
    }
    guardian_clean(pids, dirs);
}

static void guardian_start(void)
{
    int p[2];

    if (guardian_fd >= 0) {
        return;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        ck_abort_msg("pipe: %s", g_strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Only its pipe: a descriptor the test made before (a socket of a
         * migration, say) must not stay open here for the whole run. */
        close_range(3, (unsigned)p[0] - 1, 0);
        close_range((unsigned)p[0] + 1, ~0u, 0);
        setsid();   /* outlive a kill of the test's process group */
        guardian_run(p[0]);
        _exit(0);
    }
    close(p[0]);
    guardian_fd = p[1];
}

static void guardian_tell(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void guardian_tell(const char *fmt, ...)
{
    char buf[PATH_MAX + 16];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (guardian_fd >= 0 && n > 0 && n < (int)sizeof(buf)) {
        ssize_t rc = write(guardian_fd, buf, n);
        (void)rc;
    }
}

/* ------------------------------------------------------------------------ */
/* Output capture */

static void output_append(QTestState *s, bool is_err, const char *buf,
                          size_t n)
{
    g_mutex_lock(&s->lock);
    GString *out = is_err ? s->err : s->out;
    g_string_append_len(out, buf, n);
    if (out->len > OUTPUT_MAX) {
        size_t drop = out->len / 2;
        g_string_erase(out, 0, drop);
        if (!is_err) {
            s->out_dropped += drop;
        }
    }
    g_cond_broadcast(&s->cond);
    g_mutex_unlock(&s->lock);
}

static void output_ended(QTestState *s, bool is_err)
{
    g_mutex_lock(&s->lock);
    *(is_err ? &s->err_eof : &s->out_eof) = true;
    g_cond_broadcast(&s->cond);
    g_mutex_unlock(&s->lock);
}

static gpointer reader_main(gpointer opaque)
{
    QTestState *s = opaque;
    struct pollfd fds[3] = {
        { .fd = s->out_fd, .events = POLLIN },
        { .fd = s->err_fd, .events = POLLIN },
        { .fd = s->stop_pipe[0], .events = POLLIN },
    };
    char buf[65536];

    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 3, -1) < 0 && errno != EINTR) {
            break;
        }
        if (fds[2].revents) {
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents) {
                continue;
            }
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n > 0) {
                output_append(s, i == 1, buf, n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                fds[i].fd = -1;     /* EOF; EIO on a pty whose child left */
                output_ended(s, i == 1);
            }
        }
    }
    output_ended(s, false);
    output_ended(s, true);
    return NULL;
}

char *qtest_stdout(QTestState *s)
{
    g_mutex_lock(&s->lock);
    char *copy = g_strndup(s->out->str, s->out->len);
    g_mutex_unlock(&s->lock);
    return copy;
}

char *qtest_stderr(QTestState *s)
{
    g_mutex_lock(&s->lock);
    char *copy = g_strndup(s->err->str, s->err->len);
    g_mutex_unlock(&s->lock);
    return copy;
}

size_t qtest_stdout_len(QTestState *s)
{
    g_mutex_lock(&s->lock);
    size_t n = s->out_dropped + s->out->len;
    g_mutex_unlock(&s->lock);
    return n;
}

static bool output_contains(QTestState *s, const char *needle, size_t from)
{
    size_t start = from > s->out_dropped ? from - s->out_dropped : 0;
    if (start > s->out->len) {
        return false;
    }
    return memmem(s->out->str + start, s->out->len - start, needle,
                  strlen(needle)) != NULL;
}

bool qtest_wait_stdout(QTestState *s, const char *needle, size_t from,
                       int timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    bool found;

    g_mutex_lock(&s->lock);
    while (!(found = output_contains(s, needle, from)) && !s->out_eof) {
        if (!g_cond_wait_until(&s->cond, &s->lock, deadline)) {
            found = output_contains(s, needle, from);
            break;
        }
    }
    g_mutex_unlock(&s->lock);
    return found;
}

void qtest_expect_stdout(QTestState *s, const char *needle, size_t from)
{
    if (!qtest_wait_stdout(s, needle, from, -1)) {
        g_autofree char *out = qtest_stdout(s);
        size_t n = strlen(out);
        qtest_fail(s, "'%s' did not appear on stdout; its end:\n%s", needle,
                   n > 500 ? out + n - 500 : out);
    }
}

void qtest_write_stdin(QTestState *s, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(s->stdin_fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            qtest_fail(s, "writing to the emulator's stdin: %s",
                       g_strerror(errno));
        }
        p += n;
        len -= n;
    }
}

/* ------------------------------------------------------------------------ */
/* The process */

const char *qtest_accel(void)
{
    const char *env = getenv("QTEST_ACCEL");
    if (env && env[0]) {
        return env;
    }
    return qtest_kvm_available() ? "kvm" : "soft";
}

/* As the emulator decides: the device opens and speaks the KVM API. */
bool qtest_kvm_available(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    return version == KVM_API_VERSION;
}

const char *qtest_dir(QTestState *s)
{
    return s->dir;
}

char *qtest_path(QTestState *s, const char *name)
{
    return g_build_filename(s->dir, name, NULL);
}

pid_t qtest_pid(QTestState *s)
{
    return s->pid;
}

static bool reap(QTestState *s, bool block)
{
    if (s->reaped) {
        return true;
    }
    int status;
    pid_t rc;
    do {
        rc = waitpid(s->pid, &status, block ? 0 : WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc != s->pid) {
        return false;
    }
    s->reaped = true;
    s->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
    guardian_tell("-pid %d\n", (int)s->pid);
    return true;
}

bool qtest_is_running(QTestState *s)
{
    return !reap(s, false);
}

/* After the process ended, its output may still be in the pipes: wait
 * (briefly: a child it started may hold them open) for the reader to see
 * the end of both. */
static void wait_output_end(QTestState *s)
{
    gint64 deadline = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;

    g_mutex_lock(&s->lock);
    while (!(s->out_eof && s->err_eof)) {
        if (!g_cond_wait_until(&s->cond, &s->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&s->lock);
}

int qtest_wait_exit(QTestState *s, int timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);

    while (!reap(s, false)) {
        if (ms_until(deadline) == 0) {
            return -1;
        }
        g_usleep(5000);
    }
    wait_output_end(s);
    return s->status;
}

void qtest_kill(QTestState *s, int sig)
{
    if (!s->reaped) {
        kill(s->pid, sig);
    }
}

static bool has_option(GPtrArray *args, const char *opt)
{
    for (guint i = 0; i < args->len; i++) {
        if (!strcmp(g_ptr_array_index(args, i), opt)) {
            return true;
        }
    }
    return false;
}

static void add_args(GPtrArray *argv, const char *a, const char *b)
{
    g_ptr_array_add(argv, g_strdup(a));
    if (b) {
        g_ptr_array_add(argv, g_strdup(b));
    }
}

/* The test defaults, for what the test's own arguments leave out. */
static void add_defaults(GPtrArray *argv, GPtrArray *user)
{
    bool nographic = has_option(user, "-nographic");

    if (!has_option(user, "-display") && !nographic) {
        add_args(argv, "-display", "none");
    }
    if (!has_option(user, "-machine") && !has_option(user, "-enable-kvm")) {
        g_autofree char *accel = g_strdup_printf("accel=%s", qtest_accel());
        add_args(argv, "-machine", accel);
    }
    if (!has_option(user, "-m")) {
        add_args(argv, "-m", "64M");
    }
    if (!has_option(user, "-serial") && !nographic) {
        add_args(argv, "-serial", "stdio");
    }
}

static const char *emulator_binary(void)
{
    const char *bin = getenv("QTEST_QEMU_BINARY");
    bin = bin && bin[0] ? bin : "./qemu-system-x86_64";
    if (access(bin, X_OK) < 0) {
        qtest_fail(NULL, "emulator '%s' not found (run make, or set "
                   "QTEST_QEMU_BINARY)", bin);
    }
    return bin;
}

static GPtrArray *build_argv(QTestState *s, const QTestOptions *o,
                             const char *extra)
{
    GPtrArray *user = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) words = NULL;
    g_autoptr(GError) err = NULL;

    if (extra[0] && !g_shell_parse_argv(extra, NULL, &words, &err)) {
        qtest_fail(NULL, "bad test arguments '%s': %s", extra, err->message);
    }
    for (int i = 0; words && words[i]; i++) {
        g_ptr_array_add(user, g_strdup(words[i]));
    }
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    add_args(argv, emulator_binary(), NULL);
    if (!o->no_defaults) {
        add_defaults(argv, user);
    }
    for (guint i = 0; i < user->len; i++) {
        add_args(argv, g_ptr_array_index(user, i), NULL);
    }
    g_ptr_array_unref(user);
    if (!o->no_qmp) {
        g_autofree char *spec = g_strdup_printf("unix:%s/qmp.sock,server,nowait",
                                                s->dir);
        add_args(argv, "-qmp", spec);
    }
    if (o->hmp) {
        g_autofree char *spec = g_strdup_printf("unix:%s/hmp.sock,server,nowait",
                                                s->dir);
        add_args(argv, "-monitor", spec);
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* Between fork and exec: async-signal-safe calls only (other tests' reader
 * threads may hold locks). netns_fd: a network namespace to enter, or -1. */
static void child_exec(char **argv, int in, int out, int err, pid_t parent,
                       const sigset_t *mask, int netns_fd)
{
    /* Signals were blocked across fork: the test framework's handlers
     * (Check's SIGTERM kills the process group) must not run here. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_SETMASK, mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(126);
    }
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) {
        static const char msg[] = "libqmp: cannot enter the network namespace\n";
        ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)rc;
        _exit(125);
    }
    execv(argv[0], argv);
    static const char msg[] = "libqmp: cannot execute the emulator\n";
    ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)rc;
    _exit(127);
}

static void make_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) < 0) {
        qtest_fail(NULL, "pipe: %s", g_strerror(errno));
    }
}

/* The namespace's file as ip netns names it (-1 for none). */
static int open_netns(const char *name)
{
    if (!name) {
        return -1;
    }
    g_autofree char *path = g_strdup_printf("/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        qtest_fail(NULL, "network namespace %s: %s", name, g_strerror(errno));
    }
    return fd;
}

static void spawn(QTestState *s, char **argv, bool use_pty, const char *netns)
{
    int in[2], out[2], err[2];
    int netns_fd = open_netns(netns);

    make_pipe(err);
    make_pipe(s->stop_pipe);
    if (use_pty) {
        int master, slave;
        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
            qtest_fail(NULL, "openpty: %s", g_strerror(errno));
        }
        fcntl(master, F_SETFD, FD_CLOEXEC);
        fcntl(slave, F_SETFD, FD_CLOEXEC);
        in[0] = out[1] = slave;
        in[1] = out[0] = master;
    } else {
        make_pipe(in);
        make_pipe(out);
    }
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    s->pid = fork();
    if (s->pid == 0) {
        child_exec(argv, in[0], out[1], err[1], parent, &old, netns_fd);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (netns_fd >= 0) {
        close(netns_fd);
    }
    if (s->pid < 0) {
        qtest_fail(NULL, "fork: %s", g_strerror(errno));
    }
    guardian_tell("+pid %d\n", (int)s->pid);
    close(in[0]);
    if (!use_pty) {
        close(out[1]);
    }
    close(err[1]);
    s->stdin_fd = in[1];
    s->out_fd = out[0];
    s->err_fd = err[0];
    s->reader = g_thread_new("qtest-output", reader_main, s);
}

static QTestState *qtest_vstart(const QTestOptions *opts, const char *fmt,
                                va_list ap)
{
    static const QTestOptions defaults;
    const QTestOptions *o = opts ? opts : &defaults;
    g_autofree char *formatted = g_strdup_vprintf(fmt, ap);
    QTestState *s = g_new0(QTestState, 1);
    g_autoptr(GError) err = NULL;

    guardian_start();
    s->dir = g_dir_make_tmp("qtest-XXXXXX", &err);
    if (!s->dir) {
        qtest_fail(NULL, "temporary directory: %s", err->message);
    }
    g_auto(GStrv) parts = g_strsplit(formatted, "{tmp}", -1);
    g_autofree char *extra = g_strjoinv(s->dir, parts);
    guardian_tell("+dir %s\n", s->dir);
    g_mutex_init(&s->lock);
    g_cond_init(&s->cond);
    s->out = g_string_new(NULL);
    s->err = g_string_new(NULL);
    g_autoptr(GPtrArray) argv = build_argv(s, o, extra);
    spawn(s, (char **)argv->pdata, o->pty, o->netns);
    if (!o->no_qmp) {
        s->qmp = qmp_client_connect(s, "qmp.sock", !o->no_negotiate);
    }
    if (o->hmp) {
        s->hmp = hmp_client_connect(s, "hmp.sock");
    }
    return s;
}

QTestState *qtest_start(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    QTestState *s = qtest_vstart(NULL, fmt, ap);
    va_end(ap);
    return s;
}

QTestState *qtest_start_opts(const QTestOptions *opts, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    QTestState *s = qtest_vstart(opts, fmt, ap);
    va_end(ap);
    return s;
}

/* stderr once it holds a newline (or the wait timed out): libqmp's reader
 * thread may take it after the exit was seen. */
static char *wait_stderr_line(QTestState *s)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000ll;

    for (;;) {
        char *err = qtest_stderr(s);
        if (strchr(err, '\n') || g_get_monotonic_time() > deadline) {
            return err;
        }
        g_free(err);
        g_usleep(2000);
    }
}

char *qtest_start_up_error(const char *fmt, ...)
{
    static const QTestOptions no_qmp = { .no_qmp = true };
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    QTestState *s = qtest_start_opts(&no_qmp, "%s", args);
    int status = qtest_wait_exit(s, -1);
    /* Returns at the end of the output, once all of it is read. */
    qtest_wait_stdout(s, "\001never printed\001", 0, -1);
    g_autofree char *out = qtest_stdout(s);
    char *err = wait_stderr_line(s);
    size_t len = strlen(err);

    qtest_quit(s);
    ck_assert_msg(status == 1, "'%s': exit status %d, stderr: %s", args, status, err);
    ck_assert_msg(out[0] == '\0', "'%s' printed on stdout: %s", args, out);
    ck_assert_msg(len > 0 && err[len - 1] == '\n' && !memchr(err, '\n', len - 1),
                  "'%s': not one line on stderr: '%s'", args, err);
    err[len - 1] = '\0';
    return err;
}

static void stop_process(QTestState *s)
{
    if (s->reaped) {
        return;
    }
    kill(s->pid, SIGTERM);
    if (qtest_wait_exit(s, 3000) < 0) {
        kill(s->pid, SIGKILL);
        reap(s, true);
    }
}

void qtest_quit(QTestState *s)
{
    if (!s) {
        return;
    }
    g_clear_pointer(&s->qmp, qmp_client_close);
    g_clear_pointer(&s->hmp, hmp_client_close);
    stop_process(s);
    ssize_t rc = write(s->stop_pipe[1], "x", 1);
    (void)rc;
    g_thread_join(s->reader);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->stdin_fd);
    if (s->out_fd != s->stdin_fd) {
        close(s->out_fd);
    }
    close(s->err_fd);
    remove_tree(s->dir);
    guardian_tell("-dir %s\n", s->dir);
    g_string_free(s->out, TRUE);
    g_string_free(s->err, TRUE);
    g_mutex_clear(&s->lock);
    g_cond_clear(&s->cond);
    g_free(s->dir);
    g_free(s);
}

/* ------------------------------------------------------------------------ */
/* Sockets */

static int try_connect_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int try_connect_tcp(const char *host_port)
{
    g_autofree char *host = g_strdup(host_port);
    char *colon = strrchr(host, ':');
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int fd = -1;

    if (!colon) {
        return -1;
    }
    *colon = '\0';
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Retries until the emulator has created the socket, or died. */
static int connect_address(QTestState *s, const char *address)
{
    g_autofree char *path = NULL;
    gint64 deadline = deadline_after(-1);

    if (!g_str_has_prefix(address, "tcp:") && address[0] != '/') {
        path = g_build_filename(s->dir, address, NULL);
    }
    for (;;) {
        int fd = g_str_has_prefix(address, "tcp:")
                 ? try_connect_tcp(address + 4)
                 : try_connect_unix(path ? path : address);
        if (fd >= 0) {
            return fd;
        }
        if (s && !qtest_is_running(s)) {
            qtest_fail(s, "the emulator exited (status %d) before %s accepted "
                       "a connection", s->status, address);
        }
        if (ms_until(deadline) == 0) {
            qtest_fail(s, "cannot connect to %s: %s", address, g_strerror(errno));
        }
        g_usleep(10000);
    }
}

/* Reads once into `in`: 1 data, 0 EOF, -1 timeout. */
static int fill(int fd, GString *in, gint64 deadline)
{
    char buf[65536];

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int rc = poll(&pfd, 1, ms_until(deadline));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc == 0) {
            return -1;
        }
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 0;
        }
        g_string_append_len(in, buf, n);
        return 1;
    }
}

static bool send_all(int fd, const void *buf, size_t len, int pass_fd)
{
    const char *p = buf;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;

    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (pass_fd >= 0) {
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof(control.buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        pass_fd = -1;   /* the descriptor goes with the first bytes only */
        p += n;
        len -= n;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* JSON */

/* 'single-quoted' strings become "double-quoted" ones. */
static char *fix_quotes(const char *in)
{
    GString *out = g_string_new(NULL);
    char quote = 0;

    for (const char *p = in; *p; p++) {
        if (quote && *p == '\\' && p[1]) {
            if (quote == '\'' && p[1] == '\'') {
                g_string_append_c(out, '\'');
            } else {
                g_string_append_c(out, *p);
                g_string_append_c(out, p[1]);
            }
            p++;
        } else if (!quote && (*p == '"' || *p == '\'')) {
            quote = *p;
            g_string_append_c(out, '"');
        } else if (quote && *p == quote) {
            quote = 0;
            g_string_append_c(out, '"');
        } else if (quote == '\'' && *p == '"') {
            g_string_append(out, "\\\"");
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static char *format_request(const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    return fix_quotes(text);
}

char *qtest_json_text(JsonNode *node)
{
    return node ? json_to_string(node, FALSE) : g_strdup("(null)");
}

char *qtest_json_object_text(JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(node, obj);
    return json_to_string(node, FALSE);
}

const char *qtest_error_class(JsonObject *error)
{
    return json_object_get_string_member_with_default(error, "class", NULL);
}

const char *qtest_error_desc(JsonObject *error)
{
    return json_object_get_string_member_with_default(error, "desc", NULL);
}

static JsonObject *parse_object(QTestState *s, const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        qtest_fail(s, "the monitor sent a line that is not a JSON object: %s",
                   line);
    }
    return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* ------------------------------------------------------------------------ */
/* QMP clients */

/* The next message, or NULL on timeout or EOF (c->eof). */
static JsonObject *qmp_read_message(QmpClient *c, gint64 deadline)
{
    for (;;) {
        char *nl = memchr(c->in->str, '\n', c->in->len);
        if (nl) {
            g_autofree char *line = g_strndup(c->in->str, nl - c->in->str);
            g_string_erase(c->in, 0, nl - c->in->str + 1);
            g_strchomp(line);
            if (!line[0]) {
                continue;
            }
            return parse_object(c->s, line);
        }
        if (c->eof) {
            return NULL;
        }
        int rc = fill(c->fd, c->in, deadline);
        if (rc < 0) {
            return NULL;
        }
        if (rc == 0) {
            c->eof = true;
        }
    }
}

static void qmp_queue(QmpClient *c, JsonObject *msg)
{
    g_queue_push_tail(json_object_has_member(msg, "event") ? &c->events
                                                           : &c->replies, msg);
}

QmpClient *qmp_client_connect_only(QTestState *s, const char *address)
{
    QmpClient *c = g_new0(QmpClient, 1);

    c->s = s;
    c->fd = connect_address(s, address);
    c->in = g_string_new(NULL);
    g_queue_init(&c->replies);
    g_queue_init(&c->events);
    return c;
}

void qmp_client_greet(QmpClient *c, bool negotiate)
{
    c->greeting = qmp_read_message(c, deadline_after(-1));
    if (!c->greeting || !json_object_has_member(c->greeting, "QMP")) {
        qtest_fail(c->s, "no QMP greeting (%s)",
                   c->eof ? "connection closed" : "timed out");
    }
    if (negotiate) {
        g_autoptr(JsonNode) ret = qmp_client_ok(c, "{'execute': 'qmp_capabilities'}");
    }
}

QmpClient *qmp_client_connect(QTestState *s, const char *address,
                              bool negotiate)
{
    QmpClient *c = qmp_client_connect_only(s, address);
    qmp_client_greet(c, negotiate);
    return c;
}

static void unref_object(gpointer obj)
{
    json_object_unref(obj);
}

void qmp_client_close(QmpClient *c)
{
    if (!c) {
        return;
    }
    close(c->fd);
    g_queue_clear_full(&c->replies, unref_object);
    g_queue_clear_full(&c->events, unref_object);
    if (c->greeting) {
        json_object_unref(c->greeting);
    }
    g_string_free(c->in, TRUE);
    g_free(c);
}

JsonObject *qmp_client_greeting(QmpClient *c)
{
    return c->greeting;
}

bool qmp_client_send_raw(QmpClient *c, const void *buf, size_t len)
{
    return send_all(c->fd, buf, len, -1);
}

static void qmp_client_vsend(QmpClient *c, int fd, const char *fmt,
                             va_list ap)
{
    g_autofree char *req = format_request(fmt, ap);
    g_autofree char *line = g_strconcat(req, "\n", NULL);

    if (!send_all(c->fd, line, strlen(line), fd)) {
        qtest_fail(c->s, "sending %s: %s", req, g_strerror(errno));
    }
}

void qmp_client_send(QmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qmp_client_vsend(c, -1, fmt, ap);
    va_end(ap);
}

JsonObject *qmp_client_receive(QmpClient *c)
{
    gint64 deadline = deadline_after(-1);

    if (!g_queue_is_empty(&c->replies)) {
        return g_queue_pop_head(&c->replies);
    }
    for (;;) {
        JsonObject *msg = qmp_read_message(c, deadline);
        if (!msg) {
            qtest_fail(c->s, "no QMP reply: %s", c->eof ? "connection closed"
                                                        : "timed out");
        }
        if (!json_object_has_member(msg, "event")) {
            return msg;
        }
        qmp_queue(c, msg);
    }
}

static JsonObject *qmp_client_vcmd(QmpClient *c, int fd, const char *fmt,
                                   va_list ap)
{
    qmp_client_vsend(c, fd, fmt, ap);
    return qmp_client_receive(c);
}

JsonObject *qmp_client_cmd(QmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(c, -1, fmt, ap);
    va_end(ap);
    return reply;
}

JsonObject *qmp_client_cmd_fd(QmpClient *c, int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(c, fd, fmt, ap);
    va_end(ap);
    return reply;
}

static JsonNode *reply_return(QmpClient *c, JsonObject *reply)
{
    if (!json_object_has_member(reply, "return")) {
        g_autofree char *text = qtest_json_object_text(reply);
        json_object_unref(reply);
        qtest_fail(c->s, "QMP command failed: %s", text);
    }
    JsonNode *ret = json_node_copy(json_object_get_member(reply, "return"));
    json_object_unref(reply);
    return ret;
}

static JsonObject *reply_error(QmpClient *c, JsonObject *reply)
{
    if (!json_object_has_member(reply, "error")) {
        g_autofree char *text = qtest_json_object_text(reply);
        json_object_unref(reply);
        qtest_fail(c->s, "QMP command succeeded, an error was expected: %s",
                   text);
    }
    JsonObject *err = json_object_ref(json_object_get_object_member(reply,
                                                                    "error"));
    json_object_unref(reply);
    return err;
}

JsonNode *qmp_client_ok(QmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(c, -1, fmt, ap);
    va_end(ap);
    return reply_return(c, reply);
}

JsonObject *qmp_client_error(QmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(c, -1, fmt, ap);
    va_end(ap);
    return reply_error(c, reply);
}

JsonObject *qmp_client_take_event(QmpClient *c, const char *name)
{
    for (GList *l = c->events.head; l; l = l->next) {
        JsonObject *ev = l->data;
        if (!strcmp(json_object_get_string_member(ev, "event"), name)) {
            g_queue_delete_link(&c->events, l);
            return ev;
        }
    }
    return NULL;
}

JsonObject *qmp_client_wait_event(QmpClient *c, const char *name,
                                  int timeout_ms)
{
    gint64 deadline = deadline_after(timeout_ms);
    JsonObject *ev = qmp_client_take_event(c, name);

    /* None queued: the first such message to come is the one. Looking at
     * each new message alone keeps this linear in the events that pile up
     * (a fast migration sends thousands of MIGRATION_PASS). */
    while (!ev) {
        JsonObject *msg = qmp_read_message(c, deadline);
        if (!msg) {
            return NULL;
        }
        if (json_object_has_member(msg, "event") &&
            !strcmp(json_object_get_string_member(msg, "event"), name)) {
            return msg;
        }
        qmp_queue(c, msg);
    }
    return ev;
}

JsonObject *qmp_client_event(QmpClient *c, const char *name)
{
    JsonObject *ev = qmp_client_wait_event(c, name, -1);
    if (!ev) {
        qtest_fail(c->s, "no %s event: %s", name,
                   c->eof ? "connection closed" : "timed out");
    }
    return ev;
}

bool qmp_client_wait_closed(QmpClient *c)
{
    gint64 deadline = deadline_after(-1);

    while (!c->eof) {
        JsonObject *msg = qmp_read_message(c, deadline);
        if (msg) {
            qmp_queue(c, msg);
        } else if (!c->eof) {
            return false;
        }
    }
    return true;
}

static char *hmp_request_text(const char *line)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, "human-monitor-command");
    json_builder_set_member_name(b, "arguments");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command-line");
    json_builder_add_string_value(b, line);
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static char *qmp_client_vhmp(QmpClient *c, const char *fmt, va_list ap)
{
    g_autofree char *line = g_strdup_vprintf(fmt, ap);
    g_autofree char *req = hmp_request_text(line);
    g_autofree char *msg = g_strconcat(req, "\n", NULL);

    if (!send_all(c->fd, msg, strlen(msg), -1)) {
        qtest_fail(c->s, "sending %s: %s", req, g_strerror(errno));
    }
    g_autoptr(JsonNode) ret = reply_return(c, qmp_client_receive(c));
    if (!JSON_NODE_HOLDS_VALUE(ret) ||
        json_node_get_value_type(ret) != G_TYPE_STRING) {
        qtest_fail(c->s, "human-monitor-command returned no string");
    }
    return g_strdup(json_node_get_string(ret));
}

char *qmp_client_hmp(QmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = qmp_client_vhmp(c, fmt, ap);
    va_end(ap);
    return out;
}

/* ------------------------------------------------------------------------ */
/* QMP on the process's own socket */

QmpClient *qtest_qmp_client(QTestState *s)
{
    if (!s->qmp) {
        qtest_fail(s, "this emulator was started without a QMP connection");
    }
    return s->qmp;
}

JsonObject *qtest_qmp(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(qtest_qmp_client(s), -1, fmt, ap);
    va_end(ap);
    return reply;
}

JsonNode *qtest_qmp_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(qtest_qmp_client(s), -1, fmt, ap);
    va_end(ap);
    return reply_return(s->qmp, reply);
}

void qtest_qmp_ok_discard(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(qtest_qmp_client(s), -1, fmt, ap);
    va_end(ap);
    json_node_unref(reply_return(s->qmp, reply));
}

JsonObject *qtest_qmp_error(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JsonObject *reply = qmp_client_vcmd(qtest_qmp_client(s), -1, fmt, ap);
    va_end(ap);
    return reply_error(s->qmp, reply);
}

JsonObject *qtest_qmp_event(QTestState *s, const char *name)
{
    return qmp_client_event(qtest_qmp_client(s), name);
}

char *qtest_hmp(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = qmp_client_vhmp(qtest_qmp_client(s), fmt, ap);
    va_end(ap);
    return out;
}

void qtest_qmp_adopt(QTestState *s, QmpClient *c)
{
    s->qmp = c;
}

void qtest_qmp_reconnect(QTestState *s, bool negotiate)
{
    g_clear_pointer(&s->qmp, qmp_client_close);
    s->qmp = qmp_client_connect(s, "qmp.sock", negotiate);
}

/* ------------------------------------------------------------------------ */
/* HMP clients */

char *hmp_client_read_to_prompt(HmpClient *c)
{
    gint64 deadline = deadline_after(-1);

    for (;;) {
        char *p = strstr(c->in->str, PROMPT);
        if (p) {
            size_t n = p - c->in->str;
            char *out = g_strndup(c->in->str, n);
            g_string_erase(c->in, 0, n + strlen(PROMPT));
            return out;
        }
        int rc = c->eof ? 0 : fill(c->fd, c->in, deadline);
        if (rc <= 0) {
            c->eof = c->eof || rc == 0;
            qtest_fail(c->s, "no HMP prompt (%s); received: %s",
                       rc == 0 ? "connection closed" : "timed out", c->in->str);
        }
    }
}

HmpClient *hmp_client_connect(QTestState *s, const char *address)
{
    HmpClient *c = g_new0(HmpClient, 1);

    c->s = s;
    c->fd = connect_address(s, address);
    c->in = g_string_new(NULL);
    c->banner = hmp_client_read_to_prompt(c);
    return c;
}

void hmp_client_close(HmpClient *c)
{
    if (!c) {
        return;
    }
    close(c->fd);
    g_string_free(c->in, TRUE);
    g_free(c->banner);
    g_free(c);
}

const char *hmp_client_banner(HmpClient *c)
{
    return c->banner;
}

bool hmp_client_send_raw(HmpClient *c, const void *buf, size_t len)
{
    return send_all(c->fd, buf, len, -1);
}

static char *hmp_client_vcmd(HmpClient *c, int fd, const char *fmt,
                             va_list ap)
{
    g_autofree char *line = g_strdup_vprintf(fmt, ap);
    g_autofree char *msg = g_strconcat(line, "\n", NULL);

    if (!send_all(c->fd, msg, strlen(msg), fd)) {
        qtest_fail(c->s, "sending '%s': %s", line, g_strerror(errno));
    }
    return hmp_client_read_to_prompt(c);
}

char *hmp_client_cmd(HmpClient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = hmp_client_vcmd(c, -1, fmt, ap);
    va_end(ap);
    return out;
}

char *hmp_client_cmd_fd(HmpClient *c, int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = hmp_client_vcmd(c, fd, fmt, ap);
    va_end(ap);
    return out;
}

bool hmp_client_wait_closed(HmpClient *c)
{
    gint64 deadline = deadline_after(-1);

    while (!c->eof) {
        int rc = fill(c->fd, c->in, deadline);
        if (rc < 0) {
            return false;
        }
        c->eof = rc == 0;
    }
    return true;
}

HmpClient *qtest_hmp_client(QTestState *s)
{
    if (!s->hmp) {
        qtest_fail(s, "this emulator was started without opts.hmp");
    }
    return s->hmp;
}

void qtest_hmp_reconnect(QTestState *s)
{
    g_clear_pointer(&s->hmp, hmp_client_close);
    s->hmp = hmp_client_connect(s, "hmp.sock");
}

char *qtest_hmp_line(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = hmp_client_vcmd(qtest_hmp_client(s), -1, fmt, ap);
    va_end(ap);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Helpers of the migration tests and tools */

int qtest_free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        qtest_fail(NULL, "no free TCP port: %s", g_strerror(errno));
    }
    close(fd);
    return ntohs(a.sin_port);
}

GBytes *qtest_pmemsave(QTestState *s, uint64_t addr, uint64_t size)
{
    g_autofree char *path = qtest_path(s, "pmemsave.bin");
    gchar *data;
    gsize len;

    qtest_qmp_ok_discard(s, "{'execute': 'pmemsave', 'arguments': {'val': %" G_GUINT64_FORMAT
                         ", 'size': %" G_GUINT64_FORMAT ", 'filename': '%s'}}",
                         addr, size, path);
    if (!g_file_get_contents(path, &data, &len, NULL) || len != size) {
        qtest_fail(s, "pmemsave wrote no file of %" G_GUINT64_FORMAT " bytes", size);
    }
    unlink(path);
    return g_bytes_new_take(data, len);
}

JsonObject *qtest_query_migrate(QTestState *s)
{
    JsonNode *ret = qtest_qmp_ok(s, "{'execute': 'query-migrate'}");
    JsonObject *o = json_object_ref(json_node_get_object(ret));
    json_node_unref(ret);
    return o;
}
