/* SPDX-License-Identifier: BSD-3-Clause */
/* libgrt_hook (linked): libc's semantics through the hook on goroutines.
 * Short reads, EAGAIN for the program's own O_NONBLOCK (fcntl, FIONBIO,
 * SOCK_NONBLOCK), SO_RCVTIMEO, ECONNREFUSED, EPIPE, close while blocked,
 * fd reuse, an fd the hook never saw and one closed behind its back,
 * poll/select results equal to the kernel's, poll with nfds 0 and 10,000
 * fds, negative timeouts, epoll_wait, sleeps overlapping on one P, name
 * lookups in the pool, regular files, errno under migration, GRT_HOOK=0;
 * an ended context fails a hooked call that would park (ECANCELED,
 * ETIMEDOUT). */
#include "grt_test.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* errno read and written fresh (never through an &errno kept by the
 * compiler across a call that parked: see README, the &errno caveat). */
static __attribute__((noinline)) int errno_now(void)
{
    return errno;
}

static __attribute__((noinline)) void errno_put(int e)
{
    errno = e;
}

static void pair(int sv[2])
{
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static int kernel_fl(int fd)
{
    return (int)syscall(SYS_fcntl, fd, F_GETFL, 0);
}

/* --- a heartbeat proves the P keeps running goroutines --------------- */

static test_heartbeat hb;

struct delayed {
    int     fd;
    int64_t ms;
    int     what; /* 0 write a byte, 1 close */
};

static void delayed_fn(void *arg)
{
    struct delayed *d = arg;
    grt_sleep(d->ms * GRT_MILLISECOND);
    if (d->what == 0)
        CHECK_EQ(syscall(SYS_write, d->fd, "x", 1), 1);
    else
        CHECK_EQ(close(d->fd), 0);
    free(d);
}

static void later(int fd, int64_t ms, int what)
{
    struct delayed *d = malloc(sizeof *d);
    d->fd = fd;
    d->ms = ms;
    d->what = what;
    CHECK_EQ(grt_go(delayed_fn, d), 0);
}

/* --- sleeps overlap ---------------------------------------------------- */

static grt_waitgroup wg = GRT_WAITGROUP_INIT;

static void sleeper(void *arg)
{
    int kind = (int)(intptr_t)arg;
    errno_put(4242);
    if (kind == 0)
        CHECK_EQ(usleep(200000), 0);
    else if (kind == 1)
        CHECK_EQ(nanosleep(&(struct timespec){0, 200000000}, NULL), 0);
    else if (kind == 2)
        CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 200000000}, NULL), 0);
    else {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 200000000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL), 0);
    }
    CHECK_EQ(errno_now(), 4242); /* success leaves errno alone */
    grt_waitgroup_done(&wg);
}

static void test_sleeps(void)
{
    int t0 = atomic_load(&hb.ticks);
    int64_t start = grt_now();
    grt_waitgroup_add(&wg, 20);
    for (int i = 0; i < 20; i++)
        grt_go(sleeper, (void *)(intptr_t)(i % 4));
    grt_waitgroup_wait(&wg);
    int64_t el = grt_now() - start;
    CHECK_GE(el, 190 * GRT_MILLISECOND);
    CHECK_LT(el, 2 * GRT_SECOND); /* 20 x 200 ms would be 4 s on one thread */
    CHECK_GE(atomic_load(&hb.ticks) - t0, 5);
    CHECK_EQ(nanosleep(&(struct timespec){0, 1000000000}, NULL), -1);
    CHECK_EQ(errno_now(), EINVAL);
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, -1}, NULL), EINVAL);
}

/* --- reads and writes -------------------------------------------------- */

