/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * runtime.h - the runtime's objects: G, M, P and the global scheduler
 * state, who owns each field, and the globals that define them.  The
 * functions that act on them are declared in the header of their concept
 * (sched.h, runq.h, m.h, p.h, g.h, stack.h, timer.h, ...), each owned by
 * the file that implements it.
 *
 * Vocabulary, as in Go's runtime:
 *   G  a goroutine: a stack, a saved context (gobuf) and scheduling state.
 *   M  an OS thread.  Each M owns a g0 whose stack is the thread's own stack;
 *      all scheduling runs there, never on a goroutine's stack.
 *   P  a processor: the right to run goroutine code, and the per-CPU
 *      resources that go with it (local run queue, free lists, caches).
 *
 * Names: grt_ public, grt__ internal to the library, unprefixed helpers are
 * static to their file.  Functions are named object then verb (runq_put).
 * The design essay is at the top of sched.c.
 */
#ifndef GRT_RUNTIME_H
#define GRT_RUNTIME_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"
#include "arch.h"
#include "atomic.h"
#include "lock.h"

/* ------------------------------------------------------------------ */
/* Tunables                                                            */
/* ------------------------------------------------------------------ */

/* The local run queue ring.  The randomised test build (GRT_SMALL_RUNQ,
 * the equivalent of tokio's loom build and Go's randomizeScheduler) shrinks
 * it to 4 slots so overflow, stealing and the global queue are exercised by
 * every test instead of only under heavy load. */
#ifdef GRT_SMALL_RUNQ
#define GRT_RUNQ_SIZE 4u
#else
#define GRT_RUNQ_SIZE 256u
#endif

#define GRT_MAX_PROCS       1024  /* upper bound for procs */
#define GRT_MAX_M           10000 /* maxmcount: threads before a fatal error */
#define GRT_STACK_DEFAULT   (256u * 1024u)
#define GRT_STACK_MIN       (16u * 1024u)
#define GRT_STACK_MAX       ((size_t)1 << 30)
#define GRT_GFREE_LOCAL_MAX 64    /* dead Gs kept per P before half go global */
#define GRT_GFREE_BATCH     32    /* dead Gs taken from the global list at once */
#define GRT_STACKCACHE_MAX  32    /* warm stacks kept per P */
#define GRT_GOID_BATCH      16    /* goids a P takes from the global counter */
#define GRT_SUDOGCACHE_MAX  128   /* sudogs cached per P */

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

/* G statuses.  Each says who owns the goroutine's stack. */
enum {
    G_IDLE = 0,    /* just allocated, not yet initialised: nobody */
    G_RUNNABLE,    /* on a run queue (or in runnext): nobody; the stack is
                      not touched until an M executes it */
    G_RUNNING,     /* owned by the M in g->m, which holds a P */
    G_SYSCALL,     /* in grt_syscall_enter/exit: its M, which may have lost
                      its P; nobody else may touch the stack */
    G_WAITING,     /* parked (channel, lock, timer, fd): nobody; whoever
                      readies it (goready) hands it to a run queue */
    G_DEAD,        /* finished, on a free list: nobody; no stack bound */
    G_PREEMPTED,   /* stopped by asynchronous preemption: like RUNNABLE,
                      with its full register state saved on its stack */
};

/* Why a goroutine waits (shown in dumps and deadlock reports). */
enum {
    WAIT_NONE = 0,
    WAIT_CHAN_SEND,
    WAIT_CHAN_RECV,
    WAIT_SELECT,
    WAIT_SELECT_NO_CASES,
    WAIT_SLEEP,
    WAIT_MUTEX,
    WAIT_RWMUTEX_R,
    WAIT_RWMUTEX_W,
    WAIT_WAITGROUP,
    WAIT_COND,
    WAIT_SEMACQUIRE,
    WAIT_IO,
    WAIT_TIMER_CHAN,
    WAIT_PREEMPTED,
    WAIT_OFFLOAD,
    WAIT_NREASONS
};

/* The saved context of a goroutine that is not running.  The callee-saved
 * registers and the resume pc are pushed on the goroutine's own stack by
 * the switch (src/arch/<arch>/switch.S); sp is where they start. */
typedef struct grt__gobuf {
    void *sp;
} grt__gobuf;

