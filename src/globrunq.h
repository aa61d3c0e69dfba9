/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * globrunq.h - the global run queue, segments of G pointers (globrunq.c).
 * Everything here runs with sched.lock held except fini.
 */
#ifndef GRT_GLOBRUNQ_H
#define GRT_GLOBRUNQ_H

#include "runtime.h"

void      grt__globrunq_put(struct g *gp);
void      grt__globrunq_putbatch(struct g *const *gs, int32_t n);
/* Take a fair share (at most max, 0: no limit): one returned to run,
 * the rest onto pp's ring (see globrunq.c for the limits). */
struct g *grt__globrunq_get(struct p *pp, int32_t max);
void      grt__globrunq_fini(void); /* grt_run's end */

#endif
