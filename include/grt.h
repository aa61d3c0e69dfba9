/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * grt.h - goroutines for C: Go's G/M/P scheduler as a C library.
 *
 * This is the whole public interface of libgrt.  Everything here follows
 * the conventions below; the contract is documented next to each call.
 *
 *   - Errors are values.  A call that can fail returns a negative errno
 *     (-EINVAL, -ETIMEDOUT, ...) and a non-negative value on success.  No
 *     call needs errno afterwards.  Constructors that return a pointer
 *     return NULL and set errno (they never park).
 *   - errno's value is part of the goroutine: a goroutine resumes after a
 *     park or a preemption with the errno it had, on whichever thread, and
 *     starts with 0.  Its address belongs to the thread (README, hazards).
 *   - Asynchronous preemption changes nothing a goroutine can observe:
 *     every register, the FP environment (x87 stack and control word,
 *     MXCSR; FPCR, FPSR) and errno.  A goroutine that starts or resumes
 *     after a park finds the FP environment the thread had when grt_run
 *     started (x87 stack empty), whatever ran before it there.  A signal
 *     handler of the program is never preempted.
 *   - Times are int64_t nanoseconds on grt_now()'s monotonic clock.  A
 *     deadline is an absolute time; GRT_FOREVER means none; a deadline not
 *     after grt_now() means "do not block".
 *   - A "blocking" call parks the calling goroutine, never its thread.
 *     Called from a thread that is not running a goroutine, a call that would
 *     park returns -EPERM (its non-blocking forms still work).
 *   - Misuse C cannot report as a value (all goroutines deadlocked, a stack
 *     overflow) ends the process with "grt: fatal error: ..." on stderr and
 *     exit status 2, as Go does.
 *   - Structs the caller allocates (grt_config, grt_attr, grt_stats) end
 *     in reserved space, so that later versions can add fields without
 *     changing their size: a program built against an older grt.h keeps
 *     working with a newer library.  The rule for callers: initialise the
 *     struct as a whole (= {0}, or a designated or positional initialiser,
 *     whose missing members are zero, or memset to 0), never field by field
 *     on uninitialised memory, and never touch reserved_.  The rule for
 *     grt: a new field takes the place of reserved space (the size stays;
 *     the library checks it), and its 0 means the old behaviour.
 *
 * Availability: everything declared here is implemented on Linux x86-64
 * and aarch64, asynchronous preemption included.
 */
#ifndef GRT_H
#define GRT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the library's interface; everything else in libgrt is hidden. */
#if defined(__GNUC__)
#define GRT_EXTERN __attribute__((visibility("default")))
#else
#define GRT_EXTERN
#endif

/* GRT_VERSION_MAJOR/MINOR/PATCH and GRT_VERSION (major * 10000 +
 * minor * 100 + patch), generated from the build's project version. */
#include "grt_version.h"

/* The GRT_VERSION of the library actually linked: a program can compare it
 * with the GRT_VERSION it was compiled with to detect a header/library
 * mismatch.  Callable from any thread, at any time. */
GRT_EXTERN int grt_version(void);

/* ------------------------------------------------------------------ */
/* Runtime                                                             */
/* ------------------------------------------------------------------ */

typedef void (*grt_fn)(void *arg);

typedef struct grt_config {
    int    procs;      /* number of Ps (GOMAXPROCS); 0: $GRT_MAXPROCS, else
                          the CPUs in this process's affinity mask */
    size_t stack_size; /* default goroutine stack in bytes; 0: 256 KiB;
                          rounded up to whole pages, at least 16 KiB */
    uint64_t reserved_[6]; /* room for later fields: zero (see the top) */
} grt_config;

/*
 * Start the runtime, run main_fn(arg) as the main goroutine, and return 0
 * when it returns (or calls grt_exit).  Every other goroutine is then
 * abandoned where it stands, all runtime threads are joined and all memory
 * is released; grt_run may be called again afterwards.
 *
 * Returns -EINVAL for a NULL main_fn or a bad config (procs < 0, or a
 * stack_size that is absurd), -EBUSY if the runtime is already running
 * (including a call from inside a goroutine), -ENOMEM/-EAGAIN when memory or
 * threads cannot be had.
 *
 * Environment: GRT_MAXPROCS=N; GRT_DEBUG=schedtrace=MS,scheddetail=1,
 * asyncpreemptoff=1 (comma separated); GRT_TRACE=path.json.
 */
GRT_EXTERN int grt_run(const grt_config *cfg, grt_fn main_fn, void *arg);

/* ------------------------------------------------------------------ */
/* Goroutines                                                          */
/* ------------------------------------------------------------------ */

typedef struct grt_attr {
    size_t      stack_size; /* 0: the runtime's default; else rounded up to
                               whole pages, at least 16 KiB; over 1 GiB: -EINVAL */
    const char *name;       /* shown in dumps and traces; copied; may be NULL */
    uint64_t    reserved_[6]; /* room for later fields: zero (see the top) */
} grt_attr;

