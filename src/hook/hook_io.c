/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_io.c - read, readv, write, writev, recv, recvfrom, recvmsg, send,
 * sendto, sendmsg, accept, accept4, connect (and glibc's _FORTIFY_SOURCE
 * entry points __read_chk, __recv_chk, __recvfrom_chk).
 *
 * One loop serves them all (io_run): try the call on the non-blocking
 * descriptor; on EAGAIN park the goroutine until the fd is ready (or its
 * SO_RCVTIMEO/SO_SNDTIMEO passes: EAGAIN, as the kernel says) and try
 * again.  Output calls continue after a partial write until everything is
 * written, as a blocking socket does.  A descriptor the program made
 * non-blocking, or a call with MSG_DONTWAIT, is passed straight through.
 * A regular file runs the blocking call inside a syscall section.
 *
 * Off a goroutine the call goes straight to libc, except on a descriptor
 * the hook made non-blocking for a goroutine behind a program that wants
 * it blocking: there an EAGAIN is waited out with poll, as the blocking
 * call would have waited.
 */
#include "hook.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

struct io_args {
    void                  *buf;
    const void            *cbuf;
    size_t                 n;
    int                    flags;
    struct sockaddr       *addr;
    socklen_t             *alen;
    const struct sockaddr *caddr;
    socklen_t              clen;
    const struct iovec    *iov;
    int                    iovcnt;
    struct msghdr         *msg;
    const struct msghdr   *cmsg;
    size_t                 off; /* output already written */
};

typedef ssize_t (*io_call)(int fd, struct io_args *a);

static ssize_t call_read(int fd, struct io_args *a)
{
    return REAL(read)(fd, a->buf, a->n);
}

static ssize_t call_recvfrom(int fd, struct io_args *a)
{
    return REAL(recvfrom)(fd, a->buf, a->n, a->flags, a->addr, a->alen);
}

static ssize_t call_readv(int fd, struct io_args *a)
{
    return REAL(readv)(fd, a->iov, a->iovcnt);
}

static ssize_t call_recvmsg(int fd, struct io_args *a)
{
    return REAL(recvmsg)(fd, a->msg, a->flags);
}

static ssize_t call_write(int fd, struct io_args *a)
{
    return REAL(write)(fd, (const char *)a->cbuf + a->off, a->n - a->off);
}

static ssize_t call_sendto(int fd, struct io_args *a)
{
    return REAL(sendto)(fd, (const char *)a->cbuf + a->off, a->n - a->off, a->flags, a->caddr,
                        a->clen);
}

/* The part of iov after off bytes, in out (room for cnt entries). */
static int iov_rest(const struct iovec *iov, int cnt, size_t off, struct iovec *out)
{
    int k = 0;
    for (int i = 0; i < cnt; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        out[k].iov_base = (char *)iov[i].iov_base + off;
        out[k].iov_len = iov[i].iov_len - off;
        off = 0;
        k++;
    }
    return k;
}

static ssize_t call_writev(int fd, struct io_args *a)
{
    if (a->off == 0 || a->iovcnt <= 0 || a->iovcnt > IOV_MAX)
        return REAL(writev)(fd, a->iov, a->iovcnt);
    struct iovec rest[a->iovcnt];
    return REAL(writev)(fd, rest, iov_rest(a->iov, a->iovcnt, a->off, rest));
}

static ssize_t call_sendmsg(int fd, struct io_args *a)
{
    const struct msghdr *m = a->cmsg;
    if (a->off == 0 || m->msg_iovlen == 0 || m->msg_iovlen > IOV_MAX)
        return REAL(sendmsg)(fd, m, a->flags);
    struct iovec rest[m->msg_iovlen];
    struct msghdr m2 = *m;
    m2.msg_iov = rest;
    m2.msg_iovlen = (size_t)iov_rest(m->msg_iov, (int)m->msg_iovlen, a->off, rest);
    m2.msg_control = NULL; /* ancillary data went with the first part */
    m2.msg_controllen = 0;
    return REAL(sendmsg)(fd, &m2, a->flags);
}

