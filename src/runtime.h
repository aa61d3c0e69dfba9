/*
 * runtime.h - the runtime's objects (G, M, P, sched) and its internal API.
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
/* Runtime locks and notes (lock_futex.c)                              */
/* ------------------------------------------------------------------ */

/* A runtime lock: a futex word, 0 unlocked, 1 locked, 2 locked with
 * sleepers.  Held only for short critical sections on the scheduler's own
 * data; holding one marks the M as unpreemptible (m->locks). */
typedef struct grt__mutex {
    uint32_t key;
} grt__mutex;

/* A one-shot wake-up for a single sleeper: noteclear, then exactly one
 * notewakeup and one notesleep in either order. */
typedef struct grt__note {
    uint32_t key;
} grt__note;

void grt__lock(grt__mutex *l);
void grt__unlock(grt__mutex *l);
void grt__note_clear(grt__note *n);
void grt__note_wakeup(grt__note *n);
void grt__note_sleep(grt__note *n);
/* Sleep at most ns nanoseconds (ns < 0: forever); true if woken. */
bool grt__note_tsleep(grt__note *n, int64_t ns);

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
extern const char *const grt__wait_reason_names[WAIT_NREASONS];

/* The saved context of a goroutine that is not running.  The callee-saved
 * registers and the resume pc are pushed on the goroutine's own stack by
 * the switch (src/arch/<arch>/switch.S); sp is where they start. */
typedef struct grt__gobuf {
    void *sp;
} grt__gobuf;

struct grt__stack;
struct grt__gqseg;
struct grt__sudog;
struct grt__timer;
/* A heap slot carries its timer's deadline, so sifting compares slots
 * without touching the timers themselves (one cache miss each). */
struct grt__tslot {
    int64_t            when;
    struct grt__timer *t;
};
struct m;
struct p;

/* Every switch touches the first line (context, links, stack bounds,
 * status), so records are line-aligned and that line holds only those. */
typedef struct __attribute__((aligned(64))) g {
    grt__gobuf         sched;     /* saved context while not running */
    struct m          *m;         /* the M running it, or NULL */
    struct g          *schedlink; /* run queues and free lists */
    struct grt__stack *stack;     /* NULL until it first runs */
    uintptr_t          stack_lo;  /* usable [lo, hi), guard page below lo */
    uintptr_t          stack_hi;
    uint32_t           status;    /* G_*, changed with casgstatus */
    uint8_t            waitreason;
    bool               preempt;   /* cooperative preemption request */
    bool               is_main;
    bool               has_credit; /* holds a stack credit (see stack.c) */
    uint32_t           lockedext;  /* grt_lock_thread nesting */
    uint32_t           lockedint;  /* runtime-internal locking */
    struct m          *lockedm;
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
    struct grt__timer *timer;       /* cached sleep timer (timer.c) */
    uint32_t           gen;         /* runtime generation it belongs to */
    void              *race_fake_stack; /* ASan fake stack while switched out */
    void              *race_fiber;      /* TSan fiber (created at first run) */
    struct g          *alllink;     /* allgs list (every G ever allocated) */
} g_t;

/* ------------------------------------------------------------------ */
/* Machines                                                            */
/* ------------------------------------------------------------------ */

typedef struct m {
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
    bool        started;   /* pthread_create succeeded */
    bool        joined;
    bool        abandoned; /* left inside a syscall at shutdown */
    uint32_t    syscall_state; /* syscall.c: 0 none, 1 in a call, 2 abandoned */
    void       *sigstack;  /* this M's signal stack (signal.c) */
    stack_t     old_sigstack;
    int32_t     tid;       /* kernel thread id */
} m_t;

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

typedef struct p {
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
} p_t;

/* ------------------------------------------------------------------ */
/* The global scheduler                                                */
/* ------------------------------------------------------------------ */

enum { RT_STOPPED = 0, RT_RUNNING, RT_EXITING };

