/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netpoll.c - the portable half of the network poller: pollDescs, parking
 * goroutines on descriptors, deadlines, and handing the woken to the
 * scheduler.  The backend (netpoll_epoll.c) only reports events.
 *
 * The slot protocol is in netpoll.h.  Deadlines: rd/wd are 0 (none), -1
 * (expired: operations fail with -ETIMEDOUT until moved) or an absolute
 * time with a timer armed to expire them.  rseq/wseq change whenever a
 * deadline is set, so a timer from an earlier setting is recognised and
 * ignored (the timer code may run a callback that has just been deleted).
 *
 * pollDescs are never freed while the runtime runs: one per fd number,
 * reused when the number is reused (gen counts the lives), so a pointer
 * held by a timer or a late waker always points at a pollDesc.
 */
#include "runtime.h"
#include "misc.h"
#include "race.h"
#include "netpoll.h"
#include "ctx.h"
#include "sys.h"
#include "sched.h"
#include "timer.h"
#include "signotify.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    grt__mutex      lock;    /* growing the table, creating pollDescs */
    grt__polldesc **tab;     /* indexed by fd (atomic pointer) */
    int32_t         cap;     /* atomic */
    void          **old;     /* earlier, smaller tables: freed at shutdown */
    int32_t         nold;
    int64_t         waiters; /* goroutines parked on descriptors (atomic) */
    bool            inited;  /* atomic: the table may be used */
} fds;

bool grt__netpoll_inited(void)
{
    return ld_acquire(&fds.inited);
}

int64_t grt__netpoll_waiters(void)
{
    return ld_relaxed(&fds.waiters);
}

void grt__netpoll_hold(int64_t delta)
{
    xadd_relaxed(&fds.waiters, delta);
}

int grt__netpoll_start(void)
{
    memset(&fds, 0, sizeof fds);
    int rc = grt__netpoll_init();
    if (rc == 0)
        st_release(&fds.inited, true); /* pairs with grt__netpoll_inited */
    return rc;
}

/* The identity of the file behind fd (or at path), to tell it from
 * another file that got the same number (or name) since. */
static bool file_id(int fd, const char *path, uint64_t *dev, uint64_t *ino)
{
    struct stat st;
    if ((path ? stat(path, &st) : fstat(fd, &st)) != 0)
        return false;
    *dev = (uint64_t)st.st_dev;
    *ino = (uint64_t)st.st_ino;
    return true;
}

/* The run ends: a descriptor grt switched to non-blocking (one it did not
 * create, such as stdout or a pipe passed in) gets its flag back, if the
 * number still holds the same file (the program may have closed it with
 * close(2) and opened another). */
static void pd_restore_flags(grt__polldesc *pd)
{
    uint64_t dev, ino;
    if (pd->state != PD_OPEN || !pd->restore || !file_id(pd->fd, NULL, &dev, &ino) ||
        dev != pd->dev || ino != pd->ino)
        return;
    int flags = grt__sys_fcntl(pd->fd, F_GETFL, 0);
    if (flags >= 0 && (flags & O_NONBLOCK))
        grt__sys_fcntl(pd->fd, F_SETFL, flags & ~O_NONBLOCK);
}

void grt__netpoll_stop(void)
{
    if (!fds.inited)
        return;
    st_release(&fds.inited, false);
    grt__netpoll_fini();
    for (int32_t i = 0; i < fds.cap; i++) {
        if (fds.tab[i]) {
            pd_restore_flags(fds.tab[i]);
            free(fds.tab[i]->unlink_path);
        }
        free(fds.tab[i]);
    }
    free(fds.tab);
    for (int32_t i = 0; i < fds.nold; i++)
        free(fds.old[i]);
    free(fds.old);
    memset(&fds, 0, sizeof fds);
}