static void test_short_read_and_nonblock(void)
{
    int sv[2];
    pair(sv);
    char buf[100];
    /* short read: 1 byte arrives after 30 ms, read(100) returns 1 */
    later(sv[1], 30, 0);
    int t0 = atomic_load(&hb.ticks);
    errno_put(777);
    CHECK_EQ(read(sv[0], buf, sizeof buf), 1);
    CHECK_EQ(errno_now(), 777);
    CHECK_GE(atomic_load(&hb.ticks) - t0, 1);
    /* the runtime's O_NONBLOCK is invisible; the program's is kept */
    CHECK((kernel_fl(sv[0]) & O_NONBLOCK) != 0);
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    CHECK_EQ(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK), 0);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    CHECK_EQ(read(sv[0], buf, sizeof buf), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    CHECK_EQ(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) & ~O_NONBLOCK), 0);
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    CHECK((kernel_fl(sv[0]) & O_NONBLOCK) != 0);
    int one = 1, zero = 0;
    CHECK_EQ(ioctl(sv[0], FIONBIO, &one), 0);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    CHECK_EQ(ioctl(sv[0], FIONBIO, &zero), 0);
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    /* MSG_DONTWAIT on a blocking descriptor */
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    /* dup shares the file description: the view goes with it */
    int d = dup(sv[0]);
    CHECK_GE(d, 0);
    CHECK_EQ(fcntl(d, F_GETFL) & O_NONBLOCK, 0);
    later(sv[1], 20, 0);
    CHECK_EQ(read(d, buf, 1), 1);
    CHECK_EQ(close(d), 0);
    close(sv[0]);
    close(sv[1]);
    /* SOCK_NONBLOCK from the start */
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    CHECK_EQ(read(sv[0], buf, 1), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    close(sv[0]);
    close(sv[1]);
    /* readv/writev: everything written, the reader gets what came */
    pair(sv);
    char a[3] = "abc", b[4] = "defg";
    struct iovec iov[2] = {{a, 3}, {b, 4}};
    CHECK_EQ(writev(sv[1], iov, 2), 7);
    char r1[2], r2[10];
    struct iovec riov[2] = {{r1, 2}, {r2, 10}};
    CHECK_EQ(readv(sv[0], riov, 2), 7);
    CHECK(!memcmp(r1, "ab", 2) && !memcmp(r2, "cdefg", 5));
    close(sv[0]);
    close(sv[1]);
}

static void big_reader(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static char sink[1 << 16];
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, sink, sizeof sink)) > 0)
        total += (size_t)r;
    CHECK_EQ(total, 4 << 20);
    grt_waitgroup_done(&wg);
}

static void test_full_write(void)
{
    int sv[2];
    pair(sv);
    size_t n = 4 << 20;
    char *big = calloc(1, n);
    grt_waitgroup_add(&wg, 1);
    grt_go(big_reader, (void *)(intptr_t)sv[0]);
    CHECK_EQ(write(sv[1], big, n), (ssize_t)n); /* the full count, as blocking */
    CHECK_EQ(close(sv[1]), 0);
    grt_waitgroup_wait(&wg);
    close(sv[0]);
    free(big);
}

static void test_timeouts_and_errors(void)
{
    int sv[2];
    pair(sv);
    struct timeval tv = {0, 100000};
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    char c;
    int64_t t0 = grt_now();
    CHECK_EQ(read(sv[0], &c, 1), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    int64_t el = grt_now() - t0;
    CHECK_GE(el, 90 * GRT_MILLISECOND);
    CHECK_LT(el, 3 * GRT_SECOND);
    /* EPIPE with SIGPIPE ignored */
    signal(SIGPIPE, SIG_IGN);
    close(sv[0]);
    CHECK_EQ(write(sv[1], "x", 1), -1);
    CHECK_EQ(errno_now(), EPIPE);
    close(sv[1]);
    /* ECONNREFUSED on a port nobody listens on */
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons((uint16_t)test_free_port())};
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(s, (struct sockaddr *)&sin, sizeof sin), -1);
    CHECK_EQ(errno_now(), ECONNREFUSED);
    close(s);
    /* read on a closed descriptor */
    CHECK_EQ(read(s, &c, 1), -1);
    CHECK_EQ(errno_now(), EBADF);
}

static atomic_int blocked_result, blocked_errno;

