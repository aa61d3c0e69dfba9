/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook_block.c - calls that can block and cannot be polled: open, openat,
 * fsync, fdatasync, flock, waitpid, wait.  On a goroutine each runs inside
 * grt_syscall_enter/exit, so a long one hands the P to another thread
 * (reads and writes of regular files do the same, in hook_io.c).
 */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/wait.h>

/* Wrap one call: the result r, errno as libc left it on failure and as
 * it was before on success, set on the thread the goroutine is on after
 * the section (it may have moved). */
#define SYSCALL_SECTION(type, expr)                                            \
    do {                                                                       \
        int saved_ = hook_errno_get();                                         \
        grt_syscall_enter();                                                   \
        type r_ = (expr);                                                      \
        int e_ = hook_errno_get();                                             \
        grt_syscall_exit();                                                    \
        hook_errno_set(r_ < 0 ? e_ : saved_);                                  \
        return r_;                                                             \
    } while (0)

static int opened(int fd, int flags)
{
    if (fd >= 0 && hook_enabled)
        hook_fd_new(fd, false, (flags & O_NONBLOCK) != 0);
    return fd;
}

static int open_g(int dirfd, const char *path, int flags, mode_t mode, bool at)
{
    int saved = hook_errno_get();
    grt_syscall_enter();
    int fd = at ? REAL(openat)(dirfd, path, flags, mode) : REAL(open)(path, flags, mode);
    int e = hook_errno_get();
    grt_syscall_exit();
    hook_errno_set(fd < 0 ? e : saved);
    return opened(fd, flags);
}

static mode_t open_mode(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    if (!hook_on_g())
        return opened(REAL(open)(path, flags, mode), flags);
    return open_g(AT_FDCWD, path, flags, mode, false);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    if (!hook_on_g())
        return opened(REAL(open64)(path, flags, mode), flags);
    return open_g(AT_FDCWD, path, flags, mode, false);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    if (!hook_on_g())
        return opened(REAL(openat)(dirfd, path, flags, mode), flags);
    return open_g(dirfd, path, flags, mode, true);
}

int fsync(int fd)
{
    if (!hook_on_g())
        return REAL(fsync)(fd);
    SYSCALL_SECTION(int, REAL(fsync)(fd));
}

int fdatasync(int fd)
{
    if (!hook_on_g())
        return REAL(fdatasync)(fd);
    SYSCALL_SECTION(int, REAL(fdatasync)(fd));
}

int flock(int fd, int op)
{
    if (!hook_on_g() || (op & LOCK_NB))
        return REAL(flock)(fd, op);
    SYSCALL_SECTION(int, REAL(flock)(fd, op));
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    if (!hook_on_g() || (options & WNOHANG))
        return REAL(waitpid)(pid, status, options);
    SYSCALL_SECTION(pid_t, REAL(waitpid)(pid, status, options));
}

pid_t wait(int *status)
{
    if (!hook_on_g())
        return REAL(wait)(status);
    SYSCALL_SECTION(pid_t, REAL(wait)(status));
}