struct grt__stack;
struct grt__gqseg;
struct grt__sudog;
struct grt__syncref;
struct grt__timer;
struct grt__tslot; /* timer.h */
struct m;
struct p;

/* Every switch touches the first line (context, links, stack bounds,
 * status), so records are line-aligned and that line holds only those. */
struct __attribute__((aligned(64))) g {
    grt__gobuf         sched;     /* saved context while not running */
    struct m          *m;         /* the M running it, or NULL */
    struct g          *schedlink; /* run queues and free lists */
    struct grt__stack *stack;     /* NULL until it first runs */
    uintptr_t          stack_lo;  /* usable [lo, hi), guard page below lo */
    uintptr_t          stack_hi;
    uint32_t           status;    /* G_*, changed with grt__gstatus_move */
    uint8_t            waitreason;
    bool               preempt;   /* cooperative preemption request */
    uint8_t            errno_defer; /* preempt.c: requests put off for a live &errno */
    bool               is_main;
    bool               hidden;     /* the runtime's own (a foreign dump): not counted */
    bool               has_credit; /* holds a stack credit (see stack.c) */
    bool               affine;     /* libgrt_hook: parks record affm (sched.c, "Wake-up affinity") */
    uint32_t           lockedext;  /* grt_lock_thread nesting */
    struct m          *lockedm;
    struct m          *affm;       /* the M it parked on while affine: preferred at wake-up */
    uint64_t           goid;
    uint64_t           parent_goid;
    grt_fn             fn;
    void              *arg;
    uintptr_t          param;       /* passed by the waker (chan.c, sema.c) */
    int64_t            waitsince;   /* when it parked (ns) */
    size_t             stack_size;  /* 0: the runtime default */
    char              *name;        /* grt_attr.name, malloc'd, or NULL */
    uint32_t           select_done; /* atomic: a select case has won */
    struct grt__sudog *waiting;     /* sudogs it waits on (select), lock order */
    /* The context it runs under (ctx.c), NULL for background, the only
     * one that never ends, so a NULL test is the whole cost of an
     * interruptible park outside contexts; on the line a park and a spawn
     * touch anyway.  ctx_ref: the one it holds a runtime reference on
     * (the one it was started under; grt_ctx_swap changes ctx only). */
    struct grt_ctx    *ctx;
    struct grt_ctx    *ctx_ref;
    struct grt__timer *timer;       /* cached sleep timer (timer.c) */
    uint32_t           syscall_depth; /* grt_syscall_enter nested inside the bracket */
    struct grt__syncref *syncref;   /* sync objects it waits on or is inside (sync.c) */
    uint32_t           gen;         /* runtime generation it belongs to */
    void              *race_fake_stack; /* ASan fake stack while switched out */
    void              *race_fiber;      /* TSan fiber (created at first run) */
    struct grt__gls   *gls;         /* grt_setspecific values, or NULL (gls.c) */
    /* Contexts (ctx.c), the rarely used part; ctx and ctx_ref above. */
    struct g          *ctx_next;    /* ctx->waiters, while parked interruptibly */
    struct g          *ctx_prev;
    bool               ctx_linked;  /* on ctx->waiters */
    int32_t            park_err;    /* set by a context that claimed the park */
    bool             (*intr_unlockf)(struct g *gp, void *arg); /* the site's commit */
    bool             (*intr_cancel)(struct g *gp, void *arg);  /* the site's withdrawal */
    void              *intr_arg;
};

/* ------------------------------------------------------------------ */
/* Machines                                                            */
/* ------------------------------------------------------------------ */

