/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctx.h - contexts (grt_ctx) and the interruptible park built on them.
 *
 * A context is a node of a cancel tree.  It ends once, by cancel (its own or
 * an ancestor's), by its deadline, or when the program drops its last
 * reference; the first way stays.  A goroutine runs under one (g->ctx, NULL
 * for background), and every park that the contract calls interruptible
 * goes through grt__gopark_intr, which lets the context wake it with its
 * error.  See docs/DESIGN.md, "Contexts", for the protocol; in short:
 *
 *   - Each interruptible park has a generation in g->select_done (the word
 *     select already used to let exactly one of its cases win).  Every
 *     waker of such a park first claims it, with one CAS of gen -> gen|1;
 *     the context's canceller claims it the same way.  The winner alone
 *     readies the G; a waker that loses leaves its value where it was (a
 *     channel does not copy, a semaphore keeps its unit, the poller leaves
 *     readiness in the descriptor's slot).
 *   - The park's commit (on g0, G already WAITING) puts the G on its
 *     context's waiter list under the context's lock before it runs the
 *     site's own commit, so a canceller either sees the G there or the G's
 *     commit sees the context ended (and claims the park itself, resuming
 *     at once).  The G takes itself off the list when it resumes.
 *   - A G woken by its context withdraws its wait itself, under the site's
 *     lock (unlinks its sudog, deletes its timer, clears its fd slot).
 */
#ifndef GRT_CTX_H
#define GRT_CTX_H

#include "runtime.h"
#include "lock.h"
#include "sched.h"
#include "timer.h"

struct grt_chan;

struct grt_ctx {
    grt__mutex      lock;      /* err, waiters, children, done */
    int32_t         err;       /* atomic: 0 live, -ECANCELED / -ETIMEDOUT */
    bool            background;
    bool            close_done;/* the canceller closes done after unlocking */
    int64_t         refs;      /* atomic: the program's references */
    int64_t         objrefs;   /* atomic: memory: 1 for all program refs,
                                  1 per goroutine, child and group */
    int64_t         deadline;  /* min of the path to the root, or GRT_FOREVER */
    struct grt_ctx *parent;    /* holds an objref on it; NULL for roots */
    struct grt_ctx *children;  /* live children (no references) */
    struct grt_ctx *sib_next, *sib_prev;
    struct g       *waiters;   /* Gs parked interruptibly under it */
    struct grt_chan *done;     /* created by grt_ctx_done; owned */
    struct grt_ctx *end_next;  /* canceller's worklist (ctx_end) */
    grt__timer      timer;     /* own deadline, when earlier than the parent's */
    bool            timer_armed;
    uint32_t        magic;     /* CTX_MAGIC while the program holds it */
    void           *sigwatch;  /* grt_signal_ctx: its watcher, unwatched at the last release */
};

/* The error of gp's context: 0 while it is live or gp runs under
 * background.  One load and a branch in that case; the call that would
 * park returns this instead of parking.  Safe under any lock (it only
 * loads; a deadline that passed is reported once its timer has run). */
static inline int grt__park_check(struct g *gp)
{
    struct grt_ctx *c = gp->ctx;
    if (likely(c == NULL))
        return 0;
    return ld_acquire(&c->err); /* acquire: pairs with end_tree's release */
}

/* A fresh generation for gp's next park, with the claimed bit clear.
 * Called by the G before its wait becomes visible to wakers. */
static inline uint32_t grt__park_gen(struct g *gp)
{
    uint32_t gen = (ld_relaxed(&gp->select_done) | 1u) + 1u;
    /* relaxed: published to wakers with the wait itself (a channel lock,
     * a timer heap lock, the fd slot's CAS) */
    st_relaxed(&gp->select_done, gen);
    return gen;
}

/* The claim of a park whose wakers go through the claim word. */
static inline bool grt__park_claim(struct g *gp, uint32_t gen)
{
    /* acq_rel: pairs with the other claimants; the winner's writes before
     * goready happen after it */
    return cas_acqrel(&gp->select_done, gen, gen | 1u);
}

/* A timer function for a park's deadline: arg is the G, seq the park's
 * generation; it readies the G if it claims the park first. */
void grt__park_timer_fire(void *arg, uintptr_t seq, int64_t now);

/* gopark that the context of gp (the caller) can interrupt.  Two ways to make the
 * wake-up exclusive:
 *   cancel NULL: the site called grt__park_gen, and every waker claims
 *     the park first (grt__park_claim, or a sudog with is_select set,
 *     claimed by grt__select_claim) while the G cannot leave the wait (the
 *     site's lock is held, or the claim carries the generation);
 *   cancel set: the site's wait has its own single-winner word (an fd
 *     slot): cancel(gp, arg) takes the G out of it and returns true if the
 *     G is the canceller's to ready.  It runs under the context's lock and
 *     must not block or take another lock.
 * Returns 0 when woken by the site, or the context's error when the
 * context won: then the site withdraws what is left of its wait. */
int grt__gopark_intr_slow(bool (*unlockf)(struct g *gp, void *arg), void *arg, int reason,
                          bool (*cancel)(struct g *gp, void *arg));
static inline int grt__gopark_intr(struct g *gp, bool (*unlockf)(struct g *gp, void *arg),
                                   void *arg, int reason, bool (*cancel)(struct g *gp, void *arg))
{
    if (likely(gp->ctx == NULL)) {
        grt__gopark(unlockf, arg, reason);
        return 0;
    }
    return grt__gopark_intr_slow(unlockf, arg, reason, cancel);
}

/* The memory reference a goroutine, a child or a canceller takes. */
void grt__ctx_objref(struct grt_ctx *c);
void grt__ctx_objunref(struct grt_ctx *c);
/* The context for a goroutine spawned by a thread that runs none
 * (grt_go_ctx from a foreign thread), else NULL. */
struct grt_ctx *grt__ctx_spawn_foreign(void);

/* Goroutine records (sched.c): a new G inherits its creator's context
 * (grt_go_ctx swaps the creator's for the call), and drops it at exit;
 * under background both are a load and a predicted branch. */
static inline void grt__ctx_inherit(struct g *newg, struct g *creator)
{
    struct grt_ctx *c = creator ? creator->ctx : grt__ctx_spawn_foreign();
    newg->ctx = c;
    newg->ctx_ref = c;
    if (unlikely(c != NULL))
        grt__ctx_objref(c);
}

static inline void grt__ctx_g_exit(struct g *gp)
{
    struct grt_ctx *c = gp->ctx_ref;
    gp->ctx = NULL;
    if (unlikely(c != NULL)) {
        gp->ctx_ref = NULL;
        grt__ctx_objunref(c);
    }
}

/* grt_run's end: abandoned goroutines give back their contexts. */
void grt__ctx_fini(void);

#endif
