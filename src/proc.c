/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proc.c - starting and stopping the runtime, and the small public calls
 * about goroutines and processors.
 *
 * grt_run is the C form of Go's rt0_go: osinit, schedinit (limits, the
 * stack pool, the calling thread becomes m0 with its g0, procresize), the
 * main goroutine via newproc, sysmon, then mstart on the calling thread.
 * mstart returns only when the main goroutine has ended and m0 has left
 * the scheduler; grt_run then joins every other runtime thread, frees
 * everything and resets the globals, so it can be called again.
 */
#include "runtime.h"
#include "env.h"
#include "fpenv.h"
#include "g.h"
#include "globrunq.h"
#include "m.h"
#include "misc.h"
#include "netpoll.h"
#include "offload.h"
#include "p.h"
#include "preempt.h"
#include "runq.h"
#include "sched.h"
#include "sema.h"
#include "ctx.h"
#include "signal.h"
#include "stack.h"
#include "sudog.h"
#include "syscall.h"
#include "sysmon.h"
#include "timer.h"
#include "trace.h"
#include "signotify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Serialises grt_run against itself (one runtime per process at a time). */
static grt__mutex run_lock;
static uint32_t   run_active;

static int config_procs(const grt_config *cfg)
{
    if (cfg && cfg->procs > 0)
        return cfg->procs;
    const char *e = getenv("GRT_MAXPROCS");
    if (e && *e) {
        long v = strtol(e, NULL, 10);
        if (v > 0)
            return (int)v;
    }
    return grt__ncpu;
}

static int schedinit(const grt_config *cfg, grt_fn main_fn, void *arg)
{
    grt__ncpu = grt__getncpu();
    grt__parse_env();
    int procs = config_procs(cfg);
    if (procs > GRT_MAX_PROCS)
        procs = GRT_MAX_PROCS;
    size_t ssize = (cfg && cfg->stack_size) ? cfg->stack_size : GRT_STACK_DEFAULT;
    if (ssize < GRT_STACK_MIN)
        ssize = GRT_STACK_MIN; /* below this a signal frame alone would not fit */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    ssize = (ssize + page - 1) & ~(page - 1);

    uint32_t gen = grt__sched.gen + 1;
    memset(&grt__sched, 0, sizeof grt__sched);
    grt__sched.gen = gen;
    grt__sched.maxmcount = GRT_MAX_M;
    grt__sched.stack_size = ssize;
    grt__sched.start_time = grt__nanotime();
    grt__sched.state = RT_RUNNING;
    grt__sched.worldsema = 1;
    grt__allm = NULL;
    grt__newprocs = 0;

    if (grt__stack_init(ssize) != 0)
        return -ENOMEM;
    int prc = grt__netpoll_start();
    if (prc != 0)
        return prc;
    grt__sched.lastpoll = grt__nanotime();
    grt__offload_start();

    struct m *m0 = grt__m_alloc();
    if (m0 == NULL)
        return -ENOMEM;
    m0->is_m0 = true;
    m0->id = grt__sched.mnext++;
    m0->thread = pthread_self();
    m0->started = true;
    grt__allm = m0;
    grt__m0 = m0;
    grt__g = m0->g0;

    grt__lock(&grt__sched.lock);
    grt__procresize(procs);
    grt__unlock(&grt__sched.lock);

    /* The main goroutine: newproc with m0 holding P 0.  runtime not yet
     * "started", so nothing is woken: m0 runs it first. */
    struct g *mg = NULL;
    int rc = grt__newproc_g(main_fn, arg, NULL, &mg);
    if (rc != 0)
        return rc;
    mg->is_main = true;
    grt__sched.main_g = mg;
    return 0;
}

/* After m0 has left the scheduler: wait for every other thread, then free
 * all that this run allocated. */
