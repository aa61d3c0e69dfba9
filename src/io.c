/*
 * io.c - goroutine-aware file descriptors and network calls.
 *
 * The poller (netpoll) arrives with the time/network work; until then the
 * network calls report -ENOSYS, as grt.h documents, and no goroutine can be
 * waiting on a descriptor.
 */
#include "runtime.h"

#include <errno.h>

int64_t grt__netpoll_waiters(void)
{
    return 0;
}

int grt_listen(const char *network, const char *address)
{
    (void)network;
    (void)address;
    return -ENOSYS;
}

int grt_dial(const char *network, const char *address, int64_t deadline)
{
    (void)network;
    (void)address;
    (void)deadline;
    return -ENOSYS;
}

int grt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    (void)fd;
    (void)addr;
    (void)addrlen;
    return -ENOSYS;
}

int grt_connect(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t deadline)
{
    (void)fd;
    (void)addr;
    (void)addrlen;
    (void)deadline;
    return -ENOSYS;
}

ssize_t grt_read(int fd, void *buf, size_t n)
{
    (void)fd;
    (void)buf;
    (void)n;
    return -ENOSYS;
}

ssize_t grt_write(int fd, const void *buf, size_t n)
{
    (void)fd;
    (void)buf;
    (void)n;
    return -ENOSYS;
}

int grt_wait_fd(int fd, int events, int64_t deadline)
{
    (void)fd;
    (void)events;
    (void)deadline;
    return -ENOSYS;
}

int grt_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline)
{
    (void)fd;
    (void)read_deadline;
    (void)write_deadline;
    return -ENOSYS;
}

int grt_close(int fd)
{
    (void)fd;
    return -ENOSYS;
}

int grt_dump(int fd)
{
    if (fd < 0)
        return -EBADF;
    if (ld_acquire(&grt__sched.state) != RT_RUNNING)
        return -ESRCH;
    grt__dump_goroutines(fd);
    return 0;
}

int grt_trace_start(const char *path)
{
    (void)path;
    return -ENOSYS;
}

int grt_trace_stop(void)
{
    return -ENOSYS;
}