static void blocked_reader(void *arg)
{
    char c;
    int r = (int)read((int)(intptr_t)arg, &c, 1);
    atomic_store(&blocked_errno, errno_now());
    atomic_store(&blocked_result, r);
    grt_waitgroup_done(&wg);
}

static void test_close_while_blocked_and_reuse(void)
{
    int sv[2];
    pair(sv);
    atomic_store(&blocked_result, 99);
    grt_waitgroup_add(&wg, 1);
    grt_go(blocked_reader, (void *)(intptr_t)sv[0]);
    grt_sleep(30 * GRT_MILLISECOND);
    CHECK_EQ(atomic_load(&blocked_result), 99);
    CHECK_EQ(close(sv[0]), 0);
    grt_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&blocked_result), -1);
    CHECK_EQ(atomic_load(&blocked_errno), EBADF);
    close(sv[1]);

    /* reuse: a non-blocking descriptor's number comes back as a blocking one */
    int nb[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, nb), 0);
    int old0 = nb[0];
    close(nb[0]);
    close(nb[1]);
    pair(sv);
    CHECK_EQ(sv[0], old0);
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    later(sv[1], 20, 0);
    char c;
    CHECK_EQ(read(sv[0], &c, 1), 1); /* parked, not EAGAIN */

    /* closed behind the hook's back, then the number reused */
    CHECK_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_EQ(syscall(SYS_close, sv[0]), 0);
    CHECK_EQ(syscall(SYS_close, sv[1]), 0);
    pair(sv);
    CHECK_EQ(sv[0], old0);
    later(sv[1], 20, 0);
    CHECK_EQ(read(sv[0], &c, 1), 1);
    close(sv[0]);
    close(sv[1]);

    /* a descriptor the hook never saw created */
    int p[2];
    CHECK_EQ(syscall(SYS_pipe2, p, 0), 0);
    int t0 = atomic_load(&hb.ticks);
    later(p[1], 40, 0);
    CHECK_EQ(read(p[0], &c, 1), 1);
    CHECK_GE(atomic_load(&hb.ticks) - t0, 2);
    close(p[0]);
    close(p[1]);
}

/* --- poll, select, epoll ------------------------------------------------ */

static void test_poll_equal(void)
{
    int p[2], sv[2], hup[2];
    CHECK_EQ(pipe(p), 0);
    pair(sv);
    pair(hup);
    CHECK_EQ(write(p[1], "x", 1), 1);
    close(hup[1]);
    int closed = dup(p[0]);
    close(closed);
    struct pollfd a[] = {
        {p[0], POLLIN, 0},  {p[1], POLLOUT, 0}, {sv[0], POLLIN, 0},     {sv[0], POLLIN | POLLOUT, 0},
        {hup[0], POLLIN | POLLRDHUP, 0}, {closed, POLLIN, 0}, {-1, POLLIN, 0}, {sv[1], 0, 0},
    };
    size_t n = sizeof a / sizeof a[0];
    struct pollfd b[sizeof a / sizeof a[0]];
    memcpy(b, a, sizeof a);
    int ra = poll(a, n, 1000);
    int rb = (int)syscall(SYS_ppoll, b, n, &(struct timespec){0, 0}, NULL, (size_t)8);
    CHECK_EQ(ra, rb);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(a[i].revents, b[i].revents);

    /* select on the same */
    fd_set r1, w1, r2, w2;
    FD_ZERO(&r1);
    FD_ZERO(&w1);
    FD_SET(p[0], &r1);
    FD_SET(sv[0], &r1);
    FD_SET(hup[0], &r1);
    FD_SET(p[1], &w1);
    FD_SET(sv[0], &w1);
    r2 = r1;
    w2 = w1;
    int nfds = 64;
    struct timeval tv = {1, 0};
    int ka = select(nfds, &r1, &w1, NULL, &tv);
    int kb = (int)syscall(SYS_pselect6, nfds, &r2, &w2, NULL, &(struct timespec){0, 0}, NULL);
    CHECK_EQ(ka, kb);
    CHECK(!memcmp(&r1, &r2, sizeof r1));
    CHECK(!memcmp(&w1, &w2, sizeof w1));
    /* a closed descriptor in a set: EBADF, as select says */
    FD_ZERO(&r1);
    FD_SET(closed, &r1);
    CHECK_EQ(select(closed + 1, &r1, NULL, NULL, NULL), -1);
    CHECK_EQ(errno_now(), EBADF);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    close(hup[0]);
}

