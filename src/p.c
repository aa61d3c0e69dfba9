/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * p.c - processors: the idle list, attaching Ps to Ms, changing their
 * number (procresize) and stopping the world to do it.
 *
 * Ps are allocated once and never freed while the runtime runs: when procs
 * shrinks, the extra Ps are emptied into the global structures and marked
 * dead, and they are revived if procs grows again.  That keeps every P
 * pointer valid for racy readers (stats, thieves that loaded allp[i] just
 * before a resize).
 */
#include "runtime.h"
#include "m.h"
#include "p.h"
#include "runq.h"
#include "sched.h"
#include "stack.h"
#include "sudog.h"
#include "timer.h"

#include <stdlib.h>
#include <string.h>

static uint32_t coprimes[GRT_MAX_PROCS];
static uint32_t ncoprimes;

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The steal order visits every P once: start anywhere, step by a stride
 * coprime with procs.  Strides are precomputed per resize. */
static void steal_order_reset(uint32_t n)
{
    ncoprimes = 0;
    for (uint32_t i = 1; i <= n; i++)
        if (gcd(i, n) == 1)
            coprimes[ncoprimes++] = i;
}

uint32_t grt__steal_stride(uint32_t r)
{
    return coprimes[r % ncoprimes];
}

void grt__pidleput(struct p *pp)
{
    if (!grt__runq_empty(pp))
        grt__fatal("pidleput: P has non-empty run queue");
    st_release(&pp->status, P_IDLE);
    pp->link = grt__sched.pidle;
    grt__sched.pidle = pp;
    xadd_seqcst(&grt__sched.npidle, 1); /* pairs with wakep's load */
}

struct p *grt__pidleget(void)
{
    struct p *pp = grt__sched.pidle;
    if (pp) {
        grt__sched.pidle = pp->link;
        xadd_seqcst(&grt__sched.npidle, (uint32_t)-1);
    }
    return pp;
}

void grt__acquirep(struct p *pp)
{
    struct m *mp = getg()->m;
    if (mp->p || pp->m)
        grt__fatal("acquirep: already attached (m->p %p, p->m %p)", (void *)mp->p, (void *)pp->m);
    st_relaxed(&mp->p, pp); /* read by sysmon (preempt_signal) */
    st_relaxed(&pp->m, mp); /* read by sysmon and stop-the-world */
    st_release(&pp->status, P_RUNNING);
}

struct p *grt__releasep(void)
{
    struct m *mp = getg()->m;
    struct p *pp = mp->p;
    if (pp == NULL || pp->m != mp)
        grt__fatal("releasep: invalid P state");
    st_relaxed(&mp->p, NULL);
    st_relaxed(&pp->m, NULL);
    st_release(&pp->status, P_IDLE);
    return pp;
}

static struct p *p_alloc(int32_t id)
{
    /* aligned: struct p lays out cache lines on purpose (runtime.h) */
    struct p *pp = aligned_alloc(_Alignof(struct p), sizeof *pp);
    if (pp)
        memset(pp, 0, sizeof *pp);
    if (pp == NULL)
        grt__fatal("out of memory allocating P %d", id);
    pp->id = id;
    st_release(&pp->status, P_STOPPED);
    return pp;
}

/* Empty a P that is going away: everything it holds goes global. */
void grt__p_destroy(struct p *pp)
{
    grt__runq_drain_to_global(pp);
    grt__timers_move(pp, grt__allp[0]);
    while (pp->gfree) {
        struct g *gp = pp->gfree;
        pp->gfree = gp->schedlink;
        grt__lock(&grt__sched.gfree_lock);
        gp->schedlink = grt__sched.gfree;
        grt__sched.gfree = gp;
        st_relaxed(&grt__sched.ngfree, grt__sched.ngfree + 1);
        grt__unlock(&grt__sched.gfree_lock);
    }
    pp->ngfree = 0;
    grt__stackcache_flush(pp);
    grt__sudogcache_flush(pp);
    st_release(&pp->status, P_DEAD);
}

/* Change the number of Ps to nprocs.  sched.lock held and the world stopped
 * (or not yet started).  Returns the Ps that have local work and need an M,
 * linked through p->link, each with p->m set to an idle M if there is one. */
