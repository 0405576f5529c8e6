/*
 * The machine end to end, as a user runs it: each built-in guest and its
 * serial output, stop and cont, -S, system_reset, guests that fault in
 * ring 0, the debug-exit device, signals, -pidfile, -daemonize, RAM above
 * the hole at 3 GiB, the -serial backends, and every option error (one
 * line naming the option, exit status 1), tcp: ports out of range among
 * them (which migrate refuses too).
 *
 * Guests run under the accelerator libqmp picks (QTEST_ACCEL, else KVM when
 * /dev/kvm can be opened, else soft); make check runs this program once
 * that way and once with QTEST_ACCEL=soft. Tests of what only KVM runs
 * (ring-0 code) say so and skip under soft.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqmp.h"

#define PAGE 4096ull
#define GUEST_RAM (64ull << 20)        /* libqmp's default -m */
#define FREE_RAM_START 0x100000ull     /* where the workloads' RAM starts */
#define FREE_PAGES ((GUEST_RAM - FREE_RAM_START) / PAGE)
#define WORKLOAD_STATE 0x8000ull       /* a workload's state block */
#define KERNEL_MIN 0x30000ull
#define BOOT_CMDLINE_MAX 2048
#define GIB (1ull << 30)
/* The a-b guest's state block: total bytes, offset of the next page, passes. */
#define AB_TOTAL (WORKLOAD_STATE + 0)
#define AB_NEXT (WORKLOAD_STATE + 8)
#define AB_PASSES (WORKLOAD_STATE + 16)
/* The seed guest's: buffer, its size, print interval, passes. */
#define SEED_PASSES (WORKLOAD_STATE + 24)
/* How long a stopped guest is watched for output it should not make. */
#define QUIET_MS 300

/* ---------------------------------------------------------------------- */
/* Helpers: running guests */

static QTestState *start_guest(const char *guest, const char *append)
{
    return qtest_start("-kernel guests/%s.elf -append \"%s\"", guest, append);
}

/* True (after saying why) when a test of ring-0 guest code cannot run. */
static bool skip_without_kvm(const char *what)
{
    if (!strcmp(qtest_accel(), "kvm")) {
        return false;
    }
    printf("SKIP %s: needs KVM (%s)\n", what,
           qtest_kvm_available() ? "QTEST_ACCEL=soft" : "/dev/kvm is absent");
    return true;
}

static void assert_run_state(QTestState *s, const char *expected, bool running)
{
    g_autoptr(JsonNode) st = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    JsonObject *o = json_node_get_object(st);

    ck_assert_str_eq(json_object_get_string_member(o, "status"), expected);
    ck_assert(json_object_get_boolean_member(o, "running") == running);
}

static void expect_event(QTestState *s, const char *name)
{
    g_autoptr(JsonObject) ev = qtest_qmp_event(s, name);
    ck_assert_str_eq(json_object_get_string_member(ev, "event"), name);
}

/* One 8-byte word of guest-physical memory, read with HMP's xp. */
static uint64_t read_u64(QTestState *s, uint64_t gpa)
{
    g_autofree char *out = qtest_hmp(s, "xp /1xg 0x%" G_GINT64_MODIFIER "x", gpa);
    const char *colon = strstr(out, ": 0x");

    ck_assert_msg(colon, "xp at 0x%" G_GINT64_MODIFIER "x printed: %s", gpa, out);
    return g_ascii_strtoull(colon + 2, NULL, 16);
}

static uint8_t read_u8(QTestState *s, uint64_t gpa)
{
    g_autofree char *out = qtest_hmp(s, "xp /1xb 0x%" G_GINT64_MODIFIER "x", gpa);
    const char *colon = strstr(out, ": 0x");

    ck_assert_msg(colon, "xp at 0x%" G_GINT64_MODIFIER "x printed: %s", gpa, out);
    return (uint8_t)g_ascii_strtoull(colon + 2, NULL, 16);
}

static size_t count_substr(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Stderr once it holds `n` copies of `needle` (or the wait timed out):
 * the vCPU thread prints before the event that announces it is sent, but
 * libqmp reads stderr on a thread of its own. */
static char *wait_stderr_count(QTestState *s, const char *needle, size_t n)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000ll;

    for (;;) {
        char *err = qtest_stderr(s);
        if (count_substr(err, needle) >= n || g_get_monotonic_time() > deadline) {
            return err;
        }
        g_free(err);
        g_usleep(2000);
    }
}

/* The length of stdout once a stopped guest's last bytes have been read. */
static size_t settled_stdout_len(QTestState *s)
{
    g_usleep(QUIET_MS * 1000);
    return qtest_stdout_len(s);
}

/* ---------------------------------------------------------------------- */
/* Helpers: start-up errors */

/* Waits for the emulator to exit and for all of its stdout to be read. */
static int wait_exit_and_output(QTestState *s)
{
    int status = qtest_wait_exit(s, -1);

    qtest_wait_stdout(s, "\001never printed\001", 0, -1);
    return status;
}

/*
 * Runs the emulator with the given arguments (and libqmp's defaults for
 * what they leave out) and checks that it ends at start: exit status 1,
 * nothing on stdout, exactly one line on stderr. Returns that line without
 * its newline.
 */
static char *start_up_error(const char *args)
{
    static const QTestOptions no_qmp = { .no_qmp = true };
    QTestState *s = qtest_start_opts(&no_qmp, "%s", args);
    int status = wait_exit_and_output(s);
    g_autofree char *out = qtest_stdout(s);
    /* The process is gone: libqmp's first read of its stderr takes all of
     * it, but may come after the end of stdout was seen. */
    char *err = wait_stderr_count(s, "\n", 1);

    qtest_quit(s);
    ck_assert_msg(status == 1, "'%s': exit status %d, stderr: %s", args, status, err);
    ck_assert_msg(out[0] == '\0', "'%s' printed on stdout: %s", args, out);
    size_t len = strlen(err);
    ck_assert_msg(len > 0 && err[len - 1] == '\n' && !memchr(err, '\n', len - 1),
                  "'%s': not one line on stderr: '%s'", args, err);
    err[len - 1] = '\0';
    return err;
}

static void assert_start_up_error(const char *args, const char *expected)
{
    g_autofree char *line = start_up_error(args);

    ck_assert_str_eq(line, expected);
}

static void assert_start_up_error_prefix(const char *args, const char *prefix)
{
    g_autofree char *line = start_up_error(args);

    ck_assert_msg(g_str_has_prefix(line, prefix), "'%s' printed '%s', expected '%s...'",
                  args, line, prefix);
}

