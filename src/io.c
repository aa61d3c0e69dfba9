/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io.c - goroutine-aware descriptors: read, write, accept, connect, wait,
 * deadlines and close, on top of the poller (netpoll.c).
 *
 * Every call follows one loop, op_run: check the fd's state (closing,
 * deadline), try the system call on the non-blocking descriptor, and on
 * EAGAIN park the goroutine on the descriptor's wait slot until the poller
 * reports readiness, then try again.  EINTR is retried, never returned.  A
 * descriptor epoll cannot watch (a regular file) is served by the plain
 * blocking call between grt_syscall_enter and grt_syscall_exit.
 *
 * grt_close (netpoll.c) marks the descriptor closing, wakes its waiters
 * (-ECANCELED), waits for the operations in progress to leave, and only
 * then calls close(2), so the fd number cannot be reused under a running
 * operation; a second grt_close meanwhile gets -EBADF.
 *
 * With no runtime running, nothing is registered or allocated: a call that
 * would park returns -EPERM (-EBADF if fd is not open), and grt_wait_fd
 * still answers for readiness now.
 */
#include "runtime.h"
#include "misc.h"
#include "netpoll.h"
#include "deadline.h"
#include "sys.h"
#include "timer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>


/* Take the descriptor's read or write side for one call (netpoll.h: one
 * waiter per slot).  A thread that is not a goroutine cannot wait for a
 * goroutine that holds it: it gets -EPERM, as for any call that would
 * park. */
static int side_lock(grt__polldesc *pd, int mode)
{
    grt_mutex *mu = mode == GRT_READ ? &pd->rmu : &pd->wmu;
    if (grt__curg() == NULL)
        return grt_mutex_trylock(mu) == 0 ? 0 : -EPERM;
    grt_mutex_lock(mu);
    return 0;
}

static void side_unlock(grt__polldesc *pd, int mode)
{
    grt_mutex_unlock(mode == GRT_READ ? &pd->rmu : &pd->wmu);
}

static int poll_errno(int err)
{
    if (err == POLL_ERR_CLOSING)
        return -ECANCELED;
    return err == POLL_ERR_TIMEOUT ? -ETIMEDOUT : err; /* else a context's error */
}

/* Park until pd is ready for mode.  0, or a negative errno to return. */
static int wait_ready(grt__polldesc *pd, int mode)
{
    if (grt__curg() == NULL)
        return -EPERM; /* a thread that is not a goroutine cannot park */
    int err = grt__pd_wait(pd, mode, NULL);
    return err == POLL_OK ? 0 : poll_errno(err);
}

/* Begin a call on fd's mode side: the pollDesc, held for the call and
 * with the side taken; NULL with *err set. */
static grt__polldesc *op_begin(int fd, int mode, int *err)
{
    grt__polldesc *pd = grt__fd_acquire(fd, err);
    if (pd == NULL)
        return NULL;
    if ((*err = side_lock(pd, mode)) != 0) {
        grt__fd_release(pd);
        return NULL;
    }
    return pd;
}

static void op_end(grt__polldesc *pd, int mode)
{
    side_unlock(pd, mode);
    grt__fd_release(pd);
}

/* One attempt at a call's system call on fd: its result (>= 0), or -errno.
 * -EINTR means "try again", -EAGAIN "not ready": op_run's to handle. */
typedef ssize_t (*op_try_fn)(int fd, void *arg);

/* The loop every call shares.  On a descriptor the poller watches: check
 * its state (closing, deadline), try, retry on -EINTR, and on -EAGAIN park
 * until the poller reports mode ready, then try again.  On one it cannot
 * watch (a regular file): the plain blocking call, between
 * grt_syscall_enter and grt_syscall_exit. */
static ssize_t op_run(grt__polldesc *pd, int mode, op_try_fn try, void *arg)
{
    ssize_t r;
    if (pd->blocking) {
        grt_syscall_enter();
        do
            r = try(pd->fd, arg);
        while (r == -EINTR);
        grt_syscall_exit();
        return r;
    }
    for (;;) {
        int e = grt__pd_check(pd, mode);
        if (e != POLL_OK)
            return poll_errno(e);
        r = try(pd->fd, arg);
        if (r == -EAGAIN && (r = wait_ready(pd, mode)) == 0)
            continue;
        if (r != -EINTR)
            return r;
    }
}