/* Grow the table to hold fd; fds.lock held.  0 or -ENOMEM. */
static int tab_grow(int fd)
{
    /* 64-bit, so that the doubling cannot overflow; fd is a number the
     * kernel handed out (pd_lookup checked), so below the process's
     * RLIMIT_NOFILE and the table stays proportionate to it. */
    int64_t cap = fds.cap ? fds.cap : 1024;
    while (cap <= fd)
        cap *= 2;
    if (cap > (int64_t)INT32_MAX)
        cap = (int64_t)fd + 1;
    grt__polldesc **tab = calloc((size_t)cap, sizeof *tab);
    void **old = realloc(fds.old, (size_t)(fds.nold + 1) * sizeof *old);
    if (old)
        fds.old = old;
    if (tab == NULL || old == NULL) {
        free(tab);
        return -ENOMEM;
    }
    if (fds.tab) {
        memcpy(tab, fds.tab, (size_t)fds.cap * sizeof *tab);
        /* Readers may still be looking at the old table: keep it. */
        fds.old[fds.nold++] = fds.tab;
    }
    st_release(&fds.tab, tab);
    st_release(&fds.cap, (int32_t)cap);
    return 0;
}

/* The pollDesc of fd, created (but not registered) if create; NULL and
 * *err (when err is not NULL) if there is none. */
static grt__polldesc *pd_lookup(int fd, bool create, int *err)
{
    if (err)
        *err = -EBADF;
    if (fd < 0)
        return NULL;
    if (fd < ld_acquire(&fds.cap)) {
        grt__polldesc *pd = ld_acquire(&ld_acquire(&fds.tab)[fd]);
        if (pd || !create)
            return pd;
    } else if (!create) {
        return NULL;
    }
    /* Only a number the kernel has handed out gets a pollDesc: grt_read
     * (INT_MAX) is -EBADF at once, with nothing allocated. */
    if (grt__sys_fcntl(fd, F_GETFD, 0) < 0)
        return NULL;
    grt__lock(&fds.lock);
    if (fd >= fds.cap && tab_grow(fd) != 0) {
        grt__unlock(&fds.lock);
        if (err)
            *err = -ENOMEM;
        return NULL;
    }
    grt__polldesc *pd = fds.tab[fd];
    if (pd == NULL) {
        pd = calloc(1, sizeof *pd);
        if (pd) {
            pd->fd = fd;
            st_release(&fds.tab[fd], pd);
        } else if (err) {
            *err = -ENOMEM;
        }
    }
    grt__unlock(&fds.lock);
    return pd;
}

/* Register fd with the poller: PD_CLOSED -> PD_OPEN.  0 (also when
 * somebody else changed the state first: the caller looks again) or
 * -errno. */