/* ---------------------------------------------------------------------- */
/* Helpers: kernels written by the test */

/* Files the emulator reads at start (kernels written by the tests) go to
 * one directory, made before the tests run and removed after them, failed
 * or not (tests run in child processes of main). */
static char *scratch;

static void make_scratch_dir(void)
{
    g_autoptr(GError) err = NULL;

    scratch = g_dir_make_tmp("test-machine-XXXXXX", &err);
    if (!scratch) {
        fprintf(stderr, "test-machine: %s\n", err->message);
        exit(EXIT_FAILURE);
    }
}

static void remove_scratch_dir(void)
{
    GDir *dir = g_dir_open(scratch, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(scratch, name, NULL);
        unlink(path);
    }
    if (dir) {
        g_dir_close(dir);
    }
    rmdir(scratch);
}

/*
 * Writes a minimal x86-64 ELF executable: one PT_LOAD segment holding
 * `code` at guest-physical address `paddr`, entered at its first byte.
 * No workload note, so only KVM runs it.
 */
static char *write_elf(const char *name, uint64_t paddr, const void *code,
                       size_t len)
{
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
                     EV_CURRENT },
        .e_type = ET_EXEC,
        .e_machine = EM_X86_64,
        .e_version = EV_CURRENT,
        .e_entry = paddr,
        .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 1,
    };
    Elf64_Phdr ph = {
        .p_type = PT_LOAD,
        .p_flags = PF_R | PF_X,
        .p_offset = sizeof(eh) + sizeof(Elf64_Phdr),
        .p_vaddr = paddr,
        .p_paddr = paddr,
        .p_filesz = len,
        .p_memsz = len,
        .p_align = 16,
    };
    g_autoptr(GByteArray) file = g_byte_array_new();

    g_byte_array_append(file, (const guint8 *)&eh, sizeof(eh));
    g_byte_array_append(file, (const guint8 *)&ph, sizeof(ph));
    g_byte_array_append(file, code, len);
    char *path = g_build_filename(scratch, name, NULL);
    ck_assert(g_file_set_contents(path, (const char *)file->data, file->len, NULL));
    return path;
}

/* Ring-0 code: writes 3 to the debug-exit port 0xf4 (exit status 7). */
static const uint8_t exit_3_code[] = {
    0x66, 0xba, 0xf4, 0x00,             /* mov $0xf4, %dx */
    0xb8, 0x03, 0x00, 0x00, 0x00,       /* mov $3, %eax */
    0xef,                               /* out %eax, (%dx) */
    0xf4,                               /* hlt */
    0xeb, 0xfd,                         /* jmp hlt */
};

static void assert_kernel_at_is_refused(const char *name, uint64_t paddr)
{
    g_autofree char *path = write_elf(name, paddr, exit_3_code, sizeof(exit_3_code));
    g_autofree char *args = g_strdup_printf("-kernel %s", path);
    g_autofree char *expected = g_strdup_printf(
        "qemu-system-x86_64: -kernel %s: segment at 0x%" G_GINT64_MODIFIER "x (+0x%zx) "
        "is not within guest RAM above 0x%llx", path, paddr, sizeof(exit_3_code),
        KERNEL_MIN);

    assert_start_up_error(args, expected);
}

/* ---------------------------------------------------------------------- */
/* Each built-in guest boots and prints */