/*
 * go fn(arg).  Returns 0, -EINVAL (fn NULL, or a grt_attr stack_size over
 * 1 GiB), -ENOMEM/-EAGAIN (no memory or address space for its stack; the
 * program keeps running), or -ESRCH when the runtime is not running
 * (checked before the attributes).  Callable from any thread while the
 * runtime runs, including threads grt did not create, and from a goroutine
 * inside grt_syscall_enter/exit (it spawns as from the goroutine).
 *
 * Deadlock detection ("all goroutines are asleep") is off for the rest of a
 * run once a thread grt did not create has called anything that can make a
 * goroutine runnable: grt_go, grt_chan_trysend/tryrecv/close, grt_select,
 * grt_timer_*, the mutex and rwmutex unlocks (and grt_mutex_trylock),
 * grt_cond_signal/broadcast, grt_waitgroup_add/done.  That thread may do
 * it again at any time, as a cgo callback may in Go.
 */
GRT_EXTERN int grt_go(grt_fn fn, void *arg);
GRT_EXTERN int grt_go_attr(grt_fn fn, void *arg, const grt_attr *attr);

/* runtime.Gosched: let other goroutines run; the caller stays runnable.
 * Outside a goroutine it yields the thread (sched_yield). */
GRT_EXTERN void grt_yield(void);

/* runtime.Goexit: end the calling goroutine; never returns.  In the main
 * goroutine it ends the program's grt_run as if main_fn had returned.
 * Outside a goroutine it does nothing and returns. */
GRT_EXTERN void grt_exit(void);

/* The goid of the caller (main is 1); 0 outside goroutines. */
GRT_EXTERN uint64_t grt_id(void);

/* GOMAXPROCS.  n > 0 sets the number of Ps (stopping the world briefly),
 * n == 0 queries.  Returns the previous value, -EINVAL for n < 0, -ESRCH
 * when the runtime is not running, -EPERM when n > 0 outside a goroutine. */
GRT_EXTERN int grt_procs(int n);

/* Live goroutines of the program (the runtime has none of its own). */
GRT_EXTERN int64_t grt_goroutines(void);

/* runtime.LockOSThread / UnlockOSThread: wire the calling goroutine to its
 * thread (nests, like Go's external count).  A goroutine that exits while
 * locked ends that thread (except the thread that called grt_run).
 * Both return -EPERM outside a goroutine; unlock returns -EPERM when the
 * caller holds no lock. */
GRT_EXTERN int grt_lock_thread(void);
GRT_EXTERN int grt_unlock_thread(void);

/* Bracket a call that may block the thread (file I/O, DNS, a foreign lock):
 * the P is released to other goroutines while the call runs.  Brackets
 * nest (an enter inside one only counts; the outermost exit ends it).
 * Nothing may park between enter and exit: a call that would park there
 * is a fatal error, as is an exit with no matching enter; grt_yield there
 * yields the thread, grt_go spawns normally, unlocks never park.  Both are
 * no-ops outside a goroutine. */
GRT_EXTERN void grt_syscall_enter(void);
GRT_EXTERN void grt_syscall_exit(void);

/* ------------------------------------------------------------------ */
/* Time                                                               */
/* ------------------------------------------------------------------ */

#define GRT_FOREVER ((int64_t)-1)

GRT_EXTERN int64_t grt_now(void); /* CLOCK_MONOTONIC in ns (available now) */

/* time.Sleep.  ns <= 0 returns at once after a yield.  On a non-goroutine
 * thread it sleeps the thread.  Returns 0.
 *
 * Times saturate here and in every call below that adds a duration to the
 * clock: a time past INT64_MAX is never, not a wrap into the past
 * (grt_sleep(INT64_MAX) sleeps for ever, a ticker whose period is
 * INT64_MAX ticks once). */
GRT_EXTERN int grt_sleep(int64_t ns);

typedef struct grt_timer grt_timer;
struct grt_chan;
/* new/func: NULL and errno EINVAL (period < 0, fn NULL), ESRCH (runtime not
 * running) or ENOMEM.  stop/reset: -EINVAL for NULL or a freed timer; reset
 * -ESRCH when the runtime is not running.  A timer that outlives its run
 * can still be stopped (0), reset in the next run, and freed.  free(NULL)
 * does nothing; free takes turns with stop and reset on other threads, and
 * one of those that comes after it returns -EINVAL (a freed record is kept
 * for a later timer, never unmapped); freeing twice is harmless until a new
 * timer reuses the record. */
GRT_EXTERN grt_timer       *grt_timer_new(int64_t delay, int64_t period);  /* NewTimer / NewTicker */
GRT_EXTERN grt_timer       *grt_timer_func(int64_t delay, grt_fn fn, void *arg); /* AfterFunc */
GRT_EXTERN struct grt_chan *grt_timer_chan(grt_timer *t); /* cap 1, element int64_t fire time; NULL once freed */
GRT_EXTERN int              grt_timer_stop(grt_timer *t); /* 1 if this stopped it before it fired */
GRT_EXTERN int              grt_timer_reset(grt_timer *t, int64_t delay); /* 1 if it was active */
GRT_EXTERN void             grt_timer_free(grt_timer *t); /* stops it; its channel is released */

/* ------------------------------------------------------------------ */
/* Channels and select                                                 */
/* ------------------------------------------------------------------ */

