/*
 * Registers the vCPU's migration section for the accelerator in use.
 */
#ifndef TARGET_I386_MACHINE_H
#define TARGET_I386_MACHINE_H

void cpu_register_migration(void);

#endif