static int pd_register(grt__polldesc *pd, int fd)
{
    grt__lock(&pd->lock);
    if (pd->state != PD_CLOSED) {
        grt__unlock(&pd->lock);
        return 0;
    }
    int flags = grt__sys_fcntl(fd, F_GETFL, 0);
    if (flags < 0) {
        grt__unlock(&pd->lock);
        return -EBADF;
    }
    pd->blocking = false;
    pd->restore = false;
    st_relaxed(&pd->rg, PD_NIL);
    st_relaxed(&pd->wg, PD_NIL);
    pd->rd = pd->wd = 0;
    pd->rseq++;
    pd->wseq++;
    /* release: the poller's thread gets pd from the kernel (epoll's event
     * data), a hand-off no memory model sees; grt__netpoll_ready acquires
     * gen so that the initialisation above happens before its use there. */
    st_release(&pd->gen, pd->gen + 1);
    grt__race_release(pd); /* TSan: what the release above means */
    int rc = grt__netpoll_open(fd, pd);
    if (rc == -EPERM) {
        /* epoll cannot watch it (a regular file): always "ready", served
         * by blocking calls bracketed by grt_syscall_enter/exit. */
        pd->blocking = true;
    } else if (rc != 0) {
        grt__unlock(&pd->lock);
        return rc;
    } else if (!(flags & O_NONBLOCK)) {
        /* Not ours (grt makes its sockets non-blocking): remember it, and
         * which file it is, to give the flag back when the run ends. */
        if (grt__sys_fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
            pd->restore = file_id(fd, NULL, &pd->dev, &pd->ino);
    }
    st_release(&pd->state, PD_OPEN);
    grt__unlock(&pd->lock);
    return 0;
}

/* Wait for a grt_close in close(2) to finish (PD_KCLOSE): short. */
static void close_wait(void)
{
    if (grt__curg())
        grt_yield();
    else
        sched_yield();
}

/* Start an operation on fd: its pollDesc with a reference held, or NULL
 * and *err.  grt_close waits for the references to drain. */
grt__polldesc *grt__fd_acquire(int fd, int *err)
{
    if (!grt__netpoll_inited()) {
        /* No runtime: nothing may be left behind, and nobody can park. */
        *err = (fd >= 0 && grt__sys_fcntl(fd, F_GETFD, 0) >= 0) ? -EPERM : -EBADF;
        return NULL;
    }
    grt__polldesc *pd = pd_lookup(fd, true, err);
    if (pd == NULL)
        return NULL;
    for (;;) {
        switch (ld_acquire(&pd->state)) {
        case PD_CLOSED: {
            int rc = pd_register(pd, fd);
            if (rc != 0) {
                *err = rc;
                return NULL;
            }
            continue;
        }
        case PD_CLOSING:
            *err = -EBADF;
            return NULL;
        case PD_KCLOSE:
            close_wait();
            continue;
        }
        /* seq-cst pair with grt__fd_close: it stores PD_CLOSING then reads
         * refs; we add to refs then read the state.  One of us sees the
         * other. */
        xadd_seqcst(&pd->refs, 1);
        if (ld_seqcst(&pd->state) == PD_OPEN)
            return pd;
        xadd_seqcst(&pd->refs, (uint32_t)-1);
    }
}

void grt__fd_release(grt__polldesc *pd)
{
    xadd_seqcst(&pd->refs, (uint32_t)-1);
}

/* ------------------------------------------------------------------ */
/* Parking on a descriptor                                             */
/* ------------------------------------------------------------------ */

static inline uintptr_t *slot(grt__polldesc *pd, int mode)
{
    return mode == GRT_READ ? &pd->rg : &pd->wg;
}

/* Why an operation cannot proceed now, if it cannot. */
int grt__pd_check(grt__polldesc *pd, int mode)
{
    if (ld_acquire(&pd->state) != PD_OPEN) /* a reference holder sees PD_CLOSING */
        return POLL_ERR_CLOSING;
    int64_t d = ld_acquire(mode == GRT_READ ? &pd->rd : &pd->wd);
    if (d < 0)
        return POLL_ERR_TIMEOUT;
    return POLL_OK;
}

static bool pd_commit(struct g *gp, void *arg)
{
    /* On g0, with gp already WAITING: publish gp in the slot unless the
     * poller or a deadline got there first (then resume at once). */
    if (!cas_acqrel((uintptr_t *)arg, PD_WAIT, (uintptr_t)gp))
        return false;
    xadd_relaxed(&fds.waiters, 1);
    return true;
}

/* The goroutine's context ended (ctx.h): take gp out of the slot, unless
 * the poller, a deadline or a close took it first (then they ready it). */
static bool pd_cancel(struct g *gp, void *arg)
{
    /* acq_rel: the same single-winner CAS as pd_unblock's */
    if (!cas_acqrel((uintptr_t *)arg, (uintptr_t)gp, PD_WAIT))
        return false;
    xadd_relaxed(&fds.waiters, -1);
    return true;
}

/* Wait until the slot reports readiness.  POLL_OK when ready (or woken
 * for a reason that has gone: the caller just retries its I/O), else
 * POLL_ERR_*, or the negative errno of the goroutine's context when it
 * ended (ctx.h).  t, if not NULL, is the call's own deadline timer, armed
 * once the slot says a waiter is coming. */
int grt__pd_wait(grt__polldesc *pd, int mode, grt__timer *t)
{
    uintptr_t *gpp = slot(pd, mode);
    for (;;) {
        if (cas_acqrel(gpp, PD_READY, PD_NIL))
            return POLL_OK;
        if (cas_acqrel(gpp, PD_NIL, PD_WAIT))
            break;
        uintptr_t old = ld_acquire(gpp);
        if (old != PD_READY && old != PD_NIL)
            grt__fatal("two goroutines wait on fd %d for the same direction", pd->fd);
    }
    /* A per-call timer armed before WAIT could fire into an empty slot
     * and its eviction be lost; from now on it finds WAIT (and makes the
     * park below return at once) or our G (and wakes it). */
    if (t)
        grt__timer_add(t);
    /* Check for close and deadlines only now: one that came before we set
     * WAIT is seen here, one that comes after finds WAIT or our G. */
    int err = grt__pd_check(pd, mode);
    int cerr = 0;
    if (err == POLL_OK) {
        struct g *gp = getg();
        cerr = grt__park_check(gp);
        if (likely(cerr == 0))
            cerr = grt__gopark_intr(gp, pd_commit, gpp, WAIT_IO, pd_cancel);
    }
    uintptr_t old = xchg_acqrel(gpp, PD_NIL);
    if (old > PD_WAIT)
        grt__fatal("netpoll: corrupted wait slot");
    if (old == PD_READY)
        return POLL_OK;
    if (unlikely(cerr != 0))
        return cerr;
    return grt__pd_check(pd, mode);
}

/* Take the waiter out of a slot.  ioready: readiness arrived (stored if
 * nobody waits); otherwise a deadline or close only wakes a waiter. */
static struct g *pd_unblock(grt__polldesc *pd, int mode, bool ioready)
{
    uintptr_t *gpp = slot(pd, mode);
    for (;;) {
        uintptr_t old = ld_acquire(gpp);
        if (old == PD_READY)
            return NULL;
        if (old == PD_NIL && !ioready)
            return NULL;
        uintptr_t new = ioready ? PD_READY : PD_NIL;
        if (cas_acqrel(gpp, old, new)) {
            if (old > PD_WAIT) {
                xadd_relaxed(&fds.waiters, -1);
                return (struct g *)old;
            }
            return NULL;
        }
    }
}

static void list_append(struct g *gp, struct g **head, struct g **tail, int32_t *n)
{
    gp->schedlink = NULL;
    if (*tail)
        (*tail)->schedlink = gp;
    else
        *head = gp;
    *tail = gp;
    (*n)++;
}

void grt__netpoll_ready(grt__polldesc *pd, int mode, struct g **head, struct g **tail, int32_t *n)
{
    if (unlikely(pd == &grt__signal_pd)) { /* not a descriptor: a signal came */
        grt__signal_deliver();
        return;
    }
    /* pairs with pd_register (see there); TSan cannot tell that the load
     * synchronises with the calloc'd pd's first release, so it is told */
    grt__race_acquire(pd);
    (void)ld_acquire(&pd->gen);
    struct g *gp;
    if ((mode & GRT_READ) && (gp = pd_unblock(pd, GRT_READ, true)))
        list_append(gp, head, tail, n);
    if ((mode & GRT_WRITE) && (gp = pd_unblock(pd, GRT_WRITE, true)))
        list_append(gp, head, tail, n);
}

/* Wake whoever waits in a slot for a non-I/O reason (close, deadline). */
void grt__pd_evict(grt__polldesc *pd, int mode)
{
    struct g *gp = pd_unblock(pd, mode, false);
    if (gp)
        grt__goready(gp);
}

/* ------------------------------------------------------------------ */
/* Deadlines                                                           */
/* ------------------------------------------------------------------ */

static void deadline_fire(grt__polldesc *pd, int mode, uintptr_t seq)
{
    grt__lock(&pd->lock);
    uintptr_t cur = mode == GRT_READ ? pd->rseq : pd->wseq;
    if (cur != seq) { /* the deadline was moved since this timer was armed */
        grt__unlock(&pd->lock);
        return;
    }
    st_release(mode == GRT_READ ? &pd->rd : &pd->wd, (int64_t)-1);
    struct g *gp = pd_unblock(pd, mode, false);
    grt__unlock(&pd->lock);
    if (gp)
        grt__goready(gp);
}

static void read_deadline_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    deadline_fire(arg, GRT_READ, seq);
}

