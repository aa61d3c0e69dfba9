/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload.c - grt_offload: a bounded pool of plain threads for calls that
 * block a thread and cannot be polled (getaddrinfo, a library's blocking
 * call, file I/O), while the calling goroutine parks.
 *
 * Threads start on demand up to GRT_OFFLOAD_THREADS (default 64) and retire
 * after 10 s without work (GRT_DEBUG=offloadidle=MS shortens that, for
 * tests); beyond the limit requests queue FIFO.  Pool threads are not Ms:
 * they never run goroutines, so a lookup that takes 30 s costs a thread
 * but never a P, and they need no P to hand a finished request back
 * (grt__goready works from any thread).
 *
 * The waiter and the pool meet in one word, the request's slot:
 *
 *     NIL        nobody waits, fn has not finished
 *     DONE       fn has finished (set by the pool; final)
 *     ABANDONED  the waiter left before fn finished (set by the waiter; final)
 *     a G*       the waiter parked on it
 *
 * The pool moves it to DONE with one exchange and readies the G it took
 * out; a deadline timer, or the end of the waiter's context (ctx.h), moves
 * G -> NIL (and readies it); the leaving waiter moves NIL -> ABANDONED.  A
 * request with an abandoned callback (it owns arg) that is abandoned
 * while still queued is dropped without running fn; grt_offload's own
 * requests always run fn, once (the caller may count on that to free).  Whoever reaches a final state first decides who
 * owns fn's results: the waiter (DONE) or the pool (ABANDONED: it calls the
 * request's abandoned callback).  The request itself is freed by whichever
 * of the two drops the last reference.
 *
 * grt_run's end: idle threads are told to leave and waited for; a thread
 * still inside fn finishes it and leaves then (its waiter is gone with the
 * run, so it only frees the request).  The stacks of the run are kept while
 * such a call is in flight, since fn may be using its caller's stack.
 */
#include "offload.h"
#include "runtime.h"
#include "ctx.h"
#include "deadline.h"
#include "env.h"
#include "misc.h"
#include "sched.h"
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define SLOT_NIL       ((uintptr_t)0)
#define SLOT_DONE      ((uintptr_t)1)
#define SLOT_ABANDONED ((uintptr_t)2)

#define OFFLOAD_DEFAULT_THREADS 64
#define OFFLOAD_MAX_THREADS     4096
#define OFFLOAD_IDLE_NS         (10 * 1000000000LL)

struct grt__offload {
    grt_fn        fn;
    void         *arg;
    grt_fn        abandoned;
    uintptr_t     slot;  /* see above (atomic) */
    uint32_t      refs;  /* atomic: the waiter's and the pool's */
    uint32_t      gen;   /* pool generation (the run) it was queued in */
    grt__offload *next;  /* FIFO queue, under pool.mu */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t  work;     /* a request was queued, or stop */
    pthread_cond_t  left;     /* an idle thread left (stop waits for it) */
    bool            cond_init;
    grt__offload   *head, *tail;
    int32_t         max;
    int32_t         nthreads; /* atomic reads (stats) */
    int32_t         nidle;
    int64_t         nqueued;  /* atomic reads */
    int64_t         npending; /* queued + running (atomic reads) */
    int64_t         ntotal;   /* this run (atomic reads) */
    int64_t         nbound;   /* queued or running with the waiter still there */
    int64_t         idle_ns;
    uint32_t        gen;      /* bumped when a run ends */
    bool            running;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void offload_unref(grt__offload *o)
{
    /* acq_rel: the last one out sees every write of the other side */
    if (xadd_acqrel(&o->refs, (uint32_t)-1) == 0)
        free(o);
}

grt__offload *grt__offload_new(grt_fn fn, void *arg, grt_fn abandoned)
{
    grt__offload *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->fn = fn;
    o->arg = arg;
    o->abandoned = abandoned;
    o->refs = 2;
    return o;
}

/* The pool's half of the slot protocol; pool.mu held (so a run cannot end
 * between the check of the generation and goready). */
static void offload_complete(grt__offload *o)
{
    uintptr_t old = xchg_acqrel(&o->slot, SLOT_DONE);
    if (o->gen != pool.gen || !pool.running) {
        /* Its run is over: the waiter went with it. */
        if (o->abandoned)
            o->abandoned(o->arg);
        o->refs = 1;
    } else if (old == SLOT_ABANDONED) {
        if (o->abandoned)
            o->abandoned(o->arg);
    } else {
        pool.nbound--;
        if (old != SLOT_NIL)
            grt__goready((struct g *)old);
    }
    offload_unref(o);
}

static void *offload_thread(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.head == NULL && pool.running) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t t = grt__time_add((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, pool.idle_ns);
            ts.tv_sec = t / 1000000000;
            ts.tv_nsec = t % 1000000000;
            pool.nidle++;
            int rc = pthread_cond_timedwait(&pool.work, &pool.mu, &ts);
            pool.nidle--;
            if (rc == ETIMEDOUT && pool.head == NULL)
                break;
        }
        if (pool.head == NULL || !pool.running)
            break;
        grt__offload *o = pool.head;
        pool.head = o->next;
        if (pool.head == NULL)
            pool.tail = NULL;
        st_relaxed(&pool.nqueued, pool.nqueued - 1);
        pthread_mutex_unlock(&pool.mu);
        /* acquire: pairs with the leaving waiter's CAS to ABANDONED; nobody
         * wants fn's result any more (and arg may be gone with the caller) */
        if (o->abandoned == NULL || ld_acquire(&o->slot) != SLOT_ABANDONED)
            o->fn(o->arg);
        pthread_mutex_lock(&pool.mu);
        offload_complete(o);
        /* only now: until its waiter is readied it must not look stuck */
        st_relaxed(&pool.npending, pool.npending - 1);
    }
    st_relaxed(&pool.nthreads, pool.nthreads - 1);
    pthread_cond_broadcast(&pool.left);
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

