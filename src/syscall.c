/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syscall.c - goroutines in blocking system calls.
 *
 * grt_syscall_enter marks the G in G_SYSCALL and its P in P_SYSCALL; the P
 * stays with the M as oldp.  If the call returns quickly, grt_syscall_exit
 * takes the same P back with one CAS (the fast path: no lock, no wake-up).
 * If it blocks, sysmon notices the P's syscalltick unchanged for a pass and
 * retakes it (CAS P_SYSCALL -> P_IDLE) and hands it off, so the other
 * goroutines keep running.  On return the M then needs another P: an idle
 * one, or else its G goes to the global queue and the M stops.
 *
 * The CAS on p->status is the whole protocol between the returning M, sysmon
 * and stop-the-world: whoever moves the P out of P_SYSCALL owns it.
 *
 * At shutdown an M still inside a call cannot be joined.  m->syscall_state
 * tells teardown which Ms are there (CAS 1 -> 2, "abandoned"); such a
 * straggler exits its thread as soon as its call returns, and the memory it
 * may still touch (its M, its G, its stack) is kept, not freed.
 */
#include "runtime.h"
#include "deadline.h"
#include "globrunq.h"
#include "m.h"
#include "misc.h"
#include "p.h"
#include "runq.h"
#include "sched.h"
#include "syscall.h"
#include "sysmon.h"
#include "trace.h"

enum { SC_NONE = 0, SC_IN = 1, SC_ABANDONED = 2 };

#define SYSCALL_RETAKE_NS (10 * 1000000LL)

/* Brackets nest: an enter inside the bracket (a library call that brackets
 * its own blocking call, grt_write to a regular file) only counts, and
 * only the outermost exit takes a P back. */
void grt_syscall_enter(void)
{
    struct g *gp = grt__curg();
    if (gp == NULL)
        return;
    if (gp->m->p == NULL) { /* inside the bracket already */
        if (gp->syscall_depth == UINT32_MAX)
            grt__fatal("grt_syscall_enter: nesting overflow");
        gp->syscall_depth++;
        return;
    }
    struct m *mp = gp->m;
    struct p *pp = mp->p;
    if (grt__tracing())
        grt__trace_event(pp, GRT_TR_SYSCALL_ENTER, gp->goid, 0); /* while the P is ours */
    mp->syscall_when = grt__nanotime();
    inc_owner(&pp->syscalltick); /* read by sysmon */
    grt__gstatus_move(gp, G_RUNNING, G_SYSCALL);
    mp->oldp = pp;
    st_relaxed(&mp->p, NULL);
    st_relaxed(&pp->m, NULL);
    st_release(&mp->syscall_state, SC_IN);
    /* release: sysmon and stop-the-world may take the P from here on */
    st_seqcst(&pp->status, P_SYSCALL);
    if (ld_seqcst(&grt__sched.stopping)) {
        /* A stop-the-world is waiting for this P: it is stopped now. */
        grt__lock(&grt__sched.lock);
        if (grt__sched.stopwait > 0 && cas_acqrel(&pp->status, P_SYSCALL, P_STOPPED)) {
            if (--grt__sched.stopwait == 0)
                grt__note_wakeup(&grt__sched.stopnote);
        }
        grt__unlock(&grt__sched.lock);
    }
    if (ld_relaxed(&grt__sched.sysmonwait))
        grt__sysmon_wake();
}

/* On g0: the runtime is gone while we were in the call.  Leave the thread;
 * teardown kept our memory. */
static void straggler_exit(struct g *gp)
{
    struct m *mp = gp->m;
    grt__ctx_jump_exit(mp);
}

