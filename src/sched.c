/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched.c - the scheduler: how goroutines get onto threads.
 *
 * ## Vocabulary
 *
 * G  goroutine: a function, a stack, a saved context.
 * M  machine: an OS thread.  It runs the scheduler on its g0 stack and user
 *    code on the stacks of the Gs it executes.
 * P  processor: the permission to run goroutine code, and the per-CPU
 *    state that goes with it (run queue, free lists, timers, caches).
 *    There are exactly `procs` Ps.  An M needs a P to run a G.
 *
 * ## The shape of the thing
 *
 * Work is distributed through run queues.  Every P has a lock-free ring of
 * 256 runnable Gs and a runnext slot (runq.c); there is one global queue
 * under sched.lock.  A new or readied G goes to the runnext of the P that
 * made it, so the pair "producer readies consumer, then blocks" runs back
 * to back on one core with a warm cache, and inherits the time slice
 * (schedtick is not advanced), exactly as Go does.
 *
 * An M with a P loops in schedule(): find a G (findRunnable), execute it
 * until it parks, yields or exits, and come back.  Both directions are a
 * context switch: mcall() saves the G's callee-saved registers on its own
 * stack and calls a function on g0; execute() restores a G with gogo().
 * Scheduling never runs on a user stack, so a G's stack can be handed to
 * another thread the moment its status says it is not running.
 *
 * ## Finding work (findRunnable), in order
 *
 *  1. Every 61st tick, one G from the global queue first: two Gs handing
 *     off through runnext would otherwise starve it.  (61 is prime so it
 *     does not resonate with common patterns; it is Go's number.)
 *  2. The local queue: runnext, then the ring.
 *  3. The global queue: a batch of len/procs + 1, one to run, the rest local.
 *  4. Steal: if fewer than half the busy Ps have spinning Ms, become
 *     spinning and make 4 passes over the Ps in a random order (random
 *     start, stride coprime with procs), taking half of a victim's ring;
 *     the last pass may also take its runnext.
 *  5. Nothing: give the P back (pidleput), stop spinning, and re-check every
 *     queue once more before sleeping (below), then sleep on the M's note.
 *
 * ## Spinning and wake-ups: why no G is ever lost
 *
 * A thread that sleeps while there is work is a throughput bug; a thread
 * woken for nothing is a CPU-burning bug.  Go's protocol, kept here:
 *
 *  1. Submitting work (runq_put, goready, a foreign grt_go) publishes the G
 *     in a queue and then, after a full barrier, calls wakep().
 *  2. wakep() does nothing if there is no idle P or if some M is already
 *     spinning (nmspinning != 0): a spinning M is bound to look at every
 *     queue before it gives up, so it will find the new G.  Otherwise it
 *     CASes nmspinning 0 -> 1 and starts an M (startm) in the spinning state
 *     with an idle P.
 *  3. A spinning M that finds work stops spinning (resetspinning) and, if
 *     it was the last spinning M, calls wakep(): there may be more work, and
 *     only a spinning M would have found it.
 *  4. A spinning M that finds nothing releases its P, decrements
 *     nmspinning, and only then re-checks all queues (the "delicate
 *     dance").  A submitter that saw nmspinning != 0 skipped wakep() in
 *     step 2, trusting this M; the decrement followed by the re-check (and
 *     the submitter's store followed by its check of nmspinning) is a
 *     store-load pair on each side, ordered by full barriers, so at least
 *     one side sees the other.  Without the re-check the G could sit in a
 *     queue with every M asleep.
 *  5. At most half the busy Ps have spinning Ms (2*nmspinning <
 *     procs - npidle): more would burn CPU to find the same few Gs.
 *
 * Rejected alternatives: waking an M per submitted G (Go's first
 * scheduler) pays a futex wake per spawn and thrashes threads; a central
 * queue under one lock (Go before 1.1) serialises every core on one cache
 * line; letting idle Ms spin without bound burns a core per idle thread.
 *
 * ## Invariants and ownership
 *
 *  - A G's status says who owns its stack (runtime.h).  Status changes go
 *    through gstatus_move; only the owner changes a running G's status, so
 *    the check is an assertion and the store a release, not a CAS loop
 *    (Go needs the CAS for its GC's scan bit, grt has no GC).
 *  - A parked G's context is saved before its status becomes WAITING, and
 *    the lock that made the park safe (the channel's, the semaphore's) is
 *    released only after that (gopark's unlockf runs on g0).  So whoever
 *    readies it under that lock always finds a complete context.
 *  - P-local state (run queue, free lists, caches) is touched only by the M
 *    holding the P, except the run queue's consumer side (thieves).  The
 *    runtime's own code is never preempted asynchronously (the signal
 *    handler refuses any pc inside libgrt), so a G cannot lose its P in the
 *    middle of a runtime call.
 *  - sched.lock is taken before the gfree lock and the stack pool lock,
 *    never after.
 *
 * ## Giving the P up: yield and preemption
 *
 * grt_yield puts the caller behind every goroutine that waits.  Go sends
 * it to the global queue; grt does the same whenever that queue is not
 * empty, and otherwise uses the tail of the local ring, which is just as
 * fair (FIFO, and visible to thieves) without taking sched.lock - the
 * two-goroutine yield loop then costs one CAS.  A goroutine preempted (by
 * sysmon's flag at a runtime entry, or by SIGURG in its own code: see
 * preempt.c for the safe-point rules) always goes to the global queue, so
 * a hog runs again only after everybody else.
 *
 * ## Where the time goes when there are many goroutines
 *
 * With thousands of goroutines taking turns the scheduler is bound by
 * memory, not instructions: each switch touches the G record and the top
 * of the G's stack, neither of which is cached.  Hence: G records are
 * cache-line aligned with the switch's fields in the first line; stacks
 * start at a per-goroutine offset (stack_start) so that their tops do not
 * all fall into the same cache sets; runq_get prefetches the next
 * goroutine's context while the current one runs; timers are fired in
 * batches, their deadlines kept in the heap array, with one wake-up per
 * batch.
 */
#include "runtime.h"
#include "gls.h"
#include "arch.h"
#include "ctx.h"
#include "debug.h"
#include "g.h"
#include "globrunq.h"
#include "m.h"
#include "misc.h"
#include "netpoll.h"
#include "offload.h"
#include "p.h"
#include "race.h"
#include "runq.h"
#include "sched.h"
#include "stack.h"
#include "sys.h"
#include "sysmon.h"
#include "timer.h"
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__thread struct g *grt__g __attribute__((tls_model("initial-exec")));
struct grt__sched grt__sched;
struct p   **grt__allp;
int32_t      grt__gomaxprocs;
int32_t      grt__nallp;
struct m    *grt__allm;
struct m    *grt__m0;
int32_t      grt__ncpu = 1;

const char *const grt__wait_reason_names[WAIT_NREASONS] = {
    [WAIT_NONE] = "",
    [WAIT_CHAN_SEND] = "chan send",
    [WAIT_CHAN_RECV] = "chan receive",
    [WAIT_SELECT] = "select",
    [WAIT_SELECT_NO_CASES] = "select (no cases)",
    [WAIT_SLEEP] = "sleep",
    [WAIT_MUTEX] = "sync.Mutex.Lock",
    [WAIT_RWMUTEX_R] = "sync.RWMutex.RLock",
    [WAIT_RWMUTEX_W] = "sync.RWMutex.Lock",
    [WAIT_WAITGROUP] = "sync.WaitGroup.Wait",
    [WAIT_COND] = "sync.Cond.Wait",
    [WAIT_SEMACQUIRE] = "semacquire",
    [WAIT_IO] = "IO wait",
    [WAIT_TIMER_CHAN] = "timer channel",
    [WAIT_PREEMPTED] = "preempted",
    [WAIT_OFFLOAD] = "offload",
};

static const char *const status_names[] = {
    "idle", "runnable", "running", "syscall", "waiting", "dead", "preempted",
};

const char *grt__status_name(uint32_t s)
{
    return s < sizeof status_names / sizeof *status_names ? status_names[s] : "???";
}

/* ------------------------------------------------------------------ */
/* Fatal errors                                                        */
/* ------------------------------------------------------------------ */

void grt__fatal(const char *fmt, ...)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "grt: fatal error: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n - 2, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    /* write(2), not stdio: the stdio lock may be held by the thread that
     * is stuck, and the process is going down anyway. */
    ssize_t w = grt__sys_write(2, buf, (size_t)n);
    (void)w;
    _exit(2);
}

/* ------------------------------------------------------------------ */
/* Status transitions                                                  */
/* ------------------------------------------------------------------ */

static _Noreturn __attribute__((noinline, cold)) void gstatus_move_fail(struct g *gp, uint32_t old,
                                                                        uint32_t new)
{
    grt__fatal("gstatus_move: goroutine %llu: %s -> %s, but it is %s", (unsigned long long)gp->goid,
               grt__status_name(old), grt__status_name(new), grt__status_name(gp->status));
}

static inline __attribute__((always_inline)) void gstatus_move(struct g *gp, uint32_t old,
                                                                uint32_t new)
{
    /* Only the owner of the transition ever writes the status (see the
     * essay), so a mismatch is a runtime bug, not a race to retry. */
    if (unlikely(ld_relaxed(&gp->status) != old))
        gstatus_move_fail(gp, old, new);
    st_release(&gp->status, new); /* pairs with acquire loads in dumps and stealers */
}

void grt__gstatus_move(struct g *gp, uint32_t old, uint32_t new)
{
    gstatus_move(gp, old, new);
}

/* ------------------------------------------------------------------ */
/* Switching stacks                                                    */
/* ------------------------------------------------------------------ */

static void mcall_race_entry(void *arg)
{
    struct g *gp = arg;
    struct m *mp = gp->m;
    grt__race_switch_finish(mp->g0);
    mp->mcall_fn(gp);
}

static inline void mcall_impl(void (*fn)(struct g *), bool dying)
{
    struct g *gp = getg();
    struct m *mp = gp->m;
    grt__g = mp->g0; /* first, so a signal sees "in the scheduler" */
    /* The switch saves errno with the context (switch.S). */
    if (GRT_RACE) {
        mp->mcall_fn = fn;
        grt__race_switch_start(gp, mp->g0, dying);
        grt__ctx_mcall(&gp->sched.sp, mp->g0_top, mcall_race_entry, gp, mp->errno_loc);
    } else {
        grt__ctx_mcall(&gp->sched.sp, mp->g0_top, (void (*)(void *))fn, gp, mp->errno_loc);
    }
    /* Resumed by gogo, possibly on another thread, with its errno. */
    grt__race_switch_finish(gp);
}

void grt__mcall(void (*fn)(struct g *gp))
{
    mcall_impl(fn, false);
}

struct syscall_frame {
    void (*fn)(void *);
    void *arg;
    struct g *from;
};

static void systemstack_race_entry(void *arg)
{
    struct syscall_frame *f = arg;
    struct g *g0 = f->from->m->g0;
    grt__race_switch_finish(g0);
    f->fn(f->arg);
    grt__race_stack_leave(g0, f->from);
}

void grt__systemstack(void (*fn)(void *arg), void *arg)
{
    struct g *gp = getg();
    if (gp == NULL || gp->m == NULL || gp == gp->m->g0) {
        fn(arg);
        return;
    }
    struct m *mp = gp->m;
    grt__g = mp->g0;
    if (GRT_RACE) {
        struct syscall_frame f = {fn, arg, gp};
        grt__race_stack_enter(gp, mp->g0);
        grt__ctx_systemstack(systemstack_race_entry, &f, mp->g0_top);
        grt__race_switch_finish(gp);
    } else {
        grt__ctx_systemstack(fn, arg, mp->g0_top);
    }
    grt__g = gp;
}

static _Noreturn void gogo(struct g *gp)
{
    grt__race_switch_start(getg(), gp, false);
    grt__g = gp;
    grt__ctx_jump(gp->sched.sp, gp->m->errno_loc);
}

/* ------------------------------------------------------------------ */
/* Running a G                                                         */
/* ------------------------------------------------------------------ */

/* Sanitizer builds start a goroutine through this C frame so the fiber
 * switch can be finished before user code runs; it returns into goexit like
 * the user function would. */
static void race_gostart(void *arg)
{
    struct g *gp = arg;
    grt__race_switch_finish(gp);
    gp->fn(gp->arg);
}

static _Noreturn void execute(struct g *gp, bool inherit)
{
    struct m *mp = getg()->m;
    struct p *pp = mp->p;
    st_release(&mp->curg, gp); /* sysmon may write gp->preempt: it must see gp initialised */
    gp->m = mp;
    gstatus_move(gp, G_RUNNABLE, G_RUNNING);
    st_relaxed(&gp->preempt, false);
    gp->waitreason = WAIT_NONE;
    if (!inherit)
        inc_owner(&pp->schedtick); /* read by sysmon */
    inc_owner(&pp->nswitch);
    if (grt__tracing())
        grt__trace_go_start(pp, gp);
    if (gp->stack == NULL)
        grt__stack_bind(pp, gp);
    if (gp->sched.sp == NULL) {
        /* First run: build the frame that starts fn and returns to goexit
         * (and sets errno to 0, as a thread starts with). */
        grt__race_g_start(gp);
        if (GRT_RACE)
            gp->sched.sp = grt__ctx_init(grt__stack_start(gp), race_gostart, gp);
        else
            gp->sched.sp = grt__ctx_init(grt__stack_start(gp), gp->fn, gp->arg);
    }
    gogo(gp);
}

_Noreturn void grt__execute_from_syscall(struct g *gp)
{
    execute(gp, false);
}

/* Detach the current G from the M (on g0). */
static inline void dropg(struct m *mp)
{
    if (grt__tracing())
        grt__trace_go_end(mp->p, mp->curg);
    mp->curg->m = NULL;
    st_relaxed(&mp->curg, NULL);
}

/* ------------------------------------------------------------------ */
/* Spinning and waking                                                 */
/* ------------------------------------------------------------------ */

void grt__wakep(void)
{
    /* Step 2 of the protocol: only if there is an idle P, and only one
     * spinning M at a time is started from here. */
    if (ld_seqcst(&grt__sched.npidle) == 0)
        return;
    if (ld_seqcst(&grt__sched.nmspinning) != 0 || !cas_seqcst(&grt__sched.nmspinning, 0, 1))
        return;
    grt__startm(NULL, true, false);
}

static void resetspinning(struct m *mp)
{
    mp->spinning = false;
    int32_t n = (int32_t)xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1);
    if (n < 0)
        grt__fatal("resetspinning: negative nmspinning");
    /* Step 3: we were the one looking; maybe there is more to find. */
    if (n == 0)
        grt__wakep();
}

/* ------------------------------------------------------------------ */
/* Stop-the-world participation                                        */
/* ------------------------------------------------------------------ */

/* Stop the current M for a stop-the-world; it resumes with a P. */
static void stw_stopm(struct m *mp)
{
    if (mp->spinning) {
        mp->spinning = false;
        xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1);
    }
    struct p *pp = grt__releasep();
    grt__lock(&grt__sched.lock);
    st_release(&pp->status, P_STOPPED);
    if (--grt__sched.stopwait == 0)
        grt__note_wakeup(&grt__sched.stopnote);
    grt__unlock(&grt__sched.lock);
    grt__stopm();
}

/* ------------------------------------------------------------------ */
/* Finding work                                                        */
/* ------------------------------------------------------------------ */

static struct g *steal_work(struct p *pp)
{
    enum { STEAL_TRIES = 4 };
    for (int i = 0; i < STEAL_TRIES; i++) {
        bool last = i == STEAL_TRIES - 1;
        int32_t n = ld_acquire(&grt__gomaxprocs); /* pairs with procresize */
        uint32_t pos = grt__fastrandn((uint32_t)n);
        uint32_t inc = grt__steal_stride((uint32_t)grt__fastrand());
        for (int32_t k = 0; k < n; k++, pos = (pos + inc) % (uint32_t)n) {
            if (ld_relaxed(&grt__sched.stopping) || ld_relaxed(&grt__sched.state) != RT_RUNNING)
                return NULL;
            struct p *p2 = grt__allp[pos];
            if (p2 == pp)
                continue;
            /* Due timers of other Ps (idle ones have nobody else to run
             * them); what they ready lands in our runnext. */
            int64_t w = ld_relaxed(&p2->timer0_when);
            if (w != 0 && w <= grt__nanotime()) {
                grt__timers_run(p2, grt__nanotime());
                bool inherit;
                struct g *gp = grt__runq_get(pp, &inherit);
                if (gp)
                    return gp;
            }
            if (ld_relaxed(&p2->status) == P_IDLE)
                continue;
            struct g *gp = grt__runq_steal(pp, p2, last);
            if (gp) {
                inc_owner(&pp->nsteal);
                if (grt__tracing())
                    grt__trace_event(pp, GRT_TR_STEAL, gp->goid, (uint32_t)p2->id);
                return gp;
            }
        }
    }
    return NULL;
}

/* Step 4 of the protocol: after giving up the P and spinning, look at every
 * queue once more.  Returns a P that has work, or NULL. */
static struct p *check_runqs_no_p(void)
{
    /* No P and no lock: the count may change under us.  acquire: pairs
     * with procresize's release, so allp[i] for i < np is published. */
    int32_t np = ld_acquire(&grt__gomaxprocs);
    for (int32_t i = 0; i < np; i++) {
        struct p *p2 = grt__allp[i];
        if (!grt__runq_empty(p2)) {
            grt__lock(&grt__sched.lock);
            struct p *pp = grt__pidleget();
            grt__unlock(&grt__sched.lock);
            return pp;
        }
    }
    return NULL;
}

static bool rt_stopping(void)
{
    return ld_acquire(&grt__sched.state) != RT_RUNNING;
}

static struct g *poll_block(struct m *mp, bool was_spinning, bool *retry);
static struct g *netpoll_take(struct g *list, int32_t n);
static bool ready_on_affm(struct g *gp);
static struct g *ready_list_on_affm(struct g *head, int32_t *n);

static struct g *find_runnable(struct m *mp, bool *inherit)
{
    struct g *gp;
top:;
    struct p *pp = mp->p;
    if (ld_acquire(&grt__sched.stopping)) {
        stw_stopm(mp);
        goto top;
    }
    if (rt_stopping())
        grt__mexit(mp);

    /* Due timers.  Reading the clock costs as much as a whole switch on
     * some machines, so a P with queued work looks only every 16th round:
     * a timer is late by at most 16 scheduling rounds (microseconds). */
    bool woken = false;
    if (ld_relaxed(&pp->timer0_when) != 0 &&
        ((++pp->timerpoll & 15) == 0 || grt__runq_empty(pp))) {
        bool had_next = ld_relaxed(&pp->runnext) != NULL;
        grt__timers_run(pp, grt__nanotime());
        woken = !had_next && ld_relaxed(&pp->runnext) != NULL;
    }

    /* 1. Fairness with the global queue; but a goroutine a timer has just
     * woken into runnext goes first: behind a CPU-bound goroutine from
     * the global queue it would wait a whole slice (one timer wake-up in
     * 61 was 10 ms late in the latency row), and it has waited already. */
    if (pp->schedtick % 61 == 0 && !woken && ld_relaxed(&grt__sched.runq_size) > 0) {
        grt__lock(&grt__sched.lock);
        gp = grt__globrunq_get(pp, 1);
        grt__unlock(&grt__sched.lock);
        if (gp) {
            *inherit = false;
            return gp;
        }
    }
    /* 2. Local. */
    if ((gp = grt__runq_get(pp, inherit)) != NULL)
        return gp;
    /* 3. Global. */
    if (ld_relaxed(&grt__sched.runq_size) > 0) {
        grt__lock(&grt__sched.lock);
        gp = grt__globrunq_get(pp, 0);
        grt__unlock(&grt__sched.lock);
        if (gp) {
            *inherit = false;
            return gp;
        }
    }
    /* The network, without blocking, if nobody is blocked on it. */
    if (grt__netpoll_waiters() > 0 && ld_relaxed(&grt__sched.lastpoll) != 0) {
        int32_t n;
        struct g *list = grt__netpoll(0, &n);
        if (list) {
            *inherit = false;
            return netpoll_take(list, n);
        }
    }
    /* 4. Steal, within the spinning bound. */
    int32_t busy = ld_relaxed(&grt__gomaxprocs) - (int32_t)ld_relaxed(&grt__sched.npidle);
    if (mp->spinning || 2 * (int32_t)ld_relaxed(&grt__sched.nmspinning) < busy) {
        if (!mp->spinning) {
            mp->spinning = true;
            xadd_seqcst(&grt__sched.nmspinning, 1);
        }
        gp = steal_work(pp);
        if (gp) {
            *inherit = false;
            return gp;
        }
        if (ld_relaxed(&grt__sched.stopping) || rt_stopping())
            goto top;
    }

    /* 5. Nothing.  Give the P back, then the delicate dance. */
    grt__lock(&grt__sched.lock);
    if (grt__sched.stopping || grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        goto top;
    }
    if (grt__sched.runq_size > 0) {
        gp = grt__globrunq_get(pp, 0);
        grt__unlock(&grt__sched.lock);
        *inherit = false;
        return gp;
    }
    /* The poll above may have readied goroutines onto this P without
     * returning them (a signal sent on a channel, signotify.c). */
    if (!grt__runq_empty(pp)) {
        grt__unlock(&grt__sched.lock);
        goto top;
    }
    if (grt__releasep() != pp)
        grt__fatal("findrunnable: wrong P");
    grt__pidleput(pp);
    grt__unlock(&grt__sched.lock);

    bool was_spinning = mp->spinning;
    if (mp->spinning) {
        mp->spinning = false;
        /* seq-cst: this decrement must be ordered before the re-check
         * loads below; pairs with the submitter's barrier in wakep. */
        if ((int32_t)xadd_seqcst(&grt__sched.nmspinning, (uint32_t)-1) < 0)
            grt__fatal("findrunnable: negative nmspinning");
        fence_seqcst();
        struct p *p2 = check_runqs_no_p();
        if (p2 == NULL && ld_relaxed(&grt__sched.runq_size) > 0) {
            grt__lock(&grt__sched.lock);
            p2 = grt__pidleget();
            grt__unlock(&grt__sched.lock);
        }
        if (p2) {
            grt__acquirep(p2);
            mp->spinning = true;
            xadd_seqcst(&grt__sched.nmspinning, 1);
            goto top;
        }
    }
    bool retry = false;
    gp = poll_block(mp, was_spinning, &retry);
    if (gp) {
        *inherit = false;
        return gp;
    }
    if (retry)
        goto top;
    grt__stopm();
    goto top;
}

/* Step 8: with goroutines waiting on descriptors or timers pending, one M
 * (the one that swaps sched.lastpoll to 0) blocks in netpoll until the
 * next timer instead of sleeping in stopm.  Returns a G to run (with a P
 * acquired), or NULL with *retry set when a P was acquired anyway. */
static struct g *poll_block(struct m *mp, bool was_spinning, bool *retry)
{
    int64_t until = grt__timers_next();
    if (!grt__netpoll_inited())
        return NULL;
    if ((grt__netpoll_waiters() == 0 && until == 0) ||
        xchg_acqrel(&grt__sched.lastpoll, 0) == 0) {
        /* Someone else polls; make sure it wakes for our timer. */
        if (until != 0) {
            int64_t pu = ld_seqcst(&grt__sched.poll_until);
            if (ld_seqcst(&grt__sched.lastpoll) == 0 && (pu == 0 || pu > until))
                grt__netpoll_break();
        }
        return NULL;
    }
    st_seqcst(&grt__sched.poll_until, until);
    int64_t delay = -1;
    if (until != 0) {
        delay = until - grt__nanotime();
        if (delay < 0)
            delay = 0;
    }
    if (rt_stopping())
        delay = 0;
    int32_t n;
    struct g *list = grt__netpoll(delay, &n);
    st_seqcst(&grt__sched.poll_until, 0);
    st_seqcst(&grt__sched.lastpoll, grt__nanotime());
    grt__lock(&grt__sched.lock);
    struct p *pp = (grt__sched.state == RT_RUNNING && !grt__sched.stopping) ? grt__pidleget() : NULL;
    grt__unlock(&grt__sched.lock);
    if (pp == NULL) {
        grt__netpoll_inject(list, n);
        return NULL;
    }
    grt__acquirep(pp);
    *retry = true;
    if (list)
        return netpoll_take(list, n);
    if (was_spinning) {
        mp->spinning = true;
        xadd_seqcst(&grt__sched.nmspinning, 1);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Goroutines the poller woke (Go's injectglist)                       */
/* ------------------------------------------------------------------ */

void grt__injectglist(struct g *head, int32_t n)
{
    if (n == 0)
        return;
    bool affine = false;
    for (struct g *gp = head; gp; gp = gp->schedlink) {
        gstatus_move(gp, G_WAITING, G_RUNNABLE);
        affine |= gp->affm != NULL;
    }
    if (unlikely(affine) && (head = ready_list_on_affm(head, &n)) == NULL)
        return;
    struct g *me = getg();
    struct p *pp = (me && me->m) ? me->m->p : NULL;
    /* As many as there are idle Ps go global, each with an M started for
     * it; the rest stay on our own queue.  seq-cst, as wakep's load:
     * pairs with pidleput's increment. */
    int32_t nidle = (int32_t)ld_seqcst(&grt__sched.npidle);
    int32_t nglobal = pp ? (nidle < n ? nidle : n) : n;
    if (nglobal > 0) {
        grt__lock(&grt__sched.lock);
        for (int32_t i = 0; i < nglobal; i++) {
            struct g *gp = head;
            head = gp->schedlink;
            grt__globrunq_put(gp);
        }
        grt__unlock(&grt__sched.lock);
        for (int32_t i = 0; i < nglobal && ld_seqcst(&grt__sched.npidle) > 0; i++)
            grt__startm(NULL, false, false);
    }
    while (head) {
        struct g *gp = head;
        head = gp->schedlink;
        grt__runq_put(pp, gp, false);
    }
}

void grt__netpoll_inject(struct g *head, int32_t n)
{
    xadd_relaxed(&grt__sched.nnetpoll_ready, n); /* relaxed: a statistic */
    grt__injectglist(head, n);
}

/* A non-empty list from the poller, found by an M with a P: it runs one
 * goroutine itself (one that parked on this M, else the first) and
 * injects the rest. */
static struct g *netpoll_take(struct g *list, int32_t n)
{
    xadd_relaxed(&grt__sched.nnetpoll_ready, n); /* relaxed: a statistic */
    /* The one that parked on this M, if any (wake-up affinity), else the
     * first. */
    struct m *me = getg()->m;
    struct g **pick = &list;
    for (struct g **at = &list; *at; at = &(*at)->schedlink) {
        if ((*at)->affm == me) {
            pick = at;
            break;
        }
    }
    struct g *run = *pick;
    *pick = run->schedlink;
    grt__injectglist(list, n - 1);
    gstatus_move(run, G_WAITING, G_RUNNABLE);
    return run;
}

/* A timer at `when` was added: make sure somebody will run it in time.
 * If an M is blocked in netpoll past `when`, interrupt it; if nobody is,
 * a spinning M (if a P is idle) will find it or end up polling until it. */
void grt__timer_sleeper_kick(int64_t when)
{
    if (ld_seqcst(&grt__sched.lastpoll) == 0) {
        int64_t until = ld_seqcst(&grt__sched.poll_until);
        if (until == 0 || until > when)
            grt__netpoll_break();
        return;
    }
    grt__wakep();
}

/* ------------------------------------------------------------------ */
/* What the synchronisation primitives ask (Go's sync_runtime_*)       */
/* ------------------------------------------------------------------ */

#define SPIN_ITERS 4 /* rounds of spinning before a mutex waiter parks */

/* Go's sync_runtime_canSpin.  The mutex is cooperative, so spin only a
 * little, only with real parallelism (several CPUs, another P running) and
 * only when nothing else waits on our own P: spinning then would delay
 * goroutines that could run instead. */
bool grt__can_spin(int iter)
{
    if (iter >= SPIN_ITERS || grt__ncpu <= 1)
        return false;
    /* relaxed: heuristics */
    uint32_t idle = ld_relaxed(&grt__sched.npidle) + ld_relaxed(&grt__sched.nmspinning);
    if (ld_relaxed(&grt__gomaxprocs) <= (int32_t)idle + 1)
        return false;
    struct p *pp = getg()->m->p;
    return pp == NULL || grt__runq_empty(pp);
}

void grt__handoff_yield(void)
{
    struct g *me = grt__curg();
    if (me != NULL && me->m->locks == 0 && me->m->p != NULL)
        grt_yield();
}

/* ------------------------------------------------------------------ */
/* Deadlock detection (Go's checkdead)                                 */
/* ------------------------------------------------------------------ */

struct dead_scan {
    int64_t live;
    int64_t running;
};

static void scan_one(struct g *gp, void *arg)
{
    struct dead_scan *d = arg;
    uint32_t s = ld_acquire(&gp->status);
    if (gp->gen != grt__sched.gen || s == G_DEAD || s == G_IDLE)
        return;
    d->live++;
    if (s == G_RUNNING || s == G_SYSCALL || s == G_RUNNABLE || s == G_PREEMPTED)
        d->running++;
}

/* Called with sched.lock held whenever an M goes idle.  If no M is running
 * goroutine code and nothing outside the goroutines (a timer, a syscall,
 * the network, a foreign thread) can wake one, the program is stuck
 * forever: say so and exit, as Go does. */
void grt__checkdead(void)
{
    if (grt__sched.state != RT_RUNNING || grt__sched.foreign_seen)
        return;
    int64_t mcount = grt__sched.mnext - grt__sched.nmfreed;
    int64_t run = mcount - grt__sched.nmidle - grt__sched.nmidlelocked - grt__sched.nmsys;
    if (run > 0)
        return;
    if (run < 0)
        grt__fatal("checkdead: inconsistent counts: mcount=%lld nmidle=%d nmidlelocked=%d nmsys=%d",
                   (long long)mcount, grt__sched.nmidle, grt__sched.nmidlelocked, grt__sched.nmsys);
    if (grt__timers_next() != 0)
        return; /* a timer will wake somebody */
    if (grt__netpoll_waiters() > 0)
        return;
    if (grt__offload_pending() > 0)
        return; /* the pool will ready its waiter */
    struct dead_scan d = {0, 0};
    grt__lock(&grt__allg_lock);
    grt__allg_each(scan_one, &d);
    grt__unlock(&grt__allg_lock);
    if (d.running > 0)
        return; /* in a queue or a syscall: not stuck */
    static const char msg[] = "grt: fatal error: all goroutines are asleep - deadlock!\n\n";
    ssize_t w = grt__sys_write(2, msg, sizeof msg - 1);
    (void)w;
    grt__dump_goroutines(2);
    _exit(2);
}

/* ------------------------------------------------------------------ */
/* Locked goroutines (grt_lock_thread)                                 */
/* ------------------------------------------------------------------ */

static void incidlelocked(int32_t v)
{
    grt__lock(&grt__sched.lock);
    grt__sched.nmidlelocked += v;
    if (v > 0)
        grt__checkdead();
    grt__unlock(&grt__sched.lock);
}

/* This M is locked to a G that is not running: give the P away and sleep
 * until someone hands the G back to us with a P. */
static void stoplockedm(struct m *mp)
{
    if (mp->p)
        grt__handoffp(grt__releasep());
    incidlelocked(1);
    grt__lock(&grt__sched.lock);
    if (grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        grt__mexit(mp);
    }
    mp->blocked = true;
    grt__unlock(&grt__sched.lock);
    grt__note_sleep(&mp->park);
    grt__note_clear(&mp->park);
    if (rt_stopping())
        grt__mexit(mp);
    grt__acquirep(mp->nextp);
    mp->nextp = NULL;
}

/* gp is locked to another M: give it our P and wait for work ourselves. */
static void startlockedm(struct m *mp, struct g *gp)
{
    struct m *lm = gp->lockedm;
    if (lm == mp)
        grt__fatal("startlockedm: locked to me");
    struct p *pp = grt__releasep();
    grt__lock(&grt__sched.lock);
    if (grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        grt__mexit(mp);
    }
    lm->nextp = pp;
    grt__sched.nmidlelocked--;
    lm->blocked = false;
    grt__note_wakeup(&lm->park);
    grt__unlock(&grt__sched.lock);
    grt__stopm();
}

/* ------------------------------------------------------------------ */
/* schedule                                                            */
/* ------------------------------------------------------------------ */

_Noreturn void grt__schedule(void)
{
    struct m *mp = getg()->m;
    if (mp->locks)
        grt__fatal("schedule: holding locks");
top:
    if (rt_stopping())
        grt__mexit(mp);
    if (mp->lockedg) {
        stoplockedm(mp);
        execute(mp->lockedg, false);
    }
    bool inherit = false;
    struct g *gp = find_runnable(mp, &inherit);
    if (mp->spinning)
        resetspinning(mp);
    if (gp->lockedm) {
        /* Hands our P to the G's own thread; we come back with another. */
        struct p *pp = mp->p;
        (void)pp;
        startlockedm(mp, gp);
        goto top;
    }
    execute(gp, inherit);
}

/* ------------------------------------------------------------------ */
/* Parking and readying                                                */
/* ------------------------------------------------------------------ */

struct park_args {
    bool (*unlockf)(struct g *, void *);
    void *arg;
};

static void park_m(struct g *gp)
{
    struct m *mp = gp->m;
    gstatus_move(gp, G_RUNNING, G_WAITING);
    dropg(mp);
    bool (*unlockf)(struct g *, void *) = mp->park_unlockf;
    if (unlockf && !unlockf(gp, mp->park_arg)) {
        /* The condition went away: resume at once, keeping the slice. */
        gstatus_move(gp, G_WAITING, G_RUNNABLE);
        execute(gp, true);
    }
    grt__schedule();
}

void grt__gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, int reason)
{
    struct g *gp = getg();
    struct m *mp = gp->m;
    if (unlikely(mp->p == NULL))
        grt__fatal("a goroutine parks inside grt_syscall_enter/exit");
    mp->park_unlockf = unlockf;
    mp->park_arg = arg;
    gp->waitreason = (uint8_t)reason;
    gp->waitsince = grt__nanotime_coarse();
    if (unlikely(gp->affine))
        gp->affm = mp;
    grt__mcall(park_m);
    gp->waitreason = WAIT_NONE;
}

static bool unlock_after_park(struct g *gp, void *arg)
{
    (void)gp;
    grt__unlock(arg);
    return true;
}

void grt__goparkunlock(grt__mutex *l, int reason)
{
    grt__gopark(unlock_after_park, l, reason);
}

/* ------------------------------------------------------------------ */
/* Wake-up affinity (libgrt_hook)                                      */
/* ------------------------------------------------------------------ */

/* A goroutine parked in a libc call that libgrt_hook interposed should
 * resume on the thread it parked on: the library around the call may have
 * computed &errno before it (glibc declares __errno_location const, so
 * code built with -O2 keeps the address) and write errno through it
 * afterwards, which on another thread would set that thread's errno.  The
 * hook brackets its parks with grt__hook_park_begin/end (hook_attach.c);
 * in between,
 * grt__gopark records the M in gp->affm, and the paths that ready a
 * goroutine ask ready_on_affm first: if that M is idle (asleep in stopm)
 * and a P is idle, the M gets the P with gp in its runnext and is woken,
 * so gp resumes on its own thread.  If the M is busy (running another
 * goroutine, in a system call, spinning), gp takes the usual path and may
 * resume elsewhere: a hint, not a binding, so that a goroutine never waits
 * for a particular thread.  grt_stats counts both outcomes. */
static bool ready_on_affm(struct g *gp)
{
    struct m *am = gp->affm;
    if (ld_relaxed(&grt__sched.npidle) == 0)
        return false; /* no P to give it: the usual path */
    grt__lock(&grt__sched.lock);
    struct p *pp = NULL;
    if (grt__sched.state == RT_RUNNING && !ld_relaxed(&grt__sched.stopping) &&
        (pp = grt__pidleget()) != NULL && !grt__mget_this(am)) {
        grt__pidleput(pp);
        pp = NULL;
    }
    grt__unlock(&grt__sched.lock);
    if (pp == NULL)
        return false;
    /* pp and am are ours: nobody else can reach them until the wake-up.
     * An idle P's queue is empty, so the put cannot spill. */
    grt__runq_put(pp, gp, true);
    am->nextp = pp;
    grt__note_wakeup(&am->park); /* publishes nextp and the queue to am */
    return true;
}

/* The goroutines of a list readied together whose M is idle go to it;
 * the others are returned, and *n counts them. */
static struct g *ready_list_on_affm(struct g *head, int32_t *n)
{
    struct m *me = getg() ? getg()->m : NULL;
    struct g *keep = NULL, **tail = &keep;
    while (head) {
        struct g *gp = head;
        head = gp->schedlink;
        if (gp->affm != NULL && gp->affm != me && ready_on_affm(gp)) {
            (*n)--;
            continue;
        }
        *tail = gp;
        tail = &gp->schedlink;
    }
    *tail = NULL;
    return keep;
}

/* Make a waiting G runnable.  With a P: into runnext, so it runs as soon as
 * the readier blocks.  Without one (foreign threads, timers run by an M
 * that has just lost its P): the global queue. */
void grt__goready(struct g *gp)
{
    struct g *me = getg();
    struct m *mp = me ? me->m : NULL;
    struct p *pp = mp ? mp->p : NULL;
    if (unlikely(me == NULL))
        grt__foreign_note_slow(); /* a foreign thread readied it (API.md) */
    gstatus_move(gp, G_WAITING, G_RUNNABLE);
    if (grt__tracing())
        grt__trace_event(pp, GRT_TR_UNBLOCK, gp->goid, 0);
    if (unlikely(gp->affm != NULL) && gp->affm != mp && ready_on_affm(gp))
        return;
    if (pp && mp->ready_batch > 0) {
        /* FIFO, and no runnext churn: the first goroutine of a batch takes
         * an empty runnext, so that one woken by a timer does not wait
         * behind a ring of CPU-bound goroutines (each a whole slice); the
         * rest queue behind it in the order they were readied. */
        grt__runq_put(pp, gp, ld_relaxed(&pp->runnext) == NULL);
        mp->ready_pending = true;
        return;
    }
    if (pp) {
        grt__runq_put(pp, gp, true);
    } else {
        grt__lock(&grt__sched.lock);
        grt__globrunq_put(gp);
        grt__unlock(&grt__sched.lock);
    }
    fence_seqcst(); /* step 1 of the protocol: publish, then look */
    grt__wakep();
}

void grt__ready_batch_begin(void)
{
    struct g *me = getg();
    if (me && me->m)
        me->m->ready_batch++;
}

void grt__ready_batch_end(void)
{
    struct g *me = getg();
    if (me == NULL || me->m == NULL)
        return;
    struct m *mp = me->m;
    if (--mp->ready_batch == 0 && mp->ready_pending) {
        mp->ready_pending = false;
        fence_seqcst(); /* step 1 of the protocol, once for the batch */
        grt__wakep();
    }
}

/* ------------------------------------------------------------------ */
/* Yield and exit                                                      */
/* ------------------------------------------------------------------ */

/* Where a goroutine that gave up its P goes.  Go always puts it on the
 * global queue, which is what makes yielding fair: the yielder goes behind
 * every goroutine that was waiting anywhere.  While the global queue is
 * empty the local ring's tail is exactly as fair (the ring is FIFO and
 * thieves take from it) and keeps sched.lock off the common two-goroutine
 * yield; as soon as anything waits globally - including overflow from a
 * full ring - yielders queue behind it there, so no waiter is starved by
 * yielders cycling through the ring. */
static void requeue_yielded(struct p *pp, struct g *gp, bool force_global)
{
    if (!force_global && ld_relaxed(&grt__sched.runq_size) == 0) {
        grt__runq_put(pp, gp, false);
        return;
    }
    grt__lock(&grt__sched.lock);
    grt__globrunq_put(gp);
    grt__unlock(&grt__sched.lock);
}

static void gosched_m(struct g *gp)
{
    struct m *mp = gp->m;
    gstatus_move(gp, G_RUNNING, G_RUNNABLE);
    dropg(mp);
    requeue_yielded(mp->p, gp, false);
    grt__schedule();
}

/* An involuntary yield (sysmon's request honoured at a scheduling point, or
 * a signal that interrupted the goroutine): to the global queue, as Go's
 * gopreempt_m, so the hog goes behind everybody. */
void grt__gopreempt_m(struct g *gp)
{
    struct m *mp = gp->m;
    gstatus_move(gp, G_RUNNING, G_RUNNABLE);
    gp->waitreason = WAIT_PREEMPTED;
    dropg(mp);
    /* A slice ended: look at the timers in this scheduling round (a due
     * timer is often why sysmon asked), not in up to 16 rounds' time. */
    mp->p->timerpoll = 15;
    requeue_yielded(mp->p, gp, true);
    grt__schedule();
}

void grt__preempt_park(void)
{
    struct g *gp = getg();
    /* Holding runtime locks, or inside grt_syscall_enter/exit (no P to give
     * up; the exit honours the request): asked again at the next point. */
    if (gp->m->locks > 0 || gp->m->p == NULL)
        return;
    st_relaxed(&gp->preempt, false);
    inc_owner(&gp->m->p->npreempt); /* stats: cooperative ones count too */
    grt__mcall(grt__gopreempt_m);
}

void grt_yield(void)
{
    struct g *gp = grt__curg();
    if (gp == NULL || gp->m->p == NULL) {
        /* Not a goroutine, or one inside grt_syscall_enter/exit, which has
         * no P to give up: yield the thread. */
        grt__osyield();
        return;
    }
    grt__mcall(gosched_m);
}

static void main_exit(struct m *mp);

static void goexit0(struct g *gp)
{
    struct m *mp = gp->m;
    struct p *pp = mp->p;
    bool locked = gp->lockedm != NULL;
    gstatus_move(gp, G_RUNNING, G_DEAD);
    grt__race_g_end(gp);
    dropg(mp);
    gp->lockedm = NULL;
    mp->lockedg = NULL;
    gp->lockedext = 0;
    gp->fn = NULL;
    gp->arg = NULL;
    gp->param = 0;
    gp->syscall_depth = 0;
    gp->syncref = NULL;
    gp->sched.sp = NULL;
    gp->waitreason = WAIT_NONE;
    gp->affine = false;
    gp->affm = NULL;
    st_relaxed(&gp->preempt, false);
    free(gp->name);
    gp->name = NULL;
    grt__ctx_g_exit(gp);
    if (likely(!gp->hidden))
        inc_owner(&pp->nexited);
    if (gp->is_main) {
        gp->is_main = false;
        main_exit(mp);
    }
    grt__stack_unbind(pp, gp);
    if (gp->has_credit) {
        gp->has_credit = false;
        grt__stack_credit_give(pp);
    }
    grt__gfput(pp, gp);
    if (locked && !mp->is_m0) {
        /* A G that exits while locked takes its thread with it: the thread
         * may have been changed in ways we cannot undo. */
        mp->exiting = true;
        grt__mexit(mp);
    }
    grt__schedule();
}

void grt__goexit1(void)
{
    struct g *gp = getg();
    if (unlikely(gp->gls != NULL)) /* destructors run in the goroutine */
        grt__gls_exit(gp);
    mcall_impl(goexit0, true);
    __builtin_unreachable();
}

void grt_exit(void)
{
    if (grt__curg() == NULL)
        return;
    grt__goexit1();
}

/* The main goroutine returned: stop the runtime.  Every M notices at its
 * next scheduling point and leaves through mexit; sleeping ones are woken
 * here.  m0 returns from grt_run once all others are joined (api.c). */
static void main_exit(struct m *mp)
{
    (void)mp;
    grt__lock(&grt__sched.lock);
    st_release(&grt__sched.state, RT_EXITING);
    for (struct m *m1 = grt__allm; m1; m1 = m1->alllink) {
        if (m1->blocked) {
            m1->blocked = false;
            grt__note_wakeup(&m1->park);
        }
    }
    grt__midle_clear();
    grt__unlock(&grt__sched.lock);
    grt__netpoll_break();
    grt__sysmon_wake();
}

/* ------------------------------------------------------------------ */
/* Spawning                                                            */
/* ------------------------------------------------------------------ */

/* 0 means the default; anything smaller than the minimum is raised to it
 * (grt.h), so only an absurdly large request is refused. */
static size_t stack_size_of(const grt_attr *attr)
{
    size_t s = attr ? attr->stack_size : 0;
    return (s != 0 && s < GRT_STACK_MIN) ? GRT_STACK_MIN : s;
}

/* A free record becomes a runnable goroutine (both spawn paths).  It was
 * dead or idle: only dumps can see it until it is queued. */
static inline void g_init(struct g *gp, grt_fn fn, void *arg, const grt_attr *attr, bool custom,
                          uint64_t goid, struct g *creator)
{
    gp->has_credit = !custom;
    gp->fn = fn;
    gp->arg = arg;
    gp->name = (attr && attr->name) ? strdup(attr->name) : NULL;
    gp->goid = goid;
    gp->parent_goid = creator ? creator->goid : 0;
    gp->gen = grt__sched.gen;
    gp->syscall_depth = 0;
    gp->syncref = NULL;
    gp->hidden = false;
    gp->sched.sp = NULL;
    grt__ctx_inherit(gp, creator);
    st_release(&gp->status, G_RUNNABLE);
}

/* The first waking call of a foreign thread in this run (sched.lock: read
 * by checkdead under it, so an M that goes idle after this call sees it). */
void grt__foreign_note_slow(void)
{
    if (ld_relaxed(&grt__sched.foreign_seen)) /* relaxed: set once per run */
        return;
    grt__lock(&grt__sched.lock);
    if (grt__sched.state == RT_RUNNING)
        st_relaxed(&grt__sched.foreign_seen, true); /* relaxed: the lock orders it */
    grt__unlock(&grt__sched.lock);
}

/* grt_go from a thread with no P: a thread grt did not create (me NULL),
 * or a runtime thread between Ps (a goroutine inside grt_syscall_enter/exit,
 * or g0), which spawns as it would with a P, only through the global queue
 * and without turning deadlock detection off.  All under
 * sched.lock so that a concurrent shutdown either sees the G or refuses
 * it. */
static int newproc_nop(grt_fn fn, void *arg, const grt_attr *attr, struct g *me, bool quiet)
{
    size_t ssize = stack_size_of(attr);
    grt__lock(&grt__sched.lock);
    if (grt__sched.state != RT_RUNNING) {
        grt__unlock(&grt__sched.lock);
        return -ESRCH;
    }
    bool custom = ssize != 0 && ssize != grt__sched.stack_size;
    int rc = 0;
    struct g *gp = NULL;
    if (custom && ssize > GRT_STACK_MAX)
        rc = -EINVAL;
    else if (!custom && grt__stack_credit_take(NULL) != 0)
        rc = -ENOMEM;
    else if ((gp = grt__galloc()) == NULL) {
        if (!custom)
            grt__stack_credit_give(NULL);
        rc = -ENOMEM;
    } else if (custom && (rc = grt__stack_custom(gp, ssize)) != 0) {
        st_release(&gp->status, G_DEAD); /* an unused record; it stays in allgs */
    }
    if (rc != 0) {
        grt__unlock(&grt__sched.lock);
        return rc;
    }
    bool user = me != NULL && me->m != NULL && me != me->m->g0;
    g_init(gp, fn, arg, attr, custom, grt__goid_next(NULL), user ? me : NULL);
    grt__globrunq_put(gp);
    if (me == NULL && !quiet)
        st_relaxed(&grt__sched.foreign_seen, true); /* relaxed: under sched.lock */
    if (grt__tracing())
        grt__trace_event(NULL, GRT_TR_CREATE, gp->goid, 0);
    /* A quiet spawn is the runtime's own goroutine: grt_goroutines and
     * the spawned count do not see it (API.md: no hidden goroutines). */
    gp->hidden = quiet;
    if (!quiet)
        st_relaxed(&grt__sched.nforeign, grt__sched.nforeign + 1);
    grt__unlock(&grt__sched.lock);
    fence_seqcst();
    grt__wakep();
    return 0;
}


/* quiet: the runtime spawns for a foreign thread's own purposes (a dump),
 * which must not turn deadlock detection off. */
static int newproc(grt_fn fn, void *arg, const grt_attr *attr, struct g **out, bool quiet)
{
    if (fn == NULL)
        return -EINVAL;
    struct g *me = getg();
    struct p *pp = (me && me->m) ? me->m->p : NULL;
    if (pp == NULL)
        return newproc_nop(fn, arg, attr, me, quiet);
    if (unlikely(ld_relaxed(&grt__sched.state) != RT_RUNNING))
        return -ESRCH;

    size_t ssize = stack_size_of(attr);
    bool custom = ssize != 0 && ssize != grt__sched.stack_size;
    if (custom && ssize > GRT_STACK_MAX)
        return -EINVAL;
    if (!custom && grt__stack_credit_take(pp) != 0)
        return -ENOMEM;
    struct g *gp = grt__gfget(pp);
    if (gp == NULL && (gp = grt__galloc()) == NULL) {
        if (!custom)
            grt__stack_credit_give(pp);
        return -ENOMEM;
    }
    if (custom) {
        int rc = grt__stack_custom(gp, ssize);
        if (rc != 0) {
            st_release(&gp->status, G_DEAD);
            grt__gfput(pp, gp);
            return rc;
        }
    }
    g_init(gp, fn, arg, attr, custom, grt__goid_next(pp), me->m->curg);
    inc_owner(&pp->ncreated);
    if (grt__tracing())
        grt__trace_event(pp, GRT_TR_CREATE, gp->goid, 0);
    if (out)
        *out = gp;
    grt__runq_put(pp, gp, true);
    fence_seqcst(); /* step 1 of the protocol */
    if (likely(ld_relaxed(&grt__sched.main_started)))
        grt__wakep();
    return 0;
}

int grt__newproc(grt_fn fn, void *arg, const grt_attr *attr)
{
    return newproc(fn, arg, attr, NULL, false);
}

int grt__newproc_g(grt_fn fn, void *arg, const grt_attr *attr, struct g **out)
{
    return newproc(fn, arg, attr, out, false);
}

int grt__newproc_quiet(grt_fn fn, void *arg)
{
    return newproc(fn, arg, NULL, NULL, true);
}

int grt_go(grt_fn fn, void *arg)
{
    return grt__newproc(fn, arg, NULL);
}

int grt_go_attr(grt_fn fn, void *arg, const grt_attr *attr)
{
    return grt__newproc(fn, arg, attr);
}