static void write_deadline_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    deadline_fire(arg, GRT_WRITE, seq);
}

/* Set one direction's deadline; pd->lock held.  The previous timer is
 * taken out without waiting for a firing of it that may be under way (it
 * waits for pd->lock, and finds the seq moved).  Returns the waiter to
 * wake when the deadline is already past. */
static struct g *deadline_set(grt__polldesc *pd, int mode, int64_t d, int64_t now)
{
    bool rd = mode == GRT_READ;
    grt__timer *t = rd ? &pd->rt : &pd->wt;
    uintptr_t *seq = rd ? &pd->rseq : &pd->wseq;
    grt__timer_del_nowait(t);
    (*seq)++;
    /* GRT_FOREVER: none; not after now (0, INT64_MIN...): expired. */
    int64_t v = d == GRT_FOREVER ? 0 : (d <= now ? -1 : d);
    st_release(rd ? &pd->rd : &pd->wd, v);
    if (v > 0) {
        t->when = v;
        t->period = 0;
        t->f = rd ? read_deadline_fire : write_deadline_fire;
        t->arg = pd;
        t->seq = *seq;
        grt__timer_add(t);
    }
    return v < 0 ? pd_unblock(pd, mode, false) : NULL;
}

int grt__pd_set_deadline(grt__polldesc *pd, int64_t rd, int64_t wd)
{
    int64_t now = grt__nanotime();
    grt__lock(&pd->lock);
    if (pd->state != PD_OPEN) {
        grt__unlock(&pd->lock);
        return -EBADF;
    }
    struct g *rg = deadline_set(pd, GRT_READ, rd, now);
    struct g *wg = deadline_set(pd, GRT_WRITE, wd, now);
    grt__unlock(&pd->lock);
    if (rg)
        grt__goready(rg);
    if (wg)
        grt__goready(wg);
    return 0;
}

