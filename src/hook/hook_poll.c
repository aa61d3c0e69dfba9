/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_poll.c - poll, ppoll, select, pselect, epoll_wait, epoll_pwait on a
 * goroutine.
 *
 * The answer always comes from libc's own call with a zero timeout, so
 * revents, counts and fd_set bits are exactly libc's.  Only the waiting is
 * the hook's: when nothing is ready yet, the descriptors go into a private
 * epoll instance (level-triggered), the goroutine parks on that one
 * descriptor with grt_wait_fd until it is readable or the timeout passes,
 * and the zero-timeout call is made again.  For epoll_wait the program's
 * own epoll descriptor is the one to park on.
 *
 * The signal mask of ppoll/pselect/epoll_pwait applies to the zero-timeout
 * calls; while the goroutine is parked its thread runs other goroutines
 * and keeps its own mask.  A hooked wait never returns EINTR: no signal
 * handler interrupts a parked goroutine, and a zero-timeout call that a
 * signal interrupted is made again (the poll family is never restarted
 * after a handler, SA_RESTART or not, and the runtime's own preemption
 * signal may land on one: test_hook_fidelity saw poll and select fail
 * with EINTR in about one run in ten).
 */
#include "hook.h"

#include <errno.h>
#include <stdlib.h>

static int64_t ts_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The deadline for a timeout in ns (< 0: none). */
static int64_t deadline_after(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return GRT_FOREVER;
    int64_t now = grt_now(), d = now + timeout_ns;
    return d < now ? GRT_FOREVER : d;
}

/* park_on's answer when the call's own timeout passed (look once more). */
#define PARK_TIMEOUT (-1)

/* Park until epfd is readable or deadline.  0 to look again,
 * PARK_TIMEOUT, or an errno (the context's when it ended). */
static int park_on(int epfd, int events, int64_t deadline)
{
    int r = hook_park_fd(epfd, events, deadline);
    if (r > 0)
        return 0;
    int ce = hook_ctx_errno();
    if (ce != 0 && (r == -ECANCELED || r == -ETIMEDOUT))
        return ce;
    if (r == -ETIMEDOUT)
        return PARK_TIMEOUT;
    return r == -ECANCELED ? EBADF : -r;
}

static uint32_t poll_to_epoll(short ev)
{
    uint32_t e = 0;
    if (ev & (POLLIN | POLLRDNORM | POLLRDBAND))
        e |= EPOLLIN;
    if (ev & (POLLOUT | POLLWRNORM | POLLWRBAND))
        e |= EPOLLOUT;
    if (ev & POLLPRI)
        e |= EPOLLPRI;
    if (ev & POLLRDHUP)
        e |= EPOLLRDHUP;
    return e; /* EPOLLERR and EPOLLHUP are always reported */
}

/* A private epoll instance watching what fds ask for; -1 and errno. */
static int watch_set(const struct pollfd *fds, nfds_t n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            continue;
        struct epoll_event ev = {.events = poll_to_epoll(fds[i].events), .data.u64 = i};
        /* EEXIST (the same fd twice), EPERM (a regular file: always ready,
         * so the zero-timeout call already answered) are fine to skip. */
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev);
    }
    return ep;
}

static void watch_end(int ep)
{
    grt__fd_forget(ep);
    REAL(close)(ep);
}

/* Nothing to watch: a pure sleep ("for ever" still has a timer). */
static int sleep_until(int64_t deadline, int saved)
{
    int r = hook_park_sleep(deadline == GRT_FOREVER ? INT64_MAX : deadline - grt_now());
    if (r < 0)
        return hook_fail(-r); /* the context ended */
    hook_errno_set(saved);
    return 0;
}

/* The loop every hooked wait shares: park on fd (one direction) until look
 * (libc's zero-timeout call) answers something other than 0, or the
 * deadline passes (then look once more).  look's answer, with *err 0; or
 * -1 with *err the errno that ended the park (the context's, or EBADF when
 * fd was closed). */
static int park_look(int fd, int events, int64_t deadline, int (*look)(void *ctx), void *ctx,
                     int *err)
{
    for (;;) {
        int e = park_on(fd, events, deadline);
        if (e != 0 && e != PARK_TIMEOUT) {
            *err = e;
            return -1;
        }
        int r = look(ctx);
        if (r != 0 || e == PARK_TIMEOUT) {
            *err = 0;
            return r;
        }
    }
}

/* A look's answer as the call returns it: on failure errno as look left
 * it, else the caller's errno as it was. */
