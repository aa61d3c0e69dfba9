/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * runq.c - the local run queue of a P, and the global run queue.
 *
 * Local queue: a ring of GRT_RUNQ_SIZE G pointers indexed by two free
 * running 32-bit counters, plus the runnext slot.
 *
 *   runqtail  written only by the owner P (store-release: publishes the slot
 *             written just before it to consumers).
 *   runqhead  advanced by any consumer - the owner in runq_get, thieves in
 *             runq_grab - with a CAS-release, so a consumer that wins the CAS
 *             owns exactly the slots it read; a loser discards what it read.
 *   slots     accessed with relaxed atomics: a losing thief may read a slot
 *             the owner is overwriting; its value is then thrown away, but
 *             the access itself must not be a data race in C11.
 *   runnext   stored by the owner, taken by the owner or (as a last resort)
 *             by a thief, both with CAS.
 *
 * Invariant: 0 <= tail - head <= GRT_RUNQ_SIZE, as observed by the owner.
 * Thieves can read an inconsistent pair (head loaded, then the owner and
 * others move on, then tail loaded), which shows up as more than half the
 * ring: such a read is retried.
 *
 * The global queue is in globrunq.c.
 */
#include "runtime.h"
#include "globrunq.h"
#include "misc.h"
#include "race.h"
#include "runq.h"
#include "sched.h"

#include <unistd.h>

#define RING(i) ((i) % GRT_RUNQ_SIZE)

#ifdef GRT_SMALL_RUNQ
static const bool randomize = true;
#else
static const bool randomize = false;
#endif

static inline struct g *slot_get(struct p *pp, uint32_t i)
{
    return ld_relaxed(&pp->runq[RING(i)]);
}

static inline void slot_set(struct p *pp, uint32_t i, struct g *gp)
{
    st_relaxed(&pp->runq[RING(i)], gp);
}

/* Move half of a full local ring, plus gp, to the global queue in one
 * locked batch.  Only the owner calls this.  False if a thief moved the head
 * meanwhile: the ring has room again and the caller retries. */
static bool runq_put_slow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
    struct g *batch[GRT_RUNQ_SIZE / 2 + 1];
    uint32_t n = (t - h) / 2;
    for (uint32_t i = 0; i < n; i++)
        batch[i] = slot_get(pp, h + i);
    /* cas-release: commits the consume; pairs with the acquire loads of
     * runqhead by other consumers */
    if (!cas_release(&pp->runqhead, h, h + n))
        return false;
    batch[n] = gp;
    if (randomize) {
        for (uint32_t i = 1; i <= n; i++) {
            uint32_t j = grt__fastrandn(i + 1);
            struct g *tmp = batch[i];
            batch[i] = batch[j];
            batch[j] = tmp;
        }
    }
    grt__lock(&grt__sched.lock);
    grt__globrunq_putbatch(batch, (int32_t)n + 1);
    grt__unlock(&grt__sched.lock);
    return true;
}

bool grt__runq_put(struct p *pp, struct g *gp, bool next)
{
    if (randomize && next && grt__fastrandn(2) == 0)
        next = false;
    if (next) {
        /* The old runnext, if any, is kicked to the tail of the ring. */
        struct g *old;
        do {
            old = ld_relaxed(&pp->runnext);
        } while (!cas_release(&pp->runnext, old, gp)); /* pairs with the thief's CAS */
        if (old == NULL)
            return true;
        gp = old;
    }
    for (;;) {
        uint32_t h = ld_acquire(&pp->runqhead); /* load-acquire, synchronise with consumers */
        uint32_t t = pp->runqtail;
        if (t - h < GRT_RUNQ_SIZE) {
            slot_set(pp, t, gp);
            st_release(&pp->runqtail, t + 1); /* store-release, makes the slot available */
            return true;
        }
        if (runq_put_slow(pp, gp, h, t))
            return true;
    }
}

/* Resuming a goroutine first loads its saved context from the top of its
 * stack, and with thousands of goroutines taking turns (timers firing, a
 * busy server) that line is in no cache: the switch waits for memory.
 * While the goroutine just taken runs, fetch what the next ones will need:
 * the saved context of the next (its record was fetched one round ago)
 * and the record of the one after.  The slots may be stale (a thief can
 * take them), which costs a useless prefetch and nothing else: G records
 * are never freed while the runtime runs. */
static inline void prefetch_upcoming(struct p *pp, uint32_t i, uint32_t t)
{
    if (GRT_RACE)
        return; /* the peek is a benign race the sanitizers would report */
    struct g *n1 = slot_get(pp, i);
    __builtin_prefetch(ld_relaxed(&n1->sched.sp), 0, 3);
    if (t - i > 1)
        __builtin_prefetch(slot_get(pp, i + 1), 1, 3);
}