START_TEST(test_default_guest_is_the_seed_guest)
{
    QTestState *s = qtest_start("%s", "");

    qtest_expect_stdout(s, "seed: buf=16777216 interval=1000\n", 0);
    qtest_expect_stdout(s, ".", 0);
    assert_run_state(s, "running", true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_seed_guest_takes_its_parameters_from_append)
{
    QTestState *s = start_guest("seed", "buf=4M interval=2");

    qtest_expect_stdout(s, "seed: buf=4194304 interval=2\n...", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_a_b_guest_prints_B_after_each_pass)
{
    QTestState *s = start_guest("a-b", "");
    g_autofree char *banner = g_strdup_printf("a-b: pages=%llu\n", FREE_PAGES);

    qtest_expect_stdout(s, banner, 0);
    qtest_expect_stdout(s, "BBB", 0);
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    ck_assert_uint_eq(read_u64(s, AB_TOTAL), FREE_PAGES * PAGE);
    ck_assert_uint_ge(read_u64(s, AB_PASSES), 3);
    qtest_quit(s);
}
END_TEST

START_TEST(test_sparse_guest_prints_its_working_set_and_passes)
{
    QTestState *s = start_guest("sparse", "wss=8M pct=50 words=2 seed=7");

    qtest_expect_stdout(s, "sparse: wss=8388608 pct=50 words=2\n..", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_sparse_guest_defaults_to_half_the_ram)
{
    QTestState *s = start_guest("sparse", "");
    g_autofree char *banner = g_strdup_printf("sparse: wss=%llu pct=25 words=4\n",
                                              GUEST_RAM / 2);

    qtest_expect_stdout(s, banner, 0);
    qtest_expect_stdout(s, ".", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_dense_guest_prints_its_working_set_and_passes)
{
    QTestState *s = start_guest("dense", "wss=4M");

    qtest_expect_stdout(s, "dense: wss=4194304\n..", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_idle_guest_halts_after_its_banner_and_still_stops_and_continues)
{
    QTestState *s = start_guest("idle", "");

    qtest_expect_stdout(s, "idle: halting\n", 0);
    assert_run_state(s, "running", true);
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    expect_event(s, "STOP");
    assert_run_state(s, "paused", false);
    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    expect_event(s, "RESUME");
    assert_run_state(s, "running", true);
    settled_stdout_len(s);
    g_autofree char *out = qtest_stdout(s);
    ck_assert_str_eq(out, "idle: halting\n");
    qtest_quit(s);
}
END_TEST

START_TEST(test_writer_guest_writes_its_pages_and_says_done)
{
    QTestState *s = start_guest("writer", "start=0x400000 count=3 stride=2 value=7");

    qtest_expect_stdout(s, "writer: ready\nwriter: done\n", 0);
    for (uint64_t page = 0; page < 6; page++) {
        ck_assert_uint_eq(read_u8(s, 0x400000 + page * PAGE), page % 2 ? 0 : 7);
    }
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* stop, cont, -S */

START_TEST(test_stop_freezes_the_guest_and_cont_resumes_it)
{
    QTestState *s = start_guest("a-b", "");

    qtest_expect_stdout(s, "B", 0);
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    expect_event(s, "STOP");
    assert_run_state(s, "paused", false);
    g_autofree char *hmp_status = qtest_hmp(s, "info status");
    ck_assert_str_eq(hmp_status, "VM status: paused\r\n");

    size_t len = settled_stdout_len(s);
    uint64_t next = read_u64(s, AB_NEXT), passes = read_u64(s, AB_PASSES);
    ck_assert_uint_eq(settled_stdout_len(s), len);
    ck_assert_uint_eq(read_u64(s, AB_NEXT), next);
    ck_assert_uint_eq(read_u64(s, AB_PASSES), passes);

    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    expect_event(s, "RESUME");
    assert_run_state(s, "running", true);
    qtest_expect_stdout(s, "BB", len);
    ck_assert_uint_gt(read_u64(s, AB_PASSES), passes);
    qtest_quit(s);
}
END_TEST

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++) {
        n += *s == c;
    }
    return n;
}

/* The seed guest's dots after its banner, once at least `n` have been read. */
static uint64_t wait_dots(QTestState *s, uint64_t n)
{
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000ll;

    for (;;) {
        g_autofree char *out = qtest_stdout(s);
        const char *body = strchr(out, '\n');
        uint64_t dots = body ? count_char(body, '.') : 0;
        if (dots >= n || g_get_monotonic_time() > deadline) {
            return dots;
        }
        g_usleep(2000);
    }
}

/*
 * The seed guest with interval=1 prints a dot after each pass, so its
 * serial output is a stream of MMIO exits (a status read and a data write
 * per dot). However often it is stopped and continued, no dot is lost or
 * repeated: once it is stopped, the dots equal its pass count, or one less
 * when the stop came between the count and the dot.
 */
START_TEST(test_stop_and_cont_lose_or_repeat_no_serial_output)
{
    QTestState *s = start_guest("seed", "interval=1 buf=256K");

    qtest_expect_stdout(s, "..", 0);
    for (int i = 0; i < 30; i++) {
        qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
        qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
        g_usleep(5000);     /* let it print a few dozen dots */
    }
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    uint64_t passes = read_u64(s, SEED_PASSES);
    wait_dots(s, passes - 1);
    settled_stdout_len(s);
    uint64_t dots = wait_dots(s, 0);
    ck_assert_msg(dots == passes || dots + 1 == passes, "%" G_GUINT64_FORMAT " dots after "
                  "%" G_GUINT64_FORMAT " passes", dots, passes);
    qtest_quit(s);
}
END_TEST

START_TEST(test_S_starts_in_prelaunch_with_no_output_until_cont)
{
    QTestState *s = qtest_start("-S -kernel guests/seed.elf");

    assert_run_state(s, "prelaunch", false);
    ck_assert_uint_eq(settled_stdout_len(s), 0);
    ck_assert_uint_eq(read_u64(s, WORKLOAD_STATE), 0);
    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    expect_event(s, "RESUME");
    assert_run_state(s, "running", true);
    qtest_expect_stdout(s, "seed: buf=16777216 interval=1000\n.", 0);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* system_reset */

START_TEST(test_system_reset_restarts_the_guest)
{
    QTestState *s = start_guest("a-b", "");
    g_autofree char *banner = g_strdup_printf("a-b: pages=%llu\n", FREE_PAGES);

    qtest_expect_stdout(s, "B", 0);
    size_t before = qtest_stdout_len(s);
    qtest_qmp_ok_discard(s, "{'execute': 'system_reset'}");
    expect_event(s, "RESET");
    qtest_expect_stdout(s, banner, before);
    qtest_expect_stdout(s, "B", before);
    assert_run_state(s, "running", true);
    qtest_quit(s);
}
END_TEST

START_TEST(test_system_reset_of_a_stopped_guest_leaves_it_stopped)
{
    QTestState *s = start_guest("seed", "");

    qtest_expect_stdout(s, ".", 0);
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    size_t len = settled_stdout_len(s);
    qtest_qmp_ok_discard(s, "{'execute': 'system_reset'}");
    expect_event(s, "RESET");
    assert_run_state(s, "paused", false);
    ck_assert_uint_eq(settled_stdout_len(s), len);
    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    qtest_expect_stdout(s, "seed: buf=", len);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Guests that fault in ring 0 (KVM only: under soft no guest code runs) */

/*
 * The guest faults in ring 0: the vCPU stops with `message` on stderr and
 * the machine in `state`, announced by STOP (and `event`); the monitor
 * still answers; stop leaves that state alone and cont is refused until
 * system_reset, after which cont reruns the guest into the same fault,
 * reported the same way. The guest starts with -S so that the QMP client
 * is there for the first events. No workload output ever appears.
 */
static void check_vcpu_fault(const char *kernel_args, const char *message,
                             const char *state, const char *event)
{
    QTestState *s = qtest_start("-S %s", kernel_args);

    for (int round = 1; round <= 2; round++) {
        qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
        expect_event(s, "RESUME");
        if (event) {
            expect_event(s, event);
        }
        expect_event(s, "STOP");
        assert_run_state(s, state, false);
        g_autofree char *err = wait_stderr_count(s, message, round);
        ck_assert_msg(count_substr(err, message) == (size_t)round &&
                      count_substr(err, "the vCPU is stopped") == (size_t)round,
                      "round %d: stderr: %s", round, err);
        qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
        assert_run_state(s, state, false);
        g_autoptr(JsonObject) refused = qtest_qmp_error(s, "{'execute': 'cont'}");
        ck_assert_ptr_nonnull(strstr(qtest_error_desc(refused), "system_reset"));

        qtest_qmp_ok_discard(s, "{'execute': 'system_reset'}");
        expect_event(s, "RESET");
        assert_run_state(s, "paused", false);
    }
    g_autofree char *out = qtest_stdout(s);
    ck_assert_msg(out[0] == '\0', "the workload ran: %s", out);
    qtest_quit(s);
}

START_TEST(test_garbage_executed_in_ring0_stops_the_vcpu_not_the_program)
{
    if (skip_without_kvm("ring-0 guest code")) {
        return;
    }
    check_vcpu_fault("-kernel guests/seed.elf -append ring0-fault=garbage",
                     "KVM internal error", "internal-error", NULL);
}
END_TEST

START_TEST(test_page_fault_in_ring0_panics_the_guest_not_the_program)
{
    if (skip_without_kvm("ring-0 guest code")) {
        return;
    }
    check_vcpu_fault("-kernel guests/writer.elf -append ring0-fault=pf",
                     "guest panic: exception #PF in ring 0", "guest-panicked",
                     "GUEST_PANICKED");
}
END_TEST

/* Ring-0 code that executes ud2 before any IDT exists: #UD, then #GP and
 * #DF find no gate either, and the CPU shuts down. */
static const uint8_t ud2_code[] = { 0x0f, 0x0b };

START_TEST(test_triple_fault_stops_the_vcpu_in_state_shutdown)
{
    if (skip_without_kvm("ring-0 guest code")) {
        return;
    }
    g_autofree char *path = write_elf("ud2.elf", 0x100000, ud2_code, sizeof(ud2_code));
    g_autofree char *args = g_strdup_printf("-kernel %s", path);

    check_vcpu_fault(args, "guest shutdown (triple fault)", "shutdown", "SHUTDOWN");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The debug-exit device */

START_TEST(test_writer_given_pages_outside_ram_exits_through_debug_exit)
{
    static const QTestOptions no_qmp = { .no_qmp = true };
    QTestState *s = qtest_start_opts(&no_qmp, "-kernel guests/writer.elf "
                                     "-append \"start=0x7ff0000000 count=1\"");

    ck_assert_int_eq(wait_exit_and_output(s), (2 << 1) | 1);
    g_autofree char *out = qtest_stdout(s);
    ck_assert_str_eq(out, "writer: ready\nwriter: pages outside the free RAM\n");
    qtest_quit(s);
}
END_TEST

/* A kernel the test wrote, with no built-in workload in it: KVM runs its
 * ring-0 code, which leaves through the debug-exit port; the software
 * accelerator, which only runs the built-in workloads, refuses it. */
START_TEST(test_kernel_written_by_the_test_exits_through_the_debug_exit_port)
{
    g_autofree char *path = write_elf("exit3.elf", 0x100000, exit_3_code,
                                      sizeof(exit_3_code));
    g_autofree char *args = g_strdup_printf("-kernel %s", path);

    if (!strcmp(qtest_accel(), "kvm")) {
        static const QTestOptions no_qmp = { .no_qmp = true };
        QTestState *s = qtest_start_opts(&no_qmp, "%s", args);
        ck_assert_int_eq(wait_exit_and_output(s), (3 << 1) | 1);
        qtest_quit(s);
    } else {
        assert_start_up_error_prefix(args, "qemu-system-x86_64: cannot create the vCPU: "
                                     "accel=soft runs only the built-in guests");
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Signals, -pidfile, -daemonize */

static char *read_file(const char *path)
{
    gchar *text = NULL;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    return text;
}

static void check_signal_shuts_down_cleanly(int sig, const char *guest)
{
    QTestState *s = qtest_start("-kernel guests/%s.elf -pidfile {tmp}/qemu.pid", guest);
    g_autofree char *pidfile = qtest_path(s, "qemu.pid");

    qtest_expect_stdout(s, ": ", 0);
    ck_assert(g_file_test(pidfile, G_FILE_TEST_EXISTS));
    qtest_kill(s, sig);
    expect_event(s, "SHUTDOWN");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    ck_assert_msg(!g_file_test(pidfile, G_FILE_TEST_EXISTS), "the pidfile is left behind");
    qtest_quit(s);
}

START_TEST(test_sigterm_shuts_down_cleanly)
{
    check_signal_shuts_down_cleanly(SIGTERM, "seed");
}
END_TEST

START_TEST(test_sigint_shuts_down_cleanly)
{
    check_signal_shuts_down_cleanly(SIGINT, "idle");
}
END_TEST

/*
 * Waits until the process libqmp forked runs the emulator: before its exec
 * it is a copy of this test process, with Check's SIGTERM handler (which
 * kills the whole process group).
 */
static void wait_for_exec(QTestState *s)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)qtest_pid(s));
    gint64 deadline = g_get_monotonic_time() + qtest_timeout_ms() * 1000ll;

    for (;;) {
        g_autofree char *comm = NULL;
        if (g_file_get_contents(path, &comm, NULL, NULL) &&
            g_str_has_prefix(comm, "qemu-system")) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline, "the emulator was not executed");
        g_usleep(20);
    }
}

/*
 * SIGTERM at any moment of start-up: either the emulator had not yet
 * installed its handler (killed, and no pidfile written yet), or it shuts
 * down cleanly and removes its pidfile. The signal is sent 0 to 4 ms after
 * the exec, in 20 us steps, to land in every phase of start-up.
 */
START_TEST(test_sigterm_during_start_up_leaves_no_pidfile)
{
    static const QTestOptions no_qmp = { .no_qmp = true };

    for (int i = 0; i < 200; i++) {
        QTestState *s = qtest_start_opts(&no_qmp, "-S -kernel guests/idle.elf "
                                         "-serial null -pidfile {tmp}/qemu.pid");
        g_autofree char *pidfile = qtest_path(s, "qemu.pid");
        wait_for_exec(s);
        g_usleep(i * 20);
        qtest_kill(s, SIGTERM);
        int status = wait_exit_and_output(s);
        g_autofree char *err = status == 1 ? wait_stderr_count(s, "\n", 1)
                                           : qtest_stderr(s);
        ck_assert_msg(status == 0 || status == 128 + SIGTERM, "SIGTERM %d us after the "
                      "exec: exit status %d, stderr: %s", i * 20, status, err);
        ck_assert_msg(!g_file_test(pidfile, G_FILE_TEST_EXISTS),
                      "SIGTERM %d us after the exec left the pidfile (exit status %d)",
                      i * 20, status);
        qtest_quit(s);
    }
}
END_TEST

START_TEST(test_pidfile_holds_the_emulators_pid)
{
    QTestState *s = qtest_start("-kernel guests/idle.elf -pidfile {tmp}/qemu.pid");
    g_autofree char *pidfile = qtest_path(s, "qemu.pid");
    g_autofree char *text = read_file(pidfile);
    g_autofree char *expected = g_strdup_printf("%d\n", (int)qtest_pid(s));

    ck_assert_str_eq(text, expected);
    qtest_quit(s);
}
END_TEST

START_TEST(test_second_instance_with_the_same_pidfile_is_refused)
{
    QTestState *first = qtest_start("-kernel guests/idle.elf -pidfile {tmp}/qemu.pid");
    g_autofree char *pidfile = qtest_path(first, "qemu.pid");
    g_autofree char *args = g_strdup_printf("-kernel guests/idle.elf -pidfile %s", pidfile);
    g_autofree char *expected = g_strdup_printf(
        "qemu-system-x86_64: -pidfile: '%s' is locked by another running instance", pidfile);

    assert_start_up_error(args, expected);
    g_autofree char *text = read_file(pidfile);
    g_autofree char *first_pid = g_strdup_printf("%d\n", (int)qtest_pid(first));
    ck_assert_str_eq(text, first_pid);
    assert_run_state(first, "running", true);
    qtest_quit(first);
}
END_TEST

/*
 * A daemon is nobody's child, so libqmp cannot reap or kill it: a watcher
 * process kills it if this test process dies before saying all is well.
 */
static int guard_daemon(pid_t daemon)
{
    int p[2];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t watcher = fork();
    ck_assert_int_ge(watcher, 0);
    if (watcher == 0) {
        char c;
        close(p[1]);
        if (read(p[0], &c, 1) != 1) {
            kill(daemon, SIGKILL);
        }
        _exit(0);
    }
    close(p[0]);
    return p[1];
}

static void release_daemon_guard(int fd)
{
    ck_assert_int_eq(write(fd, "x", 1), 1);
    close(fd);
    while (wait(NULL) < 0 && errno == EINTR) {
        continue;
    }
}

static bool wait_file_contains(const char *path, const char *needle)
{
    for (int i = 0; i < qtest_timeout_ms() / 10; i++) {
        g_autofree char *text = NULL;
        if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, needle)) {
            return true;
        }
        g_usleep(10000);
    }
    return false;
}

static bool wait_file_gone(const char *path)
{
    for (int i = 0; i < qtest_timeout_ms() / 10; i++) {
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            return true;
        }
        g_usleep(10000);
    }
    return false;
}

START_TEST(test_daemonize_returns_once_the_daemon_is_started)
{
    static const QTestOptions no_qmp = { .no_qmp = true };
    QTestState *parent = qtest_start_opts(&no_qmp,
        "-daemonize -kernel guests/seed.elf -serial file:{tmp}/serial.log "
        "-pidfile {tmp}/qemu.pid -qmp unix:{tmp}/daemon.sock,server,nowait");
    g_autofree char *pidfile = qtest_path(parent, "qemu.pid");
    g_autofree char *serial = qtest_path(parent, "serial.log");

    ck_assert_int_eq(qtest_wait_exit(parent, -1), 0);
    g_autofree char *text = read_file(pidfile);
    pid_t daemon = atoi(text);
    int guard = guard_daemon(daemon);
    ck_assert_int_gt(daemon, 0);
    ck_assert_int_ne(daemon, qtest_pid(parent));
    ck_assert_int_eq(kill(daemon, 0), 0);

    QmpClient *qmp = qmp_client_connect(parent, "daemon.sock", true);
    g_autoptr(JsonNode) st = qmp_client_ok(qmp, "{'execute': 'query-status'}");
    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(st), "status"),
                     "running");
    ck_assert_msg(wait_file_contains(serial, "seed: buf="), "no guest output in %s", serial);
    qmp_client_send(qmp, "{'execute': 'quit'}");
    ck_assert(qmp_client_wait_closed(qmp));
    qmp_client_close(qmp);
    ck_assert_msg(wait_file_gone(pidfile), "the daemon left its pidfile");
    release_daemon_guard(guard);
    qtest_quit(parent);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* RAM above the hole at 3 GiB */

/*
 * The a-b invariant on sampled pages: going up, each first byte equals the
 * one before or is one less (mod 256), with at most one such step.
 */
static void assert_a_b_samples(QTestState *s, const uint64_t *gpas, int n)
{
    int steps = 0;
    uint8_t prev = read_u8(s, gpas[0]);

    for (int i = 1; i < n; i++) {
        uint8_t cur = read_u8(s, gpas[i]);
        if (cur != prev) {
            ck_assert_msg((uint8_t)(cur + 1) == prev, "page 0x%" G_GINT64_MODIFIER
                          "x holds %u after %u", gpas[i], cur, prev);
            steps++;
        }
        prev = cur;
    }
    ck_assert_int_le(steps, 1);
}

START_TEST(test_a_b_guest_runs_across_the_ram_hole_above_3_GiB)
{
    const uint64_t ram = 3 * GIB + GIB / 2;
    const uint64_t high_end = 4 * GIB + GIB / 2;
    const uint64_t samples[] = {
        FREE_RAM_START, FREE_RAM_START + PAGE, 2 * GIB, 3 * GIB - PAGE,
        4 * GIB, 4 * GIB + PAGE, high_end - PAGE,
    };
    QTestState *s = qtest_start("-m 3.5G -kernel guests/a-b.elf");
    g_autofree char *banner = g_strdup_printf("a-b: pages=%llu\n",
                                              (ram - FREE_RAM_START) / PAGE);

    qtest_expect_stdout(s, banner, 0);
    qtest_expect_stdout(s, "B", 0);
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    ck_assert_uint_eq(read_u64(s, AB_TOTAL), ram - FREE_RAM_START);
    ck_assert_uint_ge(read_u64(s, AB_PASSES), 1);
    assert_a_b_samples(s, samples, G_N_ELEMENTS(samples));
    ck_assert_uint_ne(read_u8(s, high_end - PAGE), 0);
    g_autofree char *hole = qtest_hmp(s, "xp /1xb 0x%llx", 3 * GIB);
    ck_assert_msg(strstr(hole, "is not RAM"), "xp in the hole printed: %s", hole);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Options that work */

START_TEST(test_name_is_reported_by_query_name)
{
    QTestState *s = qtest_start("-name machine-under-test -kernel guests/idle.elf");
    g_autoptr(JsonNode) name = qtest_qmp_ok(s, "{'execute': 'query-name'}");

    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(name), "name"),
                     "machine-under-test");
    qtest_quit(s);
}
END_TEST

