/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_fd.c - the hook's per-descriptor state, and the calls that keep it
 * right: socket, socketpair, pipe, pipe2, close, dup, dup2, dup3, fcntl,
 * ioctl(FIONBIO), setsockopt(SO_RCVTIMEO/SO_SNDTIMEO).
 *
 * A descriptor used on a goroutine is made non-blocking in the kernel
 * (HFD_MANAGED) so that the hook can try a call and park on EAGAIN; the
 * program's own O_NONBLOCK is kept apart (HFD_USER_NB) and is what
 * F_GETFL shows and what decides whether EAGAIN goes back to the program.
 * O_NONBLOCK belongs to the open file description, so dup copies the
 * state.  State is set from the kernel the first time the hook meets a
 * descriptor it has not seen created (inherited, opened before the hook
 * was loaded, made by a call it does not wrap).
 *
 * The table is two-level (chunks of 1024 entries, allocated on first use
 * and never freed), so a lookup is two loads and an entry never moves.
 */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS    (1 << 16) /* 64 Mi descriptors */

static hook_fd *chunks[NCHUNKS];

static hook_fd *fd_slot(int fd)
{
    if (fd < 0 || (fd >> CHUNK_BITS) >= NCHUNKS)
        return NULL;
    hook_fd **cp = &chunks[fd >> CHUNK_BITS];
    hook_fd *c = __atomic_load_n(cp, __ATOMIC_ACQUIRE);
    if (c == NULL) {
        hook_fd *fresh = calloc(CHUNK_SIZE, sizeof *fresh);
        if (fresh == NULL)
            return NULL;
        /* acq_rel: publishes the zeroed chunk; pairs with the load above */
        if (__atomic_compare_exchange_n(cp, &c, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            c = fresh;
        else
            free(fresh);
    }
    return &c[fd & (CHUNK_SIZE - 1)];
}

static void fd_set_flags(hook_fd *st, uint32_t f)
{
    __atomic_store_n(&st->flags, f, __ATOMIC_RELEASE); /* pairs with hook_fd_flags */
}

static void fd_update(hook_fd *st, uint32_t set, uint32_t clear)
{
    uint32_t old = hook_fd_flags(st);
    while (!__atomic_compare_exchange_n(&st->flags, &old, (old | set) & ~clear, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    }
}

static int64_t tv_ns(const struct timeval *tv)
{
    return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

/* First sight of fd: what it is and what the program made of it. */
static void fd_learn(int fd, hook_fd *st)
{
    int e = hook_errno_get();
    struct stat sb;
    uint32_t f = HFD_KNOWN;
    if (fstat(fd, &sb) != 0) {
        hook_errno_set(e);
        return; /* not open: stays unknown, libc reports EBADF */
    }
    if (S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode) || S_ISBLK(sb.st_mode))
        f |= HFD_FILE;
    if (S_ISSOCK(sb.st_mode)) {
        f |= HFD_SOCK;
        struct timeval tv;
        socklen_t len = sizeof tv;
        if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0)
            __atomic_store_n(&st->rcvtimeo, tv_ns(&tv), __ATOMIC_RELAXED);
        len = sizeof tv;
        if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0)
            __atomic_store_n(&st->sndtimeo, tv_ns(&tv), __ATOMIC_RELAXED);
    }
    int fl = REAL(fcntl)(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        f |= HFD_USER_NB;
    hook_errno_set(e);
    fd_set_flags(st, f);
}

hook_fd *hook_fd_peek(int fd)
{
    if (fd < 0 || (fd >> CHUNK_BITS) >= NCHUNKS)
        return NULL;
    hook_fd *c = __atomic_load_n(&chunks[fd >> CHUNK_BITS], __ATOMIC_ACQUIRE);
    return c ? &c[fd & (CHUNK_SIZE - 1)] : NULL;
}

hook_fd *hook_fd_get(int fd)
{
    hook_fd *st = fd_slot(fd);
    if (st && !(hook_fd_flags(st) & HFD_KNOWN))
        fd_learn(fd, st);
    return st;
}

void hook_fd_new(int fd, bool sock, bool user_nb)
{
    grt__fd_forget(fd); /* a stale registration of the number's last life */
    hook_fd *st = fd_slot(fd);
    if (st == NULL)
        return;
    __atomic_store_n(&st->rcvtimeo, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&st->sndtimeo, 0, __ATOMIC_RELAXED);
    fd_set_flags(st, HFD_KNOWN | (sock ? HFD_SOCK : 0) | (user_nb ? HFD_USER_NB : 0));
}

static void fd_forget(int fd)
{
    hook_fd *st = fd_slot(fd);
    if (st)
        fd_set_flags(st, 0);
}

void hook_fd_manage(int fd, hook_fd *st)
{
    uint32_t f = hook_fd_flags(st);
    if (f & (HFD_MANAGED | HFD_FILE))
        return;
    int e = hook_errno_get();
    int fl = REAL(fcntl)(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
    hook_errno_set(e);
    fd_update(st, HFD_MANAGED, 0);
}

int hook_wait(int fd, int events, int64_t start, int64_t timeout_ns)
{
    int64_t deadline = GRT_FOREVER;
    if (timeout_ns > 0) {
        deadline = start + timeout_ns;
        if (deadline < start)
            deadline = GRT_FOREVER;
    }
    int r = hook_park_fd(fd, events, deadline);
    if (r > 0)
        return 0;
    int ce = hook_ctx_errno();
    if (ce != 0 && (r == -ECANCELED || r == -ETIMEDOUT))
        return ce; /* the goroutine's context ended */
    switch (r) {
    case -ETIMEDOUT:
        return EAGAIN;  /* the socket timeout: what the kernel reports */
    case -ECANCELED:    /* closed while we waited */
    case -EBADF:
        return EBADF;
    default:
        return -r;
    }
}

bool hook_offg_wait(int fd, hook_fd *st, int events, int64_t start)
{
    int64_t t = events == GRT_READ ? __atomic_load_n(&st->rcvtimeo, __ATOMIC_RELAXED)
                                   : __atomic_load_n(&st->sndtimeo, __ATOMIC_RELAXED);
    struct pollfd p = {fd, (short)(events == GRT_READ ? POLLIN : POLLOUT), 0};
    for (;;) {
        int ms = -1;
        if (t > 0) {
            int64_t left = start + t - grt_now();
            if (left <= 0)
                return false;
            ms = (int)((left + 999999) / 1000000);
        }
        int k = REAL(poll)(&p, 1, ms);
        if (k > 0)
            return true;
        if (k == 0 || hook_errno_get() != EINTR)
            return false;
    }
}

/* --- the calls that create descriptors ------------------------------ */

int socket(int domain, int type, int protocol)
{
    int fd = REAL(socket)(domain, type, protocol);
    if (fd >= 0 && hook_enabled)
        hook_fd_new(fd, true, (type & SOCK_NONBLOCK) != 0);
    return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
    int r = REAL(socketpair)(domain, type, protocol, sv);
    if (r == 0 && hook_enabled) {
        hook_fd_new(sv[0], true, (type & SOCK_NONBLOCK) != 0);
        hook_fd_new(sv[1], true, (type & SOCK_NONBLOCK) != 0);
    }
    return r;
}

int pipe2(int fds[2], int flags)
{
    int r = REAL(pipe2)(fds, flags);
    if (r == 0 && hook_enabled) {
        hook_fd_new(fds[0], false, (flags & O_NONBLOCK) != 0);
        hook_fd_new(fds[1], false, (flags & O_NONBLOCK) != 0);
    }
    return r;
}

int pipe(int fds[2])
{
    return pipe2(fds, 0);
}

/* --- close and dup -------------------------------------------------- */

int close(int fd)
{
    if (!hook_enabled)
        return REAL(close)(fd);
    /* Goroutines parked on fd wake (EBADF) before the number can be
     * reused; then the state goes. */
    grt__fd_forget(fd);
    fd_forget(fd);
    return REAL(close)(fd);
}

static void fd_copy(int from, int to)
{
    hook_fd *a = hook_fd_get(from), *b = fd_slot(to);
    if (a == NULL || b == NULL)
        return;
    __atomic_store_n(&b->rcvtimeo, __atomic_load_n(&a->rcvtimeo, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    __atomic_store_n(&b->sndtimeo, __atomic_load_n(&a->sndtimeo, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    fd_set_flags(b, hook_fd_flags(a));
}

int dup(int fd)
{
    int r = REAL(dup)(fd);
    if (r >= 0 && hook_enabled) {
        grt__fd_forget(r);
        fd_copy(fd, r);
    }
    return r;
}

static int dup_onto(int fd, int fd2, int flags, bool three)
{
    if (!hook_enabled)
        return three ? REAL(dup3)(fd, fd2, flags) : REAL(dup2)(fd, fd2);
    if (fd != fd2) /* fd2 is closed by the call: wake its waiters first */
        grt__fd_forget(fd2);
    int r = three ? REAL(dup3)(fd, fd2, flags) : REAL(dup2)(fd, fd2);
    if (r >= 0 && fd != fd2)
        fd_copy(fd, r);
    return r;
}

int dup2(int fd, int fd2)
{
    return dup_onto(fd, fd2, 0, false);
}

int dup3(int fd, int fd2, int flags)
{
    return dup_onto(fd, fd2, flags, true);
}

/* --- fcntl, ioctl, setsockopt: the program's view ------------------- */

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* int or pointer: passed on as it came */
    va_end(ap);
    if (!hook_enabled)
        return REAL(fcntl)(fd, cmd, arg);
    switch (cmd) {
    case F_GETFL: {
        int r = REAL(fcntl)(fd, cmd);
        hook_fd *st = r >= 0 ? hook_fd_get(fd) : NULL;
        if (st && (hook_fd_flags(st) & HFD_MANAGED))
            r = (r & ~O_NONBLOCK) | ((hook_fd_flags(st) & HFD_USER_NB) ? O_NONBLOCK : 0);
        return r;
    }
    case F_SETFL: {
        int fl = (int)(intptr_t)arg;
        hook_fd *st = hook_fd_get(fd);
        bool managed = st && (hook_fd_flags(st) & HFD_MANAGED);
        int r = REAL(fcntl)(fd, cmd, managed ? fl | O_NONBLOCK : fl);
        if (r == 0 && st)
            fd_update(st, (fl & O_NONBLOCK) ? HFD_USER_NB : 0, (fl & O_NONBLOCK) ? 0 : HFD_USER_NB);
        return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        int r = REAL(fcntl)(fd, cmd, arg);
        if (r >= 0) {
            grt__fd_forget(r);
            fd_copy(fd, r);
        }
        return r;
    }
    default:
        return REAL(fcntl)(fd, cmd, arg);
    }
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!hook_enabled || req != FIONBIO)
        return REAL(ioctl)(fd, req, arg);
    hook_fd *st = hook_fd_get(fd);
    if (st == NULL || !(hook_fd_flags(st) & HFD_MANAGED)) {
        int r = REAL(ioctl)(fd, req, arg);
        if (r == 0 && st)
            fd_update(st, *(int *)arg ? HFD_USER_NB : 0, *(int *)arg ? 0 : HFD_USER_NB);
        return r;
    }
    /* Managed: the kernel stays non-blocking; only the view changes.  An
     * ioctl on a descriptor that is not open still fails as it should. */
    int one = 1;
    int r = REAL(ioctl)(fd, req, &one);
    if (r == 0)
        fd_update(st, *(int *)arg ? HFD_USER_NB : 0, *(int *)arg ? 0 : HFD_USER_NB);
    return r;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    int r = REAL(setsockopt)(fd, level, name, val, len);
    if (r == 0 && hook_enabled && level == SOL_SOCKET &&
        (name == SO_RCVTIMEO || name == SO_SNDTIMEO) && len >= sizeof(struct timeval)) {
        hook_fd *st = hook_fd_get(fd);
        if (st)
            __atomic_store_n(name == SO_RCVTIMEO ? &st->rcvtimeo : &st->sndtimeo,
                             tv_ns(val), __ATOMIC_RELAXED);
    }
    return r;
}