static void teardown(void)
{
    grt__sysmon_stop();
    grt__preempt_fini();
    grt__signal_notify_fini(); /* before signal.c puts back its SIGQUIT */
    grt__signal_fini();
    /* Threads blocked inside grt_syscall_enter/exit cannot be joined: they
     * leave as soon as their call returns.  The memory they may touch until
     * then (their M, G and stack) is kept: a leak bounded by their number,
     * taken over a crash. */
    int stragglers = grt__syscall_abandon_all();
    /* An offloaded call still running may be using its caller's stack:
     * keep the stacks, as for stragglers. */
    if (grt__offload_stop())
        stragglers++;
    for (;;) {
        /* allm only grows at the head; threads may still be starting Ms
         * (startm) until they see the state, so walk until quiet. */
        struct m *mp;
        bool again = false;
        grt__lock(&grt__sched.lock);
        for (mp = grt__allm; mp; mp = mp->alllink) {
            if (mp->blocked) {
                mp->blocked = false;
                grt__note_wakeup(&mp->park);
            }
        }
        grt__unlock(&grt__sched.lock);
        for (mp = grt__allm; mp; mp = mp->alllink) {
            if (mp->is_m0 || !ld_acquire(&mp->started) || mp->joined || mp->abandoned)
                continue;
            pthread_join(mp->thread, NULL);
            mp->joined = true;
            again = true;
        }
        if (!again)
            break;
    }
    grt__preempt_uninstall();
    for (struct m *mp = grt__allm; mp;) {
        struct m *next = mp->alllink;
        if (!mp->abandoned)
            grt__m_free(mp);
        mp = next;
    }
    grt__allm = NULL;
    grt__m0 = NULL;
    grt__trace_shutdown(); /* every thread joined: the P buffers are quiet */
    /* Unqueue the timers first: a goroutine abandoned in grt_sleep has its
     * cached timer in a P's heap, and gfree_all frees it with the G. */
    for (int32_t i = 0; i < grt__nallp; i++)
        grt__timers_forget(grt__allp[i]);
    grt__ctx_fini();
    /* Zero the sync objects abandoned goroutines were parked on, while
     * their stacks (which hold the records of those objects) are mapped. */
    grt__allg_syncref_reset();
    grt__gfree_all(stragglers > 0);
    grt__sudog_fini();
    grt__p_free_all();
    grt__stack_fini(stragglers > 0);
    grt__netpoll_stop();
    grt__sched.main_g = NULL;
    grt__globrunq_fini();
    grt__sched.pidle = NULL;
    grt__sched.npidle = 0;
    grt__sched.midle = NULL;
    grt__sched.nmidle = 0;
    grt__sched.nmspinning = 0;
}