START_TEST(test_serial_file_receives_the_guest_output)
{
    QTestState *s = qtest_start("-kernel guests/writer.elf -serial file:{tmp}/serial.log");
    g_autofree char *log = qtest_path(s, "serial.log");

    ck_assert_msg(wait_file_contains(log, "writer: ready\nwriter: done\n"),
                  "no guest output in %s", log);
    ck_assert_uint_eq(settled_stdout_len(s), 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_serial_null_discards_the_guest_output)
{
    QTestState *s = qtest_start("-kernel guests/seed.elf -serial null");

    assert_run_state(s, "running", true);
    ck_assert_uint_eq(settled_stdout_len(s), 0);
    ck_assert_uint_gt(read_u64(s, SEED_PASSES), 0);
    qtest_quit(s);
}
END_TEST

/* A server socket that waits for nobody: a client that connects later gets
 * what the guest prints from then on. */
START_TEST(test_serial_unix_socket_serves_the_guest_output)
{
    QTestState *s = qtest_start("-kernel guests/seed.elf -append interval=1 "
                                "-serial unix:{tmp}/serial.sock,server,nowait");
    g_autofree char *path = qtest_path(s, "serial.sock");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_autoptr(GString) got = g_string_new(NULL);
    char buf[256];

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    while (!strstr(got->str, "...") && got->len < 4096) {
        ssize_t n = read(fd, buf, sizeof(buf));
        ck_assert_msg(n > 0, "the serial socket closed after '%s'", got->str);
        g_string_append_len(got, buf, n);
    }
    ck_assert_msg(strstr(got->str, "..."), "read: %s", got->str);
    close(fd);
    ck_assert_uint_eq(qtest_stdout_len(s), 0);
    qtest_quit(s);
}
END_TEST

/* A serial client that connects and never reads: once the socket is full
 * the UART holds its byte (the guest waits on LSR, outside the device), so
 * stop, cont and quit still answer. */
START_TEST(test_serial_client_that_stops_reading_does_not_stall_the_machine)
{
    QTestState *s = qtest_start("-kernel guests/seed.elf -append \"buf=4K interval=1\" "
                                "-serial unix:{tmp}/serial.sock,server,nowait");
    g_autofree char *path = qtest_path(s, "serial.sock");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;

    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    usleep(500000);     /* a dot per pass: the socket's buffers are full long before */
    qtest_qmp_ok_discard(s, "{'execute': 'stop'}");
    g_autoptr(JsonObject) stop = qtest_qmp_event(s, "STOP");
    qtest_qmp_ok_discard(s, "{'execute': 'cont'}");
    g_autoptr(JsonObject) resume = qtest_qmp_event(s, "RESUME");
    qtest_qmp_ok_discard(s, "{'execute': 'quit'}");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 0);
    close(fd);
    qtest_quit(s);
}
END_TEST

