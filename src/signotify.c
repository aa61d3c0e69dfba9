/*
 * signotify.c - the program's signals, as Go's os/signal gives them:
 * grt_signal_notify, grt_signal_stop, and the runtime-internal watchers
 * that grt_signal_ctx is made of.
 *
 * The handler does the least a handler can: it sets the signal's bit in a
 * pending word (one atomic OR) and writes to an eventfd.  Both are
 * async-signal-safe; there is no lock and no allocation in it.  The eventfd
 * is registered with the poller under grt__signal_pd, so whichever M polls
 * next (the one blocked in epoll, a scheduler looking for work, or sysmon)
 * calls grt__signal_deliver: it drains the eventfd, takes the pending bits
 * and sends each signal, without blocking, on every channel registered
 * for it (dropped where the channel is full, as Go does), all on the
 * scheduler.  No goroutine of the runtime is involved, so grt_goroutines()
 * sees none.
 *
 * While anything is registered the poller counts one waiter more (the
 * signal may still come): an idle M then blocks in the poller instead of
 * sleeping, and the deadlock check stays quiet, as API.md asks.
 *
 * A signal's handler is installed when the first registration wants it and
 * the action it replaced is put back when the last one stops wanting it,
 * and for all of them when grt_run returns (before signal.c puts back its
 * own SIGQUIT action, which a registration for SIGQUIT replaced).
 *
 * The runtime's own signals stay out: SIGURG is preemption (preempt.c),
 * SIGSEGV, SIGBUS, SIGFPE and SIGILL are faults that cannot be delivered
 * later to a channel, and SIGKILL and SIGSTOP cannot be caught at all.
 */
#include "signotify.h"
#include "chan.h"
#include "misc.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NSIG_WORDS 2 /* pending and wanted bits for signals 1..127 */

/* One registration: a channel (grt_signal_notify) or a watcher.  A
 * watcher's function runs after sn.lock is dropped (it may end a context,
 * which unwatches), so delivery holds a use count on it meanwhile and the
 * last of unwatch and delivery frees it. */
struct reg {
    struct reg *next;
    grt_chan   *c;                 /* holds a reference; NULL for a watcher */
    void      (*fn)(void *arg, int signo);
    void      (*drop)(void *arg);  /* when the watcher is freed (may be NULL) */
    void       *arg;
    uint64_t    mask[NSIG_WORDS];  /* signals it wants */
    uint64_t    fire[NSIG_WORDS];  /* delivery: signals to call fn with */
    struct reg *fire_next;         /* delivery's list of watchers to call */
    int32_t     uses;              /* deliveries in progress */
    bool        gone;              /* unwatched: freed when uses drops to 0 */
    bool        orphaned;          /* unlinked by grt_run's end, not unwatched yet */
};

grt__polldesc grt__signal_pd;

static struct {
    grt__mutex       lock;         /* everything below */
    struct reg      *regs;
    int32_t          nwant[_NSIG]; /* registrations wanting each signal */
    struct sigaction old[_NSIG];   /* what our handler replaced */
    int              efd;          /* the wake-up eventfd, or -1 (0 before the first run) */
    bool             efd_open;
    bool             held;         /* the poller counts us as a waiter */
} sn;

/* Written by the handler on any thread, read by the poller. */
static uint64_t pending[NSIG_WORDS];
/* The eventfd the handler writes, or -1 (atomic: the handler reads it). */
static int      wake_fd = -1;
/* Handlers between their first and last access to wake_fd (teardown waits
 * for 0 before closing the eventfd, so no handler writes to a number that
 * the kernel has already given to somebody else). */
static uint32_t inflight;

static bool signo_ok(int signo)
{
    if (signo <= 0 || signo >= _NSIG || signo >= 64 * NSIG_WORDS)
        return false;
    switch (signo) {
    case SIGKILL: case SIGSTOP:                           /* the kernel's */
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:  /* faults */
    case SIGURG:                                          /* preemption */
        return false;
    default:
        return true;
    }
}

static inline bool mask_has(const uint64_t *m, int signo)
{
    return (m[signo / 64] >> (signo % 64)) & 1;
}