typedef struct grt_chan grt_chan;

/* A channel of elements of elem_size bytes (0: signals only) with a buffer
 * of cap elements (0: unbuffered).  Returns 1 reference; NULL and errno
 * (EINVAL, ENOMEM) on failure. */
GRT_EXTERN grt_chan *grt_chan_make(size_t elem_size, size_t cap);
GRT_EXTERN grt_chan *grt_chan_retain(grt_chan *c);
GRT_EXTERN void      grt_chan_release(grt_chan *c); /* freed when the last reference goes */

/* 0; -EPIPE if closed; blocks until received or buffered. */
GRT_EXTERN int grt_chan_send(grt_chan *c, const void *elem);
/* 0; -EPIPE once closed and drained (elem zero-filled).  elem may be NULL. */
GRT_EXTERN int grt_chan_recv(grt_chan *c, void *elem);
/* Never block: -EAGAIN where the blocking form would park. */
GRT_EXTERN int grt_chan_trysend(grt_chan *c, const void *elem);
GRT_EXTERN int grt_chan_tryrecv(grt_chan *c, void *elem);
/* 0; -EPIPE if already closed.  Wakes every blocked sender and receiver. */
GRT_EXTERN int    grt_chan_close(grt_chan *c);
GRT_EXTERN size_t grt_chan_len(const grt_chan *c);
GRT_EXTERN size_t grt_chan_cap(const grt_chan *c);

enum { GRT_SEND = 1, GRT_RECV = 2 };

typedef struct grt_case {
    grt_chan *chan; /* NULL: never ready (Go's nil channel) */
    int       op;   /* GRT_SEND or GRT_RECV */
    void     *elem; /* value to send, or where to store the received one (NULL: discard) */
    int       err;  /* out: 0, or -EPIPE (recv: closed and drained; send: closed) */
} grt_case;

/* Go's select.  Returns the index of the case that proceeded (uniformly
 * random among ready ones), -ETIMEDOUT when the deadline passes first
 * (deadline 0 is Go's default:), -EINVAL for bad arguments.
 * grt_select(NULL, 0, GRT_FOREVER) blocks forever (select {}). */
GRT_EXTERN int grt_select(grt_case *cases, size_t n, int64_t deadline);

/* ------------------------------------------------------------------ */
/* Synchronisation: zero-filled memory is a valid initial state.       */
/* The fields are private; the layout is public so they can be         */
/* embedded and statically initialised.                                */
/*                                                                     */
/* NULL is -EINVAL everywhere.  Calls that may park return -EPERM       */
/* outside a goroutine (always, not only when they would wait); the    */
/* others work from any thread.  When grt_run returns, every object a   */
/* goroutine was parked on (or running a grt_once_do fn in) is reset   */
/* to zero, so it works in the next run as if fresh; a lock held with  */
/* nobody waiting for it stays held.  A WaitGroup reused (Add) before  */
/* a previous Wait returned is a fatal error, as Go's panic.           */
/* ------------------------------------------------------------------ */

typedef struct grt_mutex {
    int32_t  state_; /* locked, woken, starving bits + waiter count */
    uint32_t sema_;  /* semaphore the waiters park on */
} grt_mutex;
#define GRT_MUTEX_INIT {0, 0}

typedef struct grt_rwmutex {
    grt_mutex w_;            /* held by writers */
    uint32_t  writer_sem_;   /* a writer waits here for departing readers */
    uint32_t  reader_sem_;   /* readers wait here for the writer */
    int32_t   reader_count_; /* pending readers (negative while a writer waits) */
    int32_t   reader_wait_;  /* departing readers the writer still waits for */
} grt_rwmutex;
#define GRT_RWMUTEX_INIT {GRT_MUTEX_INIT, 0, 0, 0, 0}

typedef struct grt_waitgroup {
    uint64_t state_; /* high 32 bits: counter; low 32 bits: waiters */
    uint32_t sema_;
    uint32_t pad_;
} grt_waitgroup;
#define GRT_WAITGROUP_INIT {0, 0, 0}

typedef struct grt_once {
    uint32_t  done_;
    uint32_t  pad_;
    grt_mutex m_;
} grt_once;
#define GRT_ONCE_INIT {0, 0, GRT_MUTEX_INIT}

typedef struct grt_cond {
    uint32_t wait_;   /* ticket of the next waiter */
    uint32_t notify_; /* ticket of the next waiter to be notified */
    uint32_t lock_;   /* runtime lock guarding the list */
    uint32_t pad_;
    void    *head_;   /* waiting goroutines in ticket order */
    void    *tail_;
} grt_cond;
#define GRT_COND_INIT {0, 0, 0, 0, NULL, NULL}