/* ------------------------------------------------------------------ */
/* grt_close                                                           */
/* ------------------------------------------------------------------ */

static int sys_close(int fd)
{
    /* Linux frees the number even when close(2) fails with EINTR. */
    if (grt__sys_close(fd) != 0 && errno != EINTR)
        return -errno;
    return 0;
}

/* close(2) with the pollDesc in PD_KCLOSE, then PD_CLOSED; called by the
 * grt_close that owns the state, with pd->lock held (released here). */
static int pd_kclose_locked(grt__polldesc *pd)
{
    st_release(&pd->state, PD_KCLOSE);
    grt__unlock(&pd->lock);
    int rc = sys_close(pd->fd);
    grt__lock(&pd->lock);
    st_release(&pd->state, PD_CLOSED); /* pairs with the acquire loads of state */
    grt__unlock(&pd->lock);
    return rc;
}

static int pd_kclose(grt__polldesc *pd)
{
    grt__lock(&pd->lock);
    return pd_kclose_locked(pd);
}

/* A unix listener's socket file goes with it (Go's unlinkOnClose), but
 * only if the name still is the file grt bound: not one somebody put
 * there since. */
static void pd_unlink(grt__polldesc *pd)
{
    char *path = pd->unlink_path;
    if (path == NULL)
        return;
    pd->unlink_path = NULL;
    uint64_t dev, ino;
    if (file_id(-1, path, &dev, &ino) && dev == pd->unlink_dev && ino == pd->unlink_ino)
        unlink(path);
    free(path);
}

int grt__fd_unlink_on_close(int fd, const char *path)
{
    int err;
    grt__polldesc *pd = grt__fd_acquire(fd, &err);
    if (pd == NULL)
        return err;
    char *copy = strdup(path);
    uint64_t dev, ino;
    if (copy && file_id(-1, path, &dev, &ino)) {
        grt__lock(&pd->lock);
        free(pd->unlink_path);
        pd->unlink_path = copy;
        pd->unlink_dev = dev;
        pd->unlink_ino = ino;
        grt__unlock(&pd->lock);
        copy = NULL;
    }
    free(copy);
    grt__fd_release(pd);
    return 0;
}

