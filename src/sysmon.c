/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sysmon.c - the system monitor: a thread with no P that watches the Ps.
 *
 * It never runs goroutine code.  Each pass it:
 *   - requests preemption of a goroutine that has held its P for more than
 *     10 ms without a scheduling decision (same schedtick as 10 ms ago);
 *   - retakes Ps from threads blocked in a syscall (syscall.c) and hands
 *     them off, so a blocking call does not hold up runnable goroutines;
 *   - gives back warm stacks that nobody used for a while.
 *   - preempts a goroutine that holds up a due timer of its P (below);
 * It sleeps 20 us between passes while things happen, doubling up to 10 ms
 * after 50 quiet passes (but wakes for the timers of running Ps), and parks entirely while every P is idle (woken by
 * grt__sysmon_wake when work appears from outside: a syscall return, a
 * foreign spawn; timers bound the park).
 */
#include "runtime.h"
#include "deadline.h"
#include "debug.h"
#include "env.h"
#include "m.h"
#include "misc.h"
#include "netpoll.h"
#include "preempt.h"
#include "sched.h"
#include "stack.h"
#include "syscall.h"
#include "sysmon.h"
#include "timer.h"

#include <pthread.h>
#include <string.h>

#define FORCE_PREEMPT_NS (10 * 1000000LL)
/* Timers against CPU-bound goroutines.  A goroutine woken by a timer is
 * readied by the P that owns the timer, and only when that P schedules; a
 * P held by a goroutine that never calls into the runtime would make it
 * wait for a whole slice (or several).  So sysmon also preempts the
 * goroutine of a running P whose earliest timer has been due for
 * TIMER_LATE_NS and that has not given the P up since sysmon's previous
 * pass, and it times its passes to when such timers fall due.  While any
 * timer is pending and a P runs, it looks at least every TIMER_RECHECK_NS,
 * so that a timer armed just after a pass (a periodic sleeper re-arming)
 * is seen well before a slice ends. */
#define TIMER_LATE_NS    (500 * 1000LL)
#define TIMER_RECHECK_NS (1000 * 1000LL)
#define TIMER_OVERDUE_NS (5 * 1000000LL) /* all Ps idle and a timer this late: rescue it */
#define MIN_DELAY_NS     (20 * 1000LL)
#define MAX_DELAY_NS     (10 * 1000000LL)
#define TRIM_PERIOD_NS   (1000 * 1000000LL)

static pthread_t sysmon_thread;
static bool      sysmon_running;

/* Ask the goroutine running on pp to yield at its next scheduling point;
 * the signal-based path (preempt.c) interrupts one that has none. */
static void preempt_one(struct p *pp)
{
    struct m *mp = ld_relaxed(&pp->m);
    if (mp == NULL)
        return;
    struct g *gp = ld_acquire(&mp->curg);
    if (gp == NULL || gp == mp->g0)
        return;
    st_relaxed(&gp->preempt, true);
    grt__preempt_signal(mp, gp);
}

/* A request the goroutine did not answer (the signal found it somewhere
 * unsafe: libc, a handler of the program's, a register holding &errno,
 * see preempt.c) is repeated soon, not a slice later: after
 * PREEMPT_RETRY_NS, then at doubling gaps up to a slice, until the P
 * schedules.  Each refusal of a signal-based request used to cost a whole
 * slice (10 ms) or timer recheck (1 ms): a hog whose dead registers held
 * &errno was refused two requests in three, which made the latency row's
 * 1 ms sleeps 2.7 ms late at the median and 35 ms at worst. */
#define PREEMPT_RETRY_NS (50 * 1000LL)

static void preempt_ask(struct p *pp, int64_t now)
{
    preempt_one(pp);
    pp->sysmontick.schedwhen = now;
    int64_t gap = pp->sysmontick.retrywhen ? 2 * pp->sysmontick.retrygap : PREEMPT_RETRY_NS;
    if (gap > FORCE_PREEMPT_NS)
        gap = FORCE_PREEMPT_NS;
    pp->sysmontick.retrygap = gap;
    pp->sysmontick.retrywhen = grt__time_add(now, gap);
}

/* A running P: preempt its goroutine if it has held the P for a slice, if
 * a timer of the P is late behind it, or if an earlier request is due to
 * be repeated.  Lowers *wake to when sysmon should look at this P again. */
static void retake_running(struct p *pp, int64_t now, int64_t *wake)
{
    uint32_t t = ld_relaxed(&pp->schedtick);
    int64_t late = ld_relaxed(&pp->timer0_when); /* relaxed: a hint, as for the scheduler */
    if (late != 0)
        late = grt__time_add(late, TIMER_LATE_NS);
    if (pp->sysmontick.schedtick != t) {
        pp->sysmontick.schedtick = t;
        pp->sysmontick.schedwhen = now;
        pp->sysmontick.retrywhen = 0; /* it scheduled: the request was answered */
    } else if (pp->sysmontick.retrywhen != 0) {
        if (pp->sysmontick.retrywhen <= now)
            preempt_ask(pp, now);
        if (pp->sysmontick.retrywhen < *wake)
            *wake = pp->sysmontick.retrywhen;
        return;
    } else if (grt__time_add(pp->sysmontick.schedwhen, FORCE_PREEMPT_NS) <= now ||
               (late != 0 && late <= now)) {
        preempt_ask(pp, now);
        if (pp->sysmontick.retrywhen < *wake)
            *wake = pp->sysmontick.retrywhen;
        return;
    }
    if (late != 0 && late < *wake)
        *wake = late;
}