struct m {
    struct g   *g0;        /* scheduling stack (the thread's own) */
    struct g   *curg;      /* user goroutine running, or NULL */
    struct p   *p;         /* attached P, or NULL */
    struct p   *nextp;     /* P handed over by startm, taken on wake-up */
    struct p   *oldp;      /* P held before the syscall */
    int64_t     id;
    bool        spinning;  /* out of work and actively looking for it */
    bool        blocked;   /* parked on its note */
    bool        exiting;   /* a locked G exited here: the thread ends */
    bool        is_m0;
    int32_t     locks;     /* > 0: no preemption (runtime locks held) */
    grt__note   park;      /* idle Ms sleep here */
    struct m   *alllink;   /* allm */
    struct m   *schedlink; /* idle list */
    struct g   *lockedg;   /* G wired to this thread */
    uint64_t    fastrand;
    pthread_t   thread;
    void       *exit_sp;   /* context that returns out of mstart */
    void       *g0_top;    /* 16-byte aligned sp where mcall starts g0 */
    uintptr_t   g0_lo;     /* bounds of the thread stack (diagnostics, ASan) */
    uintptr_t   g0_hi;
    void       *race_fiber; /* TSan fiber of the thread itself */
    uint32_t    gen;
    int64_t     syscall_when; /* when the current syscall began */
    void      (*mcall_fn)(struct g *gp); /* sanitizer builds: fn of the mcall in flight */
    bool      (*park_unlockf)(struct g *gp, void *arg); /* gopark -> park_m */
    int32_t     ready_batch;   /* > 0: goready defers the wake-up (sched.c) */
    bool        ready_pending; /* a deferred wake-up is owed */
    void       *park_arg;
    bool        dead;      /* thread has exited (joined at shutdown) */
    bool        started;   /* atomic: pthread_create succeeded (teardown reads it
                            * while another M may still be creating this one) */
    bool        joined;
    bool        abandoned; /* left inside a syscall at shutdown */
    uint32_t    syscall_state; /* syscall.c: 0 none, 1 in a call, 2 abandoned */
    void       *sigstack;  /* this M's signal stack (signal.c) */
    stack_t     old_sigstack;
    int32_t     tid;       /* kernel thread id */
    int        *errno_loc; /* this thread's errno (switch.S saves and restores it) */
};

/* ------------------------------------------------------------------ */
/* Processors                                                          */
/* ------------------------------------------------------------------ */

enum {
    P_IDLE = 0,   /* on sched.pidle, no M */
    P_RUNNING,    /* owned by an M running user code or the scheduler */
    P_SYSCALL,    /* its M is in a syscall; may be retaken (CAS) */
    P_STOPPED,    /* stopped for stop-the-world */
    P_DEAD,       /* beyond procs */
};

struct p {
    int32_t   id;
    uint32_t  status;     /* P_*; CAS when leaving P_SYSCALL */
    struct p *link;       /* sched.pidle */
    struct m *m;          /* back-link to its M, NULL when idle */
    uint32_t  schedtick;  /* incremented on every scheduling decision */
    uint32_t  syscalltick;/* incremented on every syscall */
    struct {              /* what sysmon last saw (sysmon.c) */
        uint32_t schedtick;
        uint32_t syscalltick;
        int64_t  schedwhen;
        int64_t  syscallwhen;
        int64_t  retrywhen;   /* a request went unanswered: ask again then (0: none) */
        int64_t  retrygap;    /* and the gap after that, doubling */
    } sysmontick;

    uint64_t goidcache, goidcacheend;

    /* Local run queue.  runqhead is advanced by consumers (the owner and
     * thieves) with CAS; runqtail only by the owner.  Lock-free.  The
     * words other threads touch get cache lines of their own: a spinning
     * thief polls them constantly, and sharing a line with sysmon's
     * bookkeeping or the owner's free lists turned every owner update
     * into a cache miss (skynet at procs=2). */
    uint32_t  runqhead __attribute__((aligned(64)));
    uint32_t  runqtail;
    struct g *runq[GRT_RUNQ_SIZE];
    struct g *runnext __attribute__((aligned(64))); /* owner stores, thieves CAS; see runq.c */

    /* Dead Gs for reuse (owner only). */
    struct g *gfree __attribute__((aligned(64)));
    int32_t   ngfree;

    /* Warm stacks for reuse and the stack credits of this P (stack.c). */
    struct grt__stack *stackcache[GRT_STACKCACHE_MAX];
    int32_t            nstackcache;
    int32_t            stack_credits;

    /* sudog cache (chan.c, sema.c). */
    struct grt__sudog *sudogcache[GRT_SUDOGCACHE_MAX];
    int32_t            nsudogcache;

    /* Timers (timer.c): a 4-ary min-heap ordered by when. */
    grt__mutex          timers_lock;
    struct grt__tslot  *timers;      /* 4-ary heap (timer.c) */
    uint32_t            ntimers;
    uint32_t            timers_cap;
    int64_t             timer0_when; /* atomic: earliest when, 0 if none */
    uint32_t            timerpoll;   /* rounds since the timers were looked at */

