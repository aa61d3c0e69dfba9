/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timer.h - runtime timers (timer.c): a 4-ary min-heap per P.
 *
 * A timer lives in the heap of one P (the P of the M that added it).  f
 * runs on the scheduler (a g0 stack, with the P's timers lock NOT held),
 * must not block or park, and may call goready.  seq is copied from the
 * timer when it was added so a stale firing can be recognised by its owner.
 */
#ifndef GRT_TIMER_H
#define GRT_TIMER_H

#include "runtime.h"

typedef struct grt__timer {
    int64_t   when;     /* absolute grt__nanotime() deadline */
    int64_t   period;   /* > 0: re-armed at when + period after firing */
    void    (*f)(void *arg, uintptr_t seq, int64_t now);
    void     *arg;
    uintptr_t seq;
    /* owned by timer.c */
    struct p *pp;       /* heap it is in, NULL when not queued */
    int32_t   idx;
    uint32_t  state;
} grt__timer;

/* A heap slot carries its timer's deadline, so sifting compares slots
 * without touching the timers themselves (one cache miss each). */
struct grt__tslot {
    int64_t            when;
    struct grt__timer *t;
};

/* Queue t (when, f, arg, seq set by the caller).  Callable from a goroutine
 * or the scheduler; from a thread with no P it goes to P 0's heap. */
void grt__timer_add(grt__timer *t);
/* Remove t; true if it was queued and had not started firing. */
bool grt__timer_del(grt__timer *t);
/* Remove t without waiting for a firing already under way (grt__timer_del
 * waits for it, so its caller must hold no lock that f takes).  Only for
 * timers that outlive their firings and whose f ignores a stale seq: a
 * pollDesc's deadline timers, deleted and re-armed under pd->lock, which
 * their f takes (netpoll.c).  t may be re-added at once. */
bool grt__timer_del_nowait(grt__timer *t);
/* Move t to a new when (re-queued if it had fired); true if it was queued. */
bool grt__timer_mod(grt__timer *t, int64_t when);
int64_t grt__timers_run(struct p *pp, int64_t now); /* due timers; next when or 0 */
void    grt__timers_move(struct p *from, struct p *to); /* procresize */
void    grt__timers_forget(struct p *pp);               /* teardown */
int64_t grt__timers_next(void);                     /* earliest when of all Ps, 0 if none */

#endif
