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
#include "sys.h"
#include "sched.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    grt__mutex      lock;    /* growing the table, creating pollDescs */
    grt__polldesc **tab;     /* indexed by fd (atomic pointer) */
    int32_t         cap;     /* atomic */
    void          **old;     /* earlier, smaller tables: freed at shutdown */
    int32_t         nold;
    int64_t         waiters; /* goroutines parked on descriptors (atomic) */
    bool            inited;
} fds;

bool grt__netpoll_inited(void)
{
    return fds.inited;
}

int64_t grt__netpoll_waiters(void)
{
    return ld_relaxed(&fds.waiters);
}

int grt__netpoll_start(void)
{
    memset(&fds, 0, sizeof fds);
    int rc = grt__netpoll_init();
    if (rc == 0)
        fds.inited = true;
    return rc;
}

void grt__netpoll_stop(void)
{
    if (!fds.inited)
        return;
    grt__netpoll_fini();
    for (int32_t i = 0; i < fds.cap; i++)
        free(fds.tab[i]);
    free(fds.tab);
    for (int32_t i = 0; i < fds.nold; i++)
        free(fds.old[i]);
    free(fds.old);
    memset(&fds, 0, sizeof fds);
}

/* The pollDesc of fd, created (but not registered) if create. */
static grt__polldesc *pd_lookup(int fd, bool create)
{
    if (fd < 0)
        return NULL;
    if (fd < ld_acquire(&fds.cap)) {
        grt__polldesc *pd = ld_acquire(&ld_acquire(&fds.tab)[fd]);
        if (pd || !create)
            return pd;
    } else if (!create) {
        return NULL;
    }
    grt__lock(&fds.lock);
    if (fd >= fds.cap) {
        int32_t cap = fds.cap ? fds.cap : 1024;
        while (cap <= fd)
            cap *= 2;
        grt__polldesc **tab = calloc((size_t)cap, sizeof *tab);
        void **old = realloc(fds.old, (size_t)(fds.nold + 1) * sizeof *old);
        if (tab == NULL || old == NULL) {
            free(tab);
            if (old)
                fds.old = old;
            grt__unlock(&fds.lock);
            return NULL;
        }
        fds.old = old;
        if (fds.tab) {
            memcpy(tab, fds.tab, (size_t)fds.cap * sizeof *tab);
            /* Readers may still be looking at the old table: keep it. */
            fds.old[fds.nold++] = fds.tab;
        }
        st_release(&fds.tab, tab);
        st_release(&fds.cap, cap);
    }
    grt__polldesc *pd = fds.tab[fd];
    if (pd == NULL) {
        pd = calloc(1, sizeof *pd);
        if (pd) {
            pd->fd = fd;
            st_release(&fds.tab[fd], pd);
        }
    }
    grt__unlock(&fds.lock);
    return pd;
}

/* Register fd with the poller on first use.  0 or -errno. */
static int pd_register(grt__polldesc *pd, int fd)
{
    grt__lock(&pd->lock);
    if (pd->registered) {
        grt__unlock(&pd->lock);
        return 0;
    }
    int flags = grt__sys_fcntl(fd, F_GETFL, 0);
    if (flags < 0) {
        grt__unlock(&pd->lock);
        return -EBADF;
    }
    pd->closing = false;
    pd->blocking = false;
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
        grt__sys_fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
    st_release(&pd->registered, true);
    grt__unlock(&pd->lock);
    return 0;
}

/* Start an operation on fd: its pollDesc with a reference held, or NULL
 * and *err.  grt_close waits for the references to drain. */
grt__polldesc *grt__fd_acquire(int fd, int *err)
{
    grt__polldesc *pd = pd_lookup(fd, true);
    if (pd == NULL) {
        *err = fd < 0 ? -EBADF : -ENOMEM;
        return NULL;
    }
    if (!ld_acquire(&pd->registered)) {
        int rc = pd_register(pd, fd);
        if (rc != 0) {
            *err = rc;
            return NULL;
        }
    }
    /* seq-cst pair with grt_close: it stores closing then reads refs; we
     * add to refs then read closing.  One of us sees the other. */
    xadd_seqcst(&pd->refs, 1);
    if (ld_seqcst(&pd->closing)) {
        xadd_seqcst(&pd->refs, (uint32_t)-1);
        *err = -EBADF;
        return NULL;
    }
    return pd;
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
    if (ld_acquire(&pd->closing))
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

/* Wait until the slot reports readiness.  POLL_OK when ready (or woken
 * for a reason that has gone: the caller just retries its I/O), else
 * POLL_ERR_*. */
int grt__pd_wait(grt__polldesc *pd, int mode)
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
    /* Check for close and deadlines only now: one that came before we set
     * WAIT is seen here, one that comes after finds WAIT or our G. */
    int err = grt__pd_check(pd, mode);
    if (err == POLL_OK)
        grt__gopark(pd_commit, gpp, WAIT_IO);
    uintptr_t old = xchg_acqrel(gpp, PD_NIL);
    if (old > PD_WAIT)
        grt__fatal("netpoll: corrupted wait slot");
    if (old == PD_READY)
        return POLL_OK;
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

/* Set one direction's deadline; pd->lock held.  Returns true when it is
 * already expired (the caller wakes the waiter). */
static bool deadline_set(grt__polldesc *pd, int mode, int64_t d, int64_t now)
{
    bool rd = mode == GRT_READ;
    grt__timer *t = rd ? &pd->rt : &pd->wt;
    uintptr_t *seq = rd ? &pd->rseq : &pd->wseq;
    grt__timer_del(t);
    (*seq)++;
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
    return v < 0;
}

int grt__pd_set_deadline(grt__polldesc *pd, int64_t rd, int64_t wd)
{
    int64_t now = grt__nanotime();
    grt__lock(&pd->lock);
    if (pd->closing) {
        grt__unlock(&pd->lock);
        return -EBADF;
    }
    struct g *rg = NULL, *wg = NULL;
    if (deadline_set(pd, GRT_READ, rd, now))
        rg = pd_unblock(pd, GRT_READ, false);
    if (deadline_set(pd, GRT_WRITE, wd, now))
        wg = pd_unblock(pd, GRT_WRITE, false);
    grt__unlock(&pd->lock);
    if (rg)
        grt__goready(rg);
    if (wg)
        grt__goready(wg);
    return 0;
}

/* grt_close: mark closing, wake every waiter, drop the deadlines.  The
 * caller waits for references to drain and then closes.  False if the fd
 * is already being closed. */
bool grt__pd_close_begin(grt__polldesc *pd)
{
    grt__lock(&pd->lock);
    if (pd->closing || !pd->registered) {
        grt__unlock(&pd->lock);
        return false;
    }
    st_seqcst(&pd->closing, true);
    grt__timer_del(&pd->rt);
    grt__timer_del(&pd->wt);
    pd->rseq++;
    pd->wseq++;
    struct g *rg = pd_unblock(pd, GRT_READ, false);
    struct g *wg = pd_unblock(pd, GRT_WRITE, false);
    grt__unlock(&pd->lock);
    if (rg)
        grt__goready(rg);
    if (wg)
        grt__goready(wg);
    return true;
}

void grt__pd_close_end(grt__polldesc *pd)
{
    grt__lock(&pd->lock);
    if (!pd->blocking)
        grt__netpoll_close(pd->fd);
    st_release(&pd->registered, false);
    grt__unlock(&pd->lock);
}

grt__polldesc *grt__pd_lookup(int fd)
{
    return pd_lookup(fd, false);
}