/* On g0: no P came back.  Queue the G and stop the M. */
static void exitsyscall0(struct g *gp)
{
    struct m *mp = gp->m;
    grt__gstatus_move(gp, G_SYSCALL, G_RUNNABLE);
    st_relaxed(&mp->curg, NULL); /* sysmon reads it (preempt_one) */
    gp->m = NULL;
    grt__lock(&grt__sched.lock);
    struct p *pp = grt__sched.state == RT_RUNNING && !grt__sched.stopping ? grt__pidleget() : NULL;
    if (pp == NULL)
        grt__globrunq_put(gp);
    grt__unlock(&grt__sched.lock);
    if (pp) {
        grt__acquirep(pp);
        grt__execute_from_syscall(gp);
    }
    if (mp->lockedg) {
        /* Our locked G is queued; whoever runs it hands it back to us. */
        grt__schedule();
    }
    grt__stopm();
    grt__schedule();
}

void grt_syscall_exit(void)
{
    struct g *gp = grt__curg();
    if (gp == NULL)
        return;
    if (unlikely(ld_relaxed(&gp->status) != G_SYSCALL))
        grt__fatal("grt_syscall_exit without grt_syscall_enter");
    if (gp->syscall_depth > 0) {
        gp->syscall_depth--;
        return;
    }
    if (grt__tracing())
        grt__trace_syscall_exit(gp);
    struct m *mp = gp->m;
    if (!cas_acqrel(&mp->syscall_state, SC_IN, SC_NONE)) {
        grt__mcall(straggler_exit);
        __builtin_unreachable();
    }
    struct p *oldp = mp->oldp;
    mp->oldp = NULL;
    /* Fast path: our P is still waiting for us. */
    if (oldp && ld_relaxed(&oldp->status) == P_SYSCALL &&
        cas_acqrel(&oldp->status, P_SYSCALL, P_RUNNING)) {
        st_relaxed(&mp->p, oldp);
        st_relaxed(&oldp->m, mp);
        inc_owner(&oldp->syscalltick);
        grt__gstatus_move(gp, G_SYSCALL, G_RUNNING);
        if (unlikely(ld_relaxed(&gp->preempt) || ld_relaxed(&grt__sched.state) != RT_RUNNING))
            grt_yield();
        return;
    }
    /* Second chance: an idle P, without leaving the goroutine's stack. */
    if (ld_relaxed(&grt__sched.npidle) > 0 && !ld_relaxed(&grt__sched.stopping)) {
        grt__lock(&grt__sched.lock);
        struct p *pp = grt__sched.state == RT_RUNNING ? grt__pidleget() : NULL;
        grt__unlock(&grt__sched.lock);
        if (pp) {
            grt__acquirep(pp);
            grt__gstatus_move(gp, G_SYSCALL, G_RUNNING);
            if (ld_relaxed(&grt__sched.sysmonwait))
                grt__sysmon_wake();
            return;
        }
    }
    grt__mcall(exitsyscall0);
}

/* sysmon: pp has been in P_SYSCALL since at least the previous pass.
 * Retake it when it has work, or nobody else could pick work up, or it has
 * been away for 10 ms.  Returns 1 if it was retaken. */
int grt__syscall_retake(struct p *pp, int64_t now)
{
    uint32_t t = ld_relaxed(&pp->syscalltick);
    if (pp->sysmontick.syscalltick != t) {
        pp->sysmontick.syscalltick = t;
        pp->sysmontick.syscallwhen = now;
        return 0;
    }
    if (grt__runq_empty(pp) &&
        ld_relaxed(&grt__sched.nmspinning) + ld_relaxed(&grt__sched.npidle) > 0 &&
        grt__time_add(pp->sysmontick.syscallwhen, SYSCALL_RETAKE_NS) > now)
        return 0;
    if (!cas_acqrel(&pp->status, P_SYSCALL, P_IDLE))
        return 0;
    inc_owner(&pp->syscalltick);
    xadd_relaxed(&grt__sched.nhandoff, 1);
    grt__handoffp(pp);
    return 1;
}

/* teardown: mark every M still inside a call as abandoned.  Returns how
 * many there are; they are neither joined nor freed. */
int grt__syscall_abandon_all(void)
{
    int n = 0;
    for (struct m *mp = grt__allm; mp; mp = mp->alllink) {
        if (cas_acqrel(&mp->syscall_state, SC_IN, SC_ABANDONED)) {
            mp->abandoned = true;
            pthread_detach(mp->thread);
            n++;
        }
    }
    return n;
}
