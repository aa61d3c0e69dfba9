/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync.c - Go's sync package: Mutex, RWMutex, WaitGroup, Once, Cond.
 *
 * All of them are zero-initialisable words (layouts in grt.h) over the
 * address-keyed semaphores of sema.c, exactly as Go's sync package sits on
 * runtime_Semacquire/Semrelease.  Calls that may park return -EPERM outside
 * a goroutine, always (not only when they would actually have to wait), so
 * a program learns about the mistake the first time, not under load; the
 * calls that never park (unlock, runlock, done, trylock, signal, broadcast)
 * work from any thread.
 *
 * grt_mutex.state_ (Go's sync.Mutex.state):
 *   bit 0  LOCKED    held
 *   bit 1  WOKEN     a waiter is awake and competing (or spinning): unlock
 *                    need not wake another one
 *   bit 2  STARVING  ownership passes straight from unlock to the first
 *                    waiter; newcomers neither grab nor spin, they queue
 *   31..3  waiters   goroutines parked (or about to park) on sema_
 * Normal mode lets a running goroutine take the lock ahead of woken waiters
 * (cheap, cache-warm), and a woken waiter that loses goes back to the front
 * of the queue.  A waiter that has waited more than 1 ms switches the mutex
 * to starvation mode; the waiter that receives it switches back when it is
 * the last one or waited less than 1 ms.
 *
 * grt_rwmutex (Go's RWMutex, writer preference): reader_count_ counts
 * readers; a writer subtracts RW_MAX_READERS so that it goes negative and
 * new readers queue on reader_sem_, and it waits on writer_sem_ for the
 * reader_wait_ readers that were inside to leave.
 *
 * grt_waitgroup.state_: high 32 bits the counter, low 32 bits the waiters.
 *
 * grt_cond (Go's notifyList): wait_ is the next ticket to hand out, notify_
 * the next ticket to wake; a waiter takes a ticket before it unlocks the
 * mutex, so a signal between the unlock and the park is not lost (the
 * waiter then finds its ticket already notified and does not park).
 * lock_ is a runtime lock (grt__mutex) over head_/tail_, the parked waiters
 * as sudogs in ticket order.
 *
 * Restarts: every object a goroutine parks on (or runs a once's fn in) is
 * recorded on that goroutine's chain while it does (sync.h), so that the
 * objects of goroutines abandoned when grt_run returns are zeroed then and
 * work in the next run as if fresh.  Only the slow paths record.
 */
#include "runtime.h"
#include "arch.h"
#include "misc.h"
#include "sched.h"
#include "sema.h"
#include "sudog.h"
#include "chan.h"
#include "ctx.h"
#include "sync.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The chain of objects in use (sync.h)                                */
/* ------------------------------------------------------------------ */

/* gp is the caller, read before anything parked in the calling function:
 * after a park the compiler may still hold the first thread's thread
 * pointer, so getg() there could read another thread's G. */
static inline void syncref_push(struct g *gp, struct grt__syncref *r, void *obj, size_t size)
{
    r->g = gp;
    r->obj = obj;
    r->size = size;
    r->up = gp->syncref;
    gp->syncref = r;
}

/* Through the G recorded at the push, not getg() (see above). */
static inline void syncref_pop(struct grt__syncref *r)
{
    r->g->syncref = r->up;
}

/* ------------------------------------------------------------------ */
/* Mutex                                                               */
/* ------------------------------------------------------------------ */

enum {
    MUTEX_LOCKED = 1,
    MUTEX_WOKEN = 2,
    MUTEX_STARVING = 4,
    MUTEX_WAITER_SHIFT = 3,
};
#define MUTEX_STARVE_NS 1000000 /* 1 ms */
#define SPIN_PAUSES 30          /* pauses per round (the rounds: grt__can_spin) */

static inline int32_t mutex_waiters(int32_t state)
{
    return (int32_t)((uint32_t)state >> MUTEX_WAITER_SHIFT);
}

static void mutex_spin(void)
{
    for (int i = 0; i < SPIN_PAUSES; i++)
        grt__cpu_relax();
}

static void mutex_lock_slow(grt_mutex *m, struct g *gp)
{
    int64_t wait_start = 0;
    bool starving = false; /* this waiter has waited over the threshold */
    bool awoke = false;    /* we own the WOKEN bit */
    int iter = 0;
    int32_t old = ld_relaxed(&m->state_); /* relaxed: only a guess for the CAS */
    for (;;) {
        /* Spin while it is held in normal mode: the holder may be about to
         * unlock, and we are already on a CPU.  Setting WOKEN tells unlock
         * not to wake a parked waiter that would only lose to us. */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && grt__can_spin(iter)) {
            if (!awoke && !(old & MUTEX_WOKEN) && mutex_waiters(old) != 0 &&
                cas_acqrel(&m->state_, old, old | MUTEX_WOKEN)) /* pairs with unlock's CAS */
                awoke = true;
            mutex_spin();
            iter++;
            old = ld_relaxed(&m->state_); /* relaxed: a guess for the CAS */
            continue;
        }
        int32_t next = old;
        if (!(old & MUTEX_STARVING))
            next |= MUTEX_LOCKED; /* newcomers do not take a starving mutex */
        if (old & (MUTEX_LOCKED | MUTEX_STARVING))
            next += 1 << MUTEX_WAITER_SHIFT;
        /* Switch to starvation only while it is held: unlock expects a
         * starving mutex to have waiters. */
        if (starving && (old & MUTEX_LOCKED))
            next |= MUTEX_STARVING;
        if (awoke) {
            if (!(next & MUTEX_WOKEN))
                grt__fatal("grt_mutex: inconsistent state (woken bit lost)");
            next &= ~MUTEX_WOKEN;
        }
        /* acq_rel: acquires the lock when it takes LOCKED; publishes the
         * waiter count otherwise */
        if (!__atomic_compare_exchange_n(&m->state_, &old, next, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue; /* old was reloaded */
        if (!(old & (MUTEX_LOCKED | MUTEX_STARVING)))
            return; /* took it */
        /* Queued.  A waiter that was already woken once goes back to the
         * front: it has waited longest. */
        bool lifo = wait_start != 0;
        if (wait_start == 0)
            wait_start = grt__nanotime();
        struct grt__syncref ref;
        syncref_push(gp, &ref, m, sizeof *m);
        grt__semacquire((uint32_t *)&m->sema_, lifo, WAIT_MUTEX);
        syncref_pop(&ref);
        starving = starving || grt__nanotime() - wait_start > MUTEX_STARVE_NS;
        /* relaxed: the semaphore's acquire ordered us after the unlocker */
        old = ld_relaxed(&m->state_);
        if (old & MUTEX_STARVING) {
            /* Handed to us: LOCKED is clear and we still count as a waiter.
             * Take it, and leave starvation mode if we are the last waiter
             * or did not wait long (two goroutines could otherwise keep it
             * in the slow handoff mode for ever). */
            if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) || mutex_waiters(old) == 0)
                grt__fatal("grt_mutex: inconsistent state (handoff)");
            int32_t delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
            if (!starving || mutex_waiters(old) == 1)
                delta -= MUTEX_STARVING;
            /* acquire: the unlocker's release handed us the section */
            __atomic_add_fetch(&m->state_, delta, __ATOMIC_ACQ_REL);
            return;
        }
        awoke = true;
        iter = 0;
    }
}

int grt_mutex_lock(grt_mutex *m)
{
    if (m == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    grt__preempt_point(gp);
    /* acquire: pairs with the release in unlock */
    if (likely(cas_acquire(&m->state_, 0, MUTEX_LOCKED)))
        return 0;
    mutex_lock_slow(m, gp);
    return 0;
}

int grt_mutex_trylock(grt_mutex *m)
{
    if (m == NULL)
        return -EINVAL;
    grt__foreign_note(); /* a foreign holder will unlock: a wake-up */
    int32_t old = ld_relaxed(&m->state_); /* relaxed: a guess for the CAS */
    if (old & (MUTEX_LOCKED | MUTEX_STARVING))
        return -EBUSY;
    /* Waiters may be parked, but we are running: taking it ahead of them
     * is what normal mode allows anyway.  acquire: pairs with unlock. */
    if (!cas_acquire(&m->state_, old, old | MUTEX_LOCKED))
        return -EBUSY;
    return 0;
}

static int mutex_unlock_slow(grt_mutex *m)
{
    /* Drop LOCKED without ever touching an unlocked mutex, so misuse is
     * reported without corrupting the state.  release: publishes the
     * critical section to the next holder */
    int32_t old = ld_relaxed(&m->state_), next;
    do {
        if (!(old & MUTEX_LOCKED))
            return -EPERM;
        next = old - MUTEX_LOCKED;
    } while (!__atomic_compare_exchange_n(&m->state_, &old, next, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (next & MUTEX_STARVING) {
        /* Starvation: hand ownership to the first waiter.  LOCKED stays
         * clear until it sets it, but STARVING keeps newcomers out. */
        grt__semrelease((uint32_t *)&m->sema_, true);
        return 0;
    }
    old = next;
    for (;;) {
        /* Nobody to wake, or someone is already awake, or the lock was
         * taken again (that holder's unlock will wake), or it turned
         * starving after our unlock (not ours to hand off). */
        if (mutex_waiters(old) == 0 ||
            (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)))
            return 0;
        next = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
        if (__atomic_compare_exchange_n(&m->state_, &old, next, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            grt__semrelease((uint32_t *)&m->sema_, false);
            return 0;
        }
    }
}

int grt_mutex_unlock(grt_mutex *m)
{
    if (m == NULL)
        return -EINVAL;
    grt__foreign_note();
    /* release: pairs with the acquire in lock */
    if (likely(cas_release(&m->state_, MUTEX_LOCKED, 0)))
        return 0;
    return mutex_unlock_slow(m);
}

/* ------------------------------------------------------------------ */
/* RWMutex                                                             */
/* ------------------------------------------------------------------ */

#define RW_MAX_READERS (1 << 30)

int grt_rwmutex_rlock(grt_rwmutex *rw)
{
    if (rw == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    /* acq_rel: a reader entering acquires the last writer's section */
    if (xadd_acqrel(&rw->reader_count_, 1) < 0) {
        /* a writer is pending or active: wait for its unlock */
        struct grt__syncref ref;
        syncref_push(gp, &ref, rw, sizeof *rw);
        grt__semacquire(&rw->reader_sem_, false, WAIT_RWMUTEX_R);
        syncref_pop(&ref);
    }
    return 0;
}

int grt_rwmutex_runlock(grt_rwmutex *rw)
{
    if (rw == NULL)
        return -EINVAL;
    grt__foreign_note();
    int32_t r = ld_relaxed(&rw->reader_count_); /* relaxed: a guess for the CAS */
    do {
        /* no reader inside, with or without a writer pending */
        if (r == 0 || r == -RW_MAX_READERS)
            return -EPERM;
        /* acq_rel: a reader leaving releases its section to the writer */
    } while (!__atomic_compare_exchange_n(&rw->reader_count_, &r, r - 1, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    /* A writer is waiting for the readers that were inside: the last of
     * them lets it in. */
    if (r - 1 < 0 && xadd_acqrel(&rw->reader_wait_, -1) == 0) /* pairs with lock's add */
        grt__semrelease(&rw->writer_sem_, false);
    return 0;
}

int grt_rwmutex_lock(grt_rwmutex *rw)
{
    if (rw == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    /* The whole rwmutex, also while queued on w_: its reader count may
     * already say "writer pending" for an abandoned writer. */
    struct grt__syncref ref;
    syncref_push(gp, &ref, rw, sizeof *rw);
    grt_mutex_lock(&rw->w_); /* one writer at a time */
    /* Announce the writer: readers arriving from now on queue.  r is the
     * number of readers inside. */
    int32_t r = xadd_acqrel(&rw->reader_count_, -RW_MAX_READERS) + RW_MAX_READERS;
    if (r != 0 && xadd_acqrel(&rw->reader_wait_, r) != 0) /* pairs with runlock */
        grt__semacquire(&rw->writer_sem_, false, WAIT_RWMUTEX_W);
    syncref_pop(&ref);
    return 0;
}

int grt_rwmutex_unlock(grt_rwmutex *rw)
{
    if (rw == NULL)
        return -EINVAL;
    grt__foreign_note();
    int32_t r = ld_relaxed(&rw->reader_count_); /* relaxed: a guess for the CAS */
    do {
        if (r >= 0)
            return -EPERM; /* no writer */
        /* acq_rel: the writer's section is released to the readers */
    } while (!__atomic_compare_exchange_n(&rw->reader_count_, &r, r + RW_MAX_READERS, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    /* r + RW_MAX_READERS readers queued while we held it: let them in */
    for (int32_t i = 0; i < r + RW_MAX_READERS; i++)
        grt__semrelease(&rw->reader_sem_, false);
    grt_mutex_unlock(&rw->w_);
    return 0;
}

/* ------------------------------------------------------------------ */
/* WaitGroup                                                           */
/* ------------------------------------------------------------------ */

/* The counter is 32 bits: a delta that would take it out of [0, INT32_MAX]
 * is -EINVAL and changes nothing. */
int grt_waitgroup_add(grt_waitgroup *wg, int64_t delta)
{
    if (wg == NULL)
        return -EINVAL;
    grt__foreign_note();
    uint64_t old = ld_acquire(&wg->state_), next; /* acquire: pairs with the reset */
    int64_t v;
    uint32_t w;
    for (;;) {
        v = (int32_t)(old >> 32);
        w = (uint32_t)old;
        if (v == 0 && w != 0) {
            /* The counter just reached zero and its waiters are being
             * released: the releaser resets the word in a few
             * instructions.  (Go calls an Add here a misuse and panics.) */
            grt__cpu_relax();
            old = ld_acquire(&wg->state_); /* acquire: pairs with the reset */
            continue;
        }
        if (delta > INT32_MAX - v || delta < -v) /* no overflow: |v| <= INT32_MAX */
            return -EINVAL;
        if (delta == 0)
            return 0;
        int64_t nv = v + delta;
        next = ((uint64_t)(uint32_t)nv << 32) | w;
        /* acq_rel: Done releases the finished work to the waiters */
        if (__atomic_compare_exchange_n(&wg->state_, &old, next, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            break;
    }
    if ((next >> 32) != 0 || w == 0)
        return 0;
    /* We took the counter to zero with w goroutines waiting.  Nobody else
     * can change the word now (adders wait above, waiters see zero and
     * return, Done would go negative), so reset it and wake them all. */
    st_release(&wg->state_, 0); /* release: the spinning adders may go on */
    for (; w != 0; w--)
        grt__semrelease(&wg->sema_, false);
    return 0;
}

int grt_waitgroup_done(grt_waitgroup *wg)
{
    return grt_waitgroup_add(wg, -1);
}

/* The waiter's context ended while it waited (it holds no unit).  While
 * the counter is not zero it is still counted as a waiter: uncount it.
 * Once the counter has reached zero, the Add that did it releases one unit
 * per counted waiter, ours included: take it, and the wait has completed. */
static int waitgroup_wait_undo(struct g *gp, grt_waitgroup *wg, int err)
{
    uint64_t old = ld_acquire(&wg->state_); /* acquire: pairs with the reset */
    while ((old >> 32) != 0 && (uint32_t)old != 0) {
        /* acq_rel: as the waiter's increment */
        if (__atomic_compare_exchange_n(&wg->state_, &old, old - 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return err;
    }
    struct grt__syncref ref;
    syncref_push(gp, &ref, wg, sizeof *wg);
    grt__semacquire(&wg->sema_, false, WAIT_WAITGROUP);
    syncref_pop(&ref);
    return 0;
}

int grt_waitgroup_wait(grt_waitgroup *wg)
{
    if (wg == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    /* acquire: pairs with the Add that took the counter to zero */
    uint64_t old = ld_acquire(&wg->state_);
    for (;;) {
        if ((old >> 32) == 0)
            return 0;
        if (__atomic_compare_exchange_n(&wg->state_, &old, old + 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            struct grt__syncref ref;
            syncref_push(gp, &ref, wg, sizeof *wg);
            int err = grt__semacquire_intr(&wg->sema_, WAIT_WAITGROUP);
            syncref_pop(&ref);
            if (unlikely(err != 0))
                return waitgroup_wait_undo(gp, wg, err);
            /* The Add that woke us zeroed the word before releasing the
             * waiters.  Not zero now: the group was reused (Add) while this
             * Wait had not returned, and the wake-up we took may have been
             * meant for an older waiter.  Go panics; we cannot go on either.
             * acquire: pairs with that Add's release */
            if (ld_acquire(&wg->state_) != 0)
                grt__fatal("WaitGroup is reused before previous Wait has returned");
            return 0;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Once                                                                */
/* ------------------------------------------------------------------ */

/* fn must return: a fn that ends its goroutine (grt_exit) leaves the once
 * locked, and every later caller waits for ever, like a Go Once whose f
 * calls runtime.Goexit. */
static void once_do_slow(grt_once *o, grt_fn fn, void *arg, struct g *gp)
{
    /* Recorded while fn runs too: a once whose fn never returns in this
     * run is fresh in the next. */
    struct grt__syncref ref;
    syncref_push(gp, &ref, o, sizeof *o);
    grt_mutex_lock(&o->m_);
    if (ld_relaxed(&o->done_) == 0) { /* relaxed: o->m_ orders it */
        fn(arg);
        /* release: fn's effects before done, for the fast path's acquire */
        st_release(&o->done_, 1);
    }
    grt_mutex_unlock(&o->m_);
    syncref_pop(&ref);
}

int grt_once_do(grt_once *o, grt_fn fn, void *arg)
{
    if (o == NULL || fn == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    /* acquire: pairs with the release after fn; a caller that sees done
     * sees everything fn did */
    if (likely(ld_acquire(&o->done_) != 0))
        return 0;
    once_do_slow(o, fn, arg, gp);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cond                                                                */
/* ------------------------------------------------------------------ */

static inline grt__mutex *cond_lock(grt_cond *c)
{
    /* lock_ is a grt__mutex word: same size and meaning */
    return (grt__mutex *)(void *)&c->lock_;
}

/* a is before b, allowing the tickets to wrap */
static inline bool ticket_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static bool unlock_cond(struct g *gp, void *arg)
{
    (void)gp;
    grt__unlock(cond_lock(arg));
    return true;
}

static void cond_append(grt_cond *c, struct grt__sudog *s)
{
    s->next = NULL;
    s->queued = true;
    if (c->tail_ == NULL)
        c->head_ = s;
    else
        ((struct grt__sudog *)c->tail_)->next = s;
    c->tail_ = s;
}

/* 0 when signalled; the context's error when it ended first (ctx.h).  A
 * ticket whose waiter left that way stays on the list as a sudog without a
 * G, so that the signal meant for it goes on to the next ticket. */
static int cond_park(grt_cond *c, uint32_t t, struct g *gp)
{
    grt__lock(cond_lock(c));
    /* Signalled between taking the ticket and getting here: do not park. */
    if (ticket_before(t, c->notify_)) {
        grt__unlock(cond_lock(c));
        return 0;
    }
    struct grt__sudog *s = grt__sudog_acquire();
    s->ticket = t;
    int err = grt__park_check(gp);
    if (unlikely(err != 0)) {
        cond_append(c, s); /* a ticket with no waiter */
        grt__unlock(cond_lock(c));
        return err;
    }
    s->g = gp;
    if (unlikely(gp->ctx != NULL)) {
        s->is_select = true; /* signallers claim it (ctx.h) */
        grt__park_gen(gp);
    }
    cond_append(c, s);
    struct grt__syncref ref;
    syncref_push(gp, &ref, c, sizeof *c);
    err = grt__gopark_intr(gp, unlock_cond, c, WAIT_COND, NULL);
    syncref_pop(&ref);
    if (unlikely(err != 0)) {
        grt__lock(cond_lock(c));
        bool keep = s->queued;
        if (keep)
            s->g = NULL; /* the signaller frees it */
        grt__unlock(cond_lock(c));
        if (keep)
            return err;
    }
    s->is_select = false;
    grt__sudog_release(s);
    return err;
}

int grt_cond_wait(grt_cond *c, grt_mutex *m)
{
    if (c == NULL || m == NULL)
        return -EINVAL;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    /* The caller must hold m; checked before the ticket is taken so that
     * the error leaves the cond untouched. */
    if (!(ld_relaxed(&m->state_) & MUTEX_LOCKED)) /* relaxed: ours if we hold it */
        return -EPERM;
    /* seq_cst: pairs with the signallers' lock-free "no waiters" check */
    uint32_t t = xadd_seqcst(&c->wait_, 1) - 1;
    grt_mutex_unlock(m);
    int err = cond_park(c, t, gp);
    grt_mutex_lock(m);
    return err;
}

/* Unlink s from the list after prev (cond lock held). */
static void cond_unlink(grt_cond *c, struct grt__sudog *prev, struct grt__sudog *s)
{
    if (prev != NULL)
        prev->next = s->next;
    else
        c->head_ = s->next;
    if (c->tail_ == s)
        c->tail_ = prev;
    s->next = NULL;
    s->queued = false;
}

/* A sudog taken off the list: true if its G is the caller's to ready.
 * Otherwise its waiter left (its context ended) and the ticket is spent. */
static bool cond_take(struct grt__sudog *s)
{
    if (s->g == NULL) {
        s->is_select = false;
        grt__sudog_release(s); /* left on the list by its waiter */
        return false;
    }
    return grt__select_claim(s);
}

/* The fast path: every ticket handed out has been notified. */
static inline bool cond_idle(grt_cond *c)
{
    /* seq_cst: pairs with the waiters' ticket increment */
    return ld_seqcst(&c->wait_) == ld_seqcst(&c->notify_);
}

int grt_cond_signal(grt_cond *c)
{
    if (c == NULL)
        return -EINVAL;
    grt__foreign_note();
    if (cond_idle(c))
        return 0;
    grt__lock(cond_lock(c));
    for (;;) {
        uint32_t t = c->notify_;
        if (t == ld_seqcst(&c->wait_)) /* seq_cst: as in cond_idle */
            break;
        st_seqcst(&c->notify_, t + 1); /* seq_cst: read by cond_idle */
        /* The waiter with ticket t may not have parked yet; then it will
         * see notify_ past its ticket and not park at all. */
        struct grt__sudog *prev = NULL, *s = c->head_;
        while (s != NULL && s->ticket != t) {
            prev = s;
            s = s->next;
        }
        if (s == NULL)
            break;
        cond_unlink(c, prev, s);
        if (cond_take(s)) {
            grt__unlock(cond_lock(c));
            grt__goready(s->g);
            return 0;
        }
        /* ticket t's waiter left: the signal goes to the next one */
    }
    grt__unlock(cond_lock(c));
    return 0;
}

int grt_cond_broadcast(grt_cond *c)
{
    if (c == NULL)
        return -EINVAL;
    grt__foreign_note();
    if (cond_idle(c))
        return 0;
    grt__lock(cond_lock(c));
    struct grt__sudog *s = c->head_;
    c->head_ = c->tail_ = NULL;
    st_seqcst(&c->notify_, ld_seqcst(&c->wait_)); /* seq_cst: as in signal */
    /* Claim under the lock (a G its context woke withdraws under it). */
    struct grt__sudog *ready = NULL, **tail = &ready;
    while (s != NULL) {
        struct grt__sudog *next = s->next;
        s->next = NULL;
        s->queued = false;
        if (cond_take(s)) {
            *tail = s;
            tail = &s->next;
        }
        s = next;
    }
    grt__unlock(cond_lock(c));
    while (ready != NULL) {
        struct grt__sudog *next = ready->next;
        ready->next = NULL;
        grt__goready(ready->g);
        ready = next;
    }
    return 0;
}