typedef struct grt__sched {
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

    uint32_t  gcwaiting;       /* atomic: stop-the-world in progress */
    int32_t   stopwait;        /* Ps still to stop */
    grt__note stopnote;

    uint32_t  sysmonwait;      /* atomic: sysmon parked */
    grt__note sysmonnote;

    int64_t   lastpoll;        /* atomic; 0 while an M blocks in netpoll */
    int64_t   poll_until;      /* atomic: the netpoll sleeper wakes by then; 0 none */

    uint64_t  goidgen;         /* atomic */
    struct g *main_g;
    bool      foreign_spawn;   /* a foreign thread spawned: no checkdead */
    bool      main_started;    /* atomic: m0 entered the scheduler; wakep allowed */
    int64_t   nforeign;        /* atomic: goroutines spawned from foreign threads */
    uint32_t  worldsema;       /* semaphore (count 1): one stop-the-world at a time */
    int64_t   nexited_dead_p;  /* counters folded from destroyed Ps */
    int64_t   ncreated_dead_p;
    int64_t   nhandoff;        /* syscall handoffs (atomic) */
    int64_t   nnetpoll_ready;  /* atomic */
    int64_t   nswitch_dead_p, nsteal_dead_p, npreempt_dead_p;
    size_t    stack_size;      /* default stack size for this run */
    int64_t   start_time;
} grt__sched_t;

extern grt__sched_t grt__sched;
extern struct p   **grt__allp;     /* [0, grt__nallp) allocated, [0, gomaxprocs) live */
extern int32_t      grt__nallp;
extern int32_t      grt__gomaxprocs;
extern struct m    *grt__allm;     /* guarded by sched.lock */
extern struct m    *grt__m0;
extern int32_t      grt__ncpu;
extern grt__mutex   grt__allg_lock;
extern struct g    *grt__allg;     /* every G ever allocated, via alllink */

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

/* A cooperative preemption point (DESIGN.md section 7): sysmon asked gp
 * to give up its P (it ran for 10 ms); honour it here, at an entry into
 * the runtime where gp holds no runtime lock. */
void grt__preempt_park(void);
static inline void grt__preempt_point(struct g *gp)
{
    if (__builtin_expect(__atomic_load_n(&gp->preempt, __ATOMIC_RELAXED), 0))
        grt__preempt_park();
}

/* ------------------------------------------------------------------ */
/* Internal API                                                        */
/* ------------------------------------------------------------------ */

/* sched.c */
_Noreturn void grt__schedule(void);
void grt__gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, int reason);
void grt__goparkunlock(grt__mutex *l, int reason);
void grt__goready(struct g *gp);     /* from any thread, with or without a P */
void grt__wakep(void);
void grt__casgstatus(struct g *gp, uint32_t old, uint32_t new);
void grt__mcall(void (*fn)(struct g *gp));
void grt__systemstack(void (*fn)(void *arg), void *arg);
_Noreturn void grt__goexit1(void);
_Noreturn void grt__fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void grt__mexit(struct m *mp);
const char *grt__status_name(uint32_t s);
uint32_t grt__steal_stride(uint32_t r);  /* p.c: a stride coprime with procs */
void grt__midle_clear(void);             /* m.c: sched.lock held */
void grt__sysmon_start(void);
int  grt__syscall_retake(struct p *pp, int64_t now);
int  grt__syscall_abandon_all(void);
_Noreturn void grt__execute_from_syscall(struct g *gp);
_Noreturn void grt__ctx_jump_exit(struct m *mp);
void grt__preempt_signal(struct m *mp, struct g *gp);
void grt__preempt_init(void);
void grt__preempt_fini(void);
void grt__preempt_uninstall(void);
void grt__gopreempt_m(struct g *gp);
void grt__schedtrace_tick(int64_t now);
void grt__sysmon_wake(void);
void grt__sysmon_stop(void);             /* shutdown: join sysmon */
void grt__allg_each(void (*fn)(struct g *gp, void *arg), void *arg);
void grt__dump_goroutines(int fd);       /* debug.c */
void grt__signal_m_init(struct m *mp);   /* signal.c: per-M signal stack */
void grt__signal_m_fini(struct m *mp);
void grt__signal_init(void);             /* signal.c: SIGSEGV/SIGBUS/SIGQUIT */
void grt__signal_fini(void);
/* The dump for signal handlers: gp (may be NULL) was interrupted at pc
 * with frame pointer fp; its frames are walked from there. */
