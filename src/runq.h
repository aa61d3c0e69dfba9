/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * runq.h - a P's local run queue: a lock-free ring plus the runnext slot
 * (runq.c, whose head states the ordering contract of every field).
 */
#ifndef GRT_RUNQ_H
#define GRT_RUNQ_H

#include "runtime.h"

/* Put gp on pp's queue (next: in runnext, kicking the old one out to the
 * ring).  Owner only.  A full ring spills half to the global queue. */
bool      grt__runq_put(struct p *pp, struct g *gp, bool next);
/* Take the next G (runnext first; *inherit: it may keep the time slice). */
struct g *grt__runq_get(struct p *pp, bool *inherit);
bool      grt__runq_empty(struct p *pp);
uint32_t  grt__runq_len(struct p *pp);
/* Steal half of victim's queue into pp's; returns one G to run. */
struct g *grt__runq_steal(struct p *pp, struct p *victim, bool stealnext);
void      grt__runq_drain_to_global(struct p *pp); /* sched.lock held */
void      grt__runq_put_batch(struct p *pp, struct g *const *gs, uint32_t n);

#endif