/* Returns how many Ps it acted on (a pass that did something is not idle);
 * *wake is lowered to the next time a running P needs a look. */
static int retake(int64_t now, int64_t *wake)
{
    int n = 0;
    bool running = false;
    int32_t np = ld_acquire(&grt__gomaxprocs);
    for (int32_t i = 0; i < np; i++) {
        struct p *pp = grt__allp[i];
        uint32_t s = ld_acquire(&pp->status);
        if (s == P_RUNNING) {
            retake_running(pp, now, wake);
            running = true;
        } else if (s == P_SYSCALL) {
            n += grt__syscall_retake(pp, now);
        }
    }
    /* A timer armed after this pass on a P that then runs a hog would go
     * unseen until the next slice check; while timers exist and Ps run,
     * look at least every TIMER_RECHECK_NS. */
    if (running && now + TIMER_RECHECK_NS < *wake && grt__timers_next() != 0)
        *wake = now + TIMER_RECHECK_NS;
    return n;
}

static void *sysmon_main(void *arg)
{
    (void)arg;
    int64_t delay = MIN_DELAY_NS;
    int idle = 0;
    int64_t last_trim = grt__nanotime();
    int64_t wake = INT64_MAX; /* when a running P's timer needs a look */
    uint32_t gen = grt__sched.gen;
    for (;;) {
        if (idle == 0)
            delay = MIN_DELAY_NS;
        else if (idle > 50)
            delay *= 2;
        if (delay > MAX_DELAY_NS)
            delay = MAX_DELAY_NS;
        int64_t nap = delay;
        if (wake != INT64_MAX) {
            int64_t until = wake - grt__nanotime();
            if (until < nap)
                nap = until < MIN_DELAY_NS ? MIN_DELAY_NS : until;
        }
        grt__note_tsleep(&grt__sched.sysmonnote, nap);
        if (ld_acquire(&grt__sched.state) != RT_RUNNING || gen != grt__sched.gen)
            break;
        int64_t now = grt__nanotime();
        if (ld_acquire(&grt__sched.npidle) == (uint32_t)ld_acquire(&grt__gomaxprocs) &&
            !ld_relaxed(&grt__sched.stopping) && grt__debug.schedtrace <= 0) {
            /* Every P idle and a timer well past due: nobody is going to
             * run it (a poller blocked without being told of it would
             * sleep on).  Start an M for it, as Go's sysmon does; it
             * steals the due timers of idle Ps. */
            int64_t due = grt__timers_next();
            if (due != 0 && grt__time_add(due, TIMER_OVERDUE_NS) < now) {
                grt__startm(NULL, false, false);
                idle = 0;
                continue;
            }
            /* Nothing runs: park until woken, or until the next timer. */
            grt__lock(&grt__sched.lock);
            if (grt__sched.npidle == (uint32_t)grt__gomaxprocs && grt__sched.state == RT_RUNNING) {
                st_release(&grt__sched.sysmonwait, 1);
                grt__unlock(&grt__sched.lock);
                int64_t next = grt__timers_next();
                int64_t sleep = next ? next - now : 60 * 1000000000LL;
                if (sleep > 0)
                    grt__note_tsleep(&grt__sched.sysmonnote, sleep);
                grt__lock(&grt__sched.lock);
                st_release(&grt__sched.sysmonwait, 0);
                grt__note_clear(&grt__sched.sysmonnote);
                grt__unlock(&grt__sched.lock);
                idle = 0;
                continue;
            }
            grt__unlock(&grt__sched.lock);
        }
        /* The network, if nobody has polled it for 10 ms. */
        int64_t lp = ld_acquire(&grt__sched.lastpoll);
        if (lp != 0 && grt__time_add(lp, 10 * 1000000) < now && grt__netpoll_waiters() > 0 &&
            cas_acqrel(&grt__sched.lastpoll, lp, now)) {
            int32_t n;
            struct g *list = grt__netpoll(0, &n);
            if (list) {
                grt__netpoll_inject(list, n);
                idle = 0;
            }
        }
        wake = INT64_MAX;
        if (retake(now, &wake) > 0)
            idle = 0;
        else
            idle++;
        if (now - last_trim > TRIM_PERIOD_NS) {
            grt__stack_trim(now);
            last_trim = now;
        }
        grt__schedtrace_tick(now);
    }
    return NULL;
}

void grt__sysmon_start(void)
{
    grt__note_clear(&grt__sched.sysmonnote);
    if (pthread_create(&sysmon_thread, NULL, sysmon_main, NULL) == 0)
        sysmon_running = true;
}

/* Wake a parked sysmon (or cut its sleep short at shutdown). */
void grt__sysmon_wake(void)
{
    grt__lock(&grt__sched.lock);
    if (ld_acquire(&grt__sched.sysmonwait) || grt__sched.state != RT_RUNNING) {
        st_release(&grt__sched.sysmonwait, 0);
        if (ld_relaxed(&grt__sched.sysmonnote.key) == 0)
            grt__note_wakeup(&grt__sched.sysmonnote);
    }
    grt__unlock(&grt__sched.lock);
}

void grt__sysmon_stop(void)
{
    if (!sysmon_running)
        return;
    grt__sysmon_wake();
    pthread_join(sysmon_thread, NULL);
    sysmon_running = false;
}
