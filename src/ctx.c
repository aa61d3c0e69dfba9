/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctx.c - contexts: a cancel tree whose end interrupts every goroutine
 * parked under it (see ctx.h for the park protocol, docs/DESIGN.md for the
 * trade-offs).
 *
 * Lifetime.  refs counts the program's references (grt_ctx_with_* returns
 * one); when the last goes the context is cancelled.  objrefs counts what
 * keeps the memory: one for all the program's references together, one per
 * goroutine started under it (g->ctx_ref), one per child (child->parent)
 * and one per canceller that is still closing its done channel.  A child
 * is on its parent's list without a reference and unlinks itself when it
 * is freed, under the parent's lock, so a canceller walking the list under
 * that lock always sees live children.
 *
 * Lock order: a channel's lock, then a context's (an interruptible park's
 * commit runs with the channel locked); a parent's before its children's.
 * So a context never closes its done channel, or touches any channel,
 * while it holds a context lock: ctx_end collects the contexts it ended
 * and closes their channels after every lock is released.
 */
#include "ctx.h"
#include "signotify.h"
#include "chan.h"
#include "deadline.h"
#include "g.h"
#include "misc.h"

#include <errno.h>
#include <stdlib.h>

static struct grt_ctx background = {
    .background = true,
    .refs = 1,
    .objrefs = 1,
    .deadline = GRT_FOREVER,
};

/* grt_go_ctx on a thread with no goroutine: the context for the spawn. */
static __thread struct grt_ctx *spawn_ctx;

static inline struct grt_ctx *ctx_or_bg(struct grt_ctx *c)
{
    return c ? c : &background;
}

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

static void ctx_free(struct grt_ctx *c);

void grt__ctx_objref(struct grt_ctx *c)
{
    /* relaxed: taking one needs an existing one, which orders it */
    xadd_relaxed(&c->objrefs, 1);
}

void grt__ctx_objunref(struct grt_ctx *c)
{
    /* acq_rel: every use by other holders happens before the free */
    int64_t n = xadd_acqrel(&c->objrefs, -1);
    if (n == 0)
        ctx_free(c);
    else if (unlikely(n < 0))
        grt__fatal("grt_ctx: reference count below zero");
}

static void ctx_free(struct grt_ctx *c)
{
    /* err is set (the program's last release cancelled it), so a firing
     * deadline does nothing; timer_del waits until it has returned. */
    if (c->timer_armed)
        grt__timer_del(&c->timer);
    struct grt_ctx *parent = c->parent;
    if (parent != NULL) {
        grt__lock(&parent->lock);
        if (c->sib_prev)
            c->sib_prev->sib_next = c->sib_next;
        else if (parent->children == c)
            parent->children = c->sib_next;
        if (c->sib_next)
            c->sib_next->sib_prev = c->sib_prev;
        grt__unlock(&parent->lock);
        grt__ctx_objunref(parent);
    }
    if (c->done != NULL)
        grt_chan_release(c->done);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Ending                                                              */
/* ------------------------------------------------------------------ */

/* Take gp's park away from its site: true if the caller is to ready it. */
static bool park_cancel(struct g *gp)
{
    if (gp->intr_cancel != NULL)
        return gp->intr_cancel(gp, gp->intr_arg);
    /* The G is on our list, so this is the park it linked from: its
     * generation is current until it unlinks itself. */
    uint32_t v = ld_relaxed(&gp->select_done);
    return !(v & 1u) && grt__park_claim(gp, v);
}

/* End c and its live descendants with err, under their locks in tree
 * order; each context ended is pushed on *list with an objref. */
static void end_tree(struct grt_ctx *c, int err, struct grt_ctx **list)
{
    grt__lock(&c->lock);
    if (c->err != 0) {
        grt__unlock(&c->lock);
        return;
    }
    st_release(&c->err, err); /* release: pairs with grt_ctx_err's acquire */
    grt__ready_batch_begin();
    for (struct g *gp = c->waiters; gp != NULL; gp = gp->ctx_next) {
        if (park_cancel(gp)) {
            gp->park_err = err;
            grt__goready(gp);
        }
        /* the G unlinks itself when it runs */
    }
    grt__ready_batch_end();
    c->close_done = c->done != NULL;
    grt__ctx_objref(c);
    c->end_next = *list;
    *list = c;
    for (struct grt_ctx *k = c->children; k != NULL; k = k->sib_next)
        end_tree(k, err, list);
    grt__unlock(&c->lock);
}

/* own: the context whose deadline timer is running this (its timer must
 * not be waited for). */
static void ctx_end(struct grt_ctx *c, int err, struct grt_ctx *own)
{
    struct grt_ctx *list = NULL;
    end_tree(c, err, &list);
    while (list != NULL) {
        struct grt_ctx *x = list;
        list = x->end_next;
        if (x->close_done)
            grt_chan_close(x->done);
        if (x->timer_armed && x != own)
            grt__timer_del(&x->timer);
        grt__ctx_objunref(x);
    }
}

static void deadline_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)seq;
    (void)now;
    struct grt_ctx *c = arg;
    /* acquire: pairs with end_tree's release; a context being freed was
     * cancelled first, so this returns before touching anything else */
    if (ld_acquire(&c->err) == 0)
        ctx_end(c, -ETIMEDOUT, c);
}

