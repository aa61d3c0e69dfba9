/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * debug.h - looking at goroutines (debug.c): the goroutine dump and
 * schedtrace.
 */
#ifndef GRT_DEBUG_H
#define GRT_DEBUG_H

#include "runtime.h"

void grt__dump_goroutines(int fd);
/* The dump for signal handlers: gp (may be NULL) was interrupted at pc
 * with frame pointer fp; its frames are walked from there. */
void grt__dump_goroutines_interrupted(int fd, struct g *gp, uintptr_t pc, uintptr_t fp);
/* GRT_DEBUG=schedtrace: one line per period (sysmon). */
void grt__schedtrace_tick(int64_t now);

#endif
