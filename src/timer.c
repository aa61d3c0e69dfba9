/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timer.c - runtime timers: a 4-ary min-heap per P.
 *
 * A timer is queued in the heap of the P that added it and runs on whatever
 * M holds that P when it is due: findRunnable runs its own P's due timers,
 * and a thief looking for work runs the due timers of the Ps it visits, so
 * timers of idle Ps fire too.  When every M would sleep, one of them sleeps
 * only until the earliest timer (find_runnable in sched.c); a timer added
 * earlier than that wakes it (timer_sleeper_kick).
 *
 * 4-ary rather than binary: half the depth, and the four children share a
 * cache line or two, as in Go.
 *
 * States: a timer is either in a heap (t->pp != NULL, t->idx valid) or not.
 * Firing takes it out of the heap under the P's timers lock *before* f is
 * called with copies of f/arg/seq, so the owner may free or reuse the
 * timer as soon as grt__timer_del returns; f must validate seq against its
 * owner's state when that matters (a stale firing is possible by design).
 */
#include "runtime.h"
#include "ctx.h"
#include "deadline.h"
#include "misc.h"
#include "sched.h"
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* A timer whose f is running (TIMER_FIRING) cannot be freed yet: its
 * firing thread still reads it.  f never blocks, so the wait is short. */
enum { TIMER_IDLE = 0, TIMER_FIRING = 1 };

static inline void slot_set(struct grt__tslot *h, uint32_t i, struct grt__tslot v)
{
    h[i] = v;
    v.t->idx = (int32_t)i;
}

static void heap_up(struct grt__tslot *h, uint32_t i)
{
    struct grt__tslot v = h[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (v.when >= h[parent].when)
            break;
        slot_set(h, i, h[parent]);
        i = parent;
    }
    slot_set(h, i, v);
}

static void heap_down(struct grt__tslot *h, uint32_t n, uint32_t i)
{
    struct grt__tslot v = h[i];
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n)
            break;
        uint32_t best = c;
        for (uint32_t k = c + 1; k < c + 4 && k < n; k++)
            if (h[k].when < h[best].when)
                best = k;
        if (h[best].when >= v.when)
            break;
        slot_set(h, i, h[best]);
        i = best;
    }
    slot_set(h, i, v);
}

static void update_timer0(struct p *pp)
{
    /* relaxed: a hint read without the lock to skip empty heaps */
    st_relaxed(&pp->timer0_when, pp->ntimers ? pp->timers[0].when : 0);
}

static void heap_push(struct p *pp, struct grt__timer *t)
{
    if (pp->ntimers == pp->timers_cap) {
        uint32_t cap = pp->timers_cap ? 2 * pp->timers_cap : 16;
        struct grt__tslot *h = realloc(pp->timers, cap * sizeof *h);
        if (h == NULL)
            grt__fatal("out of memory growing a timer heap");
        pp->timers = h;
        pp->timers_cap = cap;
    }
    st_release(&t->pp, pp);
    pp->timers[pp->ntimers] = (struct grt__tslot){t->when, t};
    heap_up(pp->timers, pp->ntimers++);
    update_timer0(pp);
}

static void heap_remove(struct p *pp, struct grt__timer *t)
{
    uint32_t i = (uint32_t)t->idx;
    uint32_t last = --pp->ntimers;
    if (i != last) {
        slot_set(pp->timers, i, pp->timers[last]);
        heap_down(pp->timers, pp->ntimers, i);
        heap_up(pp->timers, i);
    }
    /* release: a deleter that reads NULL without the lock must also see
     * TIMER_FIRING, stored before this by grt__timers_run */
    st_release(&t->pp, NULL);
    t->idx = -1;
    update_timer0(pp);
}

static struct p *timer_home(void)
{
    struct g *gp = getg();
    if (gp && gp->m && gp->m->p)
        return gp->m->p;
    return grt__allp[0];
}