static int look_answer(int r, int saved)
{
    if (r < 0)
        return hook_fail(hook_errno_get());
    hook_errno_set(saved);
    return r;
}

/* park_look on the watch ep, then end the watch. */
static int watch_until(int ep, int64_t deadline, int (*look)(void *ctx), void *ctx, int saved)
{
    int e;
    int r = park_look(ep, GRT_READ, deadline, look, ctx, &e);
    int le = hook_errno_get(); /* watch_end's close must not change look's errno */
    watch_end(ep);
    if (e != 0)
        return hook_fail(e);
    hook_errno_set(le);
    return look_answer(r, saved);
}

struct poll_look {
    struct pollfd  *fds;
    nfds_t          n;
    const sigset_t *mask;
};

static int poll_look(void *ctx)
{
    struct poll_look *l = ctx;
    int r;
    do
        r = REAL(ppoll)(l->fds, l->n, &(struct timespec){0, 0}, l->mask);
    while (r < 0 && hook_errno_get() == EINTR);
    return r;
}

/* The common case, one socket and one direction (libpq and curl wait
 * so): park on the descriptor itself, without a private epoll set (which
 * cost four system calls per wait: create, add, register, close; libpq's
 * client CPU per query fell 6% without them).  Only for a socket that is
 * already non-blocking in the kernel (the program's choice or the hook's):
 * the poller's registration then changes nothing the program or another
 * process sharing the file could see.  GRT_READ or GRT_WRITE, or 0 for the
 * general path. */
static int poll_one_direction(const struct pollfd *p)
{
    if (p->fd < 0)
        return 0;
    hook_fd *st = hook_fd_peek(p->fd);
    uint32_t f = st ? hook_fd_flags(st) : 0;
    if (!(f & HFD_KNOWN) || !(f & HFD_SOCK) || !(f & (HFD_MANAGED | HFD_USER_NB)))
        return 0;
    short ev = p->events & ~(POLLERR | POLLHUP | POLLNVAL); /* always reported */
    if (ev != 0 && (ev & ~(POLLIN | POLLRDNORM)) == 0)
        return GRT_READ;
    if (ev != 0 && (ev & ~(POLLOUT | POLLWRNORM)) == 0)
        return GRT_WRITE;
    return 0;
}

/* The answer, or WAIT_ONE_CLOSED when the descriptor was closed while we
 * waited: the caller goes on with the general path, as libc's poll goes
 * on waiting on the file it holds (and reports POLLNVAL at its next
 * pass), whatever the number means now. */
#define WAIT_ONE_CLOSED (-2)

static int wait_one(int fd, int events, int64_t deadline, struct poll_look *l, int saved)
{
    int e;
    int r = park_look(fd, events, deadline, poll_look, l, &e);
    if (e == EBADF)
        return WAIT_ONE_CLOSED;
    if (e != 0)
        return hook_fail(e);
    return look_answer(r, saved);
}

/* poll on a goroutine; sigmask for the zero-timeout looks (ppoll). */
static int poll_g(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask)
{
    int saved = hook_errno_get();
    struct poll_look l = {fds, n, mask};
    int r = poll_look(&l);
    if (r != 0 || timeout_ns == 0)
        return r;
    int64_t deadline = deadline_after(timeout_ns);
    if (n == 0)
        return sleep_until(deadline, saved);
    int one = n == 1 ? poll_one_direction(&fds[0]) : 0;
    if (one != 0) {
        r = wait_one(fds[0].fd, one, deadline, &l, saved);
        if (r != WAIT_ONE_CLOSED)
            return r;
    }
    int ep = watch_set(fds, n);
    if (ep < 0)
        return hook_fail(hook_errno_get());
    return watch_until(ep, deadline, poll_look, &l, saved);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (!hook_on_g())
        return REAL(poll)(fds, n, timeout);
    return poll_g(fds, n, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __builtin_trap();
    return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if (!hook_on_g())
        return REAL(ppoll)(fds, n, ts, mask);
    if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
        return hook_fail(EINVAL);
    return poll_g(fds, n, ts ? ts_ns(ts) : -1, mask);
}

/* --- select --------------------------------------------------------- */

/* select's sets as a pollfd array for the watch (events only). */
static struct pollfd *sets_to_poll(int nfds, fd_set *r, fd_set *w, fd_set *x, nfds_t *n)
{
    struct pollfd *p = calloc(nfds > 0 ? (size_t)nfds : 1, sizeof *p);
    if (p == NULL)
        return NULL;
    nfds_t k = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = 0;
        if (r && FD_ISSET(fd, r))
            ev |= POLLIN;
        if (w && FD_ISSET(fd, w))
            ev |= POLLOUT;
        if (x && FD_ISSET(fd, x))
            ev |= POLLPRI;
        if (ev) {
            p[k].fd = fd;
            p[k].events = ev;
            k++;
        }
    }
    *n = k;
    return p;
}