void grt__dump_goroutines_interrupted(int fd, struct g *gp, uintptr_t pc, uintptr_t fp);
void grt__allg_each_nolock(void (*fn)(struct g *gp, void *arg), void *arg);
/* sudog.c */
void grt__sudogcache_flush(struct p *pp);
void grt__sudog_fini(void);
/* netpoll.c / netpoll_epoll.c (the scheduler's view; see netpoll.h) */
int64_t   grt__netpoll_waiters(void);
bool      grt__netpoll_inited(void);
int       grt__netpoll_start(void);
void      grt__netpoll_stop(void);
void      grt__netpoll_break(void);
struct g *grt__netpoll(int64_t delay, int32_t *n);
void      grt__netpoll_inject(struct g *head, int32_t n);
void grt__checkdead(void);           /* sched.lock held */
void grt__throw_if(bool cond, const char *what);
int  grt__newproc(grt_fn fn, void *arg, const grt_attr *attr);
/* Readying many goroutines at once (timers, netpoll): between begin and
 * end, goready queues without waking another M per goroutine; end wakes
 * one if any was readied.  On an M (g0 or a goroutine). */
void grt__ready_batch_begin(void);
void grt__ready_batch_end(void);
/* newproc that also hands back the new G (schedinit marks the main one). */
int  grt__newproc_g(grt_fn fn, void *arg, const grt_attr *attr, struct g **out);

/* runq.c: local ring and global queue */
bool      grt__runq_put(struct p *pp, struct g *gp, bool next);
struct g *grt__runq_get(struct p *pp, bool *inherit);
bool      grt__runq_empty(struct p *pp);
uint32_t  grt__runq_len(struct p *pp);
struct g *grt__runq_steal(struct p *pp, struct p *victim, bool stealnext);
void      grt__runq_drain_to_global(struct p *pp); /* sched.lock held */
void      grt__runq_put_batch(struct p *pp, struct g *const *gs, uint32_t n);
void      grt__globrunq_put(struct g *gp);         /* sched.lock held */
void      grt__globrunq_putbatch(struct g *const *gs, int32_t n); /* locked */
struct g *grt__globrunq_get(struct p *pp, int32_t max); /* sched.lock held */
void      grt__globrunq_fini(void);                 /* grt_run's end */

/* m.c: threads */
void     grt__startm(struct p *pp, bool spinning, bool locked_wakeup);
void     grt__stopm(void);
void     grt__handoffp(struct p *pp);
void     grt__mput(struct m *mp);       /* sched.lock held */
struct m *grt__mget(void);              /* sched.lock held */
int      grt__newm(struct p *pp, bool spinning); /* 0 or -errno */
struct m *grt__m_alloc(void);
void     grt__m_free(struct m *mp);
void     grt__mstart_m0(struct m *mp);  /* runs the scheduler on the calling thread */

/* p.c: processors, procresize, stop-the-world */
void      grt__pidleput(struct p *pp);  /* sched.lock held */
struct p *grt__pidleget(void);          /* sched.lock held */
struct p *grt__procresize(int32_t nprocs); /* sched.lock held, world stopped */
void      grt__acquirep(struct p *pp);
struct p *grt__releasep(void);
void      grt__stop_the_world(void);
void      grt__start_the_world(void);
void      grt__p_destroy(struct p *pp);
void      grt__p_free_all(void);
extern int32_t grt__newprocs;

/* g.c: G allocation, free lists, goids, allgs */
struct g *grt__gfget(struct p *pp);
void      grt__gfput(struct p *pp, struct g *gp);
struct g *grt__galloc(void);
uint64_t  grt__goid_next(struct p *pp);
void      grt__gfree_all(bool keep);    /* shutdown: free every G (keep: leak for stragglers) */
int64_t   grt__gcount(void);