/* Without -machine: KVM when /dev/kvm is usable, else the software
 * accelerator with a one-line warning; the guest runs either way. */
START_TEST(test_default_accelerator_is_kvm_when_usable_else_soft_with_a_warning)
{
    static const QTestOptions plain = { .no_defaults = true };
    QTestState *s = qtest_start_opts(&plain, "-display none -m 64M -serial stdio "
                                     "-kernel guests/idle.elf");

    qtest_expect_stdout(s, "idle: halting\n", 0);
    g_autofree char *err = qtest_kvm_available() ? qtest_stderr(s)
                                                 : wait_stderr_count(s, "\n", 1);
    if (qtest_kvm_available()) {
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
    } else {
        ck_assert_msg(g_str_has_prefix(err, "qemu-system-x86_64: warning: KVM is not "
                                       "usable") && count_substr(err, "\n") == 1,
                      "stderr: %s", err);
    }
    qtest_quit(s);
}
END_TEST

START_TEST(test_enable_kvm_runs_the_guest_under_kvm)
{
    if (skip_without_kvm("-enable-kvm")) {
        return;
    }
    QTestState *s = qtest_start("-enable-kvm -kernel guests/a-b.elf");
    qtest_expect_stdout(s, "B", 0);
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Option errors: one line naming the option, exit status 1 */

START_TEST(test_unknown_option_is_refused)
{
    assert_start_up_error("-bogus", "qemu-system-x86_64: -bogus: invalid option");
}
END_TEST

START_TEST(test_option_missing_its_argument_is_refused)
{
    assert_start_up_error("-kernel", "qemu-system-x86_64: -kernel: requires an argument");
}
END_TEST

START_TEST(test_m_with_an_unknown_suffix_is_refused)
{
    assert_start_up_error("-m 12Q", "qemu-system-x86_64: -m: invalid size '12Q'");
}
END_TEST

START_TEST(test_m_of_zero_is_refused)
{
    assert_start_up_error("-m 0", "qemu-system-x86_64: -m: guest RAM must be at "
                          "least 2M and a multiple of 4K");
}
END_TEST

START_TEST(test_m_of_one_kilobyte_is_refused)
{
    assert_start_up_error("-m 1K", "qemu-system-x86_64: -m: guest RAM must be at "
                          "least 2M and a multiple of 4K");
}
END_TEST

/* Refused before any RAM is allocated (and pre-faulted). */
START_TEST(test_m_beyond_what_the_boot_page_tables_map_is_refused)
{
    assert_start_up_error("-m 30G", "qemu-system-x86_64: -m: at most 29696 MiB of "
                          "guest RAM (what the boot page tables map)");
}
END_TEST

/* A /proc/meminfo figure in KiB. */
static unsigned long long meminfo_kib(const char *field)
{
    g_autofree char *meminfo = NULL;
    g_autofree char *key = g_strdup_printf("%s:", field);
    unsigned long long kib = 0;

    ck_assert(g_file_get_contents("/proc/meminfo", &meminfo, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(meminfo, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], key)) {
            ck_assert(sscanf(lines[i] + strlen(key), " %llu kB", &kib) == 1);
            return kib;
        }
    }
    ck_abort_msg("no %s in /proc/meminfo", field);
    return 0;
}