/* The error, ending c first if its deadline has passed and its timer has
 * not fired yet (timers run late under load, and after grt_run returns
 * they do not run at all). */
static int ctx_err(struct grt_ctx *c)
{
    int err = ld_acquire(&c->err); /* acquire: pairs with end_tree's release */
    if (err == 0 && c->deadline != GRT_FOREVER && grt__nanotime() >= c->deadline) {
        ctx_end(c, -ETIMEDOUT, NULL);
        err = ld_acquire(&c->err); /* acquire: as above */
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static grt_ctx *ctx_new(grt_ctx *parent, int64_t deadline)
{
    if (parent == NULL)
        parent = grt_ctx_current();
    struct grt_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    c->refs = 1;
    c->objrefs = 1;
    bool own_deadline = deadline != GRT_FOREVER &&
                        (parent->deadline == GRT_FOREVER || deadline < parent->deadline);
    c->deadline = own_deadline ? deadline : parent->deadline;
    if (!parent->background) {
        grt__ctx_objref(parent);
        c->parent = parent;
        grt__lock(&parent->lock);
        if (parent->err != 0) {
            c->err = parent->err; /* born ended; nobody else sees it yet */
        } else {
            c->sib_next = parent->children;
            if (parent->children)
                parent->children->sib_prev = c;
            parent->children = c;
        }
        grt__unlock(&parent->lock);
    }
    if (c->err == 0 && own_deadline) {
        if (deadline <= grt__nanotime()) {
            c->err = -ETIMEDOUT; /* not published yet: a plain store */
        } else if (grt__sched_running()) {
            /* After grt_run returns, ctx_err notices the deadline lazily. */
            c->timer.when = deadline;
            c->timer.f = deadline_fire;
            c->timer.arg = c;
            c->timer_armed = true;
            grt__timer_add(&c->timer);
        }
    }
    return c;
}

grt_ctx *grt_ctx_background(void)
{
    return &background;
}

grt_ctx *grt_ctx_with_cancel(grt_ctx *parent)
{
    return ctx_new(parent, GRT_FOREVER);
}

grt_ctx *grt_ctx_with_deadline(grt_ctx *parent, int64_t deadline)
{
    if (deadline < 0 && deadline != GRT_FOREVER) {
        errno = EINVAL;
        return NULL;
    }
    return ctx_new(parent, deadline);
}

/* ------------------------------------------------------------------ */
/* The public calls                                                    */
/* ------------------------------------------------------------------ */

/* A cancel by the program: from a thread grt did not create, it counts
 * for deadlock detection (API.md, settled). */
static void ctx_cancel(struct grt_ctx *c)
{
    grt__foreign_note();
    ctx_end(c, -ECANCELED, NULL);
}

int grt_ctx_cancel(grt_ctx *c)
{
    if (c == NULL)
        return -EINVAL;
    if (!c->background)
        ctx_cancel(c);
    return 0;
}

int grt_ctx_err(const grt_ctx *c)
{
    if (c == NULL)
        return -EINVAL;
    if (c->background)
        return 0;
    return ctx_err((struct grt_ctx *)c);
}

int64_t grt_ctx_deadline(const grt_ctx *c)
{
    if (c == NULL)
        return -EINVAL;
    return c->deadline;
}

grt_chan *grt_ctx_done(grt_ctx *c)
{
    if (c == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (c->background)
        return NULL;
    (void)ctx_err(c); /* a passed deadline ends it now */
    grt__lock(&c->lock);
    if (c->done == NULL) {
        grt_chan *d = grt_chan_make(0, 0);
        if (d == NULL) {
            grt__unlock(&c->lock);
            errno = ENOMEM;
            return NULL;
        }
        /* Ended before anyone asked: close it here (a channel nobody has
         * seen, so no waiter and no lock-order question). */
        if (c->err != 0)
            grt_chan_close(d);
        c->done = d;
    }
    grt_chan *d = c->done;
    grt__unlock(&c->lock);
    return d;
}

grt_ctx *grt_ctx_retain(grt_ctx *c)
{
    if (c == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (c->background)
        return c;
    int64_t n = ld_relaxed(&c->refs);
    do {
        if (n <= 0) { /* released: only the runtime's references are left */
            errno = EINVAL;
            return NULL;
        }
        /* relaxed: the caller's use of c is ordered by how it got c */
    } while (!__atomic_compare_exchange_n(&c->refs, &n, n + 1, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return c;
}

void grt_ctx_release(grt_ctx *c)
{
    if (c == NULL || c->background)
        return;
    /* acq_rel: the last release sees every holder's use */
    int64_t n = xadd_acqrel(&c->refs, -1);
    if (n > 0)
        return;
    if (unlikely(n < 0))
        grt__fatal("grt_ctx_release of a released context");
    ctx_cancel(c);
    /* A signal context stops wanting its signals now (API.md), not at a
     * cancel: the program may still be reading grt_ctx_err.  Only the
     * last releaser gets here, so nobody else reads sigwatch. */
    void *w = c->sigwatch;
    c->sigwatch = NULL;
    if (w)
        grt__signal_unwatch(w);
    grt__ctx_objunref(c);
}

/* grt_signal_ctx's watcher: a signal cancels the context (on the
 * scheduler: grt_ctx_cancel never parks), and the watcher's reference on
 * its memory goes when the watcher is done with it. */
static void sigctx_fire(void *arg, int signo)
{
    (void)signo;
    ctx_end(arg, -ECANCELED, NULL);
}

static void sigctx_drop(void *arg)
{
    grt__ctx_objunref(arg);
}

grt_ctx *grt_signal_ctx(grt_ctx *parent, const int *signals, size_t n)
{
    if (signals == NULL || n == 0) {
        errno = EINVAL;
        return NULL;
    }
    grt_ctx *c = grt_ctx_with_cancel(parent);
    if (c == NULL)
        return NULL;
    grt__ctx_objref(c); /* the watcher's, given back by sigctx_drop */
    void *w;
    int rc = grt__signal_watch(signals, n, sigctx_fire, sigctx_drop, c, &w);
    if (rc != 0) {
        grt__ctx_objunref(c);
        grt_ctx_release(c);
        errno = -rc;
        return NULL;
    }
    c->sigwatch = w; /* before the program has c: ordered by returning it */
    return c;
}

grt_ctx *grt_ctx_current(void)
{
    struct g *gp = grt__curg();
    return ctx_or_bg(gp ? gp->ctx : NULL);
}

grt_ctx *grt_ctx_swap(grt_ctx *c)
{
    struct g *gp = grt__curg();
    if (c == NULL || gp == NULL) {
        errno = c == NULL ? EINVAL : EPERM;
        return NULL;
    }
    struct grt_ctx *old = ctx_or_bg(gp->ctx);
    gp->ctx = c->background ? NULL : c;
    return old;
}

int grt_go_ctx(grt_ctx *c, grt_fn fn, void *arg)
{
    if (c == NULL || fn == NULL)
        return -EINVAL;
    /* The new G inherits the creator's context: lend it c for the call
     * (a thread with no goroutine lends it through spawn_ctx). */
    struct grt_ctx *want = c->background ? NULL : c;
    struct g *gp = grt__curg();
    struct grt_ctx **slot = gp ? &gp->ctx : &spawn_ctx;
    struct grt_ctx *prev = *slot;
    *slot = want;
    int rc = grt__newproc(fn, arg, NULL);
    *slot = prev;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

struct grt_ctx *grt__ctx_spawn_foreign(void)
{
    return spawn_ctx;
}

static void ctx_unlink(struct g *gp)
{
    struct grt_ctx *c = gp->ctx;
    grt__lock(&c->lock);
    if (gp->ctx_prev)
        gp->ctx_prev->ctx_next = gp->ctx_next;
    else
        c->waiters = gp->ctx_next;
    if (gp->ctx_next)
        gp->ctx_next->ctx_prev = gp->ctx_prev;
    grt__unlock(&c->lock);
    gp->ctx_next = gp->ctx_prev = NULL;
    gp->ctx_linked = false;
}

static void g_fini(struct g *gp, void *arg)
{
    (void)arg;
    if (gp->ctx_linked)
        ctx_unlink(gp);
    if (gp->status != G_DEAD)
        grt__ctx_g_exit(gp);
}

void grt__ctx_fini(void)
{
    /* Every thread is joined: abandoned goroutines give back what they
     * hold, so that the program's last release frees its contexts. */
    grt__allg_each_nolock(g_fini, NULL);
}

/* ------------------------------------------------------------------ */
/* The interruptible park                                              */
/* ------------------------------------------------------------------ */

void grt__park_timer_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    struct g *gp = arg; /* G records live until shutdown */
    if (grt__park_claim(gp, (uint32_t)seq))
        grt__goready(gp);
}

/* On g0 with gp WAITING: join the context's waiters, then run the site's
 * commit.  If the context has already ended, claim the park for it before
 * the site's commit makes the wait visible to wakers, and resume. */
static bool intr_commit(struct g *gp, void *arg)
{
    struct grt_ctx *c = gp->ctx;
    bool (*unlockf)(struct g *, void *) = gp->intr_unlockf;
    bool (*cancel)(struct g *, void *) = gp->intr_cancel;
    grt__lock(&c->lock);
    int err = c->err;
    if (err == 0) {
        gp->ctx_prev = NULL;
        gp->ctx_next = c->waiters;
        if (c->waiters)
            c->waiters->ctx_prev = gp;
        c->waiters = gp;
        gp->ctx_linked = true;
    }
    grt__unlock(&c->lock);
    if (err == 0)
        return unlockf ? unlockf(gp, arg) : true;
    if (cancel == NULL) {
        uint32_t v = ld_relaxed(&gp->select_done);
        if (!grt__park_claim(gp, v)) /* nobody else can see the wait yet */
            grt__fatal("interruptible park: claimed before its commit");
        gp->park_err = err;
        if (unlockf)
            unlockf(gp, arg);
        return false;
    }
    if (unlockf && !unlockf(gp, arg))
        return false;
    if (cancel(gp, arg)) {
        gp->park_err = err;
        return false;
    }
    return true; /* a waker took the wait first and readies us */
}

int grt__gopark_intr_slow(bool (*unlockf)(struct g *gp, void *arg), void *arg, int reason,
                          bool (*cancel)(struct g *gp, void *arg))
{
    struct g *gp = getg();
    gp->intr_unlockf = unlockf;
    gp->intr_cancel = cancel;
    gp->intr_arg = arg;
    gp->park_err = 0;
    grt__gopark(intr_commit, arg, reason);
    if (gp->ctx_linked)
        ctx_unlink(gp);
    int err = gp->park_err;
    gp->park_err = 0;
    return err;
}