static void notify_handler(int signo, siginfo_t *si, void *ucp)
{
    (void)si;
    (void)ucp;
    int saved = errno;
    /* seq-cst: the increment is ordered before the load of wake_fd; pairs
     * with teardown's store of -1 followed by its load of inflight. */
    xadd_seqcst(&inflight, 1);
    /* release: the bit is published before the wake-up; the poller's
     * exchange (acquire) after draining the eventfd sees it. */
    __atomic_fetch_or(&pending[signo / 64], (uint64_t)1 << (signo % 64), __ATOMIC_RELEASE);
    int fd = ld_seqcst(&wake_fd);
    if (fd >= 0) {
        uint64_t one = 1;
        while (grt__sys_write(fd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
    xadd_seqcst(&inflight, (uint32_t)-1);
    errno = saved;
}

/* ------------------------------------------------------------------ */
/* Registrations (sn.lock held)                                        */
/* ------------------------------------------------------------------ */

static int want(int signo)
{
    if (sn.nwant[signo]++ > 0)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = notify_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, &sn.old[signo]) != 0) {
        sn.nwant[signo]--;
        return -EINVAL; /* one the C library keeps for itself (32, 33) */
    }
    return 0;
}

static void unwant(int signo)
{
    if (--sn.nwant[signo] == 0)
        sigaction(signo, &sn.old[signo], NULL);
}

/* The eventfd and the poller's extra waiter, on the first registration. */
static int start(void)
{
    if (!sn.efd_open) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
            return -errno;
        int rc = grt__netpoll_open(fd, &grt__signal_pd);
        if (rc != 0) {
            grt__sys_close(fd);
            return rc;
        }
        sn.efd = fd;
        sn.efd_open = true;
        st_seqcst(&wake_fd, fd);
    }
    if (!sn.held) {
        sn.held = true;
        grt__netpoll_hold(1);
    }
    return 0;
}

/* After a registration went: with none left the poller need not wait for
 * us any more; wake the M blocked there so the deadlock check runs again. */
static void maybe_idle(void)
{
    if (sn.regs == NULL && sn.held) {
        sn.held = false;
        grt__netpoll_hold(-1);
        grt__netpoll_break();
    }
}

static bool running(void)
{
    return ld_acquire(&grt__sched.state) == RT_RUNNING;
}

/* Add the signals of m to r (already linked, or linked here if new). */
static int reg_add(struct reg *r, bool linked, const uint64_t *m)
{
    if (!running())
        return -ESRCH;
    int rc = start();
    if (rc != 0)
        return rc;
    int done[64 * NSIG_WORDS], ndone = 0;
    for (int s = 1; s < 64 * NSIG_WORDS; s++) {
        if (!mask_has(m, s) || mask_has(r->mask, s))
            continue;
        if ((rc = want(s)) != 0) {
            while (ndone > 0)
                unwant(done[--ndone]);
            if (!linked)
                maybe_idle();
            return rc;
        }
        done[ndone++] = s;
    }
    for (int i = 0; i < ndone; i++)
        r->mask[done[i] / 64] |= (uint64_t)1 << (done[i] % 64);
    if (!linked) {
        r->next = sn.regs;
        sn.regs = r;
    }
    return 0;
}