/* More guest RAM than the host's memory and swap is refused at start, not
 * left to the OOM killer. Only meaningful on a host with less than 28 GiB. */
START_TEST(test_m_beyond_the_hosts_memory_is_refused)
{
    if (meminfo_kib("MemTotal") + meminfo_kib("SwapTotal") >= (28ull << 20)) {
        printf("SKIP: this host has 28 GiB or more of memory and swap\n");
        return;
    }
    QTestOptions o = { .no_qmp = true };
    QTestState *s = qtest_start_opts(&o, "-m 28G");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 1);
    g_autofree char *err = qtest_stderr(s);
    ck_assert_msg(g_str_has_prefix(err, "qemu-system-x86_64: -m: 28672 MiB of guest RAM "
                                   "is more than the "), "stderr: %s", err);
    qtest_quit(s);
}
END_TEST

/* Preallocated RAM is all taken at start: it must fit in what is free. */
START_TEST(test_mem_prealloc_beyond_the_hosts_available_memory_is_refused)
{
    if (meminfo_kib("MemAvailable") >= (28ull << 20)) {
        printf("SKIP: this host has 28 GiB or more available\n");
        return;
    }
    QTestOptions o = { .no_qmp = true };
    QTestState *s = qtest_start_opts(&o, "-m 28G -mem-prealloc");
    ck_assert_int_eq(qtest_wait_exit(s, -1), 1);
    g_autofree char *err = qtest_stderr(s);
    ck_assert_msg(g_str_has_prefix(err, "qemu-system-x86_64: -m: 28672 MiB of guest RAM "
                                   "to preallocate is more than the "), "stderr: %s", err);
    qtest_quit(s);
}
END_TEST

