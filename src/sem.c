/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sem.c - grt_sem: x/sync/semaphore's weighted semaphore.
 *
 * size_ units, cur_ of them held, and a FIFO of waiters, all under one
 * runtime lock (lock_).  A request is granted at once only if it fits and
 * nobody waits; otherwise it queues, and a release grants from the head in
 * order, stopping at the first request that does not fit, so a large
 * request at the head holds back smaller ones behind it (no starvation of
 * large requests).
 *
 * A waiter lives on its goroutine's stack and is woken by exactly one of:
 * a release (which grants its units), its deadline timer, or its context
 * (ctx.h).  All three claim the park through g->select_done with the
 * generation the waiter recorded; the release claims under the lock, which
 * the waiter needs to leave, and the timer carries the generation in its
 * seq.  A waiter that leaves without its units takes itself off the queue
 * and lets the waiters behind it try again, since it may have been the
 * large one at the head.
 */
#include "ctx.h"
#include "misc.h"

#include <errno.h>
#include <string.h>

struct sem_waiter {
    struct g          *g;
    int64_t            n;
    struct sem_waiter *next, *prev;
    grt_sem           *s;
    grt__timer        *timer;   /* deadline, or NULL */
    uint32_t           gen;
    bool               queued;
    bool               granted;
};

static inline grt__mutex *sem_lock(grt_sem *s)
{
    /* lock_ is a grt__mutex word: same size and meaning */
    return (grt__mutex *)(void *)&s->lock_;
}

static void waiter_unlink(grt_sem *s, struct sem_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head_ = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail_ = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

/* Grant the head waiters that fit, in order (lock held).  Returns the
 * granted ones linked through next, to be readied once unlocked. */
static struct sem_waiter *sem_grant(grt_sem *s)
{
    struct sem_waiter *ready = NULL, **tail = &ready;
    struct sem_waiter *w;
    while ((w = s->head_) != NULL && s->size_ - s->cur_ >= w->n) {
        waiter_unlink(s, w);
        if (!grt__park_claim(w->g, w->gen))
            continue; /* its deadline or context won: it leaves */
        s->cur_ += w->n;
        w->granted = true;
        *tail = w;
        tail = &w->next;
    }
    return ready;
}

static void sem_ready(struct sem_waiter *w)
{
    while (w != NULL) {
        struct sem_waiter *next = w->next; /* w is its G's once readied */
        grt__goready(w->g);
        w = next;
    }
}

/* On g0 with the G parked: arm the deadline, then let releasers in. */
static bool sem_commit(struct g *gp, void *arg)
{
    (void)gp;
    struct sem_waiter *w = arg;
    if (w->timer)
        grt__timer_add(w->timer);
    grt__unlock(sem_lock(w->s));
    return true;
}

static inline bool sem_bad(const grt_sem *s, int64_t n)
{
    return s == NULL || n < 0 || n > ld_relaxed(&s->size_); /* relaxed: set before use */
}

int grt_sem_init(grt_sem *s, int64_t capacity)
{
    if (s == NULL || capacity < 0)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    s->size_ = capacity;
    return 0;
}

/* Lock held; the caller's units when they fit and nobody waits. */
static inline bool sem_take(grt_sem *s, int64_t n)
{
    if (s->head_ != NULL || s->size_ - s->cur_ < n)
        return false;
    s->cur_ += n;
    return true;
}

static int sem_wait(grt_sem *s, int64_t n, int64_t deadline, struct g *gp)
{
    struct sem_waiter w = {.g = gp, .n = n, .s = s, .queued = true};
    w.prev = s->tail_;
    if (w.prev)
        w.prev->next = &w;
    else
        s->head_ = &w;
    s->tail_ = &w;
    w.gen = grt__park_gen(gp);
    grt__timer t;
    if (deadline != GRT_FOREVER) {
        memset(&t, 0, sizeof t);
        t.when = deadline;
        t.f = grt__park_timer_fire;
        t.arg = gp;
        t.seq = w.gen;
        w.timer = &t;
    }
    int err = grt__gopark_intr(gp, sem_commit, &w, WAIT_SEMACQUIRE, NULL);
    if (w.timer)
        grt__timer_del(w.timer); /* lost or fired: no pointer into us left */
    if (w.granted)
        return 0;
    grt__lock(sem_lock(s));
    bool front = w.queued && s->head_ == &w;
    if (w.queued)
        waiter_unlink(s, &w);
    struct sem_waiter *ready = front ? sem_grant(s) : NULL;
    grt__unlock(sem_lock(s));
    sem_ready(ready);
    return err != 0 ? err : -ETIMEDOUT;
}

int grt_sem_acquire(grt_sem *s, int64_t n, int64_t deadline)
{
    if (sem_bad(s, n))
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp != NULL)
        grt__preempt_point(gp);
    grt__lock(sem_lock(s));
    if (sem_take(s, n)) {
        grt__unlock(sem_lock(s));
        return 0;
    }
    int err = 0;
    if (deadline != GRT_FOREVER && (deadline < 0 || deadline <= grt__nanotime()))
        err = -ETIMEDOUT;
    else if (gp == NULL)
        err = -EPERM;
    else
        err = grt__park_check(gp);
    if (err != 0) {
        grt__unlock(sem_lock(s));
        return err;
    }
    return sem_wait(s, n, deadline, gp); /* unlocks */
}

int grt_sem_tryacquire(grt_sem *s, int64_t n)
{
    if (sem_bad(s, n))
        return -EINVAL;
    grt__lock(sem_lock(s));
    bool ok = sem_take(s, n);
    grt__unlock(sem_lock(s));
    return ok ? 0 : -EAGAIN;
}

int grt_sem_release(grt_sem *s, int64_t n)
{
    if (s == NULL || n < 0)
        return -EINVAL;
    grt__lock(sem_lock(s));
    if (n > s->cur_) {
        grt__unlock(sem_lock(s));
        return -EINVAL;
    }
    s->cur_ -= n;
    struct sem_waiter *ready = sem_grant(s);
    grt__unlock(sem_lock(s));
    sem_ready(ready);
    return 0;
}
