/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stack.h - goroutine stacks (stack.c): mapping, credits, caches, trim.
 */
#ifndef GRT_STACK_H
#define GRT_STACK_H

#include "runtime.h"

int   grt__stack_init(size_t default_size);
void  grt__stack_fini(bool keep);
int   grt__stack_credit_take(struct p *pp);   /* before a default-size G is queued */
void  grt__stack_credit_give(struct p *pp);
int   grt__stack_custom(struct g *gp, size_t size); /* non-default size: eager */
void  grt__stack_bind(struct p *pp, struct g *gp);  /* at first run */
void  grt__stack_unbind(struct p *pp, struct g *gp);/* at exit */
void  grt__stack_free_abandoned(struct g *gp);      /* shutdown: a custom stack */
void  grt__stackcache_flush(struct p *pp);           /* P destroyed */
void  grt__stack_trim(int64_t now);                  /* sysmon */
void  grt__stack_stats(int64_t *reserved, int64_t *resident);
bool  grt__stack_is_guard(uintptr_t addr);

/* Where a goroutine's first frame goes (sched.c builds it there): not
 * always at the very top of its stack.  Stacks are laid out at a fixed
 * stride (a multiple of 64 KiB), so the tops of all stacks - where every parked goroutine keeps its saved
 * context - would fall into the same few cache sets of every level, and
 * 10,000 goroutines that take turns (timers, a server) would evict each
 * other's contexts on every switch.  Shifting each start by a different
 * number of cache lines spreads them over 256 colours (16 KiB), at most a
 * sixteenth of the stack, and costs no memory: the pages above the first
 * frame are never touched.  What lies above the first frame of a reused
 * stack is what earlier goroutines left there, stale bytes that belong to
 * no live frame: code that inspects a running goroutine's stack (the
 * signal-frame search in preempt.c) stops at this address. */
static inline uintptr_t grt__stack_start(const struct g *gp)
{
    uintptr_t size = gp->stack_hi - gp->stack_lo;
    uintptr_t span = size / 16 < 16384 ? size / 16 : 16384;
    return gp->stack_hi - (((uintptr_t)gp->goid * 64) & (span - 1) & ~(uintptr_t)63);
}

#endif