START_TEST(test_smp_2_is_refused)
{
    assert_start_up_error("-smp 2", "qemu-system-x86_64: -smp: only 1 vCPU is "
                          "supported for now");
}
END_TEST

START_TEST(test_unknown_accelerator_is_refused)
{
    assert_start_up_error("-machine accel=bogus", "qemu-system-x86_64: -machine: "
                          "unknown accelerator 'bogus' (kvm or soft)");
}
END_TEST

START_TEST(test_unknown_display_is_refused)
{
    assert_start_up_error("-display bogus", "qemu-system-x86_64: -display: unknown "
                          "display 'bogus' (none or sdl)");
}
END_TEST

START_TEST(test_missing_kernel_file_is_refused)
{
    assert_start_up_error("-kernel /nonexistent/k.elf", "qemu-system-x86_64: -kernel "
                          "/nonexistent/k.elf: No such file or directory");
}
END_TEST

START_TEST(test_kernel_that_is_not_an_elf_file_is_refused)
{
    g_autofree char *path = g_build_filename(scratch, "k.txt", NULL);
    g_autofree char *args = g_strdup_printf("-kernel %s", path);
    g_autofree char *expected = g_strdup_printf("qemu-system-x86_64: -kernel %s: "
                                                "not an ELF file", path);

    ck_assert(g_file_set_contents(path, "#!/bin/sh\necho this is no kernel\n"
                                  "echo nor is this line long enough\n", -1, NULL));
    assert_start_up_error(args, expected);
}
END_TEST

START_TEST(test_kernel_loading_outside_ram_is_refused)
{
    assert_kernel_at_is_refused("outside.elf", GUEST_RAM + 16 * PAGE);
}
END_TEST

START_TEST(test_kernel_loading_below_0x30000_is_refused)
{
    assert_kernel_at_is_refused("low.elf", 0x20000);
}
END_TEST

START_TEST(test_append_longer_than_2047_bytes_is_refused)
{
    g_autofree char *longest = g_strnfill(BOOT_CMDLINE_MAX - 1, 'x');
    g_autofree char *too_long = g_strnfill(BOOT_CMDLINE_MAX, 'x');
    g_autofree char *args = g_strdup_printf("-kernel guests/idle.elf -append %s", too_long);

    assert_start_up_error(args, "qemu-system-x86_64: -append: the command line is "
                          "longer than 2047 bytes");
    QTestState *s = start_guest("idle", longest);
    qtest_expect_stdout(s, "idle: halting\n", 0);
    qtest_quit(s);
}
END_TEST

START_TEST(test_daemonize_with_stdio_is_refused)
{
    assert_start_up_error("-daemonize -serial stdio", "qemu-system-x86_64: -daemonize: "
                          "cannot be used with stdio (-nographic, -serial stdio or "
                          "-monitor stdio)");
}
END_TEST

START_TEST(test_serial_with_a_bad_spec_is_refused)
{
    assert_start_up_error_prefix("-serial bogus:x", "qemu-system-x86_64: -serial "
                                 "bogus:x: unknown chardev 'bogus:x'");
}
END_TEST