GRT_EXTERN int grt_mutex_lock(grt_mutex *m);
GRT_EXTERN int grt_mutex_trylock(grt_mutex *m);   /* 0, or -EBUSY */
GRT_EXTERN int grt_mutex_unlock(grt_mutex *m);    /* -EPERM if not locked */
GRT_EXTERN int grt_rwmutex_rlock(grt_rwmutex *rw);
GRT_EXTERN int grt_rwmutex_runlock(grt_rwmutex *rw); /* -EPERM if not read-locked */
GRT_EXTERN int grt_rwmutex_lock(grt_rwmutex *rw);
GRT_EXTERN int grt_rwmutex_unlock(grt_rwmutex *rw);  /* -EPERM if not write-locked */
GRT_EXTERN int grt_waitgroup_add(grt_waitgroup *wg, int64_t delta); /* -EINVAL if it would go negative */
GRT_EXTERN int grt_waitgroup_done(grt_waitgroup *wg);
GRT_EXTERN int grt_waitgroup_wait(grt_waitgroup *wg);
GRT_EXTERN int grt_once_do(grt_once *o, grt_fn fn, void *arg);
GRT_EXTERN int grt_cond_wait(grt_cond *c, grt_mutex *m);
GRT_EXTERN int grt_cond_signal(grt_cond *c);
GRT_EXTERN int grt_cond_broadcast(grt_cond *c);

/* ------------------------------------------------------------------ */
/* Network and file descriptors                                       */
/* ------------------------------------------------------------------ */

/*
 * Sockets and other pollable descriptors, used from goroutines: a call that
 * would block parks the goroutine and the poller (epoll) readies it; the
 * thread goes on running others.  Any descriptor may be passed (one grt did
 * not create is registered on first use); regular files, which cannot be
 * polled, go through grt_syscall_enter/exit.  EINTR is retried inside.
 *
 * A descriptor used with these calls must be closed with grt_close, not
 * close(2): the poller keeps state per descriptor, and a number the kernel
 * hands out again must not inherit it.
 *
 * grt_listen/grt_dial: network "tcp", "tcp4", "tcp6" (address "host:port",
 * "[v6]:port") or "unix" (a path; a leading '@' for the abstract namespace).
 * An unknown network or a malformed address is -EINVAL; listen returns a
 * listening descriptor (backlog SOMAXCONN), dial a connected one.
 * Deadlines are absolute (grt_now() clock); expiry is -ETIMEDOUT.  Host
 * names (not literals) are resolved with getaddrinfo in the offload pool
 * (grt_offload), and grt_dial's deadline covers the lookup: at the
 * deadline it returns -ETIMEDOUT even while the lookup still runs (it
 * finishes in the pool and is discarded).
 *
 * Addresses, as Go's: the port is decimal 0-65535 and nothing else (":http",
 * ":+80", ": 80", ":99999", an empty port: -EINVAL); a missing port,
 * unbalanced brackets, a bare IPv6 address ("::1:80") and "[::1]" with no
 * port are -EINVAL.  grt_listen with an empty or unspecified host (":0",
 * "0.0.0.0:0", "[::]:0") on "tcp" listens on every address, IPv6 and IPv4
 * (one dual-stack socket; IPv4 only on a machine without IPv6); "tcp4" and
 * "tcp6" keep to their family.  grt_dial needs a host: an empty one is
 * -EINVAL.  A unix path takes at most 107 bytes, an abstract name ("@" and
 * the rest) at most 108, the whole of sun_path; longer is -EINVAL.  The
 * socket file of a unix listener made by grt_listen is removed by grt_close
 * in the same run (unless the path now names another file), as Go's Close
 * does.
 *
 * Descriptors: a number that is not open (negative, beyond the process's
 * RLIMIT_NOFILE, closed) is -EBADF at once for every call.  grt_close
 * closes exactly once: of two grt_close of one descriptor at the same time
 * one returns 0 and the other -EBADF, and the kernel's close(2) runs once
 * (a file that gets the number afterwards is not touched).  An fd passed in
 * that grt switched to non-blocking (stdin, stdout, a pipe) gets its file
 * status flags back when grt_run returns.
 *
 * Outside goroutines: on a thread that is not running a goroutine, a call
 * that would park returns -EPERM; one that can proceed does (a read with
 * data, a write with room, grt_wait_fd on a ready fd or with a deadline
 * already passed, grt_set_deadline, grt_close).  With no runtime running
 * (before or after grt_run) nothing is registered or changed: grt_read,
 * grt_write, grt_accept, grt_connect, grt_dial and grt_set_deadline return
 * -EPERM for an open descriptor (-EBADF for one that is not open);
 * grt_wait_fd answers ready events or, with a deadline already passed,
 * -ETIMEDOUT, and otherwise -EPERM; grt_listen works; grt_close is close(2)
 * (0 or -EBADF).
 *
 * Datagrams: network "udp", "udp4", "udp6" (addresses as for tcp) or
 * "unixgram" (as for unix).  grt_listen returns a socket bound to the
 * address (Go's ListenPacket), for grt_recvfrom/grt_sendto; grt_dial a
 * socket connected to it, where grt_read/grt_write (and recvfrom/sendto
 * with no address) work; a dialled unixgram socket is bound to an
 * autobound abstract address of its own so that replies can come back.
 * On a datagram socket every read returns one datagram, truncated to n as
 * recv(2) truncates (never several merged; an empty datagram reads as 0),
 * and every write sends n bytes as one datagram.
 */
enum { GRT_READ = 1, GRT_WRITE = 2 };