/* Unlink r and drop its signals; the caller frees it. */
static void reg_remove(struct reg *r)
{
    for (struct reg **pp = &sn.regs; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    for (int s = 1; s < 64 * NSIG_WORDS; s++)
        if (mask_has(r->mask, s))
            unwant(s);
    maybe_idle();
}

static struct reg *reg_of_chan(grt_chan *c)
{
    for (struct reg *r = sn.regs; r; r = r->next)
        if (r->c == c)
            return r;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The public calls                                                    */
/* ------------------------------------------------------------------ */

int grt_signal_notify(grt_chan *c, int signo)
{
    if (c == NULL || c->elemsize != sizeof(int) || !signo_ok(signo))
        return -EINVAL;
    uint64_t m[NSIG_WORDS] = {0};
    m[signo / 64] = (uint64_t)1 << (signo % 64);
    struct reg *fresh = calloc(1, sizeof *fresh);
    if (fresh == NULL)
        return -ENOMEM;
    grt__lock(&sn.lock);
    struct reg *r = reg_of_chan(c);
    bool linked = r != NULL;
    if (!linked) {
        r = fresh;
        r->c = c;
        fresh = NULL;
    }
    int rc = reg_add(r, linked, m);
    if (rc == 0 && !linked)
        grt_chan_retain(c);
    else if (rc != 0 && !linked)
        fresh = r;
    grt__unlock(&sn.lock);
    free(fresh);
    return rc;
}

int grt_signal_stop(grt_chan *c)
{
    if (c == NULL)
        return -EINVAL;
    grt__lock(&sn.lock);
    struct reg *r = reg_of_chan(c);
    if (r)
        reg_remove(r);
    grt__unlock(&sn.lock);
    /* Delivery happens under sn.lock: once we got it, no send on c is in
     * progress or to come (Go's Stop promises the same). */
    if (r) {
        grt_chan_release(c);
        free(r);
    }
    return 0;
}

int grt__signal_watch(const int *sigs, size_t n, void (*fn)(void *arg, int signo),
                      void (*drop)(void *arg), void *arg, void **handle)
{
    if (fn == NULL || handle == NULL || (sigs == NULL && n > 0))
        return -EINVAL;
    uint64_t m[NSIG_WORDS] = {0};
    for (size_t i = 0; i < n; i++) {
        if (!signo_ok(sigs[i]))
            return -EINVAL;
        m[sigs[i] / 64] |= (uint64_t)1 << (sigs[i] % 64);
    }
    struct reg *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    r->fn = fn;
    r->drop = drop;
    r->arg = arg;
    grt__lock(&sn.lock);
    int rc = reg_add(r, false, m);
    grt__unlock(&sn.lock);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *handle = r;
    return 0;
}

static void watcher_free(struct reg *r)
{
    if (r->drop)
        r->drop(r->arg);
    free(r);
}

void grt__signal_unwatch(void *handle)
{
    struct reg *r = handle;
    if (r == NULL)
        return;
    grt__lock(&sn.lock);
    bool now = false;
    if (!r->gone) {
        r->gone = true;
        if (!r->orphaned)
            reg_remove(r);
        now = r->uses == 0; /* else the delivery in progress frees it */
    }
    grt__unlock(&sn.lock);
    if (now)
        watcher_free(r);
}

/* ------------------------------------------------------------------ */
/* Delivery, on the scheduler                                          */
/* ------------------------------------------------------------------ */

/* Send signo on its channels; queue its watchers on *fire.  sn.lock held. */
static void deliver_one(int signo, struct reg **fire)
{
    for (struct reg *r = sn.regs; r; r = r->next) {
        if (!mask_has(r->mask, signo))
            continue;
        if (r->c) {
            (void)grt_chan_trysend(r->c, &signo); /* full (or closed): dropped */
            continue;
        }
        if (r->uses++ == 0) {
            memset(r->fire, 0, sizeof r->fire);
            r->fire_next = *fire;
            *fire = r;
        } else {
            r->uses--; /* already queued by this delivery */
        }
        r->fire[signo / 64] |= (uint64_t)1 << (signo % 64);
    }
}

/* Call the queued watchers, without sn.lock, then drop the use counts. */
static void fire_watchers(struct reg *fire)
{
    for (struct reg *r = fire; r; r = r->fire_next)
        for (int s = 1; s < 64 * NSIG_WORDS; s++)
            if (mask_has(r->fire, s))
                r->fn(r->arg, s);
    while (fire) {
        struct reg *r = fire;
        fire = r->fire_next;
        grt__lock(&sn.lock);
        bool last = --r->uses == 0 && r->gone;
        grt__unlock(&sn.lock);
        if (last)
            watcher_free(r);
    }
}

void grt__signal_deliver(void)
{
    struct reg *fire = NULL;
    grt__lock(&sn.lock);
    if (sn.efd_open) {
        /* Drain first, then take the bits: a signal whose bit we miss
         * wrote to the eventfd after this read, so it comes back. */
        uint64_t v;
        while (grt__sys_read(sn.efd, &v, sizeof v) < 0 && errno == EINTR) {
        }
    }
    for (int w = 0; w < NSIG_WORDS; w++) {
        /* acquire: pairs with the handler's release OR */
        uint64_t bits = __atomic_exchange_n(&pending[w], 0, __ATOMIC_ACQUIRE);
        while (bits) {
            int b = __builtin_ctzll(bits);
            bits &= bits - 1;
            deliver_one(w * 64 + b, &fire);
        }
    }
    grt__unlock(&sn.lock);
    fire_watchers(fire);
}

void grt__signal_notify_fini(void)
{
    grt__lock(&sn.lock);
    struct reg *r = sn.regs;
    sn.regs = NULL;
    for (int s = 1; s < _NSIG; s++) {
        if (sn.nwant[s] > 0)
            sigaction(s, &sn.old[s], NULL);
        sn.nwant[s] = 0;
    }
    if (sn.efd_open) {
        /* No handler runs any more (all put back); wait out any that
         * started before, then the number may go. */
        st_seqcst(&wake_fd, -1);
        while (ld_seqcst(&inflight) != 0)
            grt__osyield();
        grt__sys_close(sn.efd);
        sn.efd_open = false;
        sn.efd = -1;
    }
    sn.held = false; /* the poller's count goes with the poller */
    for (int w = 0; w < NSIG_WORDS; w++)
        st_relaxed(&pending[w], 0);
    grt__unlock(&sn.lock);
    while (r) {
        struct reg *next = r->next;
        if (r->c) {
            grt_chan_release(r->c);
            free(r);
        } else {
            /* Unlinked with every signal dropped above; its owner still
             * unwatches it (and frees it) when it lets go. */
            r->orphaned = true;
        }
        r = next;
    }
}