struct g *grt__runq_get(struct p *pp, bool *inherit)
{
    struct g *next = ld_relaxed(&pp->runnext);
    /* Only the owner sets runnext to non-NULL, so a failed CAS means a thief
     * took it: it cannot have been replaced. */
    if (next && cas_acquire(&pp->runnext, next, NULL)) {
        *inherit = true;
        return next;
    }
    for (;;) {
        uint32_t h = ld_acquire(&pp->runqhead); /* load-acquire, synchronise with other consumers */
        uint32_t t = pp->runqtail;
        if (t == h)
            return NULL;
        struct g *gp = slot_get(pp, h);
        if (cas_release(&pp->runqhead, h, h + 1)) { /* cas-release, commits consume */
            *inherit = false;
            if (t - h > 1)
                prefetch_upcoming(pp, h + 1, t);
            return gp;
        }
    }
}

bool grt__runq_empty(struct p *pp)
{
    /* The owner may be moving runnext into the ring (runq_put with
     * next=true) between our reads; re-reading the tail shows whether the
     * three values belong to one moment. */
    for (;;) {
        uint32_t h = ld_acquire(&pp->runqhead);
        uint32_t t = ld_acquire(&pp->runqtail);
        struct g *next = ld_acquire(&pp->runnext);
        if (ld_acquire(&pp->runqtail) == t)
            return h == t && next == NULL;
    }
}

uint32_t grt__runq_len(struct p *pp)
{
    uint32_t h = ld_acquire(&pp->runqhead);
    uint32_t t = ld_acquire(&pp->runqtail);
    uint32_t n = t - h;
    return n > GRT_RUNQ_SIZE ? GRT_RUNQ_SIZE : n;
}

/* Grab half of victim's ring into batch[bhead...] (a ring of the same size,
 * belonging to the thief).  Returns how many.  With stealnext, take the
 * victim's runnext when its ring is empty. */
static uint32_t runq_grab(struct p *victim, struct p *thief, uint32_t bhead, bool stealnext)
{
    for (;;) {
        uint32_t h = ld_acquire(&victim->runqhead); /* load-acquire, synchronise with other consumers */
        uint32_t t = ld_acquire(&victim->runqtail); /* load-acquire, synchronise with the producer */
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (!stealnext)
                return 0;
            struct g *next = ld_acquire(&victim->runnext);
            if (next == NULL)
                return 0;
            /* The victim is running and will probably schedule its runnext
             * in a moment (a goroutine that just readied another usually
             * blocks right after).  Stealing it now would bounce the pair
             * between threads; give the owner a few microseconds first. */
            if (ld_relaxed(&victim->status) == P_RUNNING)
                usleep(3);
            if (!cas_acquire(&victim->runnext, next, NULL))
                continue;
            st_relaxed(&thief->runq[RING(bhead)], next);
            return 1;
        }
        if (n > GRT_RUNQ_SIZE / 2) /* read inconsistent h and t */
            continue;
        for (uint32_t i = 0; i < n; i++)
            st_relaxed(&thief->runq[RING(bhead + i)], slot_get(victim, h + i));
        if (cas_release(&victim->runqhead, h, h + n)) /* cas-release, commits consume */
            return n;
    }
}

struct g *grt__runq_steal(struct p *pp, struct p *victim, bool stealnext)
{
    uint32_t t = pp->runqtail;
    uint32_t n = runq_grab(victim, pp, t, stealnext);
    if (n == 0)
        return NULL;
    n--;
    struct g *gp = slot_get(pp, t + n);
    if (n == 0)
        return gp;
    uint32_t h = ld_acquire(&pp->runqhead); /* load-acquire, synchronise with consumers */
    if (t - h + n >= GRT_RUNQ_SIZE)
        grt__fatal("runq_steal: local ring overflow");
    st_release(&pp->runqtail, t + n); /* store-release, makes the stolen Gs available */
    return gp;
}

/* Move everything on pp's local queue to the global queue.  The world is
 * stopped (procresize) or pp is otherwise unreachable by thieves. */
void grt__runq_drain_to_global(struct p *pp)
{
    struct g *next = pp->runnext;
    pp->runnext = NULL;
    if (next)
        grt__globrunq_put(next);
    while (pp->runqhead != pp->runqtail) {
        struct g *gp = slot_get(pp, pp->runqhead);
        pp->runqhead++;
        grt__globrunq_put(gp);
    }
}

/* n Gs onto the tail of pp's ring, which has room for them (the caller
 * made sure: see globrunq_get).  Owner only. */
void grt__runq_put_batch(struct p *pp, struct g *const *gs, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t h = ld_acquire(&pp->runqhead); /* load-acquire, synchronise with consumers */
    uint32_t t = pp->runqtail;
    if (t - h + n > GRT_RUNQ_SIZE)
        grt__fatal("runq_put_batch: local ring overflow");
    for (uint32_t i = 0; i < n; i++)
        slot_set(pp, t + i, gs[i]);
    st_release(&pp->runqtail, t + n); /* store-release, makes the slots available */
}
