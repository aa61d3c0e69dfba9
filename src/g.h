/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * g.h - goroutine records (g.c): allocation, free lists, goids, allgs.
 */
#ifndef GRT_G_H
#define GRT_G_H

#include "runtime.h"

struct g *grt__gfget(struct p *pp);
void      grt__gfput(struct p *pp, struct g *gp);
struct g *grt__galloc(void);
uint64_t  grt__goid_next(struct p *pp);
/* Shutdown: free every G (keep: leak them for straggler threads). */
void      grt__gfree_all(bool keep);
int64_t   grt__gcount(void);

/* Every G ever allocated in this run.  allg_each needs allg_lock held;
 * the nolock walk is for fatal errors and signal handlers. */
extern grt__mutex grt__allg_lock;
void grt__allg_each(void (*fn)(struct g *gp, void *arg), void *arg);
void grt__allg_each_nolock(void (*fn)(struct g *gp, void *arg), void *arg);
/* grt_run is returning, every goroutine abandoned and no thread running
 * one, their stacks not yet freed: zero every sync object on an abandoned
 * goroutine's chain (sync.h). */
void grt__allg_syncref_reset(void);

#endif
