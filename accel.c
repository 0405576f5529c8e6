/*
 * Choosing the accelerator: the one named by -machine accel=, or KVM when
 * /dev/kvm is usable and the software accelerator otherwise.
 */
#include <string.h>

#include "accel.h"
#include "qemu-error.h"

static const AccelOps *selected;

const AccelOps *current_accel(void)
{
    return selected;
}

void accel_select(const AccelOps *ops)
{
    selected = ops;
}
