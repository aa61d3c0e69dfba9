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
 * It sleeps 20 us between passes while things happen, doubling up to 10 ms
 * after 50 quiet passes, and parks entirely while every P is idle (woken by
 * grt__sysmon_wake when work appears from outside: a syscall return, a
 * foreign spawn; timers bound the park).
 */
#include "runtime.h"
#include "deadline.h"
#include "debug.h"
#include "env.h"
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

/* Returns how many Ps it acted on (a pass that did something is not idle). */
static int retake(int64_t now)
{
    int n = 0;
    int32_t np = ld_acquire(&grt__gomaxprocs);
    for (int32_t i = 0; i < np; i++) {
        struct p *pp = grt__allp[i];
        uint32_t s = ld_acquire(&pp->status);
        if (s == P_RUNNING) {
            uint32_t t = ld_relaxed(&pp->schedtick);
            if (pp->sysmontick.schedtick != t) {
                pp->sysmontick.schedtick = t;
                pp->sysmontick.schedwhen = now;
            } else if (grt__time_add(pp->sysmontick.schedwhen, FORCE_PREEMPT_NS) <= now) {
                preempt_one(pp);
                pp->sysmontick.schedwhen = now; /* ask again in 10 ms */
            }
        } else if (s == P_SYSCALL) {
            n += grt__syscall_retake(pp, now);
        }
    }
    return n;
}

static void *sysmon_main(void *arg)
{
    (void)arg;
    int64_t delay = 20 * 1000;
    int idle = 0;
    int64_t last_trim = grt__nanotime();
    uint32_t gen = grt__sched.gen;
    for (;;) {
        if (idle == 0)
            delay = 20 * 1000;
        else if (idle > 50)
            delay *= 2;
        if (delay > 10 * 1000000)
            delay = 10 * 1000000;
        grt__note_tsleep(&grt__sched.sysmonnote, delay);
        if (ld_acquire(&grt__sched.state) != RT_RUNNING || gen != grt__sched.gen)
            break;
        int64_t now = grt__nanotime();
        if (ld_acquire(&grt__sched.npidle) == (uint32_t)ld_acquire(&grt__gomaxprocs) &&
            !ld_relaxed(&grt__sched.stopping) && grt__debug.schedtrace <= 0) {
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
        if (retake(now) > 0)
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