/* One socket, one direction: the hook parks on the socket itself (no
 * private epoll set) once the socket is non-blocking in the kernel (the
 * program's O_NONBLOCK here, or the hook's after a read waited).  Results
 * as libc's: revents, errno, the program's flags; a close while waiting
 * gives POLLNVAL, which libc's poll reports at its next pass. */
static void test_poll_one_socket(void)
{
    int sv[2];
    pair(sv);
    CHECK_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    char c;
    CHECK_EQ(read(sv[0], &c, 1), -1); /* the program's EAGAIN */
    CHECK_EQ(errno_now(), EAGAIN);
    for (int round = 0; round < 20; round++) {
        struct pollfd f = {sv[0], POLLIN, 0};
        later(sv[1], 5, 0);
        errno_put(77);
        CHECK_EQ(poll(&f, 1, 5000), 1);
        CHECK_EQ(errno_now(), 77);
        CHECK_EQ(f.revents, POLLIN);
        struct pollfd ref = {sv[0], POLLIN, 0};
        CHECK_EQ(syscall(SYS_ppoll, &ref, (nfds_t)1, &(struct timespec){0, 0}, NULL, (size_t)8), 1);
        CHECK_EQ(ref.revents, f.revents);
        CHECK_EQ(read(sv[0], &c, 1), 1);
    }
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK); /* the program's flag, as set */
    /* writable at once; POLLOUT with POLLERR asked too */
    struct pollfd w = {sv[0], POLLOUT | POLLERR, 0};
    CHECK_EQ(poll(&w, 1, 1000), 1);
    CHECK_EQ(w.revents, POLLOUT);
    /* the timeout, with the heartbeat ticking meanwhile */
    struct pollfd f = {sv[0], POLLIN, 0};
    int t0 = atomic_load(&hb.ticks);
    int64_t t_wait = grt_now();
    CHECK_EQ(poll(&f, 1, 60), 0);
    CHECK_EQ(f.revents, 0);
    int64_t waited = grt_now() - t_wait;
    CHECK_GE(waited, 55 * GRT_MILLISECOND);
    CHECK_GE(atomic_load(&hb.ticks) - t0, 2);
    /* the peer goes away: POLLIN|POLLHUP as libc says */
    later(sv[1], 10, 1);
    CHECK_EQ(poll(&f, 1, 5000), 1);
    struct pollfd ref = {sv[0], POLLIN, 0};
    CHECK_EQ(syscall(SYS_ppoll, &ref, (nfds_t)1, &(struct timespec){0, 0}, NULL, (size_t)8), 1);
    CHECK_EQ(f.revents, ref.revents);
    /* closed while waiting: POLLNVAL, whenever it is reported */
    int sw[2];
    pair(sw);
    CHECK_EQ(fcntl(sw[0], F_SETFL, O_NONBLOCK), 0);
    struct pollfd g = {sw[0], POLLIN, 0};
    later(sw[0], 20, 1);
    int64_t t_close = grt_now();
    CHECK_EQ(poll(&g, 1, 300), 1);
    CHECK_EQ(g.revents, POLLNVAL);
    int64_t took = grt_now() - t_close;
    CHECK_LT(took, 5 * GRT_SECOND);
    close(sw[1]);
    close(sv[0]);
}

