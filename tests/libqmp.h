/*
 * libqmp: drives emulator processes from Check tests the way a user does,
 * through QMP and HMP sockets, stdin/stdout, exit status.
 *
 *   QTestState *s = qtest_start("-kernel guests/a-b.elf -name src");
 *   g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
 *   qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
 *   g_autoptr(JsonObject) ev = qtest_qmp_event(s, "STOP");
 *   g_autofree char *out = qtest_hmp(s, "xp /4xw 0x%x", 0x100000);
 *   qtest_quit(s);
 *
 * Process: qtest_start() runs QTEST_QEMU_BINARY (default
 * ./qemu-system-x86_64) with, unless the arguments already say otherwise,
 *   -display none -machine accel=ACCEL -m 64M -serial stdio
 * then the test's arguments, then -qmp unix:DIR/qmp.sock,server,nowait,
 * where DIR is a fresh temporary directory of the test (qtest_path() names
 * files in it; "{tmp}" in the arguments stands for it). ACCEL is QTEST_ACCEL
 * if set, else kvm when /dev/kvm opens and answers the KVM API, else soft.
 * It connects to the QMP socket, reads the greeting and
 * sends qmp_capabilities. stdout and stderr are read continuously into
 * buffers by a thread (the guest never blocks on its serial port).
 *
 * Requests are printf formats whose JSON may use single quotes for strings
 * ('abc' becomes "abc"; inside them " and \' are fine), so tests need no
 * escaping. Replies and events are json-glib objects owned by the caller.
 * Events that arrive while a reply is awaited are queued, never lost.
 *
 * Failures: every call that waits gives up after QTEST_TIMEOUT seconds
 * (default 30) and fails the test with a message that includes the end of
 * the emulator's stderr; so does a dead emulator or a malformed reply. Every
 * process started is killed and its directory removed when the test process
 * exits, failed or not (atexit; PR_SET_PDEATHSIG covers a killed test).
 * Give test cases a Check timeout above QTEST_TIMEOUT (qtest_tcase_timeout).
 */
#ifndef LIBQMP_H
#define LIBQMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <check.h>
#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct QTestState QTestState;
typedef struct QmpClient QmpClient;
typedef struct HmpClient HmpClient;

typedef struct QTestOptions {
    bool hmp;           /* also -monitor unix:DIR/hmp.sock,server,nowait,
                           connected (banner read) for qtest_hmp_line() */
    bool no_negotiate;  /* connect and read the greeting only */
    bool no_qmp;        /* no -qmp at all (start-up errors, pty tests) */
    bool no_defaults;   /* only the test's arguments (and -qmp) */
    bool pty;           /* stdin and stdout on a pseudo-terminal */
    const char *netns;  /* run the emulator in this network namespace (a
                           name of ip netns, e.g. linkem_netns_a()); its
                           QMP and HMP sockets are paths in DIR and work
                           from the test's own namespace as usual */
} QTestOptions;

/* ------------------------------------------------------------------------ */
/* The process */

/* Starts the emulator with extra arguments (a printf format, split like a
 * shell would) and a negotiated QMP connection. */
