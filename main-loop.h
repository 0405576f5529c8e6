/*
 * The main loop: one glib main context in the main thread runs the chardevs
 * and the monitors. Other threads (vCPU, migration) hand work to it with
 * main_loop_invoke() and never touch monitor state directly.
 */
#ifndef MAIN_LOOP_H
#define MAIN_LOOP_H

#include <glib.h>

/* Makes the calling thread (the main thread, first thing) the owner of the
 * main context for the whole program. */
void main_loop_init(void);

/* Runs until main_loop_quit(); returns the exit status passed there. */
int main_loop_run(void);

/* Ends main_loop_run() with `status`; callable from any thread. */
void main_loop_quit(int status);

/* True once main_loop_quit() has been called. */
gboolean main_loop_quitting(void);

/* Runs fn(opaque) in the main thread; callable from any thread. Returns at
 * once (the call happens later, from the loop), except in the main thread
 * itself, where fn runs before this returns. Never runs fn in another
 * thread, even before the loop starts or after it ended. */
void main_loop_invoke(GSourceFunc fn, gpointer opaque);

/* Like main_loop_invoke(), but always deferred to a later loop iteration,
 * even from the main thread (a "bottom half"). */
void main_loop_defer(GSourceFunc fn, gpointer opaque);

#endif