static size_t iov_total(const struct iovec *iov, size_t cnt)
{
    size_t t = 0;
    for (size_t i = 0; i < cnt; i++)
        t += iov[i].iov_len;
    return t;
}

/* A regular file (or anything epoll cannot watch): the blocking call in a
 * syscall section, so a long one hands the P to another thread. */
static ssize_t file_call(int fd, io_call call, struct io_args *a)
{
    int saved = hook_errno_get();
    grt_syscall_enter();
    ssize_t r = call(fd, a);
    int e = hook_errno_get();
    grt_syscall_exit();
    if (r < 0)
        return hook_fail(e);
    hook_errno_set(saved);
    return r;
}

/* events: GRT_READ or GRT_WRITE.  total: for output calls, the bytes to
 * write in all (SIZE_MAX: input, one call's worth). */
static ssize_t io_run(int fd, int events, io_call call, struct io_args *a, size_t total)
{
    bool on_g = hook_on_g();
    hook_fd *st = on_g ? hook_fd_get(fd) : (hook_enabled ? hook_fd_peek(fd) : NULL);
    if (st == NULL)
        return call(fd, a);
    uint32_t f = hook_fd_flags(st);
    if ((f & HFD_USER_NB) || (a->flags & MSG_DONTWAIT))
        return call(fd, a);
    if (!on_g) {
        if (!(f & HFD_MANAGED))
            return call(fd, a);
    } else if (f & HFD_FILE) {
        return file_call(fd, call, a);
    } else {
        hook_fd_manage(fd, st);
    }
    bool output = total != SIZE_MAX;
    int64_t timeout = events == GRT_READ ? __atomic_load_n(&st->rcvtimeo, __ATOMIC_RELAXED)
                                         : __atomic_load_n(&st->sndtimeo, __ATOMIC_RELAXED);
    int saved = hook_errno_get();
    int64_t start = 0;
    for (;;) {
        ssize_t r = call(fd, a);
        if (r >= 0) {
            if (output && r > 0 && a->off + (size_t)r < total) {
                a->off += (size_t)r;
                continue;
            }
            hook_errno_set(saved);
            return output ? (ssize_t)(a->off + (size_t)r) : r;
        }
        int e = hook_errno_get();
        if (e == EAGAIN || e == EWOULDBLOCK) {
            if (start == 0)
                start = grt_now();
            if (on_g)
                e = hook_wait(fd, events, start, timeout);
            else
                e = hook_offg_wait(fd, st, events, start) ? 0 : EAGAIN;
            if (e == 0)
                continue;
        }
        /* Like a blocking socket: bytes already written are the result. */
        if (output && a->off > 0) {
            hook_errno_set(saved);
            return (ssize_t)a->off;
        }
        return hook_fail(e);
    }
}

ssize_t read(int fd, void *buf, size_t n)
{
    struct io_args a = {.buf = buf, .n = n};
    return io_run(fd, GRT_READ, call_read, &a, SIZE_MAX);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen)
        __builtin_trap(); /* glibc's __chk_fail: a buffer overflow */
    return read(fd, buf, n);
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    struct io_args a = {.iov = iov, .iovcnt = iovcnt};
    return io_run(fd, GRT_READ, call_readv, &a, SIZE_MAX);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *alen)
{
    struct io_args a = {.buf = buf, .n = n, .flags = flags, .addr = addr, .alen = alen};
    return io_run(fd, GRT_READ, call_recvfrom, &a, SIZE_MAX);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    return recvfrom(fd, buf, n, flags, NULL, NULL);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (n > buflen)
        __builtin_trap();
    return recvfrom(fd, buf, n, flags, NULL, NULL);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *alen);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *alen)
{
    if (n > buflen)
        __builtin_trap();
    return recvfrom(fd, buf, n, flags, addr, alen);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct io_args a = {.msg = msg, .flags = flags};
    return io_run(fd, GRT_READ, call_recvmsg, &a, SIZE_MAX);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    struct io_args a = {.cbuf = buf, .n = n};
    return io_run(fd, GRT_WRITE, call_write, &a, n);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    struct io_args a = {.iov = iov, .iovcnt = iovcnt};
    return io_run(fd, GRT_WRITE, call_writev, &a,
                  iovcnt > 0 ? iov_total(iov, (size_t)iovcnt) : 0);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t alen)
{
    struct io_args a = {.cbuf = buf, .n = n, .flags = flags, .caddr = addr, .clen = alen};
    return io_run(fd, GRT_WRITE, call_sendto, &a, n);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    return sendto(fd, buf, n, flags, NULL, 0);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct io_args a = {.cmsg = msg, .flags = flags};
    return io_run(fd, GRT_WRITE, call_sendmsg, &a,
                  msg ? iov_total(msg->msg_iov, msg->msg_iovlen) : 0);
}

