/*
 * The software accelerator's own interface beyond AccelOps: finding a
 * built-in workload, and the small vCPU state migration carries for it.
 */
#ifndef SOFT_H
#define SOFT_H

#include <stdbool.h>

#include "guests/workload.h"

/* The running workload's name ("" before the vCPU exists). */
const char *soft_cpu_workload_name(void);
/* Whether the workload's init has run (its state in RAM is live). */
bool soft_cpu_initialized(void);
void soft_cpu_set_initialized(bool initialized);

#endif
