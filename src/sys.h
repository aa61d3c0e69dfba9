/* SPDX-License-Identifier: BSD-3-Clause */
/* The runtime's own descriptor calls, made with syscall(2) so that an
 * interposing library (libgrt_hook, or any LD_PRELOAD wrapper) never sees
 * them.  Without this, a goroutine inside grt_read would call the hook's
 * read, which would park through grt_wait_fd and come back into libgrt:
 * recursion at best, a second waiter on one poll slot at worst.  The same
 * for the opens and sleeps the runtime makes on a goroutine's behalf
 * (grt_trace_start's calibration sleep, hooked, parked inside the
 * runtime and never returned).  Each
 * returns what the libc call of the same name returns (-1 and errno on
 * failure). */
#ifndef GRT_SYS_H
#define GRT_SYS_H

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline ssize_t grt__sys_read(int fd, void *buf, size_t n)
{
    return syscall(SYS_read, fd, buf, n);
}

static inline ssize_t grt__sys_write(int fd, const void *buf, size_t n)
{
    return syscall(SYS_write, fd, buf, n);
}

#ifdef GRT_TSAN
/* glibc's exported alias, which ThreadSanitizer intercepts and the hook
 * does not: TSan must see the runtime's closes, or it reports the next
 * user of a reused number as racing the runtime's epoll_ctl on the old
 * one (seen in test_io_eintr: closedir against grt__netpoll_close). */
extern int __close(int fd);
#endif

static inline int grt__sys_close(int fd)
{
#ifdef GRT_TSAN
    return __close(fd);
#else
    return (int)syscall(SYS_close, fd);
#endif
}

static inline ssize_t grt__sys_send(int fd, const void *buf, size_t n, int flags)
{
    return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

static inline ssize_t grt__sys_recvfrom(int fd, void *buf, size_t n, int flags,
                                        struct sockaddr *from, socklen_t *fromlen)
{
    return syscall(SYS_recvfrom, fd, buf, n, flags, from, fromlen);
}

static inline ssize_t grt__sys_sendto(int fd, const void *buf, size_t n, int flags,
                                      const struct sockaddr *to, socklen_t tolen)
{
    return syscall(SYS_sendto, fd, buf, n, flags, to, tolen);
}

static inline int grt__sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

static inline int grt__sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return (int)syscall(SYS_connect, fd, addr, len);
}

static inline int grt__sys_socket(int domain, int type, int protocol)
{
    return (int)syscall(SYS_socket, domain, type, protocol);
}

static inline int grt__sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

static inline int grt__sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return (int)syscall(SYS_getsockopt, fd, level, name, val, len);
}

/* fcntl with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD). */
static inline int grt__sys_fcntl(int fd, int cmd, long arg)
{
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

static inline int grt__sys_open(const char *path, int flags, int mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static inline int grt__sys_nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)syscall(SYS_nanosleep, req, rem);
}

static inline int grt__sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    return (int)syscall(SYS_ppoll, fds, n,
                        timeout_ms < 0 ? NULL
                                       : &(struct timespec){timeout_ms / 1000,
                                                            (timeout_ms % 1000) * 1000000L},
                        NULL, (size_t)0);
}

#endif