struct select_look {
    int             nfds;
    fd_set         *r, *w, *x;    /* the caller's sets, written by each look */
    fd_set          r0, w0, x0;   /* what the caller asked */
    const sigset_t *mask;
};

static int select_look(void *ctx)
{
    struct select_look *l = ctx;
    int r;
    do {
        if (l->r)
            *l->r = l->r0;
        if (l->w)
            *l->w = l->w0;
        if (l->x)
            *l->x = l->x0;
        r = REAL(pselect)(l->nfds, l->r, l->w, l->x, &(struct timespec){0, 0}, l->mask);
    } while (r < 0 && hook_errno_get() == EINTR);
    return r;
}

static int select_g(int nfds, fd_set *r, fd_set *w, fd_set *x, int64_t timeout_ns,
                    const sigset_t *mask)
{
    if (nfds < 0 || nfds > FD_SETSIZE)
        return REAL(pselect)(nfds, r, w, x, &(struct timespec){0, 0}, mask); /* its EINVAL */
    int saved = hook_errno_get();
    struct select_look l = {.nfds = nfds, .r = r, .w = w, .x = x, .mask = mask};
    if (r)
        l.r0 = *r;
    if (w)
        l.w0 = *w;
    if (x)
        l.x0 = *x;
    int k = select_look(&l);
    if (k != 0 || timeout_ns == 0)
        return k;
    int64_t deadline = deadline_after(timeout_ns);
    nfds_t n;
    struct pollfd *p = sets_to_poll(nfds, r ? &l.r0 : NULL, w ? &l.w0 : NULL, x ? &l.x0 : NULL, &n);
    if (p == NULL)
        return hook_fail(ENOMEM);
    int ep = n > 0 ? watch_set(p, n) : -1;
    int e = hook_errno_get();
    free(p);
    if (n == 0)
        return sleep_until(deadline, saved);
    if (ep < 0)
        return hook_fail(e);
    return watch_until(ep, deadline, select_look, &l, saved);
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
    if (!hook_on_g())
        return REAL(select)(nfds, r, w, x, tv);
    if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0))
        return hook_fail(EINVAL);
    int64_t t = tv ? (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000 : -1;
    int64_t start = grt_now();
    int k = select_g(nfds, r, w, x, t, NULL);
    if (tv && k >= 0) { /* Linux writes back the time left */
        int64_t left = t - (grt_now() - start);
        if (left < 0 || k == 0)
            left = 0;
        tv->tv_sec = left / 1000000000;
        tv->tv_usec = (left % 1000000000) / 1000;
    }
    return k;
}

int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
            const sigset_t *mask)
{
    if (!hook_on_g())
        return REAL(pselect)(nfds, r, w, x, ts, mask);
    if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
        return hook_fail(EINVAL);
    return select_g(nfds, r, w, x, ts ? ts_ns(ts) : -1, mask);
}

/* --- epoll ---------------------------------------------------------- */

struct epoll_look {
    int                 epfd;
    struct epoll_event *ev;
    int                 max;
    const sigset_t     *mask;
};

static int epoll_look(void *ctx)
{
    struct epoll_look *l = ctx;
    int k;
    do
        k = REAL(epoll_pwait)(l->epfd, l->ev, l->max, 0, l->mask);
    while (k < 0 && hook_errno_get() == EINTR);
    return k;
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
    if (!hook_on_g())
        return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
    int saved = hook_errno_get();
    struct epoll_look l = {epfd, ev, max, mask};
    int k = epoll_look(&l);
    if (k != 0 || timeout == 0)
        return k;
    int64_t deadline = deadline_after(timeout < 0 ? -1 : (int64_t)timeout * 1000000);
    int e;
    k = park_look(epfd, GRT_READ, deadline, epoll_look, &l, &e);
    if (e != 0)
        return hook_fail(e);
    return look_answer(k, saved);
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
    if (!hook_on_g())
        return REAL(epoll_wait)(epfd, ev, max, timeout);
    return epoll_pwait(epfd, ev, max, timeout, NULL);
}