QTestState *qtest_start(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
QTestState *qtest_start_opts(const QTestOptions *opts, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Runs the emulator with the test's arguments (and the defaults they leave
 * out; no QMP) and expects it to stop at start-up as every option error
 * does: exit status 1, nothing on stdout, exactly one line on stderr.
 * Returns that line without its newline (g_free it); fails the test
 * otherwise.
 */
char *qtest_start_up_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Kills the emulator if it still runs (SIGTERM, then SIGKILL), reaps it,
 * closes the connections and removes its directory. NULL is fine. */
void qtest_quit(QTestState *s);

/* The accelerator the tests use ("kvm" or "soft"), and whether KVM is there. */
const char *qtest_accel(void);
bool qtest_kvm_available(void);

/* The per-wait timeout in milliseconds (QTEST_TIMEOUT seconds, default 30),
 * and a Check timeout that covers `waits` such waits (in seconds, or set
 * on a test case). */
int qtest_timeout_ms(void);
double qtest_waits_timeout_s(int waits);
void qtest_tcase_timeout(TCase *tc, int waits);

/* Runs one test in this process (the tools: the demo and the benchmarks,
 * which drive emulators as the tests do) with a timeout in seconds;
 * prints Check's report if it failed. Returns the exit status. */
int qtest_run_in_process(const char *name, const TTest *test, double timeout_s);

const char *qtest_dir(QTestState *s);
/* DIR/name (g_free it). */
char *qtest_path(QTestState *s, const char *name);
pid_t qtest_pid(QTestState *s);

/* Writes to the emulator's stdin (the pty with opts.pty). */
void qtest_write_stdin(QTestState *s, const void *buf, size_t len);

/* Copies of what the emulator wrote so far (with opts.pty, stdout is what
 * the terminal showed). Offsets count from the start of the output. */
char *qtest_stdout(QTestState *s);
char *qtest_stderr(QTestState *s);
size_t qtest_stdout_len(QTestState *s);
/* Waits until stdout, from offset `from` on, contains `needle`; returns
 * false on timeout (timeout_ms < 0: the default) or when the process ends
 * first. */
bool qtest_wait_stdout(QTestState *s, const char *needle, size_t from,
                       int timeout_ms);
/* The same, failing the test on timeout. */
void qtest_expect_stdout(QTestState *s, const char *needle, size_t from);

/* Waits for the emulator to exit; returns its exit status, 128 + signal
 * when killed, or -1 on timeout (timeout_ms < 0: the default). */
int qtest_wait_exit(QTestState *s, int timeout_ms);
void qtest_kill(QTestState *s, int sig);
bool qtest_is_running(QTestState *s);

/* ------------------------------------------------------------------------ */
/* QMP on the process's own socket */

QmpClient *qtest_qmp_client(QTestState *s);

/* Sends a request and returns the whole reply ({"return": ...} or
 * {"error": ...}, with "id" if the request had one). */
JsonObject *qtest_qmp(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Asserts success and returns the "return" value. */
JsonNode *qtest_qmp_ok(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void qtest_qmp_ok_discard(QTestState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/* Asserts an error reply and returns its "error" object (class, desc). */
JsonObject *qtest_qmp_error(QTestState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/* Waits for an event (queued ones first); fails the test on timeout. */
JsonObject *qtest_qmp_event(QTestState *s, const char *name);
/* Runs an HMP line through human-monitor-command; returns its output. */
char *qtest_hmp(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Closes the QMP connection and opens a new one (negotiated or not). */
void qtest_qmp_reconnect(QTestState *s, bool negotiate);
/* Makes `c` the process's own QMP client (the previous one must have been
 * closed by the test). */
void qtest_qmp_adopt(QTestState *s, QmpClient *c);

/* ------------------------------------------------------------------------ */
/* QMP clients (the process's own, or more on other sockets) */

/* Connects to a QMP socket ("PATH" or "tcp:HOST:PORT"; a relative path is
 * taken in the test's directory), reads the greeting, negotiates if asked. */
QmpClient *qmp_client_connect(QTestState *s, const char *address,
                              bool negotiate);
/* Only connects (a client waiting while another is served); then
 * qmp_client_greet() reads the greeting and negotiates if asked. */
QmpClient *qmp_client_connect_only(QTestState *s, const char *address);
void qmp_client_greet(QmpClient *c, bool negotiate);
void qmp_client_close(QmpClient *c);

/* The greeting the server sent. */
JsonObject *qmp_client_greeting(QmpClient *c);

JsonObject *qmp_client_cmd(QmpClient *c, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
JsonNode *qmp_client_ok(QmpClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
JsonObject *qmp_client_error(QmpClient *c, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/* A request with a file descriptor attached (SCM_RIGHTS); the reply. */
JsonObject *qmp_client_cmd_fd(QmpClient *c, int fd, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Sends a request without waiting; qmp_client_receive() gets the reply. */
void qmp_client_send(QmpClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Sends bytes as they are; returns false if the peer already closed. */
bool qmp_client_send_raw(QmpClient *c, const void *buf, size_t len);
/* The next reply (not an event); fails the test on timeout or EOF. */
JsonObject *qmp_client_receive(QmpClient *c);

JsonObject *qmp_client_event(QmpClient *c, const char *name);
/* Like qmp_client_event, but returns NULL after timeout_ms (< 0: the
 * default) or at EOF. */
JsonObject *qmp_client_wait_event(QmpClient *c, const char *name,
                                  int timeout_ms);
/* Returns (and removes) a queued event, without waiting; NULL if none. */
JsonObject *qmp_client_take_event(QmpClient *c, const char *name);

/* Reads until the server closes the connection; false on timeout. Replies
 * and events read meanwhile stay queued. */
bool qmp_client_wait_closed(QmpClient *c);

char *qmp_client_hmp(QmpClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ------------------------------------------------------------------------ */
/* HMP clients: command lines on an HMP socket, output up to the prompt */

/* Connects to an HMP socket (as qmp_client_connect) and reads the banner
 * and the first prompt. */
HmpClient *hmp_client_connect(QTestState *s, const char *address);
void hmp_client_close(HmpClient *c);
/* What the monitor printed before its first prompt (the banner). */
const char *hmp_client_banner(HmpClient *c);
/* Sends a line, returns its output (without the next "(qemu) "), with the
 * monitor's \r\n line ends. */
char *hmp_client_cmd(HmpClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The same with a file descriptor attached (getfd). */
char *hmp_client_cmd_fd(HmpClient *c, int fd, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
bool hmp_client_send_raw(HmpClient *c, const void *buf, size_t len);
/* Reads until the next prompt; returns what came before it. */
char *hmp_client_read_to_prompt(HmpClient *c);
bool hmp_client_wait_closed(HmpClient *c);

/* The client on DIR/hmp.sock (opts.hmp), and a line sent through it. */
HmpClient *qtest_hmp_client(QTestState *s);
/* Closes that client and connects a new one (banner read). */
void qtest_hmp_reconnect(QTestState *s);
char *qtest_hmp_line(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ------------------------------------------------------------------------ */
/* Helpers of the migration tests and tools */

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int qtest_free_tcp_port(void);

/* Guest-physical memory [addr, addr + size) through QMP pmemsave (into a
 * file of the test's directory, read back and removed). */
GBytes *qtest_pmemsave(QTestState *s, uint64_t addr, uint64_t size);

/* The "return" of query-migrate (a new reference). */
JsonObject *qtest_query_migrate(QTestState *s);

/* ------------------------------------------------------------------------ */
/* JSON helpers for assertions */

/* "return"/"error" member accessors, NULL when absent. */
const char *qtest_error_class(JsonObject *error);
const char *qtest_error_desc(JsonObject *error);
/* The JSON text of a node/object (g_free it), for messages. */
char *qtest_json_text(JsonNode *node);
char *qtest_json_object_text(JsonObject *obj);

#endif
