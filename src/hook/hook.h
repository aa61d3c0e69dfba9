/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook.h - libgrt_hook's internals: libc's own functions (found once with
 * dlsym(RTLD_NEXT)), the "on a goroutine" check, errno handling, and the
 * per-descriptor state table (hook_fd.c).
 *
 * Every interposed call starts with hook_on_g(): off a goroutine (any
 * thread grt does not run a goroutine on, the scheduler itself, or with
 * GRT_HOOK=0) it goes to libc as it is.  On a goroutine a call that would
 * block parks the goroutine through libgrt's public calls (grt_wait_fd,
 * grt_sleep, grt_offload, grt_syscall_enter/exit), never the thread.
 *
 * errno: glibc declares __errno_location const, so within one function the
 * compiler may compute &errno once and keep it across a call that parked
 * and resumed on another thread.  The hook therefore touches errno only
 * through the out-of-line hook_errno_get/set, fresh at every use, and sets
 * it on the path that returns, after the last park.
 */
#ifndef GRT_HOOK_H
#define GRT_HOOK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "grt.h"

#define HOOK_HIDDEN __attribute__((visibility("hidden")))

/* libc's functions, name and type.  X(name, return type, parameters). */
#define HOOK_REAL_LIST(X)                                                              \
    X(read, ssize_t, (int, void *, size_t))                                            \
    X(write, ssize_t, (int, const void *, size_t))                                     \
    X(readv, ssize_t, (int, const struct iovec *, int))                                \
    X(writev, ssize_t, (int, const struct iovec *, int))                               \
    X(recv, ssize_t, (int, void *, size_t, int))                                       \
    X(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))   \
    X(recvmsg, ssize_t, (int, struct msghdr *, int))                                   \
    X(send, ssize_t, (int, const void *, size_t, int))                                 \
    X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t)) \
    X(sendmsg, ssize_t, (int, const struct msghdr *, int))                             \
    X(accept, int, (int, struct sockaddr *, socklen_t *))                              \
    X(accept4, int, (int, struct sockaddr *, socklen_t *, int))                        \
    X(connect, int, (int, const struct sockaddr *, socklen_t))                         \
    X(socket, int, (int, int, int))                                                    \
    X(socketpair, int, (int, int, int, int *))                                         \
    X(pipe, int, (int *))                                                              \
    X(pipe2, int, (int *, int))                                                        \
    X(close, int, (int))                                                               \
    X(dup, int, (int))                                                                 \
    X(dup2, int, (int, int))                                                           \
    X(dup3, int, (int, int, int))                                                      \
    X(fcntl, int, (int, int, ...))                                                     \
    X(ioctl, int, (int, unsigned long, ...))                                           \
    X(setsockopt, int, (int, int, int, const void *, socklen_t))                       \
    X(poll, int, (struct pollfd *, nfds_t, int))                                       \
    X(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)) \
    X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))              \
    X(pselect, int, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
    X(epoll_wait, int, (int, struct epoll_event *, int, int))                          \
    X(epoll_pwait, int, (int, struct epoll_event *, int, int, const sigset_t *))       \
    X(sleep, unsigned, (unsigned))                                                     \
    X(usleep, int, (useconds_t))                                                       \
    X(nanosleep, int, (const struct timespec *, struct timespec *))                    \
    X(clock_nanosleep, int, (clockid_t, int, const struct timespec *, struct timespec *)) \
    X(getaddrinfo, int, (const char *, const char *, const struct addrinfo *, struct addrinfo **)) \
    X(getnameinfo, int, (const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int)) \
    X(gethostbyname, struct hostent *, (const char *))                                 \
    X(gethostbyname2, struct hostent *, (const char *, int))                           \
    X(gethostbyname_r, int, (const char *, struct hostent *, char *, size_t, struct hostent **, int *)) \
    X(open, int, (const char *, int, ...))                                             \
    X(open64, int, (const char *, int, ...))                                           \
    X(openat, int, (int, const char *, int, ...))                                      \
    X(fsync, int, (int))                                                               \
    X(fdatasync, int, (int))                                                           \
    X(flock, int, (int, int))                                                          \
    X(waitpid, pid_t, (pid_t, int *, int))                                             \
    X(wait, pid_t, (int *))

#define HOOK_REAL_FIELD(name, ret, args) ret(*name) args;
struct hook_real {
    HOOK_REAL_LIST(HOOK_REAL_FIELD)
};
#undef HOOK_REAL_FIELD
HOOK_HIDDEN extern struct hook_real hook_libc;
HOOK_HIDDEN extern bool hook_enabled;
HOOK_HIDDEN void hook_resolve(void);

/* libc's function name (resolved on first use if a call comes before the
 * constructor, from another library's constructor). */
#define REAL(name) (__builtin_expect(hook_libc.name != NULL, 1) ? hook_libc.name : (hook_resolve(), hook_libc.name))

/* True when the caller runs a goroutine and interposition is on. */
static inline bool hook_on_g(void)
{
    return __builtin_expect(hook_enabled, 1) && grt_id() != 0;
}

/* The errno of the calling goroutine's context once it has ended
 * (ECANCELED, or ETIMEDOUT for a deadline), else 0.  A grt call that parks
 * returns the same -ECANCELED for a close and -ETIMEDOUT for its own
 * deadline: this tells the context's end apart (API.md: a hooked call that
 * would park under an ended context fails with the context's errno). */
static inline int hook_ctx_errno(void)
{
    return -grt_ctx_err(grt_ctx_current());
}

HOOK_HIDDEN int  hook_errno_get(void);
HOOK_HIDDEN void hook_errno_set(int e);
/* Return -1 with errno e (for ssize_t and int returns alike). */
HOOK_HIDDEN int  hook_fail(int e);

/* --- per-descriptor state (hook_fd.c) ------------------------------- */

enum {
    HFD_KNOWN   = 1,  /* the entry describes the open descriptor */
    HFD_SOCK    = 2,  /* a socket */
    HFD_FILE    = 4,  /* not pollable: regular file, directory, block device */
    HFD_USER_NB = 8,  /* the program's own O_NONBLOCK */
    HFD_MANAGED = 16, /* the hook made the kernel's file non-blocking */
};

typedef struct hook_fd {
    uint32_t flags;    /* HFD_* (atomic) */
    int64_t  rcvtimeo; /* SO_RCVTIMEO in ns, 0 none (atomic) */
    int64_t  sndtimeo; /* SO_SNDTIMEO */
} hook_fd;

/* The state of fd, initialised from the kernel on first sight; NULL for a
 * negative or absurd fd (the caller lets libc report EBADF). */
HOOK_HIDDEN hook_fd *hook_fd_get(int fd);
/* The state if the hook has a table entry for fd, without learning it
 * (the off-goroutine path: no system call). */
HOOK_HIDDEN hook_fd *hook_fd_peek(int fd);
/* A new descriptor with this number: forget the old one's state (here and
 * in libgrt's poller); user_nb as the program created it. */
HOOK_HIDDEN void hook_fd_new(int fd, bool sock, bool user_nb);
/* Prepare a pollable fd for non-blocking use on a goroutine. */
HOOK_HIDDEN void hook_fd_manage(int fd, hook_fd *st);
static inline uint32_t hook_fd_flags(const hook_fd *st)
{
    return __atomic_load_n(&st->flags, __ATOMIC_ACQUIRE);
}
/* Park until fd is ready for events (GRT_READ/GRT_WRITE) or timeout_ns
 * (0: none) from start passes.  0 to retry, or an errno for the call:
 * EAGAIN at the timeout (libc's SO_RCVTIMEO/SO_SNDTIMEO result), EBADF when
 * the fd was closed meanwhile. */
HOOK_HIDDEN int hook_wait(int fd, int events, int64_t start, int64_t timeout_ns);
/* Off a goroutine, on a descriptor the hook made non-blocking behind a
 * program that wants it blocking: wait as libc would have (poll). */
HOOK_HIDDEN bool hook_offg_wait(int fd, hook_fd *st, int events, int64_t start);

/* libgrt internals exported for the hook (not in grt.h). */
void grt__hook_attach(void);
void grt__fd_forget(int fd);
void grt__hook_park_begin(void); /* the goroutine prefers to resume on this thread */
int  grt__wait_fd_edge(int fd, int events, int64_t deadline); /* grt_wait_fd after EAGAIN (io.c) */
void grt__hook_park_end(void);

/* Every park of the hook goes through these.  hook_park_fd is called only
 * after the descriptor said EAGAIN (or a zero-timeout poll found nothing),
 * so it waits for the poller's next report without looking first.  All
 * are bracketed by
 * grt__hook_park_begin/end, the goroutine resumes on the thread it parked
 * on whenever that thread is idle (see the errno note at the top). */
static inline int hook_park_fd(int fd, int events, int64_t deadline)
{
    grt__hook_park_begin();
    int r = grt__wait_fd_edge(fd, events, deadline);
    grt__hook_park_end();
    return r;
}

static inline int hook_park_sleep(int64_t ns)
{
    grt__hook_park_begin();
    int r = grt_sleep(ns);
    grt__hook_park_end();
    return r;
}

static inline int hook_park_offload(grt_fn fn, void *arg)
{
    grt__hook_park_begin();
    int r = grt_offload(fn, arg);
    grt__hook_park_end();
    return r;
}

#endif
