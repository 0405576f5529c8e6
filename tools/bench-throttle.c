/*
 * make bench-throttle: the vCPU throttle measured by the guest's own
 * progress. The seed guest (a 1 MiB buffer, a '.' every 1000 passes over
 * it) is migrated at 1 MiB/s with a downtime limit of 0, a migration that
 * never converges and costs the source little; auto-converge's throttle is
 * pinned at p (cpu-throttle-initial = max-cpu-throttle = p), and p = 0 is
 * the same migration without auto-converge. Once query-migrate reports the
 * throttle in force, the guest's dots are counted over a window; the table
 * gives the rate, its share of the unthrottled rate, the share the
 * throttle is meant to leave (100 - p percent) and the CPU time the vCPU
 * thread used meanwhile.
 *
 *   bench-throttle [RUNS]      (default 3, at most 15; the median is shown)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/libqmp.h"

#define WINDOW_SECONDS 5.0
/* Before counting, the throttle settles for this long. */
#define SETTLE_SECONDS 0.5
#define BANDWIDTH (1u << 20)
#define MAX_RUNS 15

static const int percentages[] = { 0, 20, 50, 90, 99 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds a /proc/.../stat file accounts (user and system). */
static double stat_cpu_seconds(const char *path)
{
    g_autofree char *text = NULL;
    unsigned long utime = 0, stime = 0;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return 0;
    }
    /* Fields after the ")" of the command name: state is field 3. */
    const char *p = strrchr(text, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &utime, &stime) != 2) {
        return 0;
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the emulator's vCPU thread. */
static double vcpu_cpu_seconds(QTestState *s)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", qtest_pid(s));
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *tid;
    double cpu = 0;

    while (d && (tid = g_dir_read_name(d))) {
        g_autofree char *comm_path = g_strdup_printf("%s/%s/comm", dir, tid);
        g_autofree char *comm = NULL;
        if (g_file_get_contents(comm_path, &comm, NULL, NULL) &&
            g_str_has_prefix(comm, "vcpu0")) {
            g_autofree char *stat_path = g_strdup_printf("%s/%s/stat", dir, tid);
            cpu = stat_cpu_seconds(stat_path);
        }
    }
    if (d) {
        g_dir_close(d);
    }
    return cpu;
}

static int64_t throttle_of(QTestState *s)
{
    g_autoptr(JsonObject) info = qtest_query_migrate(s);
    const char *status = json_object_get_string_member(info, "status");

    ck_assert_msg(!strcmp(status, "setup") || !strcmp(status, "active"),
                  "the migration ended (%s): it must not converge", status);
    return json_object_has_member(info, "cpu-throttle-percentage") ?
           json_object_get_int_member(info, "cpu-throttle-percentage") : 0;
}

/* Waits until the throttle is at `percent` (0: the migration has run for
 * as long as a throttle would have taken to start). */
static void wait_for_throttle(QTestState *src, int percent)
{
    double start = now_s();

    for (;;) {
        int64_t now = throttle_of(src);
        if (percent && now == percent) {
            return;
        }
        ck_assert_msg(!percent || now == 0, "throttle at %" G_GINT64_FORMAT
                      "%%, expected %d%%", now, percent);
        if (!percent && now_s() - start > 3.0) {
            return;
        }
        ck_assert_msg(now_s() - start < qtest_timeout_ms() / 1000.0,
                      "no throttle after %d s", qtest_timeout_ms() / 1000);
        usleep(50000);
    }
}

typedef struct Sample {
    double dots_per_second;
    double vcpu_share;          /* of a CPU, by the vCPU thread */
} Sample;

/* The guest's progress with the throttle at `percent`. */
static Sample measure(int percent)
{
    QTestState *src = qtest_start("-kernel guests/seed.elf -append \"buf=1M interval=1000\"");
    g_autofree char *sock = qtest_path(src, "mig.sock");
    QTestState *dst = qtest_start("-kernel guests/seed.elf -S -incoming unix:%s", sock);

    qtest_expect_stdout(src, ".", 0);
    qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                         "{'max-bandwidth': %u, 'downtime-limit': 0}}", BANDWIDTH);
    if (percent) {
        qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-parameters', 'arguments': "
                             "{'cpu-throttle-initial': %d, 'max-cpu-throttle': %d}}",
                             percent, percent);
        qtest_qmp_ok_discard(src, "{'execute': 'migrate-set-capabilities', 'arguments': "
                             "{'capabilities': [{'capability': 'auto-converge', "
                             "'state': true}]}}");
    }
    qtest_qmp_ok_discard(src, "{'execute': 'migrate', 'arguments': {'uri': 'unix:%s'}}",
                         sock);
    wait_for_throttle(src, percent);
    usleep((useconds_t)(SETTLE_SECONDS * 1e6));
    size_t before = qtest_stdout_len(src);
    double cpu0 = vcpu_cpu_seconds(src);
    double t0 = now_s();
    usleep((useconds_t)(WINDOW_SECONDS * 1e6));
    double seconds = now_s() - t0;
    Sample sample = {
        .dots_per_second = (double)(qtest_stdout_len(src) - before) / seconds,
        .vcpu_share = (vcpu_cpu_seconds(src) - cpu0) / seconds,
    };
    ck_assert_int_eq(throttle_of(src), percent);
    qtest_quit(src);
    qtest_quit(dst);
    return sample;
}

static int compare_rates(const void *a, const void *b)
{
    double x = ((const Sample *)a)->dots_per_second;
    double y = ((const Sample *)b)->dots_per_second;
    return (x > y) - (x < y);
}

/* The run of the median rate. */
static Sample median_sample(int percent, int runs)
{
    Sample samples[MAX_RUNS];

    for (int i = 0; i < runs; i++) {
        samples[i] = measure(percent);
    }
    qsort(samples, runs, sizeof(Sample), compare_rates);
    return samples[runs / 2];
}

static int bench_runs = 3;

START_TEST(bench_throttle)
{
    double unthrottled = 0;

    printf("accelerator: %s; seed guest, buf=1M interval=1000, migrated at 1 MiB/s; "
           "median of %d runs, %.0f s windows\n\n", qtest_accel(), bench_runs,
           WINDOW_SECONDS);
    printf("    throttle  dots/s    of unthrottled  meant to be  vCPU thread CPU\n");
    for (size_t i = 0; i < G_N_ELEMENTS(percentages); i++) {
        int p = percentages[i];
        Sample s = median_sample(p, bench_runs);
        if (!p) {
            unthrottled = s.dots_per_second;
        }
        printf("    %3d%%      %7.1f   %6.2f%%         %3d%%         %5.1f%%\n", p,
               s.dots_per_second,
               unthrottled ? 100.0 * s.dots_per_second / unthrottled : 0.0, 100 - p,
               100.0 * s.vcpu_share);
        fflush(stdout);
    }
}
END_TEST

int main(int argc, char **argv)
{
    if (argc >= 2) {
        bench_runs = CLAMP(atoi(argv[1]), 1, MAX_RUNS);
    }
    return qtest_run_in_process("bench-throttle", bench_throttle, 3600);
}