/* Queue o; start a thread when none is idle and the limit allows.  0, or
 * -EAGAIN when no thread exists to run it and none can be started. */
static int offload_submit(grt__offload *o)
{
    pthread_mutex_lock(&pool.mu);
    if (!pool.running) {
        pthread_mutex_unlock(&pool.mu);
        return -ESRCH;
    }
    o->gen = pool.gen;
    o->next = NULL;
    if (pool.tail)
        pool.tail->next = o;
    else
        pool.head = o;
    pool.tail = o;
    st_relaxed(&pool.nqueued, pool.nqueued + 1);
    st_relaxed(&pool.npending, pool.npending + 1);
    st_relaxed(&pool.ntotal, pool.ntotal + 1);
    pool.nbound++;
    int rc = 0;
    if (pool.nidle > 0) {
        pthread_cond_signal(&pool.work);
    } else if (pool.nthreads < pool.max) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (pthread_create(&t, &attr, offload_thread, NULL) == 0)
            st_relaxed(&pool.nthreads, pool.nthreads + 1);
        else if (pool.nthreads == 0)
            rc = -EAGAIN;
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) { /* take it back out (the tail): nobody would ever run it */
        grt__offload **pp = &pool.head;
        pool.tail = NULL;
        while (*pp != o) {
            pool.tail = *pp;
            pp = &(*pp)->next;
        }
        *pp = NULL;
        st_relaxed(&pool.nqueued, pool.nqueued - 1);
        st_relaxed(&pool.npending, pool.npending - 1);
        st_relaxed(&pool.ntotal, pool.ntotal - 1);
        pool.nbound--;
    }
    pthread_mutex_unlock(&pool.mu);
    return rc;
}

/* gopark's unlockf, on g0: publish the waiter unless fn already finished. */
static bool offload_commit(struct g *gp, void *arg)
{
    grt__offload *o = arg;
    return cas_acqrel(&o->slot, SLOT_NIL, (uintptr_t)gp);
}

/* The deadline: take the waiter out of the slot and wake it. */
static void offload_deadline_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    grt__offload *o = arg;
    if (cas_acqrel(&o->slot, seq, SLOT_NIL))
        grt__goready((struct g *)seq);
}

/* The waiter's context ended: take it out of the slot unless the pool or
 * the deadline took it first (they ready it then).  Under the context's
 * lock: one CAS, nothing else. */
static bool offload_cancel(struct g *gp, void *arg)
{
    grt__offload *o = arg;
    /* acq_rel: the same single-winner CAS as offload_complete's exchange
     * and offload_deadline_fire's */
    return cas_acqrel(&o->slot, (uintptr_t)gp, SLOT_NIL);
}

