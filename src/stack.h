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
 * stride (a multiple of 64 KiB), so the tops of all stacks - where every
 * parked goroutine keeps its saved context - would fall into the same few
 * cache sets of every level, and 10,000 goroutines that take turns
 * (timers, a server) would evict each other's contexts on every switch.
 * So each start is shifted by a number of cache lines taken from the
 * goroutine id: 48 lines in each of the top four pages (192 colours over
 * 16 KiB, at most a sixteenth of the stack).  Within a page only the
 * lines that leave COLOUR_ROOM below the start in the same page are used:
 * the frames of a goroutine parked early in its life (its function, a
 * channel receive, the park) then touch one page, not two.  (Colours over
 * a whole 16 KiB span made 4.6% of parked goroutines touch a second page:
 * 0.19 KiB each on average in the memory row.)  It costs no memory: the
 * pages above the first frame are never touched.  What lies above the
 * first frame of a reused stack is what earlier goroutines left there,
 * stale bytes that belong to no live frame: code that inspects a running
 * goroutine's stack (the signal-frame search in preempt.c) stops at this
 * address. */
#define COLOUR_PAGE  4096u
#define COLOUR_ROOM  1024u
#define COLOUR_LINES ((COLOUR_PAGE - COLOUR_ROOM) / 64u)

static inline uintptr_t grt__stack_start(const struct g *gp)
{
    uintptr_t size = gp->stack_hi - gp->stack_lo;
    uintptr_t pages = size / 16 / COLOUR_PAGE;
    if (pages > 4)
        pages = 4;
    if (pages == 0)
        return gp->stack_hi;
    uintptr_t c = (uintptr_t)(gp->goid % (COLOUR_LINES * pages));
    return gp->stack_hi - (c / COLOUR_LINES) * COLOUR_PAGE - (c % COLOUR_LINES) * 64;
}

#endif