void grt__timer_add(struct grt__timer *t)
{
    struct p *pp = timer_home();
    int64_t when = t->when; /* t may fire and be freed once unlocked */
    grt__lock(&pp->timers_lock);
    heap_push(pp, t);
    grt__unlock(&pp->timers_lock);
    grt__timer_sleeper_kick(when);
}


static void wait_not_firing(struct grt__timer *t)
{
    while (ld_acquire(&t->state) == TIMER_FIRING)
        grt__osyield();
}

bool grt__timer_del_nowait(struct grt__timer *t)
{
    for (;;) {
        struct p *pp = ld_acquire(&t->pp);
        if (pp == NULL)
            return false;
        grt__lock(&pp->timers_lock);
        if (t->pp != pp) { /* moved or fired meanwhile */
            grt__unlock(&pp->timers_lock);
            continue;
        }
        heap_remove(pp, t);
        grt__unlock(&pp->timers_lock);
        return true;
    }
}

bool grt__timer_del(struct grt__timer *t)
{
    bool was = grt__timer_del_nowait(t);
    wait_not_firing(t); /* a ticker may be firing while queued */
    return was;
}

bool grt__timer_mod(struct grt__timer *t, int64_t when)
{
    bool was = grt__timer_del(t);
    t->when = when;
    grt__timer_add(t);
    return was;
}

/* Run pp's due timers.  Returns the next when, or 0 if none remain.
 *
 * Due timers are taken out in batches under one hold of the lock and
 * fired outside it, and the goroutines they ready are published with one
 * wake-up for the batch (grt__ready_batch_*): 10,000 sleepers due in the
 * same millisecond cost 600 lock round trips and fences, not 40,000. */
enum { FIRE_BATCH = 32 };

struct fired {
    struct grt__timer *t;
    void             (*f)(void *, uintptr_t, int64_t);
    void              *arg;
    uintptr_t          seq;
    int64_t            when;
};

/* Re-arm the earliest timer, a ticker, for its next tick; lock held.  A
 * ticker that fell behind skips the ticks it missed instead of firing them
 * in a burst (Go's behaviour): the next tick is always after now.  Both
 * steps saturate: a tick past INT64_MAX is never (a ticker whose period is
 * INT64_MAX ticks once), not a wrap into the past that would re-arm it
 * for ever under the lock. */
static void ticker_rearm(struct p *pp, struct grt__timer *t, int64_t now)
{
    int64_t next = grt__time_add(t->when, t->period);
    if (next <= now) {
        int64_t skip;
        if (__builtin_mul_overflow(t->period, (now - next) / t->period + 1, &skip))
            skip = INT64_MAX;
        next = grt__time_add(next, skip);
    }
    t->when = next;
    pp->timers[0].when = next;
    heap_down(pp->timers, pp->ntimers, 0);
    update_timer0(pp);
}

/* Take the earliest timer out (or re-arm it, for a ticker); lock held.
 * Returns false when it must not fire now (it was re-armed instead). */
static bool fire_take(struct p *pp, int64_t now, struct fired *out)
{
    struct grt__timer *t = pp->timers[0].t;
    if (t->period > 0 && ld_acquire(&t->state) == TIMER_FIRING) {
        /* A ticker due again while another M is still delivering its
         * previous tick (the period is shorter than that M took, e.g. it
         * was descheduled).  Firing it now would run f twice at once:
         * ticks could arrive out of order, and the first firing to finish
         * would mark the timer idle, letting its owner free it under the
         * second.  The tick is dropped instead, as a ticker drops ticks
         * its reader is too slow for. */
        ticker_rearm(pp, t, now);
        return false;
    }
    *out = (struct fired){t, t->f, t->arg, t->seq, t->when};
    st_relaxed(&t->state, TIMER_FIRING);
    if (t->period > 0)
        ticker_rearm(pp, t, now);
    else
        heap_remove(pp, t);
    return true;
}

