/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netpoll_epoll.c - the Linux backend of netpoll.h: epoll, edge-triggered,
 * and an eventfd to interrupt a blocked epoll_wait.
 */
#include "runtime.h"
#include "netpoll.h"
#include "sched.h"
#include "sys.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int      epfd = -1;
static int      breakfd = -1;
static uint32_t break_pending; /* a break was written and not yet drained */

int grt__netpoll_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    breakfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (breakfd < 0) {
        int e = errno;
        close(epfd);
        epfd = -1;
        return -e;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &breakfd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, breakfd, &ev) != 0) {
        int e = errno;
        grt__netpoll_fini();
        return -e;
    }
    break_pending = 0;
    return 0;
}

void grt__netpoll_fini(void)
{
    if (breakfd >= 0)
        close(breakfd);
    if (epfd >= 0)
        close(epfd);
    breakfd = epfd = -1;
}

int grt__netpoll_open(int fd, grt__polldesc *pd)
{
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
        .data.ptr = pd,
    };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        return 0;
    if (errno == EEXIST) /* registered by an earlier life of this fd number */
        return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
    return -errno;
}

int grt__netpoll_close(int fd)
{
    struct epoll_event ev = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev) == 0 ? 0 : -errno;
}

void grt__netpoll_break(void)
{
    /* One write is enough until the poller drains it. */
    if (!cas_acqrel(&break_pending, 0, 1))
        return;
    /* Through sys.h, not libc's write: a goroutine arming a timer comes
     * here, and an interposed write (libgrt_hook) must not see the
     * runtime's descriptor.  errno is the goroutine's: left as it was. */
    uint64_t one = 1;
    int saved = errno;
    while (grt__sys_write(breakfd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    errno = saved;
}

/* epoll_pwait2 (Linux 5.11) takes a timespec: a timer 1.3 ms away wakes
 * the poller after 1.3 ms, where epoll_wait's milliseconds would make it
 * 2 ms (or 1 ms early and a second wait).  Timer-heavy programs (10,000
 * goroutines sleeping 1 ms) feel that directly.  Its number is the same on
 * every architecture (the generic table); older kernels say ENOSYS once. */
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
static int have_pwait2 = 1;

static int epoll_wait_ns(struct epoll_event *events, int max, int64_t delay)
{
    if (delay > 0 && ld_relaxed(&have_pwait2)) {
        struct timespec ts = {delay / 1000000000, delay % 1000000000};
        long k = syscall(SYS_epoll_pwait2, epfd, events, max, &ts, NULL, 0);
        if (k >= 0 || errno != ENOSYS)
            return (int)k;
        st_relaxed(&have_pwait2, 0);
    }
    int ms;
    if (delay < 0)
        ms = -1;
    else if (delay == 0)
        ms = 0;
    else if (delay < 1000000)
        ms = 1; /* never spin on sub-ms waits */
    else if (delay < 1000000LL * 1000000)
        ms = (int)((delay + 999999) / 1000000); /* not early */
    else
        ms = 1000000 * 1000; /* about 11 days: the caller will come back */
    return epoll_wait(epfd, events, max, ms);
}


struct g *grt__netpoll(int64_t delay, int32_t *n)
{
    *n = 0;
    if (epfd < 0)
        return NULL;
    if (delay > 1000000LL * 1000000000)
        delay = 1000000LL * 1000000000; /* 11 days: the caller will come back */
    struct epoll_event events[128];
    int k;
    for (;;) {
        k = epoll_wait_ns(events, 128, delay);
        if (k >= 0)
            break;
        if (errno != EINTR)
            grt__fatal("epoll_wait failed: errno %d", errno);
        if (delay > 0)
            return NULL; /* the caller recomputes its delay */
    }
    struct g *head = NULL, *tail = NULL;
    for (int i = 0; i < k; i++) {
        struct epoll_event *ev = &events[i];
        if (ev->events == 0)
            continue;
        if (ev->data.ptr == &breakfd) {
            /* Only a blocking poll drains a break.  A non-blocking one (a
             * spinning M's, sysmon's) that drained it would take the
             * wake-up meant for the poller blocked beside it: a breaker
             * that found break_pending still set between our read and
             * our store wrote nothing, the blocked poller slept on with
             * nobody watching the timer it was told about (a test_dgram
             * hang under TSan).  Left pending, the break returns the
             * blocking poll at once; that one is returning anyway and
             * looks at the timers again, so a break it clears late is
             * never owed to anybody. */
            if (delay != 0) {
                uint64_t v;
                while (grt__sys_read(breakfd, &v, sizeof v) < 0 && errno == EINTR) {
                }
                st_release(&break_pending, 0);
            }
            continue;
        }
        int mode = 0;
        if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            mode |= GRT_READ;
        if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            mode |= GRT_WRITE;
        if (mode)
            grt__netpoll_ready(ev->data.ptr, mode, &head, &tail, n);
    }
    return head;
}
