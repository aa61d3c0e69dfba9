/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * m.c - machines: creating threads, parking idle ones, handing Ps over.
 *
 * An M sleeps only in stopm (idle, waiting for a P) or stoplockedm (waiting
 * for its locked G), always on its own note, and always having set
 * m->blocked under sched.lock first.  Whoever wakes it clears m->blocked
 * under the same lock, so an M is woken exactly once per sleep even when
 * startm and shutdown race for it.
 *
 * Threads are never destroyed while the runtime runs, except one whose
 * locked goroutine exited (it may have been changed beyond repair); those
 * stay on allm, marked dead, and are joined at shutdown like the rest.
 */
#include "runtime.h"
#include "arch.h"
#include "fpenv.h"
#include "m.h"
#include "misc.h"
#include "p.h"
#include "race.h"
#include "runq.h"
#include "sched.h"
#include "signal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define M_STACK_SIZE (1u << 20) /* g0 stacks: the scheduler, libc, dumps */

void grt__mput(struct m *mp)
{
    mp->schedlink = grt__sched.midle;
    grt__sched.midle = mp;
    grt__sched.nmidle++;
    mp->blocked = true;
    grt__checkdead();
}

struct m *grt__mget(void)
{
    struct m *mp = grt__sched.midle;
    if (mp) {
        grt__sched.midle = mp->schedlink;
        grt__sched.nmidle--;
        mp->blocked = false;
    }
    return mp;
}

/* Compares pointers only: mp may be an M that has exited since it was
 * remembered (wake-up affinity keeps such pointers). */
bool grt__mget_this(struct m *mp)
{
    for (struct m **pp = &grt__sched.midle; *pp; pp = &(*pp)->schedlink) {
        if (*pp == mp) {
            *pp = mp->schedlink;
            grt__sched.nmidle--;
            mp->blocked = false;
            return true;
        }
    }
    return false;
}

void grt__midle_clear(void)
{
    grt__sched.midle = NULL;
    grt__sched.nmidle = 0;
}

/* Stop this M until startm hands it a P. */
void grt__stopm(void)
{
    struct m *mp = getg()->m;
    if (mp->p)
        grt__fatal("stopm: holding a P");
    if (mp->spinning)
        grt__fatal("stopm: spinning");
    grt__lock(&grt__sched.lock);
    if (grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        grt__mexit(mp);
    }
    grt__mput(mp);
    grt__unlock(&grt__sched.lock);
    grt__note_sleep(&mp->park);
    grt__note_clear(&mp->park);
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        grt__mexit(mp);
    grt__acquirep(mp->nextp);
    mp->nextp = NULL;
}

/* Run pp (an idle P taken here if NULL) on some M: an idle one, or a new
 * thread.  With spinning, the caller already counted the M in nmspinning. */
void grt__startm(struct p *pp, bool spinning, bool locked_wakeup)
{
    (void)locked_wakeup;
    grt__lock(&grt__sched.lock);
    if (grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        if (spinning)
            xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1);
        return;
    }
    if (pp == NULL) {
        pp = grt__pidleget();
        if (pp == NULL) {
            grt__unlock(&grt__sched.lock);
            if (spinning) {
                /* The caller incremented nmspinning for an M that will not
                 * exist; a spinning M that saw it may have skipped a wakep,
                 * but it is still spinning and will look again. */
                if ((int32_t)xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1) < 0)
                    grt__fatal("startm: negative nmspinning");
            }
            return;
        }
    }
    struct m *nmp = grt__mget();
    if (nmp == NULL) {
        grt__unlock(&grt__sched.lock);
        if (grt__newm(pp, spinning) != 0) {
            /* No thread: give the P back; its work waits for a running M. */
            grt__lock(&grt__sched.lock);
            grt__pidleput(pp);
            grt__unlock(&grt__sched.lock);
            if (spinning)
                xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1);
        }
        return;
    }
    if (nmp->spinning || nmp->nextp)
        grt__fatal("startm: idle M is spinning or has a P");
    nmp->spinning = spinning;
    nmp->nextp = pp;
    grt__note_wakeup(&nmp->park);
    grt__unlock(&grt__sched.lock);
}

/* Hand off pp, whose M is leaving (blocking syscall, locked G, thread exit).
 * The conditions here decide whether the P is worth an M right now. */
void grt__handoffp(struct p *pp)
{
    /* Local or global work: it needs an M now. */
    if (!grt__runq_empty(pp) || ld_relaxed(&grt__sched.runq_size) != 0) {
        grt__startm(pp, false, false);
        return;
    }
    /* No M is spinning or idle-with-a-P: start a spinning one, or work
     * submitted later could wait for a thread that is not looking. */
    if (ld_seqcst(&grt__sched.nmspinning) + ld_seqcst(&grt__sched.npidle) == 0 &&
        cas_seqcst(&grt__sched.nmspinning, 0, 1)) {
        grt__startm(pp, true, false);
        return;
    }
    grt__lock(&grt__sched.lock);
    if (grt__sched.stopping) {
        st_release(&pp->status, P_STOPPED);
        if (--grt__sched.stopwait == 0)
            grt__note_wakeup(&grt__sched.stopnote);
        grt__unlock(&grt__sched.lock);
        return;
    }
    if (grt__sched.runq_size != 0) {
        grt__unlock(&grt__sched.lock);
        grt__startm(pp, false, false);
        return;
    }
    /* The last running P with timers pending: someone must run them. */
    if ((int32_t)grt__sched.npidle == grt__gomaxprocs - 1 && ld_relaxed(&pp->timer0_when) != 0) {
        grt__unlock(&grt__sched.lock);
        grt__startm(pp, false, false);
        return;
    }
    grt__pidleput(pp);
    grt__unlock(&grt__sched.lock);
}