GRT_EXTERN int     grt_listen(const char *network, const char *address); /* "tcp","tcp4","tcp6","unix","udp",... */
GRT_EXTERN int     grt_dial(const char *network, const char *address, int64_t deadline);
GRT_EXTERN int     grt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
GRT_EXTERN int     grt_connect(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t deadline);
GRT_EXTERN ssize_t grt_read(int fd, void *buf, size_t n);        /* >0, 0 at EOF, or -errno */
GRT_EXTERN ssize_t grt_write(int fd, const void *buf, size_t n); /* all n bytes unless error/deadline */
GRT_EXTERN int     grt_wait_fd(int fd, int events, int64_t deadline); /* returns the ready events */
GRT_EXTERN int     grt_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline);
GRT_EXTERN int     grt_close(int fd); /* blocked goroutines get -ECANCELED; -EBADF if not open */

/*
 * One datagram in, one out (recvfrom(2)/sendto(2) that park the goroutine
 * instead of the thread).  grt_recvfrom returns the datagram's length
 * (truncated to n; 0 for an empty one) and, when from is not NULL, the
 * sender's address in from/fromlen as recvfrom does.  grt_sendto sends the
 * n bytes as one datagram to `to` (NULL and 0: the connected peer) and
 * returns n.  Both honour the descriptor's deadlines (grt_set_deadline:
 * read for recvfrom, write for sendto) with -ETIMEDOUT, and return
 * -ECANCELED when grt_close closes the descriptor under them.  Errors:
 * -EINVAL for a NULL buffer with n > 0, from without fromlen, or exactly
 * one of to/tolen zero; -EBADF for a descriptor that is not open; else the
 * kernel's -errno (-EMSGSIZE, -ECONNREFUSED from an earlier datagram of a
 * connected socket, -ENOTSOCK, -EDESTADDRREQ, ...).
 */
GRT_EXTERN ssize_t grt_recvfrom(int fd, void *buf, size_t n, struct sockaddr *from, socklen_t *fromlen);
GRT_EXTERN ssize_t grt_sendto(int fd, const void *buf, size_t n, const struct sockaddr *to, socklen_t tolen);

/* ------------------------------------------------------------------ */
/* Signals (os/signal)                                                 */
/* ------------------------------------------------------------------ */

/*
 * signal.Notify: from now on, each arrival of signo is sent on c, whose
 * elements are ints (the signal number), without blocking: when c is full
 * the signal is dropped for c, as in Go, so give c a buffer.  A channel may
 * be registered for several signals (one call each) and a signal for
 * several channels; registering again is a no-op.  The runtime holds a
 * reference to c while it is registered.  Callable from any thread while
 * the runtime runs.
 *
 * Returns 0; -EINVAL for a NULL channel, one whose element size is not
 * sizeof(int), a number out of range or reserved by the C library (32,
 * 33), and for the signals the runtime or the kernel owns: SIGKILL,
 * SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGURG (preemption); -ESRCH
 * when the runtime is not running; -ENOMEM.
 *
 * The signal's handler is installed while any registration wants it.  When
 * none does any more (grt_signal_stop of its last channel), and
 * for every signal when grt_run returns, the action the program had before
 * is put back exactly (sigaction); registrations end with grt_run.  The
 * handler only records the signal and wakes the poller; the sends happen
 * on the scheduler, never in the handler, and no goroutine is added to
 * grt_goroutines().  While any signal is registered, goroutines that all
 * wait are not a deadlock: a signal may still come.
 */
GRT_EXTERN int grt_signal_notify(grt_chan *c, int signo);

/* signal.Stop: c receives no more signals once this returns (a send in
 * progress finishes first); its reference is dropped.  0, also for a
 * channel that was not registered; -EINVAL for NULL. */
GRT_EXTERN int grt_signal_stop(grt_chan *c);

/* ------------------------------------------------------------------ */
/* Goroutine-local storage (pthread keys for goroutines)               */
/* ------------------------------------------------------------------ */

typedef unsigned grt_key;

#define GRT_KEYS_MAX 128                  /* keys that can exist at once */
#define GRT_KEYS_DESTRUCTOR_ITERATIONS 4  /* as PTHREAD_DESTRUCTOR_ITERATIONS */

/*
 * pthread_key_create for goroutines.  Each goroutine sees its own value of
 * a key (NULL until it sets one) on whichever thread it runs; get and set
 * cost O(1).  Keys are process-wide and may be created and deleted at any
 * time, with or without the runtime running; they outlive grt_run.
 *
 * When a goroutine exits (its function returns, or grt_exit, also from
 * the main goroutine), the destructor of each key for which it holds a
 * non-NULL value is called in that goroutine with the value, after the
 * value is set to NULL; if destructors set values again this repeats, at
 * most GRT_KEYS_DESTRUCTOR_ITERATIONS rounds, as pthread does.  Goroutines
 * still alive when grt_run returns are abandoned: no destructor runs for
 * them (no program code runs after main_fn returns), but the runtime's
 * storage for their values is freed.
 *
 * grt_key_create: 0, -EINVAL (key NULL), -EAGAIN (GRT_KEYS_MAX keys exist).
 * grt_key_delete: 0, or -EINVAL for a key that does not exist (never
 * created, or deleted already).  As with pthread, no destructor is called
 * for the values still set; a key created later never sees them.
 * grt_getspecific: the caller's value; NULL when unset, for a bad key, or
 * outside a goroutine.
 * grt_setspecific: 0, -EPERM outside a goroutine, -EINVAL for a bad key,
 * -ENOMEM (the first value of a goroutine allocates its table).
 */