static void test_poll_waits(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    /* readiness arriving later; negative timeout is "for ever" */
    struct pollfd f = {p[0], POLLIN, 0};
    later(p[1], 40, 0);
    int t0 = atomic_load(&hb.ticks);
    errno_put(31);
    CHECK_EQ(poll(&f, 1, -7), 1);
    CHECK_EQ(errno_now(), 31);
    CHECK_EQ(f.revents, POLLIN);
    CHECK_GE(atomic_load(&hb.ticks) - t0, 2);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    /* the timeout */
    int64_t s = grt_now();
    CHECK_EQ(poll(&f, 1, 60), 0);
    CHECK_EQ(f.revents, 0);
    CHECK_GE(grt_now() - s, 55 * GRT_MILLISECOND);
    /* nfds 0 is a sleep */
    s = grt_now();
    CHECK_EQ(poll(NULL, 0, 50), 0);
    CHECK_GE(grt_now() - s, 45 * GRT_MILLISECOND);
    /* 10,000 entries (the same few descriptors again and again) */
    enum { BIG = 10000 };
    struct pollfd *big = calloc(BIG, sizeof *big), *ref = calloc(BIG, sizeof *ref);
    int q[2];
    CHECK_EQ(pipe(q), 0);
    for (int i = 0; i < BIG; i++) {
        big[i].fd = i % 2 ? p[0] : q[0];
        big[i].events = POLLIN;
    }
    later(q[1], 30, 0);
    CHECK_EQ(poll(big, BIG, 5000), BIG / 2);
    memcpy(ref, big, BIG * sizeof *big);
    for (int i = 0; i < BIG; i++)
        ref[i].revents = 0;
    CHECK_EQ(syscall(SYS_ppoll, ref, (nfds_t)BIG, &(struct timespec){0, 0}, NULL, (size_t)8), BIG / 2);
    for (int i = 0; i < BIG; i++)
        CHECK_EQ(big[i].revents, ref[i].revents);
    free(big);
    free(ref);
    /* select waiting, then the time left written back */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 80000};
    s = grt_now();
    CHECK_EQ(select(p[0] + 1, &rs, NULL, NULL, &tv), 0);
    CHECK_GE(grt_now() - s, 75 * GRT_MILLISECOND);
    CHECK_EQ(tv.tv_sec, 0);
    CHECK_EQ(tv.tv_usec, 0);
    CHECK(!FD_ISSET(p[0], &rs));
    FD_SET(p[0], &rs);
    later(p[1], 30, 0);
    CHECK_EQ(select(p[0] + 1, &rs, NULL, NULL, NULL), 1);
    CHECK(FD_ISSET(p[0], &rs));
    CHECK_EQ(read(p[0], &c, 1), 1);
    /* epoll_wait on the program's own instance */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[4];
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    CHECK_EQ(epoll_wait(ep, out, 4, 50), 0);
    later(p[1], 30, 0);
    t0 = atomic_load(&hb.ticks);
    CHECK_EQ(epoll_wait(ep, out, 4, -1), 1);
    CHECK_EQ(out[0].data.u32, 7);
    CHECK_GE(atomic_load(&hb.ticks) - t0, 2);
    close(ep);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

/* --- name lookups, files ---------------------------------------------- */

static void test_lookup_and_files(void)
{
    grt_stats st;
    CHECK_EQ(grt_stats_get(&st), 0);
    int64_t before = st.offloads;
    struct addrinfo *res = NULL, hints = {.ai_socktype = SOCK_STREAM};
    CHECK_EQ(getaddrinfo("localhost", "80", &hints, &res), 0);
    CHECK(res != NULL);
    freeaddrinfo(res);
    char host[64];
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, NULL, 0,
                         NI_NUMERICHOST), 0);
    CHECK(!strcmp(host, "127.0.0.1"));
    CHECK(gethostbyname("localhost") != NULL);
    CHECK_EQ(grt_stats_get(&st), 0);
    CHECK_GE(st.offloads - before, 3);

    char path[] = "/tmp/grt-hook-XXXXXX";
    int fd = mkstemp(path);
    CHECK_GE(fd, 0);
    close(fd);
    fd = open(path, O_RDWR | O_TRUNC);
    CHECK_GE(fd, 0);
    CHECK_EQ(write(fd, "hello", 5), 5);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    char buf[16];
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK(!memcmp(buf, "hello", 5));
    close(fd);
    unlink(path);
    CHECK_EQ(open("/nonexistent/grt", O_RDONLY), -1);
    CHECK_EQ(errno_now(), ENOENT);
}

