/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netpoll.h - the network poller: the portable part's objects, and the
 * contract every backend (netpoll_epoll.c; a netpoll_kqueue.c would fit the
 * same five functions) implements.
 *
 * A pollDesc describes one registered file descriptor.  Its two wait slots
 * (read and write) each hold one of:
 *
 *     PD_NIL    nobody waits, no readiness pending
 *     PD_READY  readiness arrived and nobody has consumed it yet
 *     PD_WAIT   a goroutine is about to park (between the check and gopark)
 *     a G*      the goroutine parked on it
 *
 * Transitions are CAS on the slot.  The poller moves NIL/WAIT/G -> READY
 * (and takes the G); a waiter moves READY -> NIL (consumes) or NIL -> WAIT
 * -> G (parks, the last step inside gopark's unlockf so it cannot miss a
 * READY that came meanwhile).  Edge-triggered epoll means readiness is
 * reported once per change, so a READY must never be lost: that is why it
 * is stored rather than only used to wake a G.
 *
 * A slot holds one waiter, so io.c lets one goroutine at a time use each
 * direction of a descriptor (rmu, wmu: Go's fdMutex does the same): several
 * goroutines may then accept on one listener, or write to one connection,
 * and each write's bytes stay together.
 */
#ifndef GRT_NETPOLL_H
#define GRT_NETPOLL_H

#include "runtime.h"
#include "timer.h"

#define PD_NIL   ((uintptr_t)0)
#define PD_READY ((uintptr_t)1)
#define PD_WAIT  ((uintptr_t)2)

enum { POLL_OK = 0, POLL_ERR_CLOSING = -1, POLL_ERR_TIMEOUT = -2 };

/*
 * The life of a pollDesc (state), one fd number's registration:
 *
 *   PD_CLOSED   not registered (never used, or closed): first use registers
 *   PD_OPEN     registered; operations take a reference (refs)
 *   PD_CLOSING  grt_close owns it: waiters are evicted (-ECANCELED), new
 *               operations and a second grt_close get -EBADF, and the
 *               closer waits for the references to drain
 *   PD_KCLOSE   the closer is in close(2): the number may be handed out
 *               again by the kernel at any moment, so whoever looks waits
 *               until the state is PD_CLOSED and then starts afresh
 *
 * The state changes under pd->lock (atomic reads outside it), and only the
 * grt_close that moved it from PD_OPEN (or PD_CLOSED) to the next state
 * moves it on, so close(2) runs once per registration.
 *
 * Lock order: pd->lock, then a P's timers lock (a deadline timer is armed
 * and removed under pd->lock).  A deadline timer's f takes pd->lock, so
 * nothing holding pd->lock waits for a firing: the deadline timers are
 * removed with grt__timer_del_nowait, and a firing that comes late finds
 * rseq/wseq moved and does nothing (Go's netpoll does the same).
 */
enum { PD_CLOSED = 0, PD_OPEN, PD_CLOSING, PD_KCLOSE };

typedef struct grt__polldesc {
    grt__mutex lock;     /* state, deadlines, seq, the timers */
    int        fd;
    uint32_t   state;    /* PD_* above (atomic reads) */
    bool       blocking; /* epoll refused it (a regular file): syscall path */
    bool       restore;  /* grt set O_NONBLOCK on it: clear it when the run ends */
    uint32_t   refs;     /* operations in progress (atomic) */
    uintptr_t  rg, wg;   /* wait slots, see above (atomic) */
    uintptr_t  rseq, wseq; /* bumped on deadline changes: stale timers ignore */
    int64_t    rd, wd;   /* deadlines: 0 none, -1 expired, else when */
    grt__timer rt, wt;   /* deadline timers */
    uint32_t   gen;      /* bumped per registration of this fd number */
    uint64_t   dev, ino; /* the file's identity when registered (fstat) */
    char      *unlink_path; /* unix listener grt made: its socket file */
    uint64_t   unlink_dev, unlink_ino; /* ... and that file's identity */
    grt_mutex  rmu, wmu; /* goroutines using one direction take turns (io.c) */
} grt__polldesc;

/* --- the backend contract ------------------------------------------- */

/* Create the poller (epoll instance and its wake-up eventfd).  0 or -errno. */
int  grt__netpoll_init(void);
/* Release it (shutdown). */
void grt__netpoll_fini(void);
/* Watch fd for readability and writability, edge-triggered, reporting pd.
 * 0, or -errno (-EPERM: this kind of fd cannot be polled). */
int  grt__netpoll_open(int fd, grt__polldesc *pd);
/* Stop watching fd. */
int  grt__netpoll_close(int fd);
/* Interrupt a netpoll call blocked in another thread (coalesced). */
void grt__netpoll_break(void);
/* Wait for events: delay < 0 blocks until one arrives or a break, 0 only
 * looks, > 0 waits at most delay ns.  Every event is passed to
 * grt__netpoll_ready; returns the Gs made runnable, linked through
 * schedlink, and their number in *n. */
struct g *grt__netpoll(int64_t delay, int32_t *n);

/* --- the portable part (netpoll.c), for backends and the scheduler ---- */

/* An event on pd: mode is a bitmask of GRT_READ/GRT_WRITE.  Appends the G
 * woken, if any, to the list. */
void grt__netpoll_ready(grt__polldesc *pd, int mode, struct g **head, struct g **tail, int32_t *n);
/* Whether the poller exists in this run. */
bool    grt__netpoll_inited(void);
/* Goroutines parked on descriptors (the scheduler polls only if any). */
int64_t grt__netpoll_waiters(void);
/* grt_run's start and end: the poller of this run. */
int     grt__netpoll_start(void);
void    grt__netpoll_stop(void);
/* Count delta waiters that are not goroutines parked on descriptors (the
 * signal path, signotify.c): while any is counted an idle M blocks in the
 * poller and the deadlock check stays quiet.  Reset with the poller. */
void    grt__netpoll_hold(int64_t delta);

/* --- descriptors, for io.c and net.c --------------------------------- */
/* Begin/end an operation on fd (registering it on first use).  NULL and
 * *err: -EBADF (not open, or being closed), -EPERM (no runtime running),
 * -ENOMEM. */
grt__polldesc *grt__fd_acquire(int fd, int *err);
void           grt__fd_release(grt__polldesc *pd);
/* grt_close: exactly one close(2) per registration; see PD_* above. */
int            grt__fd_close(int fd);
/* Remove path (a unix listener's socket file, bound by grt_listen) when
 * fd is closed by grt_close, if it is still the same file then. */
int            grt__fd_unlink_on_close(int fd, const char *path);
int            grt__pd_check(grt__polldesc *pd, int mode);
/* Park until pd is ready for mode (POLL_OK) or closed or past its
 * deadline (POLL_ERR_*).  t, if not NULL, is a timer for this call only
 * whose f evicts the waiter (grt__pd_evict): it is armed here, once the
 * slot is PD_WAIT, so that a firing cannot come while nobody is there to
 * evict; the caller removes it afterwards (grt__timer_del). */
int            grt__pd_wait(grt__polldesc *pd, int mode, grt__timer *t);
int            grt__pd_set_deadline(grt__polldesc *pd, int64_t rd, int64_t wd);
/* grt_close without the close(2); exported for libgrt_hook. */
GRT_EXTERN void grt__fd_forget(int fd);
void           grt__pd_evict(grt__polldesc *pd, int mode);


#endif