struct p *grt__procresize(int32_t nprocs)
{
    int32_t old = grt__gomaxprocs;
    if (grt__allp == NULL) {
        grt__allp = calloc(GRT_MAX_PROCS, sizeof *grt__allp);
        if (grt__allp == NULL)
            grt__fatal("out of memory allocating allp");
    }
    for (int32_t i = 0; i < nprocs; i++) {
        if (grt__allp[i] == NULL) {
            st_release(&grt__allp[i], p_alloc(i));
            st_release(&grt__nallp, i + 1);
        } else if (grt__allp[i]->status == P_DEAD) {
            st_release(&grt__allp[i]->status, P_STOPPED);
        }
    }
    /* Ps with id >= nprocs are emptied after allp[0] exists (their timers
     * and work move there). */
    struct m *mp = getg()->m;
    if (mp->p && mp->p->id < nprocs) {
        st_release(&mp->p->status, P_RUNNING);
    } else {
        if (mp->p) {
            st_relaxed(&mp->p->m, NULL);
            st_relaxed(&mp->p, NULL);
        }
        struct p *pp = grt__allp[0];
        st_relaxed(&pp->m, NULL);
        st_release(&pp->status, P_IDLE);
        grt__acquirep(pp);
    }
    for (int32_t i = nprocs; i < old; i++)
        grt__p_destroy(grt__allp[i]);
    st_release(&grt__gomaxprocs, nprocs);
    steal_order_reset((uint32_t)nprocs);

    struct p *runnable = NULL;
    for (int32_t i = nprocs - 1; i >= 0; i--) {
        struct p *pp = grt__allp[i];
        if (pp == mp->p)
            continue;
        st_release(&pp->status, P_IDLE);
        if (grt__runq_empty(pp)) {
            grt__pidleput(pp);
        } else {
            st_relaxed(&pp->m, grt__mget());
            pp->link = runnable;
            runnable = pp;
        }
    }
    return runnable;
}

/* Free every P (shutdown). */
void grt__p_free_all(void)
{
    for (int32_t i = 0; i < grt__nallp; i++) {
        struct p *pp = grt__allp[i];
        grt__timers_forget(pp);
        free(pp->timers);
        free(pp);
    }
    free(grt__allp);
    grt__allp = NULL;
    grt__nallp = 0;
    grt__gomaxprocs = 0;
}

/* ------------------------------------------------------------------ */
/* Stop the world                                                      */
/* ------------------------------------------------------------------ */

static void preempt_all(void)
{
    for (int32_t i = 0; i < grt__gomaxprocs; i++) {
        struct p *pp = grt__allp[i];
        struct m *mp = ld_relaxed(&pp->m);
        if (mp && ld_relaxed(&pp->status) == P_RUNNING) {
            struct g *gp = ld_acquire(&mp->curg);
            if (gp)
                st_relaxed(&gp->preempt, true);
        }
    }
}

/* Bring every P to P_STOPPED.  The caller's own P is stopped in place and
 * it keeps it (its M is the one that will resize).  Ps running goroutines
 * stop at their next scheduling point; until asynchronous preemption
 * reaches a goroutine spinning in C code, this waits for it. */
void grt__stop_the_world(void)
{
    struct m *mp = getg()->m;
    grt__lock(&grt__sched.lock);
    grt__sched.stopwait = grt__gomaxprocs;
    st_seqcst(&grt__sched.stopping, 1);
    grt__note_clear(&grt__sched.stopnote);
    st_release(&mp->p->status, P_STOPPED);
    grt__sched.stopwait--;
    for (int32_t i = 0; i < grt__gomaxprocs; i++) {
        struct p *pp = grt__allp[i];
        uint32_t s = ld_relaxed(&pp->status);
        if (s == P_SYSCALL && cas_acqrel(&pp->status, P_SYSCALL, P_STOPPED)) {
            pp->syscalltick++;
            grt__sched.stopwait--;
        }
    }
    struct p *pp;
    while ((pp = grt__pidleget()) != NULL) {
        st_release(&pp->status, P_STOPPED);
        grt__sched.stopwait--;
    }
    bool wait = grt__sched.stopwait > 0;
    grt__unlock(&grt__sched.lock);
    if (wait) {
        /* Remind the running goroutines every 100 us, as Go does. */
        while (!grt__note_tsleep(&grt__sched.stopnote, 100 * 1000))
            preempt_all();
    }
    if (grt__sched.stopwait != 0)
        grt__fatal("stop_the_world: not stopped (stopwait %d)", grt__sched.stopwait);
}

int32_t grt__newprocs;

void grt__start_the_world(void)
{
    grt__lock(&grt__sched.lock);
    int32_t n = grt__newprocs ? grt__newprocs : grt__gomaxprocs;
    grt__newprocs = 0;
    struct p *runnable = grt__procresize(n);
    st_seqcst(&grt__sched.stopping, 0);
    grt__unlock(&grt__sched.lock);
    while (runnable) {
        struct p *pp = runnable;
        runnable = pp->link;
        struct m *nmp = pp->m;
        st_relaxed(&pp->m, NULL);
        if (nmp) {
            grt__lock(&grt__sched.lock);
            nmp->nextp = pp;
            nmp->blocked = false;
            grt__note_wakeup(&nmp->park);
            grt__unlock(&grt__sched.lock);
        } else if (grt__newm(pp, false) != 0) {
            grt__lock(&grt__sched.lock);
            grt__runq_drain_to_global(pp);
            grt__pidleput(pp);
            grt__unlock(&grt__sched.lock);
        }
    }
    grt__wakep();
}