struct io_buf {
    void  *p;
    size_t n;
};

static ssize_t read_try(int fd, void *arg)
{
    struct io_buf *b = arg;
    ssize_t r = grt__sys_read(fd, b->p, b->n);
    return r < 0 ? -errno : r;
}

ssize_t grt_read(int fd, void *buf, size_t n)
{
    int err;
    grt__polldesc *pd = op_begin(fd, GRT_READ, &err);
    if (pd == NULL)
        return err;
    struct io_buf b = {buf, n};
    ssize_t r = op_run(pd, GRT_READ, read_try, &b);
    op_end(pd, GRT_READ);
    return r;
}

/* send with MSG_NOSIGNAL on sockets (a peer that went away must be an
 * EPIPE result, not a SIGPIPE that kills the process); write otherwise. */
static ssize_t write_try(int fd, void *arg)
{
    struct io_buf *b = arg;
    ssize_t r = grt__sys_send(fd, b->p, b->n, MSG_NOSIGNAL);
    if (r < 0 && errno == ENOTSOCK)
        r = grt__sys_write(fd, b->p, b->n);
    return r < 0 ? -errno : r;
}

ssize_t grt_write(int fd, const void *buf, size_t n)
{
    int err;
    grt__polldesc *pd = op_begin(fd, GRT_WRITE, &err);
    if (pd == NULL)
        return err;
    size_t done = 0;
    ssize_t r = 0;
    /* Every byte, or an error.  A zero-length write is passed on to a
     * socket (as Go does), not to a blocking file. */
    while (done < n || (n == 0 && !pd->blocking)) {
        struct io_buf b = {(char *)buf + done, n - done};
        r = op_run(pd, GRT_WRITE, write_try, &b);
        if (r < 0 || n == 0)
            break;
        done += (size_t)r;
    }
    op_end(pd, GRT_WRITE);
    /* Like Go's Write: the bytes written, or the error if none were. */
    if (done == n)
        return (ssize_t)n;
    return done > 0 ? (ssize_t)done : r;
}

struct accept_args {
    struct sockaddr *addr;
    socklen_t       *addrlen;
};

