/*
 * The dirty log, as migration uses it: with logging on, a guest that writes
 * a known set of pages (guests/writer.elf) must be reported with exactly
 * those pages above 1 MiB — under KVM and under the software accelerator.
 * The machine is built in the test process (one per forked test) through
 * the same calls vl.c makes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "cpus.h"
#include "hw/boot-protocol.h"
#include "hw/pc.h"
#include "memory.h"
#include "sysemu.h"

#define RAM_SIZE (64ull << 20)
#define WRITE_START 0x300000ull
#define WRITE_COUNT 37
#define WRITE_STRIDE 3

static bool kvm_usable(void)
{
    return kvm_accel_ops.available(NULL);
}

/* Builds the machine with the writer guest, stopped. */
static void start_machine(const AccelOps *accel, const char *append)
{
    GError *err = NULL;
    BootEntry entry;

    accel_select(accel);
    ck_assert_msg(accel->init(&err) == 0, "%s", err ? err->message : "");
    MachineConfig cfg = {
        .ram_size = RAM_SIZE,
        .kernel = "guests/writer.elf",
        .append = append,
    };
    ck_assert_msg(pc_init(&cfg, &entry, &err) == 0, "%s", err ? err->message : "");
    ck_assert_msg(cpus_init(&entry, &err) == 0, "%s", err ? err->message : "");
}

static void drain_dirty_bitmap(void)
{
    RAMBlock *b = ram_block_first();
    uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;

    while (ram_block_take_dirty(b, 0) < npages) {
        continue;
    }
}

/* The writer sets the first word of its state once its writes are done. */
static void wait_for_writer(void)
{
    volatile uint64_t *done = (volatile uint64_t *)gpa_to_host(WORKLOAD_STATE_GPA, 8);

    for (int i = 0; i < 1000 && !*done; i++) {
        usleep(10000);
    }
    ck_assert_msg(*done, "the writer guest did not finish");
}

/* The pages above 1 MiB the log reports, as a sorted list of addresses. */
static GArray *dirty_pages_above_1m(void)
{
    GArray *pages = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    RAMBlock *b = ram_block_first();
    uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;

    for (uint64_t p = ram_block_take_dirty(b, 0); p < npages;
         p = ram_block_take_dirty(b, p + 1)) {
        uint64_t gpa = p * TARGET_PAGE_SIZE;
        if (gpa >= GUEST_FREE_RAM_START) {
            g_array_append_val(pages, gpa);
        }
    }
    return pages;
}

static void check_log_reports_written_pages(const AccelOps *accel)
{
    g_autofree char *append = g_strdup_printf("start=0x%llx count=%d stride=%d",
                                              WRITE_START, WRITE_COUNT, WRITE_STRIDE);
    GError *err = NULL;

    start_machine(accel, append);
    ck_assert_msg(memory_global_dirty_log_start(&err) == 0, "%s", err ? err->message : "");
    memory_global_dirty_log_sync();
    drain_dirty_bitmap();

    ck_assert_int_eq(vm_start(&err), 0);
    wait_for_writer();
    vm_stop(RUN_STATE_PAUSED);
    memory_global_dirty_log_sync();

    GArray *pages = dirty_pages_above_1m();
    ck_assert_int_eq(pages->len, WRITE_COUNT);
    for (guint i = 0; i < pages->len; i++) {
        ck_assert_uint_eq(g_array_index(pages, uint64_t, i),
                          WRITE_START + (uint64_t)i * WRITE_STRIDE * TARGET_PAGE_SIZE);
    }
    g_array_free(pages, TRUE);
    memory_global_dirty_log_stop();
    cpus_fini();
}

START_TEST(test_kvm_dirty_log_reports_exactly_the_pages_written)
{
    if (!kvm_usable()) {
        printf("SKIP: /dev/kvm is not usable\n");
        return;
    }
    check_log_reports_written_pages(&kvm_accel_ops);
}
END_TEST