/* ------------------------------------------------------------------ */
/* Thread start and exit                                               */
/* ------------------------------------------------------------------ */

static void g0_bounds(struct m *mp)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    mp->g0_lo = (uintptr_t)addr;
    mp->g0_hi = (uintptr_t)addr + size;
    mp->g0->stack_lo = mp->g0_lo;
    mp->g0->stack_hi = mp->g0_hi;
}

/* On the thread's own stack, below mstart's frame: record where mcall
 * starts g0 from, take the P handed over, and schedule forever. */
static void mstart1(void *arg)
{
    struct m *mp = arg;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    /* Leave room for this frame; everything below is free for mcall. */
    mp->g0_top = (void *)((sp - 256) & ~(uintptr_t)15);
    if (mp->nextp) {
        grt__acquirep(mp->nextp);
        mp->nextp = NULL;
    }
    grt__schedule();
}

static void mstart_common(struct m *mp)
{
    grt__g = mp->g0;
    mp->tid = (int32_t)syscall(SYS_gettid);
    mp->errno_loc = &errno;
    grt__fpenv_load();
    g0_bounds(mp);
    grt__race_m_start(mp->g0);
    grt__signal_m_init(mp);
    grt__ctx_save_call(&mp->exit_sp, mstart1, mp, mp->errno_loc);
    /* grt__mexit jumped back here: the M is done. */
    grt__signal_m_fini(mp);
    grt__g = NULL;
    if (mp->abandoned)
        pthread_detach(pthread_self()); /* nobody will join a straggler */
}

static void *mstart_thread(void *arg)
{
    mstart_common(arg);
    return NULL;
}

void grt__mstart_m0(struct m *mp)
{
    mstart_common(mp);
}

/* Leave the scheduler for good: return out of mstart.  Called on g0. */
void grt__mexit(struct m *mp)
{
    if (mp->p) {
        struct p *pp = grt__releasep();
        if (ld_acquire(&grt__sched.state) == RT_RUNNING)
            grt__handoffp(pp);
    }
    if (mp->spinning) {
        mp->spinning = false;
        xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1);
    }
    if (!mp->is_m0) {
        grt__lock(&grt__sched.lock);
        mp->dead = true;
        grt__sched.nmfreed++;
        if (grt__sched.state == RT_RUNNING)
            grt__checkdead();
        grt__unlock(&grt__sched.lock);
    }
    grt__race_m_exit(mp);
    grt__ctx_jump(mp->exit_sp, mp->errno_loc);
}

/* A straggler (abandoned inside a syscall at shutdown) leaves its thread
 * without touching the runtime, which may already be running again. */
void grt__ctx_jump_exit(struct m *mp)
{
    grt__race_m_exit(mp);
    grt__ctx_jump(mp->exit_sp, mp->errno_loc);
}

struct m *grt__m_alloc(void)
{
    struct m *mp = calloc(1, sizeof *mp);
    struct g *g0 = calloc(1, sizeof *g0);
    if (mp == NULL || g0 == NULL) {
        free(mp);
        free(g0);
        return NULL;
    }
    mp->g0 = g0;
    g0->m = mp;
    st_release(&g0->status, G_RUNNING);
    mp->gen = grt__sched.gen;
    mp->fastrand = (uint64_t)grt__nanotime() ^ ((uint64_t)(uintptr_t)mp << 16);
    return mp;
}

void grt__m_free(struct m *mp)
{
    free(mp->g0);
    free(mp);
}

/* Link mp into allm and give it an id; false past maxmcount. */
static bool m_register(struct m *mp)
{
    grt__lock(&grt__sched.lock);
    int64_t live = grt__sched.mnext - grt__sched.nmfreed;
    if (live >= grt__sched.maxmcount) {
        grt__unlock(&grt__sched.lock);
        grt__fatal("thread limit exceeded (%d threads): too many goroutines blocked in "
                   "grt_syscall_enter or locked to threads",
                   grt__sched.maxmcount);
    }
    mp->id = grt__sched.mnext++;
    mp->alllink = grt__allm;
    st_release(&grt__allm, mp);
    grt__unlock(&grt__sched.lock);
    return true;
}

struct newm_args {
    struct m *mp;
    int rc;
};

static void newm_systemstack(void *arg)
{
    struct newm_args *a = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, M_STACK_SIZE);
    a->rc = pthread_create(&a->mp->thread, &attr, mstart_thread, a->mp);
    pthread_attr_destroy(&attr);
}

int grt__newm(struct p *pp, bool spinning)
{
    struct m *mp = grt__m_alloc();
    if (mp == NULL)
        return -ENOMEM;
    mp->nextp = pp;
    mp->spinning = spinning;
    m_register(mp);
    /* pthread_create needs several KiB of stack: not on a small user one. */
    struct newm_args a = {mp, 0};
    grt__systemstack(newm_systemstack, &a);
    if (a.rc != 0) {
        grt__lock(&grt__sched.lock);
        mp->dead = true; /* stays on allm, never joined */
        grt__sched.nmfreed++;
        grt__unlock(&grt__sched.lock);
        mp->nextp = NULL;
        return -a.rc;
    }
    st_release(&mp->started, true);
    return 0;
}