static ssize_t accept_try(int fd, void *arg)
{
    struct accept_args *a = arg;
    int r = grt__sys_accept4(fd, a->addr, a->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (r >= 0)
        return r;
    /* A connection reset before we took it: take the next one.  EMFILE
     * and friends are returned: the listener stays usable. */
    return errno == ECONNABORTED ? -EINTR : -errno;
}

int grt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    int err;
    grt__polldesc *pd = op_begin(fd, GRT_READ, &err);
    if (pd == NULL)
        return err;
    struct accept_args a = {addr, addrlen};
    int r = (int)op_run(pd, GRT_READ, accept_try, &a);
    op_end(pd, GRT_READ);
    if (r >= 0) {
        int one = 1; /* Go's default for TCP; fails harmlessly on others */
        grt__sys_setsockopt(r, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        grt__polldesc *npd = grt__fd_acquire(r, &err);
        if (npd == NULL) {
            grt__sys_close(r);
            return err;
        }
        grt__fd_release(npd);
    }
    return r;
}

/* Wait for mode on pd, with an extra deadline for this call only. */
static int wait_deadline(grt__polldesc *pd, int mode, int64_t deadline);

int grt_connect(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t deadline)
{
    int err;
    grt__polldesc *pd = op_begin(fd, GRT_WRITE, &err);
    if (pd == NULL)
        return err;
    int r = grt__sys_connect(fd, addr, addrlen);
    if (r < 0 && (errno == EINPROGRESS || errno == EINTR)) {
        /* The handshake goes on in the kernel; writable means it ended. */
        for (;;) {
            r = wait_deadline(pd, GRT_WRITE, deadline);
            if (r != 0)
                break;
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (grt__sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) {
                r = -errno;
                break;
            }
            if (soerr == 0) {
                r = 0;
                break;
            }
            if (soerr != EINPROGRESS && soerr != EALREADY && soerr != EINTR) {
                r = -soerr;
                break;
            }
        }
    } else if (r < 0) {
        r = -errno;
    }
    op_end(pd, GRT_WRITE);
    return r;
}

/* ------------------------------------------------------------------ */
/* Datagrams                                                           */
/* ------------------------------------------------------------------ */

/* One recvfrom or sendto: each moves one whole datagram (truncated on
 * receive as recvfrom truncates), so op_run never retries after a result. */
struct dgram {
    void            *buf;
    size_t           n;
    struct sockaddr *addr; /* from (recv) or to (send) */
    socklen_t        len;  /* tolen */
    socklen_t       *lenp; /* fromlen */
};

static ssize_t recvfrom_try(int fd, void *arg)
{
    struct dgram *d = arg;
    ssize_t r = grt__sys_recvfrom(fd, d->buf, d->n, 0, d->addr, d->lenp);
    return r < 0 ? -errno : r;
}

static ssize_t sendto_try(int fd, void *arg)
{
    struct dgram *d = arg;
    ssize_t r = grt__sys_sendto(fd, d->buf, d->n, MSG_NOSIGNAL, d->addr, d->len);
    return r < 0 ? -errno : r;
}

static ssize_t dgram_io(int fd, int mode, struct dgram *d)
{
    int err;
    grt__polldesc *pd = op_begin(fd, mode, &err);
    if (pd == NULL)
        return err;
    ssize_t r = op_run(pd, mode, mode == GRT_READ ? recvfrom_try : sendto_try, d);
    op_end(pd, mode);
    return r;
}

ssize_t grt_recvfrom(int fd, void *buf, size_t n, struct sockaddr *from, socklen_t *fromlen)
{
    if ((buf == NULL && n > 0) || (from != NULL && fromlen == NULL))
        return -EINVAL;
    struct dgram d = {.buf = buf, .n = n, .addr = from, .lenp = from ? fromlen : NULL};
    return dgram_io(fd, GRT_READ, &d);
}

ssize_t grt_sendto(int fd, const void *buf, size_t n, const struct sockaddr *to, socklen_t tolen)
{
    if ((buf == NULL && n > 0) || (to == NULL) != (tolen == 0))
        return -EINVAL;
    struct dgram d = {.buf = (void *)buf, .n = n, .addr = (struct sockaddr *)to, .len = tolen};
    return dgram_io(fd, GRT_WRITE, &d);
}

/* ------------------------------------------------------------------ */
/* Waiting with a per-call deadline                                    */
/* ------------------------------------------------------------------ */

/* The timer only evicts the waiter of the slot; it touches nothing but the
 * pollDesc (which outlives the call), so a firing that races with the
 * call's own return is harmless: at worst a later waiter on the same slot
 * wakes up, finds nothing, and waits again. */
static void call_deadline_fire(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    grt__pd_evict(arg, (int)seq);
}

/* Readiness of fd now (level-triggered check), as GRT_READ|GRT_WRITE. */
static int ready_now(int fd, int events)
{
    struct pollfd p = {.fd = fd, .events = 0};
    if (events & GRT_READ)
        p.events |= POLLIN;
    if (events & GRT_WRITE)
        p.events |= POLLOUT;
    int k;
    do
        k = grt__sys_poll(&p, 1, 0);
    while (k < 0 && errno == EINTR);
    if (k <= 0)
        return 0;
    int r = 0;
    if (p.revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))
        r |= events & GRT_READ;
    if (p.revents & (POLLOUT | POLLHUP | POLLERR))
        r |= events & GRT_WRITE;
    if (p.revents & POLLNVAL)
        return -EBADF;
    return r;
}

static int wait_deadline(grt__polldesc *pd, int mode, int64_t deadline)
{
    if (grt__curg() == NULL)
        return -EPERM;
    int e = grt__pd_check(pd, mode);
    if (e != POLL_OK)
        return poll_errno(e);
    if (deadline != GRT_FOREVER && deadline <= grt__nanotime())
        return -ETIMEDOUT;
    grt__timer t = {0};
    if (deadline != GRT_FOREVER) {
        t.when = deadline;
        t.f = call_deadline_fire;
        t.arg = pd;
        t.seq = (uintptr_t)mode;
    }
    /* grt__pd_wait arms t once the slot says a waiter is coming */
    e = grt__pd_wait(pd, mode, deadline != GRT_FOREVER ? &t : NULL);
    if (deadline != GRT_FOREVER)
        grt__timer_del(&t);
    if (e != POLL_OK)
        return poll_errno(e);
    if (deadline != GRT_FOREVER && deadline <= grt__nanotime())
        return -ETIMEDOUT;
    return 0;
}

