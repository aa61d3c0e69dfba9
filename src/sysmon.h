/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sysmon.h - the monitor thread (sysmon.c): retakes Ps from long syscalls,
 * asks long-running goroutines to yield, polls the network when nobody
 * does, trims stacks.
 */
#ifndef GRT_SYSMON_H
#define GRT_SYSMON_H

void grt__sysmon_start(void);
/* Wake a parked sysmon (or cut its sleep short at shutdown). */
void grt__sysmon_wake(void);
void grt__sysmon_stop(void); /* shutdown: join sysmon */

#endif