int64_t grt__timers_run(struct p *pp, int64_t now)
{
    int64_t w = ld_relaxed(&pp->timer0_when);
    if (w == 0 || w > now)
        return w;
    struct fired batch[FIRE_BATCH];
    for (;;) {
        int n = 0;
        grt__lock(&pp->timers_lock);
        while (n < FIRE_BATCH && pp->ntimers > 0 && pp->timers[0].when <= now)
            if (fire_take(pp, now, &batch[n]))
                n++;
        int64_t next = pp->ntimers ? pp->timers[0].when : 0;
        grt__unlock(&pp->timers_lock);
        if (n == 0)
            return next;
        grt__ready_batch_begin();
        for (int i = 0; i < n; i++) {
            batch[i].f(batch[i].arg, batch[i].seq, batch[i].when);
            /* release: the owner waiting in grt__timer_del may free the
             * timer now; this is the last access to it. */
            st_release(&batch[i].t->state, TIMER_IDLE);
        }
        grt__ready_batch_end();
        if (n < FIRE_BATCH)
            return next;
    }
}

void grt__timers_move(struct p *from, struct p *to)
{
    if (from == to)
        return;
    grt__lock(&from->timers_lock);
    grt__lock(&to->timers_lock);
    while (from->ntimers > 0) {
        struct grt__timer *t = from->timers[from->ntimers - 1].t;
        from->ntimers--;
        heap_push(to, t);
    }
    update_timer0(from);
    grt__unlock(&to->timers_lock);
    grt__unlock(&from->timers_lock);
}

/* Shutdown: the heap is about to be freed; timers still queued (owned by
 * the program, e.g. a grt_timer it never freed) become unqueued so that a
 * later grt_timer_stop/free does not touch a dead P. */
void grt__timers_forget(struct p *pp)
{
    grt__lock(&pp->timers_lock);
    for (uint32_t i = 0; i < pp->ntimers; i++) {
        st_release(&pp->timers[i].t->pp, NULL);
        pp->timers[i].t->idx = -1;
    }
    pp->ntimers = 0;
    update_timer0(pp);
    grt__unlock(&pp->timers_lock);
}

int64_t grt__timers_next(void)
{
    int64_t next = 0;
    int32_t np = ld_acquire(&grt__gomaxprocs); /* pairs with procresize: allp[i < np] published */
    for (int32_t i = 0; i < np; i++) {
        int64_t w = ld_relaxed(&grt__allp[i]->timer0_when);
        if (w != 0 && (next == 0 || w < next))
            next = w;
    }
    return next;
}

/* ------------------------------------------------------------------ */
/* grt_sleep                                                           */
/* ------------------------------------------------------------------ */

/* Queue the timer only once the G is parked, so the wake-up cannot run
 * ahead of the park (Go's resetForSleep). */
static bool sleep_arm(struct g *gp, void *arg)
{
    grt__timer_add(arg);
    (void)gp;
    return true;
}

int grt_sleep(int64_t ns)
{
    struct g *gp = grt__curg();
    if (gp == NULL) {
        if (ns > 0) {
            struct timespec ts = {ns / 1000000000, ns % 1000000000};
            while (nanosleep(&ts, &ts) != 0) {
            }
        }
        return 0;
    }
    if (ns <= 0) {
        grt_yield();
        return 0;
    }
    if (gp->timer == NULL) {
        gp->timer = calloc(1, sizeof *gp->timer);
        if (gp->timer == NULL)
            return -ENOMEM;
    }
    int err = grt__park_check(gp);
    if (unlikely(err != 0))
        return err;
    struct grt__timer *t = gp->timer;
    t->when = grt__time_add(grt__nanotime(), ns); /* INT64_MAX: never */
    t->period = 0;
    t->f = grt__park_timer_fire; /* the G's context may claim the park first */
    t->arg = gp;
    t->seq = grt__park_gen(gp);
    err = grt__gopark_intr(gp, sleep_arm, t, WAIT_SLEEP, NULL);
    if (unlikely(err != 0))
        grt__timer_del(t); /* the context won: the timer has not fired */
    return err;
}