/* --- errno under migration ---------------------------------------------- */

static atomic_int mig_done;

static void migrant(void *arg)
{
    int id = (int)(intptr_t)arg;
    int sv[2];
    pair(sv);
    for (int i = 0; i < 50; i++) {
        errno_put(1000 + id);
        later(sv[1], 1, 0);
        char c;
        CHECK_EQ(read(sv[0], &c, 1), 1);
        CHECK_EQ(errno_now(), 1000 + id); /* success: untouched, on this thread */
        CHECK_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
        CHECK_EQ(read(sv[0], &c, 1), -1);
        CHECK_EQ(errno_now(), EAGAIN);
        CHECK_EQ(fcntl(sv[0], F_SETFL, 0), 0);
        struct pollfd f = {sv[0], POLLIN, 0};
        errno_put(2000 + id);
        CHECK_EQ(poll(&f, 1, 1), 0);
        CHECK_EQ(errno_now(), 2000 + id);
    }
    close(sv[0]);
    close(sv[1]);
    atomic_fetch_add(&mig_done, 1);
    grt_waitgroup_done(&wg);
}

static void test_errno_migration(void)
{
    grt_waitgroup_add(&wg, 16);
    for (int i = 0; i < 16; i++)
        grt_go(migrant, (void *)(intptr_t)i);
    grt_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&mig_done), 16);
}

/* --- contexts: a hooked call that would park fails with the context's errno */

enum { CTX_READ, CTX_POLL, CTX_POLL0, CTX_SELECT, CTX_EPOLL, CTX_USLEEP, CTX_NANOSLEEP,
       CTX_SLEEP, CTX_GAI, CTX_CASES };

static void ctx_canceller(void *arg)
{
    grt_sleep(30 * GRT_MILLISECOND);
    CHECK_EQ(grt_ctx_cancel(arg), 0);
    grt_ctx_release(arg);
}

/* A context that ends in about 30 ms: cancelled, or at its deadline. */
static grt_ctx *ctx_ending(bool deadline)
{
    grt_ctx *c = deadline ? grt_ctx_with_deadline(NULL, grt_now() + 30 * GRT_MILLISECOND)
                          : grt_ctx_with_cancel(NULL);
    CHECK(c != NULL);
    if (!deadline)
        CHECK_EQ(grt_go(ctx_canceller, grt_ctx_retain(c)), 0);
    return c;
}

/* One hooked call that would wait for seconds; its result, errno in *e. */
static long ctx_call(int which, int fd, int *e)
{
    char b;
    long r;
    struct pollfd p = {fd, POLLIN, 0};
    errno_put(0);
    switch (which) {
    case CTX_READ:
        r = read(fd, &b, 1);
        break;
    case CTX_POLL:
        r = poll(&p, 1, -1);
        break;
    case CTX_POLL0:
        r = poll(NULL, 0, 5000);
        break;
    case CTX_SELECT: {
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(fd, &rs);
        r = select(fd + 1, &rs, NULL, NULL, NULL);
        break;
    }
    case CTX_EPOLL: {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN};
        CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
        r = epoll_wait(ep, &ev, 1, 5000);
        *e = errno_now();
        close(ep);
        return r;
    }
    case CTX_USLEEP:
        r = usleep(5000000);
        break;
    case CTX_NANOSLEEP:
        r = nanosleep(&(struct timespec){5, 0}, NULL);
        break;
    case CTX_SLEEP:
        r = sleep(5) == 5 ? -1 : 0; /* interrupted: nothing slept */
        break;
    default: {
        struct addrinfo *res = NULL;
        r = getaddrinfo("localhost", "80", NULL, &res) == EAI_SYSTEM ? -1 : 0;
        if (r == 0 && res)
            freeaddrinfo(res);
    }
    }
    *e = errno_now();
    return r;
}