int grt__offload_wait(grt__offload *o, int64_t deadline)
{
    struct g *gp = grt__curg();
    if (gp == NULL) {
        o->fn(o->arg);
        free(o);
        return 0;
    }
    /* Waiting always parks: an ended context refuses a request whose arg
     * the abandoned callback can take back before fn starts.  Others are
     * queued anyway (grt_offload runs fn once) and the park returns at once. */
    int rc = o->abandoned ? grt__park_check(gp) : 0;
    if (rc != 0 || (rc = -ETIMEDOUT, deadline != GRT_FOREVER && deadline <= grt__nanotime()) ||
        (rc = offload_submit(o)) != 0) {
        if (o->abandoned) /* fn never ran: arg goes back the same way */
            o->abandoned(o->arg);
        free(o);
        return rc;
    }
    grt__timer t = {0};
    if (deadline != GRT_FOREVER) {
        t.when = deadline;
        t.f = offload_deadline_fire;
        t.arg = o;
        t.seq = (uintptr_t)gp;
        grt__timer_add(&t);
    }
    int cerr = 0;
    while (ld_acquire(&o->slot) != SLOT_DONE) {
        cerr = grt__gopark_intr(gp, offload_commit, o, WAIT_OFFLOAD, offload_cancel);
        if (cerr != 0 || (deadline != GRT_FOREVER && deadline <= grt__nanotime()))
            break;
    }
    if (deadline != GRT_FOREVER)
        grt__timer_del(&t); /* after this its callback no longer runs */
    rc = 0;
    if (ld_acquire(&o->slot) != SLOT_DONE && cas_acqrel(&o->slot, SLOT_NIL, SLOT_ABANDONED)) {
        rc = cerr != 0 ? cerr : -ETIMEDOUT;
        pthread_mutex_lock(&pool.mu);
        pool.nbound--;
        pthread_mutex_unlock(&pool.mu);
    }
    offload_unref(o);
    return rc;
}

int grt_offload(grt_fn fn, void *arg)
{
    if (fn == NULL)
        return -EINVAL;
    if (grt__curg() == NULL) {
        fn(arg);
        return 0;
    }
    grt__offload *o = grt__offload_new(fn, arg, NULL);
    if (o == NULL)
        return -ENOMEM;
    return grt__offload_wait(o, GRT_FOREVER);
}

void grt__offload_start(void)
{
    pthread_mutex_lock(&pool.mu);
    if (!pool.cond_init) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&pool.work, &ca);
        pthread_condattr_destroy(&ca);
        pthread_cond_init(&pool.left, NULL);
        pool.cond_init = true;
    }
    int32_t max = OFFLOAD_DEFAULT_THREADS;
    const char *e = getenv("GRT_OFFLOAD_THREADS");
    if (e && *e) {
        long v = strtol(e, NULL, 10);
        if (v > 0)
            max = v > OFFLOAD_MAX_THREADS ? OFFLOAD_MAX_THREADS : (int32_t)v;
    }
    pool.max = max;
    pool.idle_ns = grt__debug.offloadidle > 0 ? (int64_t)grt__debug.offloadidle * 1000000
                                              : OFFLOAD_IDLE_NS;
    st_relaxed(&pool.ntotal, 0);
    pool.running = true;
    pthread_mutex_unlock(&pool.mu);
}

bool grt__offload_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.running = false;
    pool.gen++;
    /* Queued requests will never run: their waiters are gone. */
    while (pool.head) {
        grt__offload *o = pool.head;
        pool.head = o->next;
        if (ld_acquire(&o->slot) != SLOT_ABANDONED)
            pool.nbound--;
        if (o->abandoned)
            o->abandoned(o->arg);
        free(o);
        st_relaxed(&pool.npending, pool.npending - 1);
    }
    pool.tail = NULL;
    st_relaxed(&pool.nqueued, 0);
    pthread_cond_broadcast(&pool.work);
    while (pool.nidle > 0)
        pthread_cond_wait(&pool.left, &pool.mu);
    bool in_use = pool.nbound > 0;
    pool.nbound = 0; /* those complete as "run over" */
    pthread_mutex_unlock(&pool.mu);
    return in_use;
}

int64_t grt__offload_pending(void)
{
    return ld_relaxed(&pool.npending);
}

void grt__offload_stats(int64_t *threads, int64_t *queued, int64_t *total)
{
    *threads = ld_relaxed(&pool.nthreads);
    *queued = ld_relaxed(&pool.nqueued);
    *total = ld_relaxed(&pool.ntotal);
}