GRT_EXTERN int   grt_key_create(grt_key *key, void (*destructor)(void *value));
GRT_EXTERN int   grt_key_delete(grt_key key);
GRT_EXTERN void *grt_getspecific(grt_key key);
GRT_EXTERN int   grt_setspecific(grt_key key, const void *value);

/* ------------------------------------------------------------------ */
/* Observation                                                         */
/* ------------------------------------------------------------------ */

typedef struct grt_stats {
    int64_t goroutines, threads, idle_threads, spinning_threads, procs, idle_procs;
    int64_t global_runq, local_runq;                                         /* now */
    int64_t spawned, switches, steals, preemptions, handoffs, netpoll_ready; /* since start */
    int64_t stack_reserved, stack_resident;                                  /* bytes */
    int64_t offload_threads, offload_queued;  /* grt_offload's pool now: threads, calls waiting for one */
    int64_t offloads;                         /* calls offloaded since start */
    int64_t hook_resumed_home;  /* libgrt_hook: parked calls resumed on the thread they parked on */
    int64_t hook_resumed_away;  /*   ... and on another thread (that one was busy) */
    int64_t reserved_[11]; /* room for later counters; written as 0 (see the top) */
} grt_stats;

GRT_EXTERN int grt_stats_get(grt_stats *out); /* -EINVAL for NULL, -ESRCH when not running */

/*
 * Write every goroutine to fd: id, name, status, wait reason and for how
 * long, creator, and for goroutines that are not running a stack trace
 * from their saved context (frame pointers, symbols from the dynamic and
 * the static symbol tables), as well as the caller's own.  Called from a
 * goroutine, it stops the world while it reads the goroutines (as Go's
 * runtime.Stack(buf, true) does) and writes to fd after the world runs
 * again, so fd may be a pipe that another goroutine reads.  Returns 0,
 * -EBADF for fd < 0, -ESRCH when the runtime is not running, or the
 * negative errno of a failed write (-EBADF for a closed fd).  From a
 * thread grt did not create, a goroutine takes the dump for it with the
 * world stopped while the thread waits (-ESRCH if the runtime stops
 * first); that goroutine shows in the dump as its caller.  SIGQUIT
 * prints the same to stderr and exits with status 2, unless the program
 * has a SIGQUIT handler of its own.  Frames of code built without frame
 * pointers end a trace early.
 */
GRT_EXTERN int grt_dump(int fd);

/*
 * Execution trace in Chrome trace-event JSON (open it in ui.perfetto.dev or
 * chrome://tracing): a track per P with a slice per goroutine run, instant
 * events for create, block (with the reason), unblock, syscall enter/exit,
 * steal and preempt, counters for run-queue lengths.  GRT_TRACE=path traces
 * a whole grt_run.  start/stop must be called from a goroutine (-EPERM
 * otherwise); they stop the world briefly.  start: 0, -EINVAL (NULL or
 * empty path), -EBUSY (a trace is on), -ESRCH (runtime not running), or
 * -errno from creating the file.  stop: 0 once the file is complete,
 * -EINVAL (no trace on), -ESRCH, -EIO if a write failed.  A trace still on
 * when grt_run returns is completed then.
 */
GRT_EXTERN int grt_trace_start(const char *path);
GRT_EXTERN int grt_trace_stop(void);

/* ------------------------------------------------------------------ */
/* Contexts: cancellation and deadlines for a tree of goroutines       */
/* ------------------------------------------------------------------ */

#define GRT_MICROSECOND ((int64_t)1000)
#define GRT_MILLISECOND ((int64_t)1000000)
#define GRT_SECOND      ((int64_t)1000000000)

/*
 * Go's context, one step further: a goroutine *runs under* a context, and
 * grt_go starts the new goroutine under its creator's.  Once that context
 * ends (cancelled, its deadline passed, or an ancestor ended), every call
 * of the goroutine that parks or would park returns the context's error
 * (-ECANCELED, or -ETIMEDOUT for a deadline) at once, and a call already
 * parked is woken with it: channel send and receive, grt_select, grt_sleep,
 * grt_waitgroup_wait, grt_cond_wait (which returns with the mutex locked
 * again), grt_sem_acquire, grt_read/grt_write/grt_accept/grt_connect/
 * grt_wait_fd, grt_dial.  A call that can complete without parking (a value
 * ready, room in a buffer, data to read) completes as usual, and a value
 * handed over by a channel is never lost: a goroutine woken by its channel
 * and its context at once takes exactly one of the two outcomes.  Mutex and
 * rwmutex locks, grt_once_do and grt_group_wait are not interrupted.
 *
 * The first way a context ends stays.  Cancel propagates to descendants,
 * never to the parent.  A child's deadline is the earlier of its own and
 * its parent's.  A NULL parent means the caller's context
 * (grt_ctx_current(): background outside goroutines).
 *
 * References: grt_ctx_with_* returns one reference, the program's;
 * grt_ctx_retain adds one, grt_ctx_release drops one, and dropping the
 * last one cancels the context (Go's defer cancel()).  The runtime keeps
 * the memory while goroutines started under it (and child contexts) live,
 * so a goroutine may keep reading its context after the creator released
 * it; those references never delay the cancel.  grt_ctx_swap takes and
 * gives no reference: keep the context you swap in alive while the
 * goroutine runs under it.  The background context is static: retain and
 * release do nothing, cancel does nothing and returns 0, done is NULL.
 *
 * All of these may be called from any thread, also with no runtime
 * running (a deadline is then noticed by grt_ctx_err when it is asked);
 * grt_ctx_cancel from a thread grt did not create counts for deadlock
 * detection as grt_go does.
 */
