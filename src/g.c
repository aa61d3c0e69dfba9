/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * g.c - goroutine records: allocation, the dead-G free lists, goids, allgs.
 *
 * G records are never freed while the runtime runs: a dead G goes to its
 * P's free list (over GRT_GFREE_LOCAL_MAX, half move to the global list) and
 * is reused by the next spawn, as in Go.  They are allocated in chunks so a
 * burst of a million spawns costs a few thousand mallocs and takes the
 * allg lock once per chunk; the chunks are the allgs list for dumps and for
 * freeing everything at shutdown.
 */
#include "runtime.h"
#include "g.h"
#include "gls.h"
#include "stack.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#define G_CHUNK 256

struct gchunk {
    struct gchunk *next;
    uint32_t       used;
    struct g       gs[G_CHUNK];
};

grt__mutex     grt__allg_lock;
static struct gchunk *chunks;       /* guarded by allg_lock */
static struct gchunk *cur_chunk;    /* chunk being carved, guarded by allg_lock */

struct g *grt__galloc(void)
{
    grt__lock(&grt__allg_lock);
    if (cur_chunk == NULL || cur_chunk->used == G_CHUNK) {
        /* aligned: each record starts on a cache line (see struct g) */
        struct gchunk *c = aligned_alloc(64, sizeof *c);
        if (c)
            memset(c, 0, sizeof *c);
        if (c == NULL) {
            grt__unlock(&grt__allg_lock);
            return NULL;
        }
        c->next = chunks;
        st_release(&chunks, c); /* pairs with grt__allg_each_nolock */
        cur_chunk = c;
    }
    struct g *gp = &cur_chunk->gs[cur_chunk->used];
    /* release: a dump walking the chunks sees the record initialised */
    st_release(&cur_chunk->used, cur_chunk->used + 1);
    grt__unlock(&grt__allg_lock);
    st_release(&gp->status, G_IDLE);
    return gp;
}

/* Visit every G ever allocated in this run.  allg_lock is held. */
void grt__allg_each(void (*fn)(struct g *gp, void *arg), void *arg)
{
    for (struct gchunk *c = chunks; c; c = c->next) {
        uint32_t n = ld_acquire(&c->used);
        for (uint32_t i = 0; i < n; i++)
            fn(&c->gs[i], arg);
    }
}

/* The same without the lock, for fatal errors and signal handlers (the
 * lock may be held by the thread that crashed).  Chunks are only ever
 * added at the head and records never freed while the runtime runs, so
 * the walk is safe; it may miss a G created meanwhile. */
void grt__allg_each_nolock(void (*fn)(struct g *gp, void *arg), void *arg)
{
    for (struct gchunk *c = ld_acquire(&chunks); c; c = c->next) {
        uint32_t n = ld_acquire(&c->used);
        for (uint32_t i = 0; i < n; i++)
            fn(&c->gs[i], arg);
    }
}

/* The chain lives on the goroutine's stack, which ASan may keep poisoned
 * while the goroutine is switched out. */
__attribute__((no_sanitize_address)) static void syncref_reset(struct g *gp, void *arg)
{
    (void)arg;
    uint32_t s = ld_acquire(&gp->status);
    if (gp->gen != grt__sched.gen || s == G_DEAD || s == G_IDLE)
        return;
    for (struct grt__syncref *r = gp->syncref; r != NULL; r = r->up)
        memset(r->obj, 0, r->size);
    gp->syncref = NULL;
}

void grt__allg_syncref_reset(void)
{
    grt__lock(&grt__allg_lock);
    grt__allg_each(syncref_reset, NULL);
    grt__unlock(&grt__allg_lock);
}

struct g *grt__gfget(struct p *pp)
{
    if (pp->gfree == NULL && ld_relaxed(&grt__sched.ngfree) > 0) {
        grt__lock(&grt__sched.gfree_lock);
        while (pp->ngfree < GRT_GFREE_BATCH && grt__sched.gfree) {
            struct g *gp = grt__sched.gfree;
            grt__sched.gfree = gp->schedlink;
            st_relaxed(&grt__sched.ngfree, grt__sched.ngfree - 1);
            gp->schedlink = pp->gfree;
            pp->gfree = gp;
            pp->ngfree++;
        }
        grt__unlock(&grt__sched.gfree_lock);
    }
    struct g *gp = pp->gfree;
    if (gp) {
        pp->gfree = gp->schedlink;
        pp->ngfree--;
    }
    return gp;
}

void grt__gfput(struct p *pp, struct g *gp)
{
    gp->schedlink = pp->gfree;
    pp->gfree = gp;
    pp->ngfree++;
    if (pp->ngfree < GRT_GFREE_LOCAL_MAX)
        return;
    /* Too many: move half to the global list so other Ps can reuse them. */
    grt__lock(&grt__sched.gfree_lock);
    while (pp->ngfree > GRT_GFREE_LOCAL_MAX / 2) {
        struct g *g1 = pp->gfree;
        pp->gfree = g1->schedlink;
        pp->ngfree--;
        g1->schedlink = grt__sched.gfree;
        grt__sched.gfree = g1;
        st_relaxed(&grt__sched.ngfree, grt__sched.ngfree + 1);
    }
    grt__unlock(&grt__sched.gfree_lock);
}

/* Goids come from a global counter in batches so spawning does not bounce
 * one cache line between Ps. */
uint64_t grt__goid_next(struct p *pp)
{
    if (pp == NULL)
        return xadd_acqrel(&grt__sched.goidgen, 1);
    if (pp->goidcache == pp->goidcacheend) {
        pp->goidcache = xadd_acqrel(&grt__sched.goidgen, GRT_GOID_BATCH) - GRT_GOID_BATCH + 1;
        pp->goidcacheend = pp->goidcache + GRT_GOID_BATCH;
    }
    return pp->goidcache++;
}

void grt__gfree_all(bool keep)
{
    for (struct gchunk *c = keep ? NULL : chunks; c;) {
        struct gchunk *next = c->next;
        for (uint32_t i = 0; i < c->used; i++)
        {
            free(c->gs[i].name);
            free(c->gs[i].timer);
            grt__gls_free(&c->gs[i]); /* abandoned: no destructor runs */
            grt__stack_free_abandoned(&c->gs[i]);
        }
        free(c);
        c = next;
    }
    chunks = NULL;
    cur_chunk = NULL;
    grt__sched.gfree = NULL;
    grt__sched.ngfree = 0;
}

int64_t grt__gcount(void)
{
    /* Ps are never freed while the runtime runs (destroyed ones keep their
     * counters), so summing over every P ever allocated is exact up to the
     * races of reading counters that are being written. */
    int64_t n = ld_relaxed(&grt__sched.nforeign);
    int32_t np = ld_acquire(&grt__nallp);
    struct p **allp = ld_acquire(&grt__allp);
    for (int32_t i = 0; i < np && allp; i++) {
        struct p *pp = ld_acquire(&allp[i]);
        if (pp)
            n += ld_relaxed(&pp->ncreated) - ld_relaxed(&pp->nexited);
    }
    return n < 0 ? 0 : n;
}