int grt_wait_fd(int fd, int events, int64_t deadline)
{
    if ((events & ~(GRT_READ | GRT_WRITE)) || events == 0)
        return -EINVAL;
    int err;
    grt__polldesc *pd = grt__fd_acquire(fd, &err);
    if (pd == NULL && err == -EPERM) {
        /* No runtime: the non-blocking form (deadline passed) works. */
        int r = ready_now(fd, events);
        if (r == 0 && deadline != GRT_FOREVER && deadline <= grt__nanotime())
            r = -ETIMEDOUT;
        return r == 0 ? -EPERM : r;
    }
    if (pd == NULL)
        return err;
    /* Ready, or not to wait: answer without queueing behind a goroutine
     * that holds the side (it may be blocked in a read for ever). */
    int r = ready_now(fd, events);
    if (r == 0 && !pd->blocking && deadline != GRT_FOREVER && deadline <= grt__nanotime())
        r = -ETIMEDOUT;
    if (r != 0 || pd->blocking) {
        grt__fd_release(pd);
        return r;
    }
    /* the slot it waits on (see below) */
    int side = (events & GRT_READ) ? GRT_READ : GRT_WRITE;
    if ((r = side_lock(pd, side)) != 0) {
        grt__fd_release(pd);
        return r;
    }
    for (;;) {
        r = ready_now(fd, events);
        if (r != 0 || pd->blocking)
            break;
        if (deadline != GRT_FOREVER && deadline <= grt__nanotime()) {
            r = -ETIMEDOUT;
            break;
        }
        /* Edge-triggered slots carry one direction each; for both, wait on
         * the read side and look again at least every 10 ms. */
        int mode = side;
        int64_t d = deadline;
        if (events == (GRT_READ | GRT_WRITE)) {
            int64_t cap = grt__time_add(grt__nanotime(), 10 * 1000000);
            if (d == GRT_FOREVER || d > cap)
                d = cap;
        }
        int w = wait_deadline(pd, mode, d);
        if (w == -ETIMEDOUT && d != deadline)
            continue;
        if (w != 0) {
            r = w;
            break;
        }
    }
    op_end(pd, side);
    return r;
}

/* For libgrt_hook (exported, not in grt.h): the caller has just had
 * EAGAIN, or an empty zero-timeout poll, on fd for one direction; wait for
 * the poller's next report on it, with no poll(2) of our own.  grt_wait_fd
 * looks with poll(2) before and after parking, because its caller may not
 * have tried the descriptor; here that is two or three extra system calls
 * per wait (three ppolls per round trip in the redis row).  The
 * edge-triggered registration makes the shortcut exact, as for grt_read:
 * readiness that arrived after the caller's EAGAIN is recorded in the
 * slot, and a first registration reports readiness present at that
 * moment.  Returns events (the caller tries again, and may meet EAGAIN
 * after a report another waiter took), 0 on a descriptor the poller
 * cannot watch, or grt_wait_fd's errors. */
GRT_EXTERN int grt__wait_fd_edge(int fd, int events, int64_t deadline);

int grt__wait_fd_edge(int fd, int events, int64_t deadline)
{
    if (events != GRT_READ && events != GRT_WRITE)
        return grt_wait_fd(fd, events, deadline);
    int err;
    grt__polldesc *pd = grt__fd_acquire(fd, &err);
    if (pd == NULL)
        return err == -EPERM ? grt_wait_fd(fd, events, deadline) : err;
    if (pd->blocking) {
        grt__fd_release(pd);
        return 0;
    }
    int r = side_lock(pd, events);
    if (r != 0) {
        grt__fd_release(pd);
        return r;
    }
    r = wait_deadline(pd, events, deadline);
    op_end(pd, events);
    return r == 0 ? events : r;
}

int grt_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline)
{
    int err;
    grt__polldesc *pd = grt__fd_acquire(fd, &err);
    if (pd == NULL)
        return err;
    int r = grt__pd_set_deadline(pd, read_deadline, write_deadline);
    grt__fd_release(pd);
    return r;
}

int grt_close(int fd)
{
    return grt__fd_close(fd);
}