static void test_contexts(void)
{
    for (int dl = 0; dl < 2; dl++) {
        int want = dl ? ETIMEDOUT : ECANCELED;
        for (int which = 0; which < CTX_CASES; which++) {
            int sv[2];
            pair(sv);
            grt_ctx *c = ctx_ending(dl);
            grt_ctx *old = grt_ctx_swap(c);
            int e;
            if (which != CTX_GAI) { /* a lookup of localhost is too quick to interrupt */
                int64_t t0 = grt_now();
                CHECK_EQ(ctx_call(which, sv[0], &e), -1);
                CHECK_EQ(e, want);
                int64_t el = grt_now() - t0;
                CHECK_GE(el, 20 * GRT_MILLISECOND);
                CHECK_LT(el, 3 * GRT_SECOND);
            } else {
                while (grt_ctx_err(c) == 0)
                    grt_sleep(5 * GRT_MILLISECOND);
                CHECK_EQ(grt_ctx_err(c), -want); /* that sleep saw it end */
            }
            /* Ended already: at once, with the same errno. */
            int64_t t0 = grt_now();
            CHECK_EQ(ctx_call(which, sv[0], &e), -1);
            CHECK_EQ(e, want);
            CHECK_LT(grt_now() - t0, 3 * GRT_SECOND);
            /* What can proceed still does, and the descriptor is intact. */
            CHECK_EQ(write(sv[1], "y", 1), 1);
            char b = 0;
            CHECK_EQ(read(sv[0], &b, 1), 1);
            CHECK_EQ(b, 'y');
            grt_ctx_swap(old);
            grt_ctx_release(c);
            close(sv[0]);
            close(sv[1]);
        }
    }
    /* A live context changes nothing: SO_RCVTIMEO is still EAGAIN (not
     * the context's ETIMEDOUT), a lookup still answers. */
    grt_ctx *c = grt_ctx_with_deadline(NULL, grt_now() + 10 * GRT_SECOND);
    grt_ctx *old = grt_ctx_swap(c);
    int sv[2];
    pair(sv);
    struct timeval tv = {0, 50000};
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    char b;
    errno_put(0);
    CHECK_EQ(read(sv[0], &b, 1), -1);
    CHECK_EQ(errno_now(), EAGAIN);
    struct addrinfo *res = NULL;
    CHECK_EQ(getaddrinfo("localhost", "80", NULL, &res), 0);
    freeaddrinfo(res);
    grt_ctx_swap(old);
    grt_ctx_release(c);
    close(sv[0]);
    close(sv[1]);
}

/* libgrt's own calls on a goroutine never reach the hook: grt_trace_start
 * sleeps 1 ms to calibrate and opens its files; hooked, that sleep parked
 * inside the runtime and never returned. */
static void test_runtime_unhooked(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/grt-hook-trace-%d.json", (int)getpid());
    CHECK_EQ(grt_trace_start(path), 0);
    grt_sleep(GRT_MILLISECOND);
    CHECK_EQ(grt_trace_stop(), 0);
    CHECK_EQ(unlink(path), 0);
}

/* Mode "sigurg" (GRT_DEBUG=preemptstress=20: the runtime's preemption
 * signal every 20 us): hooked poll, select and epoll_wait answer with
 * libc's zero-timeout calls, which a signal handler interrupts with EINTR
 * whatever SA_RESTART says; the runtime's own signal must never show. */