typedef struct grt_ctx grt_ctx;
/* The root: never cancelled, no deadline, never freed. */
GRT_EXTERN grt_ctx *grt_ctx_background(void);
/* A cancellable child of parent: NULL + errno ENOMEM on failure. */
GRT_EXTERN grt_ctx *grt_ctx_with_cancel(grt_ctx *parent);
/* A child that ends with -ETIMEDOUT at deadline (GRT_FOREVER: none; a
 * deadline not after grt_now() gives a context already ended).  NULL +
 * errno EINVAL for a negative deadline other than GRT_FOREVER. */
GRT_EXTERN grt_ctx *grt_ctx_with_deadline(grt_ctx *parent, int64_t deadline);
/* Ends c and its descendants with -ECANCELED; idempotent; 0, -EINVAL for NULL. */
GRT_EXTERN int      grt_ctx_cancel(grt_ctx *c);
/* 0 while live, -ECANCELED after a cancel, -ETIMEDOUT after the deadline;
 * -EINVAL for NULL. */
GRT_EXTERN int      grt_ctx_err(const grt_ctx *c);
/* The earliest deadline on the path to the root, or GRT_FOREVER; -EINVAL for NULL. */
GRT_EXTERN int64_t  grt_ctx_deadline(const grt_ctx *c);
/* A channel (element size 0) closed when c ends; created on first call,
 * owned by c: do not release it.  NULL for background; NULL + errno
 * (EINVAL for NULL c, ENOMEM) on failure. */
GRT_EXTERN grt_chan *grt_ctx_done(grt_ctx *c);
/* One more program reference; returns c.  NULL + errno EINVAL for NULL or
 * for a context whose program references are all released. */
GRT_EXTERN grt_ctx *grt_ctx_retain(grt_ctx *c);
/* Drops one program reference; the last one cancels c.  NULL is ignored;
 * releasing more references than were taken is a fatal error. */
GRT_EXTERN void     grt_ctx_release(grt_ctx *c);
/* grt_go with the new goroutine running under c (which it keeps readable
 * until it exits).  -EINVAL for NULL c or fn, else as grt_go. */
GRT_EXTERN int      grt_go_ctx(grt_ctx *c, grt_fn fn, void *arg);
/* The caller's context: background outside goroutines. */
GRT_EXTERN grt_ctx *grt_ctx_current(void);
/* Runs the calling goroutine under c from now on and returns the previous
 * context.  NULL + errno EINVAL for NULL c, EPERM outside goroutines. */
GRT_EXTERN grt_ctx *grt_ctx_swap(grt_ctx *c);

/* signal.NotifyContext: a context, child of parent (NULL: the caller's),
 * that is cancelled (-ECANCELED) when one of signals[0..n) arrives, as if
 * by grt_ctx_cancel.  It wants those signals (see grt_signal_notify: the
 * handler is installed, goroutines that all wait are not a deadlock) until
 * the program releases its last reference, which also cancels it, like
 * the stop function Go returns; then the signals' previous actions come
 * back when nothing else wants them.  Signals end with grt_run, as
 * grt_signal_notify's registrations do.  One reference to the caller;
 * NULL with errno EINVAL (signals NULL, n 0, or a signal grt_signal_notify
 * refuses), ESRCH (the runtime is not running) or ENOMEM. */
GRT_EXTERN grt_ctx *grt_signal_ctx(grt_ctx *parent, const int *signals, size_t n);

/* ------------------------------------------------------------------ */
/* Groups (errgroup) and weighted semaphores                           */
/* ------------------------------------------------------------------ */

/*
 * errgroup.WithContext with SetLimit.  Members run under the group's
 * context (grt_ctx_current() in a member is grt_group_ctx(g)); the first
 * member that returns non-zero cancels it, so its siblings' blocking calls
 * return -ECANCELED.  grt_group_wait waits for every member (it is not
 * interrupted by the caller's context), cancels the group's context and
 * returns the first non-zero result, or 0.  A member must return (one that
 * calls grt_exit is never counted as done).
 */