/* stack.c */
int   grt__stack_init(size_t default_size);
void  grt__stack_fini(bool keep);
int   grt__stack_credit_take(struct p *pp);   /* before a default-size G is queued */
void  grt__stack_credit_give(struct p *pp);
int   grt__stack_custom(struct g *gp, size_t size); /* non-default size: eager */
void  grt__stack_bind(struct p *pp, struct g *gp);  /* at first run */
void  grt__stack_unbind(struct p *pp, struct g *gp);/* at exit */
void  grt__stackcache_flush(struct p *pp);           /* P destroyed */
void  grt__stack_trim(int64_t now);                  /* sysmon */
void  grt__stack_stats(int64_t *reserved, int64_t *resident);
bool  grt__stack_is_guard(uintptr_t addr);

/* timer.c: runtime timers.  A timer lives in the heap of one P (the P of
 * the M that added it).  f runs on the scheduler (a g0 stack, with the P's
 * timers lock NOT held), must not block or park, and may call goready.  seq
 * is copied from the timer when it was added so a stale firing can be
 * recognised by its owner. */
typedef struct grt__timer {
    int64_t   when;     /* absolute grt__nanotime() deadline */
    int64_t   period;   /* > 0: re-armed at when + period after firing */
    void    (*f)(void *arg, uintptr_t seq, int64_t now);
    void     *arg;
    uintptr_t seq;
    /* owned by timer.c */
    struct p *pp;       /* heap it is in, NULL when not queued */
    int32_t   idx;
    uint32_t  state;
} grt__timer;
/* Queue t (when, f, arg, seq set by the caller).  Callable from a goroutine
 * or the scheduler; from a thread with no P it goes to P 0's heap. */
void grt__timer_add(grt__timer *t);
/* Remove t; true if it was queued and had not started firing. */
bool grt__timer_del(grt__timer *t);
/* Move t to a new when (re-queued if it had fired); true if it was queued. */
bool grt__timer_mod(grt__timer *t, int64_t when);
int64_t grt__timers_run(struct p *pp, int64_t now); /* due timers; next when or 0 */
void    grt__timers_move(struct p *from, struct p *to); /* procresize */
void    grt__timers_forget(struct p *pp);               /* teardown */
int64_t grt__timers_next(void);                     /* earliest when of all Ps, 0 if none */
void    grt__timer_sleeper_kick(int64_t when);      /* sched.c: a timer at when was added */

/* trace.c: the execution trace.  Every hook is behind grt__tracing(): a
 * relaxed load and a branch predicted not taken while tracing is off. */
extern uint32_t grt__trace_on;
#define grt__tracing() unlikely(ld_relaxed(&grt__trace_on))
enum { GRT_TR_CREATE, GRT_TR_UNBLOCK, GRT_TR_SYSCALL_ENTER, GRT_TR_SYSCALL_EXIT, GRT_TR_STEAL };
void grt__trace_go_start(struct p *pp, struct g *gp); /* execute */
void grt__trace_go_end(struct p *pp, struct g *gp);   /* dropg: status says why */
void grt__trace_event(struct p *pp, int what, uint64_t g, uint32_t arg); /* pp NULL: no P */
void grt__trace_syscall_exit(struct g *gp);
void grt__trace_env_start(void);  /* grt_run: GRT_TRACE */
void grt__trace_shutdown(void);   /* grt_run end: flush */

/* misc.c */
int64_t  grt__nanotime(void);
int64_t  grt__nanotime_coarse(void);
uint32_t grt__fastrand(void);
static inline uint32_t grt__fastrandn(uint32_t n) {
    return (uint32_t)(((uint64_t)grt__fastrand() * n) >> 32);
}
int32_t grt__getncpu(void);
void    grt__osyield(void);

/* env.c: GRT_DEBUG and friends */
typedef struct grt__debug {
    int32_t schedtrace;      /* ms, 0 off */
    int32_t scheddetail;
    int32_t asyncpreemptoff;
    int32_t preemptstress;   /* us; testing: preempt every running G this often */
    int32_t offloadidle;     /* ms; testing: offload threads retire after this (offload.c) */
} grt__debug_t;
extern grt__debug_t grt__debug;
void grt__parse_env(void);

/* race.c: sanitizer fiber annotations (no-ops in normal builds) */
#include "race.h"

#endif
