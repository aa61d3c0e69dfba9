/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syscall.h - goroutines in blocking system calls (syscall.c), the parts
 * sysmon and shutdown use.
 */
#ifndef GRT_SYSCALL_H
#define GRT_SYSCALL_H

#include "runtime.h"

/* sysmon: pp has been in P_SYSCALL since at least the previous pass; hand
 * it off if it has work, or nobody else could pick work up, or it has been
 * away 10 ms.  1 if it was retaken. */
int grt__syscall_retake(struct p *pp, int64_t now);
/* Shutdown: mark every M still inside a call abandoned; how many. */
int grt__syscall_abandon_all(void);

#endif
