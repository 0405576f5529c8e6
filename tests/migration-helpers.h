/*
 * Helpers of the migration tests: two emulator processes (tests/libqmp.h)
 * with the built-in guests, driven as a user would. The a-b guest
 * increments the first byte of every page from 1 MiB up, in order, forever:
 * in any stopped image every such byte equals the one before except at one
 * place, where the earlier page is one ahead. Any other break is a page the
 * migration lost or sent stale.
 */
#ifndef TESTS_MIGRATION_HELPERS_H
#define TESTS_MIGRATION_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

#define MIGTEST_RAM (64u << 20)
#define MIGTEST_PAGE 4096u
#define MIGTEST_FREE_RAM_START (1u << 20)

/* Switches the MIGRATION events on (the capability "events"). */
void migtest_enable_events(QTestState *s);

/* A source running guests/GUEST.elf with 64 MiB (and extra arguments), and
 * a destination waiting on `incoming` with -S (its RAM can be compared
 * with the source's before it runs); both with the events on. */
QTestState *migtest_start_source(const char *guest, const char *extra);
QTestState *migtest_start_destination(const char *guest, const char *incoming);

/* migrate_set_speed and migrate_set_downtime, as HMP reads them. */
void migtest_set_params(QTestState *s, const char *speed, const char *downtime);

/* HMP "migrate -d [-x] URI", which must print nothing. */
void migtest_hmp_migrate(QTestState *src, bool xbzrle, const char *uri);

/* Waits for a MIGRATION event with a final status and returns it. */
char *migtest_wait_end(QTestState *s);
void migtest_assert_ends(QTestState *s, const char *expected);

/* An integer member of query-migrate's reply (group NULL: top level). */
int64_t migtest_member(JsonObject *o, const char *group, const char *name);

/* query-status's "status". */
char *migtest_run_state(QTestState *s);
void migtest_assert_run_state(QTestState *s, const char *expected);

/* The whole guest RAM, through pmemsave as a user would take it. */
GBytes *migtest_save_ram(QTestState *s);
void migtest_assert_same_ram(GBytes *a, GBytes *b);
/* Both guests' RAM, saved and compared. */
void migtest_assert_same_guest_ram(QTestState *src, QTestState *dst);
/* At most one break, where the earlier page is one ahead (mod 256). */
void migtest_assert_a_b_invariant(GBytes *ram);
/* The same without failing: NULL when it holds, else why (g_free it). */
char *migtest_a_b_violation(GBytes *ram);

/*
 * Migrates the a-b guest from src to dst (already waiting on `uri`) at no
 * bandwidth limit, then checks: both RAMs identical and a-b-consistent; the
 * destination runs on after cont, printing more passes.
 */
void migtest_check_a_b_migration(QTestState *src, QTestState *dst, bool xbzrle,
                                 const char *uri);

#endif
