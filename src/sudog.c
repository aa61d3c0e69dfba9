/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sudog.c - allocation of sudogs: a per-P cache over a central cache.
 *
 * Every blocking channel operation, select, contended semaphore and cond
 * wait takes a sudog, so taking one must not touch a shared lock: each P
 * keeps up to GRT_SUDOGCACHE_MAX free sudogs (p->sudogcache, used only by
 * the M holding the P, like Go's p.sudogcache).  An empty cache is refilled
 * with half a cache from the central list in one locked step, and a full
 * one spills half back, so the central lock is taken at most once per
 * GRT_SUDOGCACHE_MAX/2 operations.  Threads with no P (threads grt did not
 * create, an M between Ps) use the central list directly.
 *
 * Memory comes in slabs of SLAB_N sudogs that are never freed while the
 * runtime runs.  At shutdown grt__sudog_fini walks the slabs: a sudog still
 * in use belongs to a goroutine that was abandoned while blocked, so it is
 * first detached from the channel it was queued on (the channel may outlive
 * the run) and the semaphore table is reset; then every slab is freed.
 * Nothing is leaked and nothing left behind points at freed memory.
 */
#include "runtime.h"
#include "chan.h"
#include "sched.h"
#include "sema.h"
#include "sudog.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_N 64
#define CACHE_HALF (GRT_SUDOGCACHE_MAX / 2)

struct slab {
    struct slab       *next;
    struct grt__sudog  s[SLAB_N];
};

static struct {
    grt__mutex         lock;
    struct grt__sudog *free;  /* linked through next */
    int64_t            nfree;
    struct slab       *slabs; /* every slab, for fini */
} central;

/* central.lock held */
static struct grt__sudog *central_get(void)
{
    struct grt__sudog *s = central.free;
    if (s != NULL) {
        central.free = s->next;
        central.nfree--;
        s->next = NULL;
        return s;
    }
    struct slab *sl = calloc(1, sizeof *sl);
    if (sl == NULL)
        grt__fatal("out of memory allocating sudogs");
    sl->next = central.slabs;
    central.slabs = sl;
    for (int i = SLAB_N - 1; i >= 1; i--) {
        sl->s[i].next = central.free;
        central.free = &sl->s[i];
    }
    central.nfree += SLAB_N - 1;
    return &sl->s[0];
}

/* central.lock held */
static void central_put(struct grt__sudog *s)
{
    s->next = central.free;
    central.free = s;
    central.nfree++;
}

static struct p *current_p(void)
{
    struct g *gp = getg();
    return (gp && gp->m) ? gp->m->p : NULL;
}

static void cache_refill(struct p *pp)
{
    grt__lock(&central.lock);
    while (pp->nsudogcache < CACHE_HALF)
        pp->sudogcache[pp->nsudogcache++] = central_get();
    grt__unlock(&central.lock);
}

static void cache_spill(struct p *pp)
{
    grt__lock(&central.lock);
    while (pp->nsudogcache > CACHE_HALF)
        central_put(pp->sudogcache[--pp->nsudogcache]);
    grt__unlock(&central.lock);
}

struct grt__sudog *grt__sudog_acquire(void)
{
    struct grt__sudog *s;
    struct p *pp = current_p();
    if (likely(pp != NULL)) {
        if (unlikely(pp->nsudogcache == 0))
            cache_refill(pp);
        s = pp->sudogcache[--pp->nsudogcache];
    } else {
        grt__lock(&central.lock);
        s = central_get();
        grt__unlock(&central.lock);
    }
    memset(s, 0, sizeof *s);
    s->in_use = true;
    return s;
}

void grt__sudog_release(struct grt__sudog *s)
{
    /* A sudog still linked into a queue would be handed out twice. */
    if (unlikely(s->next || s->prev || s->waitlink || s->c || !s->in_use))
        grt__fatal("sudog released while still queued or twice");
    s->in_use = false;
    s->g = NULL;
    s->elem = NULL;
    struct p *pp = current_p();
    if (likely(pp != NULL)) {
        if (unlikely(pp->nsudogcache == GRT_SUDOGCACHE_MAX))
            cache_spill(pp);
        pp->sudogcache[pp->nsudogcache++] = s;
        return;
    }
    grt__lock(&central.lock);
    central_put(s);
    grt__unlock(&central.lock);
}

/* The P is going away (procresize, with the world stopped). */
void grt__sudogcache_flush(struct p *pp)
{
    if (pp->nsudogcache == 0)
        return;
    grt__lock(&central.lock);
    while (pp->nsudogcache > 0)
        central_put(pp->sudogcache[--pp->nsudogcache]);
    grt__unlock(&central.lock);
}

/* grt_run is returning: no goroutine runs any more.  Called before the Ps
 * are freed. */
void grt__sudog_fini(void)
{
    grt__lock(&central.lock);
    struct slab *slabs = central.slabs;
    central.slabs = NULL;
    central.free = NULL;
    central.nfree = 0;
    grt__unlock(&central.lock);

    /* Abandoned waiters: empty the queues of their channels and drop the
     * reference each waiting sudog holds. */
    for (struct slab *sl = slabs; sl; sl = sl->next) {
        for (int i = 0; i < SLAB_N; i++) {
            struct grt__sudog *s = &sl->s[i];
            if (s->in_use && s->c != NULL) {
                struct grt_chan *c = s->c;
                s->c = NULL;
                grt__chan_abandon(c);
            }
        }
    }
    grt__sema_fini();

    for (int32_t i = 0; i < grt__nallp; i++)
        if (grt__allp && grt__allp[i])
            grt__allp[i]->nsudogcache = 0;
    while (slabs) {
        struct slab *next = slabs->next;
        free(slabs);
        slabs = next;
    }
}