/* PD_OPEN -> PD_CLOSING, by the caller that found PD_OPEN under pd->lock
 * (held on entry, released here): evict the waiters (-ECANCELED), drop the
 * deadlines, wait for the operations in progress to leave, and take fd
 * out of the poller.  The fd itself stays open. */
static void pd_shut(grt__polldesc *pd)
{
    /* seq-cst: pairs with grt__fd_acquire (see there). */
    st_seqcst(&pd->state, PD_CLOSING);
    grt__timer_del_nowait(&pd->rt);
    grt__timer_del_nowait(&pd->wt);
    pd->rseq++;
    pd->wseq++;
    pd->restore = false; /* closed: nothing to give back */
    struct g *rg = pd_unblock(pd, GRT_READ, false);
    struct g *wg = pd_unblock(pd, GRT_WRITE, false);
    grt__unlock(&pd->lock);
    if (rg)
        grt__goready(rg);
    if (wg)
        grt__goready(wg);
    /* The woken waiters and other calls in progress leave promptly;
     * close(2) only after the last one, so fd cannot be reused under them.
     * (Go's poll.FD.Close waits the same way.) */
    while (ld_seqcst(&pd->refs) > 0)
        close_wait();
    if (!pd->blocking)
        grt__netpoll_close(pd->fd);
    pd_unlink(pd);
}

/* pd->lock taken with pd in a state other than PD_KCLOSE (a close(2) in
 * progress, which ends shortly); returns that state, the lock held. */
static uint32_t pd_lock_settled(grt__polldesc *pd)
{
    for (;;) {
        grt__lock(&pd->lock);
        uint32_t st = pd->state;
        if (st != PD_KCLOSE)
            return st;
        grt__unlock(&pd->lock);
        close_wait();
    }
}

/* Two grt_close of one descriptor: the first moves PD_OPEN to PD_CLOSING
 * and does the whole close; the other finds PD_CLOSING and returns -EBADF
 * without touching the number, which the kernel may give to another file
 * as soon as close(2) has run. */
int grt__fd_close(int fd)
{
    /* With the runtime running, every close goes through the record's
     * state under its lock, even for a number grt has not seen yet: a
     * plain close(2) there raced a first use that registered the number
     * and parked on it just before the close, and nobody evicted it. */
    grt__polldesc *pd = grt__netpoll_inited() ? pd_lookup(fd, true, NULL) : NULL;
    if (pd == NULL) /* not open, no memory, or no runtime: a plain close */
        return fd < 0 ? -EBADF : sys_close(fd);
    uint32_t st = pd_lock_settled(pd);
    if (st == PD_CLOSING) {
        grt__unlock(&pd->lock);
        return -EBADF;
    }
    /* Not registered: move to PD_KCLOSE under the same lock hold that saw
     * PD_CLOSED.  Letting go of the lock in between let a first use
     * register the number (PD_OPEN) and park on it; this close then ran
     * close(2) without evicting it, and the goroutine waited for ever on
     * a descriptor the kernel had dropped from epoll. */
    if (st == PD_CLOSED)
        return pd_kclose_locked(pd);
    pd_shut(pd);
    return pd_kclose(pd);
}

/* grt_close without the close(2), for libgrt_hook: the program closes the
 * number itself (or dup2s over it, or the kernel reused it behind the
 * hook's back).  Waiters wake with -ECANCELED, the registration goes, the
 * record is left PD_CLOSED for the number's next life.  Nothing to do if
 * grt never used fd, or another close owns it. */
void grt__fd_forget(int fd)
{
    grt__polldesc *pd = grt__netpoll_inited() ? pd_lookup(fd, false, NULL) : NULL;
    if (pd == NULL)
        return;
    if (pd_lock_settled(pd) != PD_OPEN) {
        grt__unlock(&pd->lock);
        return;
    }
    pd_shut(pd);
    grt__lock(&pd->lock);
    st_release(&pd->state, PD_CLOSED); /* pairs with the acquire loads of state */
    grt__unlock(&pd->lock);
}