typedef int (*grt_task_fn)(void *arg);
typedef struct grt_group grt_group;
/* NULL parent: the caller's context.  NULL + errno ENOMEM on failure. */
GRT_EXTERN grt_group *grt_group_new(grt_ctx *parent);
/* The group's context, owned by the group; NULL + errno EINVAL for NULL. */
GRT_EXTERN grt_ctx   *grt_group_ctx(grt_group *g);
/* At most n members at once (n <= 0: no limit).  -EINVAL for NULL, -EBUSY
 * while members run (as x/sync panics). */
GRT_EXTERN int        grt_group_limit(grt_group *g, int n);
/* Starts fn(arg) as a member.  Blocks while the limit is reached (that wait
 * is interruptible by the caller's context).  0; the group context's error
 * without starting fn once it has ended; -EINVAL for NULL g or fn;
 * -ENOMEM; -EPERM outside goroutines when it would have to wait. */
GRT_EXTERN int        grt_group_go(grt_group *g, grt_task_fn fn, void *arg);
/* The first non-zero member result, or 0; -EINVAL for NULL, -EPERM outside
 * goroutines while members run. */
GRT_EXTERN int        grt_group_wait(grt_group *g);
/* Frees g and releases its context; call after grt_group_wait. */
GRT_EXTERN void       grt_group_free(grt_group *g);

/*
 * x/sync/semaphore: a weighted semaphore of a fixed capacity.  Waiters are
 * served in FIFO order, and a large request at the head blocks smaller ones
 * behind it; grt_sem_tryacquire fails while others wait.  Zero-filled
 * memory is a semaphore of capacity 0; GRT_SEM_INIT(n) or grt_sem_init
 * gives capacity n.  Layout public for static allocation; fields private.
 */
typedef struct grt_sem {
    uint32_t lock_;
    uint32_t pad_;
    int64_t  size_;  /* capacity */
    int64_t  cur_;   /* held */
    void    *head_;  /* FIFO of waiters */
    void    *tail_;
} grt_sem;
#define GRT_SEM_INIT(n) { 0, 0, (n), 0, NULL, NULL }
/* 0; -EINVAL for NULL or a negative capacity. */
GRT_EXTERN int grt_sem_init(grt_sem *s, int64_t capacity);
/* Acquires n, waiting until deadline (GRT_FOREVER: no limit; a deadline
 * not after grt_now(): do not wait).  0; -ETIMEDOUT; the context's error;
 * -EINVAL for NULL, n < 0 or n > capacity; -EPERM outside goroutines when
 * it would wait. */
GRT_EXTERN int grt_sem_acquire(grt_sem *s, int64_t n, int64_t deadline);
/* 0, or -EAGAIN (not enough free, or others waiting); -EINVAL as acquire. */
GRT_EXTERN int grt_sem_tryacquire(grt_sem *s, int64_t n);
/* Releases n and wakes the waiters that now fit, in order.  -EINVAL for
 * NULL, n < 0 or more than is held. */
GRT_EXTERN int grt_sem_release(grt_sem *s, int64_t n);

/* ------------------------------------------------------------------ */
/* Offloading blocking calls; libgrt_hook                              */
/* ------------------------------------------------------------------ */

/*
 * grt_offload runs fn(arg) on the runtime's blocking-call pool and parks
 * the calling goroutine until fn has returned: for work that blocks a
 * thread and cannot be polled (getaddrinfo, a library's blocking call, file
 * I/O).  The pool starts threads on demand up to $GRT_OFFLOAD_THREADS
 * (default 64), retires a thread after 10 s without work, and queues calls
 * FIFO beyond the limit.  fn runs on a plain thread, not a goroutine: it
 * must not call grt functions that park (they return -EPERM there).
 * Returns 0 once fn has returned; -EINVAL for a NULL fn; -ENOMEM, or
 * -EAGAIN when no pool thread exists and none can be started (fn did not
 * run).  Called from a thread that is not running a goroutine (or with no
 * runtime), it calls fn(arg) directly and returns 0.  A goroutine waiting
 * here is not "asleep" for deadlock detection.  The caller's context
 * interrupts the wait: once it ends, grt_offload returns its error
 * (-ECANCELED or -ETIMEDOUT) at once, but fn still runs, exactly once, in
 * the pool (it may be running already): arg must stay valid until fn has
 * returned, so under a context that may end pass heap memory that fn
 * itself frees, not the caller's stack.  fn runs exactly once whenever
 * grt_offload returns 0 or a context's error (except a call still queued
 * when grt_run returns: it never runs), and never otherwise.  When grt_run returns, idle
 * pool threads have ended; one still inside fn ends when fn returns.
 * grt_stats counts the pool (offload_threads, offload_queued, offloads)
 * and grt_dump shows waiters as "offload".
 */
GRT_EXTERN int grt_offload(grt_fn fn, void *arg);

/*
 * 1 when libgrt_hook is loaded in this process and interposing libc (from
 * the moment it is loaded, before grt_run too), else 0; 0 as well when
 * GRT_HOOK=0 in the environment turned it off.  See README.md, "Unmodified
 * C libraries in goroutines".
 */
GRT_EXTERN int grt_hook_active(void);

#ifdef __cplusplus
}
#endif
#endif /* GRT_H */