START_TEST(test_incoming_with_an_unknown_protocol_is_refused)
{
    assert_start_up_error("-incoming bogus:x", "qemu-system-x86_64: -incoming bogus:x: "
                          "unknown migration protocol: 'bogus:x' (tcp:, unix:, exec: "
                          "or fd:)");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Port numbers in tcp: addresses: 1 to 65535, wherever a user types one
 * (qemu-sockets.h says why names and port 0 are refused too) */

static void assert_incoming_port_is_refused(const char *port)
{
    g_autofree char *args = g_strdup_printf("-incoming tcp:127.0.0.1:%s", port);
    g_autofree char *expected = g_strdup_printf("qemu-system-x86_64: %s: invalid "
                                                "port '%s' in '127.0.0.1:%s' (1-65535)",
                                                args, port, port);

    assert_start_up_error(args, expected);
}

START_TEST(test_incoming_tcp_port_0_is_refused)
{
    assert_incoming_port_is_refused("0");
}
END_TEST

START_TEST(test_incoming_tcp_port_65536_is_refused)
{
    assert_incoming_port_is_refused("65536");
}
END_TEST

/* getaddrinfo alone would listen on 99999 - 65536 = 34463. */
START_TEST(test_incoming_tcp_port_99999_is_refused)
{
    assert_incoming_port_is_refused("99999");
}
END_TEST

START_TEST(test_incoming_tcp_port_minus_1_is_refused)
{
    assert_incoming_port_is_refused("-1");
}
END_TEST

START_TEST(test_incoming_tcp_port_with_trailing_garbage_is_refused)
{
    assert_incoming_port_is_refused("12ab");
}
END_TEST

START_TEST(test_qmp_tcp_server_on_port_70000_is_refused)
{
    assert_start_up_error("-qmp tcp:127.0.0.1:70000,server,nowait",
                          "qemu-system-x86_64: -qmp tcp:127.0.0.1:70000,server,nowait: "
                          "invalid port '70000' in '127.0.0.1:70000' (1-65535)");
}
END_TEST

/* Why `migrate` to `uri` was refused: the command's GenericError, before
 * any migration starts. */
static char *migrate_refusal(QTestState *s, const char *uri)
{
    g_autoptr(JsonObject) err = qtest_qmp_error(s, "{'execute': 'migrate', "
                                                "'arguments': {'uri': '%s'}}", uri);

    ck_assert_str_eq(qtest_error_class(err), "GenericError");
    return g_strdup(qtest_error_desc(err));
}

START_TEST(test_migrate_to_tcp_port_99999_is_refused_and_the_guest_runs_on)
{
    QTestState *s = start_guest("seed", "buf=4M interval=2");
    g_autofree char *why = migrate_refusal(s, "tcp:127.0.0.1:99999");

    ck_assert_str_eq(why, "invalid port '99999' in '127.0.0.1:99999' (1-65535)");
    assert_run_state(s, "running", true);
    qtest_expect_stdout(s, ".", qtest_stdout_len(s));  /* its passes go on */
    qtest_quit(s);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *machine_suite(void)
{
    Suite *s = suite_create("machine");
    TCase *guests = tcase_create("guests");
    TCase *runstate = tcase_create("stop-cont-reset");
    TCase *faults = tcase_create("faults");
    TCase *process = tcase_create("process");
    TCase *big = tcase_create("big-ram");
    TCase *options = tcase_create("options");
    TCase *option_errors = tcase_create("option-errors");

    qtest_tcase_timeout(guests, 4);
    qtest_tcase_timeout(runstate, 4);
    qtest_tcase_timeout(faults, 4);
    qtest_tcase_timeout(process, 4);
    qtest_tcase_timeout(big, 4);
    qtest_tcase_timeout(options, 2);
    qtest_tcase_timeout(option_errors, 2);

    tcase_add_test(guests, test_default_guest_is_the_seed_guest);
    tcase_add_test(guests, test_seed_guest_takes_its_parameters_from_append);
    tcase_add_test(guests, test_a_b_guest_prints_B_after_each_pass);
    tcase_add_test(guests, test_sparse_guest_prints_its_working_set_and_passes);
    tcase_add_test(guests, test_sparse_guest_defaults_to_half_the_ram);
    tcase_add_test(guests, test_dense_guest_prints_its_working_set_and_passes);
    tcase_add_test(guests, test_idle_guest_halts_after_its_banner_and_still_stops_and_continues);
    tcase_add_test(guests, test_writer_guest_writes_its_pages_and_says_done);

    tcase_add_test(runstate, test_stop_freezes_the_guest_and_cont_resumes_it);
    tcase_add_test(runstate, test_stop_and_cont_lose_or_repeat_no_serial_output);
    tcase_add_test(runstate, test_S_starts_in_prelaunch_with_no_output_until_cont);
    tcase_add_test(runstate, test_system_reset_restarts_the_guest);
    tcase_add_test(runstate, test_system_reset_of_a_stopped_guest_leaves_it_stopped);

    tcase_add_test(faults, test_garbage_executed_in_ring0_stops_the_vcpu_not_the_program);
    tcase_add_test(faults, test_page_fault_in_ring0_panics_the_guest_not_the_program);
    tcase_add_test(faults, test_triple_fault_stops_the_vcpu_in_state_shutdown);
    tcase_add_test(faults, test_writer_given_pages_outside_ram_exits_through_debug_exit);
    tcase_add_test(faults, test_kernel_written_by_the_test_exits_through_the_debug_exit_port);

    tcase_add_test(process, test_sigterm_shuts_down_cleanly);
    tcase_add_test(process, test_sigint_shuts_down_cleanly);
    tcase_add_test(process, test_sigterm_during_start_up_leaves_no_pidfile);
    tcase_add_test(process, test_pidfile_holds_the_emulators_pid);
    tcase_add_test(process, test_second_instance_with_the_same_pidfile_is_refused);
    tcase_add_test(process, test_daemonize_returns_once_the_daemon_is_started);

    tcase_add_test(big, test_a_b_guest_runs_across_the_ram_hole_above_3_GiB);

    tcase_add_test(options, test_name_is_reported_by_query_name);
    tcase_add_test(options, test_serial_file_receives_the_guest_output);
    tcase_add_test(options, test_serial_client_that_stops_reading_does_not_stall_the_machine);
    tcase_add_test(options, test_serial_null_discards_the_guest_output);
    tcase_add_test(options, test_serial_unix_socket_serves_the_guest_output);
    tcase_add_test(options, test_default_accelerator_is_kvm_when_usable_else_soft_with_a_warning);
    tcase_add_test(options, test_enable_kvm_runs_the_guest_under_kvm);
    tcase_add_test(options, test_migrate_to_tcp_port_99999_is_refused_and_the_guest_runs_on);

    tcase_add_test(option_errors, test_unknown_option_is_refused);
    tcase_add_test(option_errors, test_option_missing_its_argument_is_refused);
    tcase_add_test(option_errors, test_m_with_an_unknown_suffix_is_refused);
    tcase_add_test(option_errors, test_m_of_zero_is_refused);
    tcase_add_test(option_errors, test_m_of_one_kilobyte_is_refused);
    tcase_add_test(option_errors, test_m_beyond_what_the_boot_page_tables_map_is_refused);
    tcase_add_test(option_errors, test_m_beyond_the_hosts_memory_is_refused);
    tcase_add_test(option_errors, test_mem_prealloc_beyond_the_hosts_available_memory_is_refused);
    tcase_add_test(option_errors, test_smp_2_is_refused);
    tcase_add_test(option_errors, test_unknown_accelerator_is_refused);
    tcase_add_test(option_errors, test_unknown_display_is_refused);
    tcase_add_test(option_errors, test_missing_kernel_file_is_refused);
    tcase_add_test(option_errors, test_kernel_that_is_not_an_elf_file_is_refused);
    tcase_add_test(option_errors, test_kernel_loading_outside_ram_is_refused);
    tcase_add_test(option_errors, test_kernel_loading_below_0x30000_is_refused);
    tcase_add_test(option_errors, test_append_longer_than_2047_bytes_is_refused);
    tcase_add_test(option_errors, test_daemonize_with_stdio_is_refused);
    tcase_add_test(option_errors, test_serial_with_a_bad_spec_is_refused);
    tcase_add_test(option_errors, test_incoming_with_an_unknown_protocol_is_refused);
    tcase_add_test(option_errors, test_incoming_tcp_port_0_is_refused);
    tcase_add_test(option_errors, test_incoming_tcp_port_65536_is_refused);
    tcase_add_test(option_errors, test_incoming_tcp_port_99999_is_refused);
    tcase_add_test(option_errors, test_incoming_tcp_port_minus_1_is_refused);
    tcase_add_test(option_errors, test_incoming_tcp_port_with_trailing_garbage_is_refused);
    tcase_add_test(option_errors, test_qmp_tcp_server_on_port_70000_is_refused);

    suite_add_tcase(s, guests);
    suite_add_tcase(s, runstate);
    suite_add_tcase(s, faults);
    suite_add_tcase(s, process);
    suite_add_tcase(s, big);
    suite_add_tcase(s, options);
    suite_add_tcase(s, option_errors);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(machine_suite());

    printf("accelerator: %s\n", qtest_accel());
    make_scratch_dir();
    srunner_run_all(runner, CK_NORMAL);
    remove_scratch_dir();
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
