/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * select.c - grt_select: Go's selectgo.
 *
 *  1. Shuffle the cases that have a channel into a random poll order
 *     (cases with a NULL channel are never ready and are dropped), and sort
 *     them by channel address into the lock order.
 *  2. Lock every channel, in address order, once each (a channel may appear
 *     in several cases).  Address order is the global lock order between
 *     selects; plain channel operations hold only one channel lock.
 *  3. Pass 1: walk the poll order and complete the first case that can
 *     proceed.  The random order makes the choice uniform among ready cases.
 *  4. Nothing ready and the deadline says "do not block": -ETIMEDOUT.
 *  5. Pass 2: queue one sudog per case on its channel, all linked from
 *     g->waiting in lock order, and park.  The park's commit function arms
 *     the deadline timer and only then unlocks the channels.
 *  6. The first waker to claim the G (grt__select_claim: CAS on
 *     g->select_done) completes its case, leaves the sudog in g->param and
 *     readies the G; any other waker that finds one of our sudogs after
 *     that skips it.  The deadline timer claims the G the same way and
 *     leaves g->param 0.
 *  7. Woken: lock everything again, take our remaining sudogs off their
 *     queues, and report the case whose sudog was in g->param.
 *
 * Why the timer is armed inside the commit, with the channels still locked:
 * the timer may fire on another thread at once and ready the G, which is
 * allowed only once the G is parked (so not before gopark), and the timer
 * lives on this G's stack, so it must be queued before any channel waker
 * can resume the G and return from grt_select (a resumed G first has to
 * lock every channel, which it cannot do until the commit unlocks them).
 * (grt__timer_add itself reads the timer after dropping its heap lock.)
 * A select without any channel therefore does not take this path: it is a
 * grt_sleep until the deadline, or a park for ever.
 *
 * A stale deadline timer (it fired after a channel won, or after the G
 * moved on) cannot end a later select: it carries the select's generation
 * in its seq and its CAS expects exactly that generation (chan.h).
 */
#include "runtime.h"
#include "chan.h"
#include "ctx.h"
#include "misc.h"
#include "sched.h"
#include "sudog.h"
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Go's limit; orders are indexed by uint32_t, and a larger select is
 * almost certainly a bug. */
#define SELECT_MAX_CASES 65536
/* Cases whose orders fit in the caller's frame without malloc. */
#define SELECT_STACK_CASES 32

static inline struct grt_chan *case_chan(const grt_case *cases, uint32_t i)
{
    return cases[i].chan;
}

/* Heap sort of order[0..n) by channel address: O(n log n) with no
 * recursion, so a select with many cases cannot blow a small stack. */
static void lockorder_sort(const grt_case *cases, uint32_t *order, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        /* sift up into a max-heap */
        uint32_t j = i, v = order[i];
        uintptr_t key = (uintptr_t)case_chan(cases, v);
        while (j > 0) {
            uint32_t parent = (j - 1) / 2;
            if ((uintptr_t)case_chan(cases, order[parent]) >= key)
                break;
            order[j] = order[parent];
            j = parent;
        }
        order[j] = v;
    }
    for (uint32_t end = n; end > 1;) {
        /* move the max to the end, sift the displaced element down */
        uint32_t v = order[--end];
        order[end] = order[0];
        uintptr_t key = (uintptr_t)case_chan(cases, v);
        uint32_t j = 0;
        for (;;) {
            uint32_t k = 2 * j + 1;
            if (k >= end)
                break;
            if (k + 1 < end && (uintptr_t)case_chan(cases, order[k + 1]) >
                                   (uintptr_t)case_chan(cases, order[k]))
                k++;
            if ((uintptr_t)case_chan(cases, order[k]) <= key)
                break;
            order[j] = order[k];
            j = k;
        }
        order[j] = v;
    }
}

static void sel_lock(const grt_case *cases, const uint32_t *lockorder, uint32_t n)
{
    struct grt_chan *last = NULL;
    for (uint32_t k = 0; k < n; k++) {
        struct grt_chan *c = case_chan(cases, lockorder[k]);
        if (c != last)
            grt__lock(&c->lock);
        last = c;
    }
}

static void sel_unlock(const grt_case *cases, const uint32_t *lockorder, uint32_t n)
{
    for (uint32_t k = n; k-- > 0;) {
        struct grt_chan *c = case_chan(cases, lockorder[k]);
        if (k > 0 && c == case_chan(cases, lockorder[k - 1]))
            continue; /* unlocked when we reach its first occurrence */
        grt__unlock(&c->lock);
    }
}

/* ------------------------------------------------------------------ */
/* Parking                                                             */
/* ------------------------------------------------------------------ */