START_TEST(test_soft_dirty_log_reports_exactly_the_pages_written)
{
    check_log_reports_written_pages(&soft_accel_ops);
}
END_TEST

/* Nothing is logged before logging starts, and a page written twice is one
 * page: the second sync of an idle guest reports nothing. */
static void check_idle_guest_logs_nothing(const AccelOps *accel)
{
    GError *err = NULL;

    start_machine(accel, "count=1");
    ck_assert_int_eq(vm_start(&err), 0);
    wait_for_writer();
    usleep(50000);     /* the guest halts after its one write */
    ck_assert_int_eq(memory_global_dirty_log_start(&err), 0);
    memory_global_dirty_log_sync();
    drain_dirty_bitmap();
    usleep(50000);
    ck_assert_uint_eq(memory_global_dirty_log_sync(), 0);
    vm_stop(RUN_STATE_PAUSED);
    cpus_fini();
}

START_TEST(test_kvm_halted_guest_dirties_nothing)
{
    if (!kvm_usable()) {
        printf("SKIP: /dev/kvm is not usable\n");
        return;
    }
    check_idle_guest_logs_nothing(&kvm_accel_ops);
}
END_TEST

START_TEST(test_soft_halted_guest_dirties_nothing)
{
    check_idle_guest_logs_nothing(&soft_accel_ops);
}
END_TEST

/* A reset reloads the kernel and the boot structures: the emulator's own
 * writes, which no accelerator logs, are reported too (a migration must
 * send those pages again). The vCPU never runs here: nothing else writes. */
static void check_reset_is_logged(const AccelOps *accel)
{
    GError *err = NULL;

    start_machine(accel, "");
    ck_assert_int_eq(memory_global_dirty_log_start(&err), 0);
    memory_global_dirty_log_sync();
    drain_dirty_bitmap();
    ck_assert_int_eq(qemu_system_reset(&err), 0);
    memory_global_dirty_log_sync();

    RAMBlock *b = ram_block_first();
    uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
    uint64_t boot_pages = 0, kernel_pages = 0, other = 0;
    for (uint64_t p = ram_block_take_dirty(b, 0); p < npages;
         p = ram_block_take_dirty(b, p + 1)) {
        uint64_t gpa = p * TARGET_PAGE_SIZE;
        if (gpa >= BOOT_INFO_GPA && gpa < BOOT_PAGE_TABLES_END) {
            boot_pages++;
        } else if (gpa >= KERNEL_MIN_GPA && gpa < GUEST_FREE_RAM_START) {
            kernel_pages++;
        } else {
            other++;
        }
    }
    ck_assert_uint_eq(boot_pages, (BOOT_PAGE_TABLES_END - BOOT_INFO_GPA) / TARGET_PAGE_SIZE);
    ck_assert_uint_gt(kernel_pages, 0);
    ck_assert_uint_eq(other, 0);
    memory_global_dirty_log_stop();
    cpus_fini();
}

START_TEST(test_kvm_reset_writes_are_logged)
{
    if (!kvm_usable()) {
        printf("SKIP: /dev/kvm is not usable\n");
        return;
    }
    check_reset_is_logged(&kvm_accel_ops);
}
END_TEST

START_TEST(test_soft_reset_writes_are_logged)
{
    check_reset_is_logged(&soft_accel_ops);
}
END_TEST

static Suite *dirty_log_suite(void)
{
    Suite *s = suite_create("dirty-log");
    TCase *tc = tcase_create("dirty-log");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kvm_dirty_log_reports_exactly_the_pages_written);
    tcase_add_test(tc, test_soft_dirty_log_reports_exactly_the_pages_written);
    tcase_add_test(tc, test_kvm_halted_guest_dirties_nothing);
    tcase_add_test(tc, test_soft_halted_guest_dirties_nothing);
    tcase_add_test(tc, test_kvm_reset_writes_are_logged);
    tcase_add_test(tc, test_soft_reset_writes_are_logged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(dirty_log_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