    /* Counters, written by the owner only, read racily for stats. */
    int64_t ncreated, nexited; /* goroutines spawned / exited on this P */
    int64_t nswitch, nsteal, npreempt;

    struct grt__tracebuf *trace; /* execution trace buffer (trace.c), owner only */
};

/* ------------------------------------------------------------------ */
/* The global scheduler                                                */
/* ------------------------------------------------------------------ */

enum { RT_STOPPED = 0, RT_RUNNING, RT_EXITING };

struct grt__sched {
    grt__mutex lock;           /* guards everything below unless said */

    uint32_t  state;           /* RT_*; atomic reads */
    uint32_t  gen;             /* run generation (stragglers check it) */

    struct m *midle;           /* idle Ms waiting for work */
    int32_t   nmidle;
    int32_t   nmidlelocked;    /* locked Ms waiting for their G */
    int64_t   mnext;           /* Ms created so far: next M id */
    int32_t   maxmcount;
    int32_t   nmfreed;         /* Ms that exited */
    int32_t   nmsys;           /* Ms that do not count for deadlock (sysmon) */

    struct p *pidle;           /* idle Ps */
    uint32_t  npidle;          /* atomic */
    uint32_t  nmspinning;      /* atomic */

    struct grt__gqseg *runq_head; /* global run queue (globrunq.c) */
    struct grt__gqseg *runq_tail;
    int32_t   runq_size;       /* written under lock; read racily */

    grt__mutex gfree_lock;     /* global dead Gs */
    struct g  *gfree;
    int32_t    ngfree;

    uint32_t  stopping;        /* atomic: a stop-the-world is in progress */
    int32_t   stopwait;        /* Ps still to stop */
    grt__note stopnote;

    uint32_t  sysmonwait;      /* atomic: sysmon parked */
    grt__note sysmonnote;

    int64_t   lastpoll;        /* atomic; 0 while an M blocks in netpoll */
    int64_t   poll_until;      /* atomic: the netpoll sleeper wakes by then; 0 none */

    uint64_t  goidgen;         /* atomic */
    struct g *main_g;
    bool      foreign_seen;    /* a foreign thread called a waking call: no checkdead */
    bool      main_started;    /* atomic: m0 entered the scheduler; wakep allowed */
    int64_t   nforeign;        /* atomic: goroutines spawned from foreign threads */
    uint32_t  worldsema;       /* semaphore (count 1): one stop-the-world at a time */
    int64_t   nexited_dead_p;  /* counters folded from destroyed Ps */
    int64_t   ncreated_dead_p;
    int64_t   nhandoff;        /* syscall handoffs (atomic) */
    int64_t   naffine_home, naffine_away; /* atomic: affine parks resumed on their M / another */
    int64_t   nnetpoll_ready;  /* atomic */
    int64_t   nswitch_dead_p, nsteal_dead_p, npreempt_dead_p;
    size_t    stack_size;      /* default stack size for this run */
    int64_t   start_time;
};

extern struct grt__sched grt__sched;
extern struct p   **grt__allp;     /* [0, grt__nallp) allocated, [0, gomaxprocs) live */
extern int32_t      grt__nallp;
extern int32_t      grt__gomaxprocs;
extern struct m    *grt__allm;     /* guarded by sched.lock */
extern struct m    *grt__m0;
extern int32_t      grt__ncpu;

/* The current G of this thread: the goroutine running, or the M's g0 while
 * scheduling, or NULL on a thread grt did not create.  Initial-exec TLS:
 * the slot sits at the same offset from every thread's thread pointer. */
extern __thread struct g *grt__g __attribute__((tls_model("initial-exec")));
/* Where the architecture's compiler may keep a thread-local address across
 * a call (aarch64), arch.h gives the slot afresh at every use: the
 * goroutine may be on another thread after the call (see there). */
#ifdef GRT_ARCH_G_SLOT
static inline struct g *getg(void) { return *grt__arch_g_slot(); }
#else
static inline struct g *getg(void) { return grt__g; }
#endif
static inline bool on_g0(struct g *gp) { return gp && gp->m && gp == gp->m->g0; }
/* The user goroutine running on this thread, or NULL on g0 and on threads
 * grt did not create: where NULL, calls that would park return -EPERM. */
static inline struct g *grt__curg(void)
{
    struct g *gp = getg();
    return (gp && gp->m && gp != gp->m->g0) ? gp : NULL;
}

#endif