/* gopark commit, on g0 with the G already parked. */
static bool select_commit(struct g *gp, void *arg)
{
    struct grt__timer *t = arg;
    if (t != NULL)
        grt__timer_add(t);
    /* Unlock each channel only after its last sudog in the list has been
     * passed: once a channel is unlocked, its sudogs (and their waitlink)
     * may be dequeued, and the G may resume as soon as all are unlocked. */
    struct grt_chan *last = NULL;
    for (struct grt__sudog *s = gp->waiting; s != NULL; s = s->waitlink) {
        if (s->c != last && last != NULL)
            grt__unlock(&last->lock);
        last = s->c;
    }
    if (last != NULL)
        grt__unlock(&last->lock);
    return true;
}

/* Pass 2 onward: every channel (at least one) is locked on entry and
 * unlocked on return. */
static int select_block(grt_case *cases, const uint32_t *lockorder, uint32_t norder,
                        int64_t deadline, struct g *gp)
{
    /* A new generation for this select, with the done bit clear. */
    uint32_t gen = (ld_relaxed(&gp->select_done) | 1u) + 1u;
    /* relaxed: published to wakers by the channel locks, to the timer by
     * timer_add's lock */
    st_relaxed(&gp->select_done, gen);

    /* Under a context that has ended, do not park (ctx.h). */
    int err = grt__park_check(gp);
    if (unlikely(err != 0)) {
        sel_unlock(cases, lockorder, norder);
        return err;
    }
    struct grt__sudog **tailp = &gp->waiting;
    for (uint32_t k = 0; k < norder; k++) {
        uint32_t i = lockorder[k];
        struct grt_chan *c = cases[i].chan;
        struct grt__sudog *s = grt__sudog_acquire();
        s->g = gp;
        s->is_select = true;
        s->elem = cases[i].elem;
        s->c = c;
        s->casei = (int32_t)i;
        grt__chan_ref(c);
        *tailp = s;
        tailp = &s->waitlink;
        grt__waitq_enqueue(cases[i].op == GRT_SEND ? &c->sendq : &c->recvq, s);
    }
    *tailp = NULL;
    gp->param = 0;

    struct grt__timer timer, *t = NULL;
    if (deadline != GRT_FOREVER) {
        memset(&timer, 0, sizeof timer);
        timer.when = deadline;
        timer.f = grt__park_timer_fire; /* claims gen, as a channel would */
        timer.arg = gp;
        timer.seq = gen;
        t = &timer;
    }
    /* Its sudogs are claimed through select_done already, so the context
     * claims the park the same way (ctx.h). */
    err = grt__gopark_intr(gp, select_commit, t, WAIT_SELECT, NULL);

    /* Woken by a channel, a close or the deadline.  A timer that has not
     * fired must go before this frame does; one that already fired or is
     * firing lost (or won) the claim and holds no pointer into the frame. */
    if (t != NULL)
        grt__timer_del(t);

    sel_lock(cases, lockorder, norder);
    struct grt__sudog *won = (struct grt__sudog *)gp->param;
    gp->param = 0;
    int casei = -1;
    bool success = false;
    struct grt__sudog *s = gp->waiting;
    gp->waiting = NULL;
    while (s != NULL) {
        struct grt__sudog *next = s->waitlink;
        s->waitlink = NULL;
        if (s == won) {
            casei = s->casei;
            success = s->success;
        } else {
            struct grt_chan *c = s->c;
            grt__waitq_remove(cases[s->casei].op == GRT_SEND ? &c->sendq : &c->recvq, s);
        }
        s->c = NULL;
        s->elem = NULL;
        s->is_select = false;
        grt__sudog_release(s);
        s = next;
    }
    sel_unlock(cases, lockorder, norder);
    /* The references the sudogs held, now that no lock is held (the last
     * one may free a channel). */
    for (uint32_t k = 0; k < norder; k++)
        grt__chan_unref(cases[lockorder[k]].chan);

    if (casei < 0) {
        if (err != 0 && won == NULL)
            return err; /* the context ended it */
        if (won != NULL || t == NULL)
            grt__fatal("select: bad wakeup");
        return -ETIMEDOUT;
    }
    cases[casei].err = success ? 0 : -EPIPE; /* a close zeroed a recv's elem */
    return casei;
}

/* ------------------------------------------------------------------ */
/* selectgo                                                            */
/* ------------------------------------------------------------------ */

/* Pass 1, channels locked: complete the first ready case in poll order.
 * Returns its index with every channel unlocked, or -1 with them locked. */