static void sigurg_main(void *arg)
{
    (void)arg;
    int sv[2], quiet[2];
    pair(sv);
    pair(quiet);
    CHECK_EQ(write(sv[1], "x", 1), 1); /* sv[0] stays readable */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK_GE(ep, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
    long calls = 0;
    int64_t end = grt_now() + 300 * GRT_MILLISECOND;
    while (grt_now() < end) {
        struct pollfd p = {sv[0], POLLIN, 0};
        int r = poll(&p, 1, 0);
        if (r != 1)
            TEST_FAIL("poll(ready, 0): %d, errno %d", r, errno_now());
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(sv[0], &rs);
        r = select(sv[0] + 1, &rs, NULL, NULL, &(struct timeval){0, 0});
        if (r != 1)
            TEST_FAIL("select(ready, 0): %d, errno %d", r, errno_now());
        r = epoll_wait(ep, &ev, 1, 0);
        if (r != 1)
            TEST_FAIL("epoll_wait(ready, 0): %d, errno %d", r, errno_now());
        struct pollfd q = {quiet[0], POLLIN, 0};
        r = poll(&q, 1, 1); /* looks, parks for 1 ms, looks again */
        if (r != 0)
            TEST_FAIL("poll(quiet, 1 ms): %d, errno %d", r, errno_now());
        calls += 4;
    }
    close(ep);
    close(sv[0]);
    close(sv[1]);
    close(quiet[0]);
    close(quiet[1]);
    printf("sigurg: %ld hooked waits under preemption signals, none failed\n", calls);
}

static void main_fn(void *arg)
{
    int procs = (int)(intptr_t)arg;
    test_heartbeat_start(&hb, 5 * GRT_MILLISECOND);
    if (procs == 1) {
        test_sleeps();
        test_short_read_and_nonblock();
        test_full_write();
        test_timeouts_and_errors();
        test_close_while_blocked_and_reuse();
        test_poll_equal();
        test_poll_waits();
        test_poll_one_socket();
        test_lookup_and_files();
        test_contexts();
        test_runtime_unhooked();
    } else {
        test_errno_migration();
    }
    test_heartbeat_stop(&hb);
}

static void off_main(void *arg)
{
    (void)arg;
    /* GRT_HOOK=0: a sleep blocks the thread, the heartbeat stops */
    test_heartbeat_start(&hb, 5 * GRT_MILLISECOND);
    grt_sleep(10 * GRT_MILLISECOND);
    int t0 = atomic_load(&hb.ticks);
    usleep(100000);
    CHECK_LE(atomic_load(&hb.ticks) - t0, 1);
    test_heartbeat_stop(&hb);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "sigurg")) {
        test_run(1, sigurg_main, NULL);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "off")) {
        CHECK_EQ(grt_hook_active(), 0);
        test_run(1, off_main, NULL);
        return 0;
    }
    CHECK_EQ(grt_hook_active(), 1); /* from the moment it is loaded */
#ifdef GRT_TSAN
    /* glibc dlopens its NSS modules in the first lookup; TSan's interceptor
     * doing that on a goroutine's fiber wedges TSan's thread registry
     * (with or without the hook): load them here, on a plain thread. */
    struct addrinfo *warm = NULL;
    if (getaddrinfo("localhost", "80", NULL, &warm) == 0)
        freeaddrinfo(warm);
#endif
    /* off a goroutine: libc's own behaviour, also on the hooked calls */
    int sv[2];
    pair(sv);
    CHECK_EQ(write(sv[1], "ab", 2), 2);
    char buf[4];
    CHECK_EQ(read(sv[0], buf, 4), 2);
    close(sv[0]);
    close(sv[1]);

    test_run(1, (grt_fn)main_fn, (void *)(intptr_t)1);
#ifdef GRT_TSAN
    /* Under TSan the hooked calls run inside TSan's own interceptors, and a
     * goroutine that parks in one and resumes on another thread trips the
     * scheduler's lock accounting ("schedule: holding locks"; seen only
     * with TSan, never in the normal and ASan builds): migration is
     * checked there, errno on one P here. */
    test_run(1, (grt_fn)main_fn, (void *)(intptr_t)4);
#else
    test_run(4, (grt_fn)main_fn, (void *)(intptr_t)4);
#endif

    char out[8192];
    char *env[] = {"GRT_HOOK=0", NULL};
    int status = test_subprocess("off", out, sizeof out, 60, env);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        TEST_FAIL("GRT_HOOK=0 run: status %d:\n%s", status, out);
    char *stress[] = {"GRT_DEBUG=preemptstress=20", NULL};
    status = test_subprocess("sigurg", out, sizeof out, 60, stress);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        TEST_FAIL("sigurg run: status %d:\n%s", status, out);
    puts("ok");
    return 0;
}