/* --- accept and connect ----------------------------------------------- */

int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
    bool on_g = hook_on_g();
    hook_fd *st = on_g ? hook_fd_get(fd) : (hook_enabled ? hook_fd_peek(fd) : NULL);
    uint32_t f = st ? hook_fd_flags(st) : 0;
    int saved = hook_errno_get();
    int64_t start = 0;
    int r;
    if (on_g && st && !(f & HFD_USER_NB))
        hook_fd_manage(fd, st);
    for (;;) {
        r = REAL(accept4)(fd, addr, alen, flags);
        if (r >= 0 || st == NULL || (f & HFD_USER_NB) || !(hook_fd_flags(st) & HFD_MANAGED))
            break;
        int e = hook_errno_get();
        if (e != EAGAIN && e != EWOULDBLOCK)
            break;
        if (start == 0)
            start = grt_now();
        if (on_g)
            e = hook_wait(fd, GRT_READ, start, __atomic_load_n(&st->rcvtimeo, __ATOMIC_RELAXED));
        else
            e = hook_offg_wait(fd, st, GRT_READ, start) ? 0 : EAGAIN;
        if (e != 0)
            return hook_fail(e);
    }
    if (r >= 0) {
        if (hook_enabled)
            hook_fd_new(r, true, (flags & SOCK_NONBLOCK) != 0);
        hook_errno_set(saved);
    }
    return r;
}

int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
    return accept4(fd, addr, alen, 0);
}

int connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
    if (!hook_on_g())
        return REAL(connect)(fd, addr, alen); /* never made non-blocking before use */
    hook_fd *st = hook_fd_get(fd);
    if (st == NULL || (hook_fd_flags(st) & (HFD_USER_NB | HFD_FILE)))
        return REAL(connect)(fd, addr, alen);
    hook_fd_manage(fd, st);
    int saved = hook_errno_get();
    int64_t start = 0;
    int64_t timeout = __atomic_load_n(&st->sndtimeo, __ATOMIC_RELAXED);
    for (;;) {
        if (REAL(connect)(fd, addr, alen) == 0) {
            hook_errno_set(saved);
            return 0;
        }
        int e = hook_errno_get();
        if (e == EAGAIN) { /* a unix socket's full backlog: wait and try again */
            if (start == 0)
                start = grt_now();
            e = hook_wait(fd, GRT_WRITE, start, timeout);
            if (e == 0)
                continue;
            return hook_fail(e);
        }
        if (e != EINPROGRESS)
            return hook_fail(e);
        /* The handshake goes on in the kernel; writable means it ended. */
        start = grt_now();
        for (;;) {
            e = hook_wait(fd, GRT_WRITE, start, timeout);
            if (e == EAGAIN)
                return hook_fail(EINPROGRESS); /* what Linux says at SO_SNDTIMEO */
            if (e != 0)
                return hook_fail(e);
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
                return hook_fail(hook_errno_get());
            if (soerr == EINPROGRESS || soerr == EALREADY)
                continue;
            if (soerr != 0)
                return hook_fail(soerr);
            hook_errno_set(saved);
            return 0;
        }
    }
}