int grt_run(const grt_config *cfg, grt_fn main_fn, void *arg)
{
    if (main_fn == NULL)
        return -EINVAL;
    if (cfg && (cfg->procs < 0 || cfg->stack_size > GRT_STACK_MAX))
        return -EINVAL;
    if (grt__g != NULL)
        return -EBUSY; /* inside a goroutine or a runtime thread */
    grt__lock(&run_lock);
    if (run_active) {
        grt__unlock(&run_lock);
        return -EBUSY;
    }
    run_active = 1;
    grt__unlock(&run_lock);
    grt__fpenv_capture();

    int rc = schedinit(cfg, main_fn, arg);
    if (rc != 0) {
        /* Nothing has started yet: undo what schedinit built. */
        st_release(&grt__sched.state, RT_STOPPED);
        grt__g = NULL;
        teardown();
        grt__lock(&run_lock);
        run_active = 0;
        grt__unlock(&run_lock);
        return rc;
    }
    grt__signal_init();
    grt__trace_env_start();
    grt__preempt_init();
    grt__sysmon_start();
    st_release(&grt__sched.main_started, true);
    grt__mstart_m0(grt__m0);

    /* m0 is back: the main goroutine has ended. */
    grt__lock(&grt__sched.lock);
    st_release(&grt__sched.state, RT_STOPPED);
    grt__unlock(&grt__sched.lock);
    teardown();
    grt__g = NULL;
    grt__lock(&run_lock);
    run_active = 0;
    grt__unlock(&run_lock);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Small public calls                                                  */
/* ------------------------------------------------------------------ */

uint64_t grt_id(void)
{
    struct g *gp = grt__curg();
    return gp ? gp->goid : 0;
}

int64_t grt_goroutines(void)
{
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return 0;
    return grt__gcount();
}

int grt_procs(int n)
{
    if (n < 0)
        return -EINVAL;
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    int prev = ld_acquire(&grt__gomaxprocs);
    if (n == 0)
        return prev;
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    if (n > GRT_MAX_PROCS)
        n = GRT_MAX_PROCS;
    /* One stop-the-world at a time: a second caller parks here (giving
     * up its P, so the first one's stop can complete). */
    grt__semacquire(&grt__sched.worldsema, false, WAIT_SEMACQUIRE);
    grt__stop_the_world();
    prev = grt__gomaxprocs;
    grt__newprocs = n;
    grt__start_the_world();
    grt__semrelease(&grt__sched.worldsema, false);
    return prev;
}

int grt_lock_thread(void)
{
    struct g *gp = grt__curg();
    if (gp == NULL)
        return -EPERM;
    if (gp->lockedext == UINT32_MAX)
        grt__fatal("grt_lock_thread: nesting overflow");
    gp->lockedext++;
    gp->m->lockedg = gp;
    gp->lockedm = gp->m;
    return 0;
}

int grt_unlock_thread(void)
{
    struct g *gp = grt__curg();
    if (gp == NULL || gp->lockedext == 0)
        return -EPERM;
    gp->lockedext--;
    if (gp->lockedext == 0) {
        gp->m->lockedg = NULL;
        gp->lockedm = NULL;
    }
    return 0;
}

/* The caller allocates these, so their sizes are part of the ABI (grt.h):
 * a new field takes the place of reserved space. */
_Static_assert(sizeof(grt_config) == 64, "grt_config's size is ABI");
_Static_assert(sizeof(grt_attr) == 64, "grt_attr's size is ABI");
_Static_assert(sizeof(grt_stats) == 32 * sizeof(int64_t), "grt_stats's size is ABI");

int grt_version(void)
{
    return GRT_VERSION;
}

int grt_stats_get(grt_stats *out)
{
    if (out == NULL)
        return -EINVAL;
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    memset(out, 0, sizeof *out);
    out->goroutines = grt__gcount();
    out->procs = ld_acquire(&grt__gomaxprocs);
    out->idle_procs = ld_relaxed(&grt__sched.npidle);
    out->spinning_threads = ld_relaxed(&grt__sched.nmspinning);
    out->global_runq = ld_relaxed(&grt__sched.runq_size);
    grt__lock(&grt__sched.lock);
    out->threads = grt__sched.mnext - grt__sched.nmfreed;
    out->idle_threads = grt__sched.nmidle + grt__sched.nmidlelocked;
    grt__unlock(&grt__sched.lock);
    int32_t np = ld_acquire(&grt__nallp);
    for (int32_t i = 0; i < np; i++) {
        struct p *pp = grt__allp[i];
        if (i < out->procs)
            out->local_runq += grt__runq_len(pp) + (ld_relaxed(&pp->runnext) != NULL);
        out->spawned += ld_relaxed(&pp->ncreated);
        out->switches += ld_relaxed(&pp->nswitch);
        out->steals += ld_relaxed(&pp->nsteal);
        out->preemptions += ld_relaxed(&pp->npreempt);
    }
    out->spawned += ld_relaxed(&grt__sched.nforeign);
    out->handoffs = ld_relaxed(&grt__sched.nhandoff);
    out->netpoll_ready = ld_relaxed(&grt__sched.nnetpoll_ready);
    grt__stack_stats(&out->stack_reserved, &out->stack_resident);
    grt__offload_stats(&out->offload_threads, &out->offload_queued, &out->offloads);
    out->hook_resumed_home = ld_relaxed(&grt__sched.naffine_home);
    out->hook_resumed_away = ld_relaxed(&grt__sched.naffine_away);
    return 0;
}
