/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * time.c - the program's timers: grt_timer_new (Go's NewTimer/NewTicker)
 * and grt_timer_func (AfterFunc), built on the runtime timers of timer.c.
 *
 * A channel timer owns a channel of capacity 1 whose element is the
 * int64_t time the timer was due.  Firing is a non-blocking send: if the
 * previous value was not taken yet, a ticker drops the tick (as Go's does),
 * so a slow reader sees fewer ticks, never a burst.
 *
 * Stop and reset also empty the channel.  That is Go 1.23's guarantee:
 * after Stop or Reset returns, no value from before the call can be
 * received, so the classic "if !t.Stop() { <-t.C }" dance is unnecessary
 * (and harmless: a grt_chan_tryrecv finds nothing).  It holds because
 * grt__timer_del returns only once a firing in progress has finished.
 *
 * A func timer starts fn(arg) in a new goroutine when it fires; firing runs
 * on the scheduler, which must never block, so fn never runs there.
 *
 * Go lets several goroutines stop and reset one timer at once.  Each of
 * those calls is a delete followed by an add of the runtime timer, and two
 * of them interleaved would queue it twice (two heaps, or twice in one),
 * so a per-timer lock makes them take turns.  It is a runtime lock: the
 * holder never parks (grt__timer_del waits for a firing by yielding the
 * thread, and a firing never takes this lock), so a contender waits only
 * for a few instructions.
 *
 * grt_timer_free takes that lock too, so a stop or reset running on another
 * thread finishes (and its queued timer is then deleted) before the timer
 * goes, or finds it freed afterwards.  For the second case the memory must
 * still be a timer: freed timers go to a free list that the next
 * grt_timer_new/func reuses, and are never given back to malloc (the list
 * lives as long as the process, across grt_run calls, and holds at most as
 * many records as the program ever had timers at once).  A stop or reset
 * that finds the timer freed returns -EINVAL; a freed record reused by a
 * new timer is that timer (as with a descriptor number the kernel hands
 * out again), but never freed memory.
 */
#include "deadline.h"
#include "lock.h"
#include "misc.h"
#include "sched.h"
#include "timer.h"

#include <errno.h>
#include <stdlib.h>

struct grt_timer {
    grt__timer rt;    /* first: the runtime timer's arg is this struct */
    grt__mutex lock;  /* serialises stop/reset/free of this timer */
    bool       freed; /* under lock: grt_timer_free ran (the record is on the free list) */
    grt_chan  *c;     /* channel timers; NULL for func timers */
    grt_fn     fn;    /* func timers */
    void      *fnarg;
    struct grt_timer *next_free;
};

/* Freed timer records, reused by the next timer (see the top). */
static struct {
    grt__mutex        lock;
    struct grt_timer *head;
} freelist;

static void fire_chan(void *arg, uintptr_t seq, int64_t when)
{
    (void)seq;
    struct grt_timer *t = arg;
    (void)grt_chan_trysend(t->c, &when); /* full: the reader is behind */
}

static void fire_func(void *arg, uintptr_t seq, int64_t when)
{
    (void)seq;
    (void)when;
    struct grt_timer *t = arg;
    /* On the scheduler with a P: the goroutine goes to this P's runnext.
     * -ENOMEM (no stack credit) can only be dropped: there is nobody to
     * tell, as with a Go program that cannot grow its heap. */
    (void)grt__newproc(t->fn, t->fnarg, NULL);
}

static int64_t due(int64_t delay)
{
    int64_t now = grt__nanotime();
    if (delay <= 0)
        return now; /* fires at once (API.md) */
    return grt__time_add(now, delay); /* past INT64_MAX: never */
}

static void timer_recycle(struct grt_timer *t)
{
    grt__lock(&freelist.lock);
    t->next_free = freelist.head;
    freelist.head = t;
    grt__unlock(&freelist.lock);
}

/* A record with every field but the lock cleared, returned with its lock
 * held: a late stop or reset of the previous timer in this record may be
 * waiting for that lock, and must find the new timer armed, not half set
 * up (timer_start arms it and unlocks). */
static struct grt_timer *timer_alloc(void)
{
    grt__foreign_note();
    if (!grt__sched_running()) {
        errno = ESRCH;
        return NULL;
    }
    grt__lock(&freelist.lock);
    struct grt_timer *t = freelist.head;
    if (t != NULL)
        freelist.head = t->next_free;
    grt__unlock(&freelist.lock);
    if (t == NULL && (t = calloc(1, sizeof *t)) == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    grt__lock(&t->lock);
    t->rt = (grt__timer){0};
    t->freed = false;
    t->c = NULL;
    t->fn = NULL;
    t->fnarg = NULL;
    t->next_free = NULL;
    return t;
}

static struct grt_timer *timer_start(struct grt_timer *t, int64_t delay, int64_t period,
                                     void (*f)(void *, uintptr_t, int64_t))
{
    t->rt.when = due(delay);
    t->rt.period = period;
    t->rt.f = f;
    t->rt.arg = t;
    grt__timer_add(&t->rt);
    grt__unlock(&t->lock);
    return t;
}

grt_timer *grt_timer_new(int64_t delay, int64_t period)
{
    if (period < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!grt__sched_running()) {
        errno = ESRCH;
        return NULL;
    }
    grt_chan *c = grt_chan_make(sizeof(int64_t), 1);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    struct grt_timer *t = timer_alloc();
    if (t == NULL) {
        int e = errno;
        grt_chan_release(c);
        errno = e;
        return NULL;
    }
    t->c = c;
    return timer_start(t, delay, period, fire_chan);
}

grt_timer *grt_timer_func(int64_t delay, grt_fn fn, void *arg)
{
    if (fn == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct grt_timer *t = timer_alloc();
    if (t == NULL)
        return NULL;
    t->fn = fn;
    t->fnarg = arg;
    return timer_start(t, delay, 0, fire_func);
}

grt_chan *grt_timer_chan(grt_timer *t)
{
    return t ? t->c : NULL;
}

/* After the timer is out of its heap (and any firing has finished): drop a
 * value nobody took yet, so none from before a stop/reset is seen. */
static void drain(struct grt_timer *t)
{
    int64_t stale;
    if (t->c)
        (void)grt_chan_tryrecv(t->c, &stale);
}

int grt_timer_stop(grt_timer *t)
{
    if (t == NULL)
        return -EINVAL;
    grt__foreign_note();
    grt__lock(&t->lock);
    if (t->freed) {
        grt__unlock(&t->lock);
        return -EINVAL;
    }
    bool was = grt__timer_del(&t->rt);
    drain(t);
    grt__unlock(&t->lock);
    return was ? 1 : 0;
}

int grt_timer_reset(grt_timer *t, int64_t delay)
{
    if (t == NULL)
        return -EINVAL;
    grt__foreign_note();
    if (!grt__sched_running())
        return -ESRCH;
    grt__lock(&t->lock);
    if (t->freed) {
        grt__unlock(&t->lock);
        return -EINVAL;
    }
    bool was = grt__timer_del(&t->rt);
    drain(t);
    t->rt.when = due(delay);
    grt__timer_add(&t->rt);
    grt__unlock(&t->lock);
    return was ? 1 : 0;
}

void grt_timer_free(grt_timer *t)
{
    if (t == NULL)
        return;
    grt__foreign_note();
    grt__lock(&t->lock);
    if (t->freed) { /* freed twice: harmless */
        grt__unlock(&t->lock);
        return;
    }
    t->freed = true;
    (void)grt__timer_del(&t->rt); /* waits out a firing: nothing reads t->c after */
    grt_chan *c = t->c;
    t->c = NULL;
    grt__unlock(&t->lock);
    if (c)
        grt_chan_release(c);
    timer_recycle(t);
}