static int select_poll(grt_case *cases, const uint32_t *pollorder,
                       const uint32_t *lockorder, uint32_t norder)
{
    for (uint32_t k = 0; k < norder; k++) {
        uint32_t i = pollorder[k];
        grt_case *cas = &cases[i];
        struct grt_chan *c = cas->chan;
        struct grt__sudog *s;
        if (cas->op == GRT_SEND) {
            if (c->closed) {
                sel_unlock(cases, lockorder, norder);
                cas->err = -EPIPE;
                return (int)i;
            }
            if ((s = grt__waitq_dequeue(&c->recvq)) != NULL) {
                grt__chan_send_to(c, s, cas->elem);
                sel_unlock(cases, lockorder, norder);
                grt__chan_wake(s);
                return (int)i;
            }
            if (c->qcount < c->dataqsiz) {
                grt__chan_buf_put(c, cas->elem);
                sel_unlock(cases, lockorder, norder);
                return (int)i;
            }
        } else {
            if ((s = grt__waitq_dequeue(&c->sendq)) != NULL) {
                grt__chan_recv_from(c, s, cas->elem);
                sel_unlock(cases, lockorder, norder);
                grt__chan_wake(s);
                return (int)i;
            }
            if (c->qcount > 0) {
                grt__chan_buf_take(c, cas->elem);
                sel_unlock(cases, lockorder, norder);
                return (int)i;
            }
            if (c->closed) {
                sel_unlock(cases, lockorder, norder);
                if (cas->elem && c->elemsize)
                    memset(cas->elem, 0, c->elemsize);
                cas->err = -EPIPE;
                return (int)i;
            }
        }
    }
    return -1;
}

/* No case has a channel: only the deadline can end it.  A finite one is a
 * sleep: the parked path's timer lives in this frame and may be queued only
 * while a channel lock keeps the G from returning (see the top), and here
 * there is no channel to lock. */
static int select_none(bool block, int64_t deadline, struct g *gp)
{
    if (!block)
        return -ETIMEDOUT;
    if (deadline == GRT_FOREVER) {
        /* select {}: only the goroutine's context can end it */
        for (;;) {
            int err = grt__park_check(gp);
            if (err == 0) {
                grt__park_gen(gp);
                err = grt__gopark_intr(gp, NULL, NULL, WAIT_SELECT_NO_CASES, NULL);
            }
            if (err != 0)
                return err;
        }
    }
    for (int64_t now = grt__nanotime(); now < deadline; now = grt__nanotime()) {
        int err = grt_sleep(deadline - now);
        if (err != 0)
            return err;
    }
    return -ETIMEDOUT;
}

static int select_go(grt_case *cases, uint32_t n, bool block, int64_t deadline,
                     struct g *gp, uint32_t *pollorder, uint32_t *lockorder)
{
    /* A random permutation of the cases with a channel (inside-out
     * Fisher-Yates). */
    uint32_t norder = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (cases[i].chan == NULL)
            continue;
        uint32_t j = grt__fastrandn(norder + 1);
        pollorder[norder] = pollorder[j];
        pollorder[j] = i;
        norder++;
    }
    if (norder == 0)
        return select_none(block, deadline, gp);
    memcpy(lockorder, pollorder, norder * sizeof *lockorder);
    lockorder_sort(cases, lockorder, norder);

    sel_lock(cases, lockorder, norder);
    int r = select_poll(cases, pollorder, lockorder, norder);
    if (r >= 0)
        return r;
    if (!block) {
        sel_unlock(cases, lockorder, norder);
        return -ETIMEDOUT;
    }
    return select_block(cases, lockorder, norder, deadline, gp);
}

int grt_select(grt_case *cases, size_t n, int64_t deadline)
{
    if ((n > 0 && cases == NULL) || n > SELECT_MAX_CASES)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        grt_case *cas = &cases[i];
        if (cas->op != GRT_SEND && cas->op != GRT_RECV)
            return -EINVAL;
        if (cas->op == GRT_SEND && cas->chan && cas->elem == NULL && cas->chan->elemsize)
            return -EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        cases[i].err = 0;

    /* GRT_FOREVER blocks; any other deadline not after now is default:. */
    bool block = deadline == GRT_FOREVER || (deadline > 0 && deadline > grt__nanotime());
    struct g *gp = grt__curg();
    if (block && gp == NULL)
        return -EPERM;
    grt__foreign_note(); /* a foreign default: select may send or receive */

    uint32_t stackorder[2 * SELECT_STACK_CASES];
    uint32_t *orders = stackorder;
    if (n > SELECT_STACK_CASES) {
        orders = malloc(2 * n * sizeof *orders);
        if (orders == NULL)
            return -ENOMEM;
    }
    int r = select_go(cases, (uint32_t)n, block, deadline, gp, orders, orders + n);
    if (orders != stackorder)
        free(orders);
    return r;
}
