/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_deadline: deadlines, close, EOF and error paths of the
 * goroutine I/O calls.
 *
 *  - a read deadline that expires returns -ETIMEDOUT, not early; further
 *    reads fail at once until the deadline is moved; after moving it (or
 *    clearing it) a read gets the data; a deadline extended while a reader
 *    waits is honoured (the old timer does not fire it), a deadline moved
 *    into the past wakes the reader at once;
 *  - a write deadline ends a write the peer does not drain;
 *  - grt_close wakes a goroutine blocked in read, write or accept with
 *    -ECANCELED, and later calls on the fd say -EBADF;
 *  - half-close (shutdown SHUT_WR): the peer reads the data then EOF (0)
 *    and can still answer; EOF repeats;
 *  - a client that disconnects mid-message: the server sees the partial
 *    message then EOF; after an RST a read says -ECONNRESET and a write
 *    fails with an error (not SIGPIPE);
 *  - grt_wait_fd: readable, timeout, bad events;
 *  - grt_close of an fd that is not open: -EBADF; of a foreign fd: 0;
 *  - grt_dial to a closed port: -ECONNREFUSED;
 *  - "unix" sockets (a path and the abstract namespace) carry data;
 *  - "tcp6" on [::1] (when the machine has IPv6);
 *  - a dial whose SYN is never answered (a listener with a full backlog)
 *    ends at its deadline with -ETIMEDOUT, not early;
 *  - a regular file goes through the blocking path: reads, writes,
 *    grt_wait_fd says ready, grt_close closes it;
 *  - bad network names and addresses: -EINVAL; an unknown host: an error;
 *  - outside a goroutine, a read that would park is -EPERM.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MS (1000LL * 1000)
#define LATE_SLACK (1000 * MS)

/* A connected TCP pair over loopback: *c dialled, *s accepted. */
static void tcp_pair(int *c, int *s)
{
    char addr[32];
    int lfd = test_listen_loopback(addr, sizeof addr);
    *c = grt_dial("tcp", addr, grt_now() + 10000 * MS);
    CHECK_GE(*c, 0);
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    *s = grt_accept(lfd, (struct sockaddr *)&peer, &plen);
    CHECK_GE(*s, 0);
    CHECK_EQ(peer.sin_family, AF_INET);
    CHECK_EQ(plen, sizeof peer);
    CHECK_EQ(grt_close(lfd), 0);
}

/* --- a helper goroutine that runs one blocking call --------------------- */

enum { OP_READ, OP_WRITE, OP_ACCEPT, OP_WRITE_LATER };

typedef struct {
    int        op, fd;
    int64_t    delay;   /* OP_WRITE_LATER: sleep first */
    const char *data;
    size_t     n;
    ssize_t    result;
    int64_t    done_at;
    atomic_int started; /* about to make the call */
    atomic_int done;
    grt_chan  *fin;     /* signalled when finished */
} call_arg;

static void call_fn(void *p)
{
    call_arg *a = p;
    static char sink[1 << 16];
    atomic_store(&a->started, 1);
    switch (a->op) {
    case OP_READ:
        a->result = grt_read(a->fd, sink, sizeof sink);
        break;
    case OP_WRITE:
        a->result = grt_write(a->fd, a->data, a->n);
        break;
    case OP_ACCEPT:
        a->result = grt_accept(a->fd, NULL, NULL);
        break;
    case OP_WRITE_LATER:
        grt_sleep(a->delay);
        a->result = grt_write(a->fd, a->data, a->n);
        break;
    }
    a->done_at = grt_now();
    atomic_store(&a->done, 1);
    CHECK_EQ(grt_chan_send(a->fin, NULL), 0);
}

static void call_start(call_arg *a, int op, int fd)
{
    a->op = op;
    a->fd = fd;
    a->result = 0;
    atomic_store(&a->started, 0);
    atomic_store(&a->done, 0);
    a->fin = grt_chan_make(0, 1);
    CHECK(a->fin != NULL);
    CHECK_EQ(grt_go(call_fn, a), 0);
}

/* Start the call and give it time to block in it: the goroutine has
 * reached the call, and 50 ms later it has not returned. */
static void call_start_blocked(call_arg *a, int op, int fd)
{
    call_start(a, op, fd);
    int64_t t0 = grt_now();
    while (!atomic_load(&a->started)) {
        CHECK_LT(grt_now() - t0, 10 * LATE_SLACK);
        grt_sleep(1 * MS);
    }
    grt_sleep(50 * MS);
    CHECK_EQ(atomic_load(&a->done), 0);
}

static void call_wait(call_arg *a)
{
    CHECK_EQ(grt_chan_recv(a->fin, NULL), 0);
    grt_chan_release(a->fin);
    a->fin = NULL;
}

/* --- read deadlines ----------------------------------------------------- */

static void check_read_deadline(void)
{
    int c, s;
    tcp_pair(&c, &s);
    char buf[64];

    /* expires: -ETIMEDOUT, not early */
    int64_t deadline = grt_now() + 50 * MS;
    CHECK_EQ(grt_set_deadline(s, deadline, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(s, buf, sizeof buf), -ETIMEDOUT);
    CHECK_GE(grt_now(), deadline);
    CHECK_LT(grt_now(), deadline + LATE_SLACK);
    /* stays expired until moved, even with data there */
    CHECK_EQ(grt_write(c, "hello", 5), 5);
    grt_sleep(5 * MS);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_read(s, buf, sizeof buf), -ETIMEDOUT);
    CHECK_LT(grt_now() - t0, LATE_SLACK);
    /* writes are not affected by the read deadline */
    CHECK_EQ(grt_write(s, "x", 1), 1);
    CHECK_EQ(grt_read(c, buf, 1), 1);
    /* moved into the future: the data is read */
    CHECK_EQ(grt_set_deadline(s, grt_now() + 5000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(s, buf, sizeof buf), 5);
    CHECK_EQ(memcmp(buf, "hello", 5), 0);

    /* a future deadline, then data before it: the read wins */
    call_arg w = {.data = "again", .n = 5, .delay = 20 * MS};
    call_start(&w, OP_WRITE_LATER, c);
    CHECK_EQ(grt_set_deadline(s, grt_now() + 5000 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(s, buf, sizeof buf), 5);
    call_wait(&w);
    CHECK_EQ(w.result, 5);

    /* extended while a reader waits: the old deadline does not count */
    call_arg r = {0};
    CHECK_EQ(grt_set_deadline(s, grt_now() + 300 * MS, GRT_FOREVER), 0);
    call_start_blocked(&r, OP_READ, s);
    int64_t later = grt_now() + 400 * MS;
    CHECK_EQ(grt_set_deadline(s, later, GRT_FOREVER), 0);
    call_wait(&r);
    CHECK_EQ(r.result, -ETIMEDOUT);
    CHECK_GE(r.done_at, later);

    /* moved into the past while a reader waits: it wakes at once */
    CHECK_EQ(grt_set_deadline(s, GRT_FOREVER, GRT_FOREVER), 0);
    call_start_blocked(&r, OP_READ, s);
    t0 = grt_now();
    CHECK_EQ(grt_set_deadline(s, t0 - 1, GRT_FOREVER), 0);
    call_wait(&r);
    CHECK_EQ(r.result, -ETIMEDOUT);
    CHECK_LT(r.done_at - t0, LATE_SLACK);

    /* cleared: reads block again (until data) */
    CHECK_EQ(grt_set_deadline(s, GRT_FOREVER, GRT_FOREVER), 0);
    call_start_blocked(&r, OP_READ, s);
    CHECK_EQ(grt_write(c, "late", 4), 4);
    call_wait(&r);
    CHECK_EQ(r.result, 4);

    /* a deadline of "now" or the past: do not block */
    CHECK_EQ(grt_set_deadline(s, grt_now(), GRT_FOREVER), 0);
    CHECK_EQ(grt_read(s, buf, sizeof buf), -ETIMEDOUT);
    CHECK_EQ(grt_set_deadline(s, GRT_FOREVER, GRT_FOREVER), 0);

    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
}

/* --- write deadline ------------------------------------------------------ */

static void check_write_deadline(void)
{
    int c, s;
    tcp_pair(&c, &s);
    size_t big = 64 << 20; /* far more than the socket buffers hold */
    char *p = calloc(1, big);
    CHECK(p != NULL);
    int64_t deadline = grt_now() + 100 * MS;
    CHECK_EQ(grt_set_deadline(c, GRT_FOREVER, deadline), 0);
    ssize_t w = grt_write(c, p, big);
    CHECK_GE(grt_now(), deadline);
    /* some bytes went into the buffers: the count; or the error */
    CHECK(w == -ETIMEDOUT || (w > 0 && (size_t)w < big));
    CHECK_EQ(grt_write(c, p, 1), -ETIMEDOUT);
    /* reads on c are not affected */
    CHECK_EQ(grt_set_deadline(c, grt_now() + 20 * MS, deadline), 0);
    char b;
    CHECK_EQ(grt_read(c, &b, 1), -ETIMEDOUT);
    free(p);
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
}

/* --- close wakes blocked goroutines --------------------------------------- */

static void check_close_wakes(void)
{
    int c, s;
    tcp_pair(&c, &s);

    /* a blocked reader */
    call_arg r = {0};
    call_start_blocked(&r, OP_READ, s);
    CHECK_EQ(grt_close(s), 0);
    call_wait(&r);
    CHECK_EQ(r.result, -ECANCELED);
    char buf[8];
    CHECK_EQ(grt_read(s, buf, sizeof buf), -EBADF);
    CHECK_EQ(grt_write(s, buf, 1), -EBADF);
    CHECK_EQ(grt_set_deadline(s, GRT_FOREVER, GRT_FOREVER), -EBADF);
    CHECK_EQ(grt_close(s), -EBADF);
    /* the peer sees EOF */
    CHECK_EQ(grt_read(c, buf, sizeof buf), 0);
    CHECK_EQ(grt_close(c), 0);

    /* a blocked writer */
    tcp_pair(&c, &s);
    size_t big = 64 << 20;
    char *p = calloc(1, big);
    CHECK(p != NULL);
    call_arg w = {.data = p, .n = big};
    call_start_blocked(&w, OP_WRITE, c);
    CHECK_EQ(grt_close(c), 0);
    call_wait(&w);
    /* the bytes it got into the buffers, or -ECANCELED if none */
    CHECK(w.result == -ECANCELED || (w.result > 0 && (size_t)w.result < big));
    free(p);
    CHECK_EQ(grt_close(s), 0);

    /* a blocked accept */
    int lfd = grt_listen("tcp", "127.0.0.1:0");
    CHECK_GE(lfd, 0);
    call_arg a = {0};
    call_start_blocked(&a, OP_ACCEPT, lfd);
    CHECK_EQ(grt_close(lfd), 0);
    call_wait(&a);
    CHECK_EQ(a.result, -ECANCELED);
    CHECK_EQ(grt_accept(lfd, NULL, NULL), -EBADF);
}

/* --- half-close, EOF, disconnects ----------------------------------------- */

static void check_half_close(void)
{
    int c, s;
    tcp_pair(&c, &s);
    CHECK_EQ(grt_write(c, "request", 7), 7);
    CHECK_EQ(shutdown(c, SHUT_WR), 0);
    char buf[64];
    size_t got = 0;
    for (;;) {
        ssize_t r = grt_read(s, buf + got, sizeof buf - got);
        CHECK_GE(r, 0);
        if (r == 0)
            break;
        got += (size_t)r;
    }
    CHECK_EQ(got, 7);
    CHECK_EQ(memcmp(buf, "request", 7), 0);
    CHECK_EQ(grt_read(s, buf, sizeof buf), 0); /* EOF again */
    /* the other direction still works */
    CHECK_EQ(grt_write(s, "reply", 5), 5);
    CHECK_EQ(grt_close(s), 0);
    got = 0;
    for (;;) {
        ssize_t r = grt_read(c, buf + got, sizeof buf - got);
        CHECK_GE(r, 0);
        if (r == 0)
            break;
        got += (size_t)r;
    }
    CHECK_EQ(got, 5);
    CHECK_EQ(memcmp(buf, "reply", 5), 0);
    CHECK_EQ(grt_close(c), 0);
}

/* The server wants 100-byte messages; the client sends 40 bytes of one
 * and goes away.  Then a client resets the connection (SO_LINGER 0). */
static void check_disconnect(void)
{
    int c, s;
    tcp_pair(&c, &s);
    char msg[100];
    memset(msg, 'm', sizeof msg);
    call_arg r = {0};
    CHECK_EQ(grt_write(c, msg, 40), 40);
    CHECK_EQ(grt_close(c), 0);
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg && (n = grt_read(s, msg + got, sizeof msg - got)) > 0)
        got += (size_t)n;
    CHECK_EQ(got, 40);
    CHECK_EQ(n, 0);
    /* writing to the departed peer: an error sooner or later, never a
     * SIGPIPE (which would kill the test) */
    ssize_t w = 0;
    for (int i = 0; i < 100 && w >= 0; i++) {
        w = grt_write(s, msg, sizeof msg);
        grt_sleep(1 * MS);
    }
    CHECK(w == -EPIPE || w == -ECONNRESET);
    CHECK_EQ(grt_close(s), 0);

    /* reset while the server is blocked reading */
    tcp_pair(&c, &s);
    call_start_blocked(&r, OP_READ, s);
    struct linger lg = {1, 0};
    CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    CHECK_EQ(grt_close(c), 0);
    call_wait(&r);
    CHECK_EQ(r.result, -ECONNRESET);
    CHECK_EQ(grt_close(s), 0);
}

/* --- grt_wait_fd ---------------------------------------------------------- */

static void check_wait_fd(void)
{
    int c, s;
    tcp_pair(&c, &s);
    CHECK_EQ(grt_wait_fd(s, 0, 0), -EINVAL);
    CHECK_EQ(grt_wait_fd(s, 4, 0), -EINVAL);
    CHECK_EQ(grt_wait_fd(s, GRT_READ | 8, 0), -EINVAL);
    CHECK_EQ(grt_wait_fd(-1, GRT_READ, 0), -EBADF);
    /* a fresh connection is writable, not readable */
    CHECK_EQ(grt_wait_fd(s, GRT_WRITE, GRT_FOREVER), GRT_WRITE);
    CHECK_EQ(grt_wait_fd(s, GRT_READ | GRT_WRITE, GRT_FOREVER), GRT_WRITE);
    int64_t deadline = grt_now() + 30 * MS;
    CHECK_EQ(grt_wait_fd(s, GRT_READ, deadline), -ETIMEDOUT);
    CHECK_GE(grt_now(), deadline);
    CHECK_EQ(grt_wait_fd(s, GRT_READ, 0), -ETIMEDOUT);
    /* becomes readable while waiting */
    call_arg w = {.data = "z", .n = 1, .delay = 20 * MS};
    call_start(&w, OP_WRITE_LATER, c);
    int64_t t0 = grt_now();
    CHECK_EQ(grt_wait_fd(s, GRT_READ, grt_now() + 5000 * MS), GRT_READ);
    CHECK_LT(grt_now() - t0, 4000 * MS);
    call_wait(&w);
    CHECK_EQ(grt_wait_fd(s, GRT_READ | GRT_WRITE, 0), GRT_READ | GRT_WRITE);
    char b;
    CHECK_EQ(grt_read(s, &b, 1), 1);
    CHECK_EQ(b, 'z');
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
}

/* --- error paths ----------------------------------------------------------- */

static void check_errors(void)
{
    char buf[4];
    /* not open */
    CHECK_EQ(grt_close(-1), -EBADF);
    CHECK_EQ(grt_close(-12345), -EBADF);
    CHECK_EQ(grt_close(1 << 20), -EBADF);
    CHECK_EQ(grt_read(-1, buf, 1), -EBADF);
    CHECK_EQ(grt_write(-1, buf, 1), -EBADF);
    CHECK_EQ(grt_accept(-1, NULL, NULL), -EBADF);
    CHECK_EQ(grt_set_deadline(-1, 0, 0), -EBADF);
    int dead = dup(2);
    CHECK_GE(dead, 0);
    CHECK_EQ(close(dead), 0);
    CHECK_EQ(grt_close(dead), -EBADF);
    CHECK_EQ(grt_read(dead, buf, 1), -EBADF);

    /* a descriptor grt never saw: grt_close closes it */
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    CHECK_EQ(grt_close(pfd[0]), 0);
    CHECK_EQ(fcntl(pfd[0], F_GETFD), -1);
    /* a pipe used through grt: reads park, not block the thread */
    CHECK_EQ(pipe(pfd), 0);
    CHECK_EQ(grt_set_deadline(pfd[0], grt_now() + 10 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(pfd[0], buf, 1), -ETIMEDOUT);
    CHECK_EQ(grt_write(pfd[1], "p", 1), 1);
    CHECK_EQ(grt_set_deadline(pfd[0], GRT_FOREVER, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(pfd[0], buf, 1), 1);
    CHECK_EQ(grt_close(pfd[0]), 0);
    CHECK_EQ(grt_close(pfd[1]), 0);

    /* dial a port nobody listens on */
    char addr[32];
    int lfd = test_listen_loopback(addr, sizeof addr);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK_EQ(grt_dial("tcp", addr, grt_now() + 5000 * MS), -ECONNREFUSED);
    CHECK_EQ(grt_dial("tcp4", addr, GRT_FOREVER), -ECONNREFUSED);
    /* a port in use: listen fails */
    lfd = test_listen_loopback(addr, sizeof addr);
    CHECK_EQ(grt_listen("tcp", addr), -EADDRINUSE);
    CHECK_EQ(grt_close(lfd), 0);

    /* bad network names and addresses */
    static const char *bad_nets[] = {"udp5", "", "TCP", "tcp ", "ip", "unixpacket", "tcp7", "UDP"};
    for (size_t i = 0; i < sizeof bad_nets / sizeof bad_nets[0]; i++) {
        CHECK_EQ(grt_listen(bad_nets[i], "127.0.0.1:0"), -EINVAL);
        CHECK_EQ(grt_dial(bad_nets[i], "127.0.0.1:80", GRT_FOREVER), -EINVAL);
    }
    CHECK_EQ(grt_listen(NULL, "127.0.0.1:0"), -EINVAL);
    CHECK_EQ(grt_dial(NULL, "127.0.0.1:80", GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_listen("tcp", NULL), -EINVAL);
    CHECK_EQ(grt_dial("tcp", NULL, GRT_FOREVER), -EINVAL);
    static const char *bad_addrs[] = {"127.0.0.1",  "127.0.0.1:",    "127.0.0.1:http",
                                      "::1:80",     "[::1]80",       "[::1",
                                      "1.2.3.4:-1", "127.0.0.1:8x0", ""};
    for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
        CHECK_EQ(grt_listen("tcp", bad_addrs[i]), -EINVAL);
        CHECK_EQ(grt_dial("tcp", bad_addrs[i], GRT_FOREVER), -EINVAL);
    }
    CHECK_EQ(grt_listen("unix", ""), -EINVAL);
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    CHECK_EQ(grt_listen("unix", longpath), -EINVAL);
    CHECK_EQ(grt_dial("unix", longpath, GRT_FOREVER), -EINVAL);
    /* an IPv4 literal is no tcp6 address, and a port out of range */
    CHECK_LT(grt_listen("tcp6", "127.0.0.1:0"), 0);
    CHECK_LT(grt_dial("tcp", "127.0.0.1:70000", GRT_FOREVER), 0);
    /* a name that does not resolve (.invalid is reserved: RFC 2606) */
    CHECK_LT(grt_dial("tcp", "no-such-host.invalid:80", grt_now() + 5000 * MS), 0);
    /* unix: nobody listens on the path */
    CHECK_LT(grt_dial("unix", "/nonexistent-dir-grt/sock", GRT_FOREVER), 0);
}

/* --- unix sockets --------------------------------------------------------- */

static void unix_roundtrip(const char *path)
{
    int lfd = grt_listen("unix", path);
    CHECK_GE(lfd, 0);
    int c = grt_dial("unix", path, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    int s = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s, 0);
    char buf[32];
    CHECK_EQ(grt_write(c, "over unix", 9), 9);
    size_t got = 0;
    while (got < 9) {
        ssize_t r = grt_read(s, buf + got, sizeof buf - got);
        CHECK_GT(r, 0);
        got += (size_t)r;
    }
    CHECK_EQ(memcmp(buf, "over unix", 9), 0);
    CHECK_EQ(grt_write(s, "back", 4), 4);
    CHECK_EQ(grt_read(c, buf, sizeof buf), 4);
    /* deadlines work on unix sockets too */
    CHECK_EQ(grt_set_deadline(c, grt_now() + 10 * MS, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(c, buf, sizeof buf), -ETIMEDOUT);
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_close(c), 0);
    /* the path is taken while the listener lives */
    if (path[0] != '@')
        CHECK_EQ(grt_listen("unix", path), -EADDRINUSE);
    CHECK_EQ(grt_close(lfd), 0);
}

static void check_unix(void)
{
    char path[108];
    snprintf(path, sizeof path, "/tmp/grt-test-%d.sock", (int)getpid());
    unlink(path);
    unix_roundtrip(path);
    /* grt_close removed the socket file, as Go's Close does */
    CHECK_EQ(unlink(path), -1);
    CHECK_EQ(errno, ENOENT);
    snprintf(path, sizeof path, "@grt-test-%d", (int)getpid());
    unix_roundtrip(path);
}

/* --- tcp6 ---------------------------------------------------------------- */

static void check_tcp6(void)
{
    int lfd = grt_listen("tcp6", "[::1]:0");
    if (lfd == -EADDRNOTAVAIL || lfd == -EAFNOSUPPORT || lfd == -ENOENT) {
        printf("no IPv6 loopback here (%s): tcp6 not checked\n", strerror(-lfd));
        return;
    }
    CHECK_GE(lfd, 0);
    struct sockaddr_in6 sin6;
    socklen_t len = sizeof sin6;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sin6, &len), 0);
    CHECK_EQ(sin6.sin6_family, AF_INET6);
    char addr[64];
    snprintf(addr, sizeof addr, "[::1]:%d", ntohs(sin6.sin6_port));
    int c = grt_dial("tcp6", addr, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    int s = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s, 0);
    char b[4];
    CHECK_EQ(grt_write(c, "v6", 2), 2);
    CHECK_EQ(grt_read(s, b, sizeof b), 2);
    CHECK_EQ(memcmp(b, "v6", 2), 0);
    /* a v6 address is no tcp4 address */
    CHECK_LT(grt_dial("tcp4", addr, grt_now() + 5000 * MS), 0);
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_close(lfd), 0);
}

/* --- a dial that is never answered ---------------------------------------- */

static void check_dial_timeout(void)
{
    /* A listener made by hand with the smallest backlog: once the queue is
     * full the kernel drops further SYNs, so a connect just waits. */
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_GE(lfd, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    CHECK_EQ(listen(lfd, 0), 0);
    socklen_t len = sizeof sin;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sin.sin_port));
    int fds[16], nfd = 0;
    int r = 0;
    int64_t deadline = 0;
    for (int i = 0; i < 16; i++) {
        deadline = grt_now() + 200 * MS;
        r = grt_dial("tcp", addr, deadline);
        if (r < 0)
            break;
        fds[nfd++] = r;
    }
    CHECK_EQ(r, -ETIMEDOUT);
    CHECK_GE(grt_now(), deadline);
    CHECK_LT(grt_now(), deadline + LATE_SLACK);
    /* a deadline already passed: do not even wait for the handshake */
    int64_t t0 = grt_now();
    r = grt_dial("tcp", addr, t0 - 1);
    CHECK_EQ(r, -ETIMEDOUT);
    CHECK_LT(grt_now() - t0, LATE_SLACK);
    for (int i = 0; i < nfd; i++)
        CHECK_EQ(grt_close(fds[i]), 0);
    CHECK_EQ(close(lfd), 0);
}

/* --- regular files ----------------------------------------------------------- */

static void check_regular_file(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/grt-test-file-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK_GE(fd, 0);
    CHECK_EQ(unlink(path), 0);
    static char big[1 << 20];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    CHECK_EQ(grt_write(fd, big, sizeof big), (ssize_t)sizeof big);
    CHECK_EQ(grt_wait_fd(fd, GRT_READ | GRT_WRITE, 0), GRT_READ | GRT_WRITE);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    static char back[1 << 20];
    size_t got = 0;
    ssize_t r;
    while ((r = grt_read(fd, back + got, sizeof back - got)) > 0)
        got += (size_t)r;
    CHECK_EQ(r, 0); /* EOF */
    CHECK_EQ(got, sizeof big);
    CHECK_EQ(memcmp(big, back, sizeof big), 0);
    /* still a plain blocking descriptor */
    CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    CHECK_EQ(grt_close(fd), 0);
    CHECK_EQ(fcntl(fd, F_GETFD), -1);
    CHECK_EQ(grt_close(fd), -EBADF);
}

/* --- outside a goroutine --------------------------------------------------- */

static int foreign_fd, foreign_peer;

static void *foreign_main(void *arg)
{
    (void)arg;
    char buf[8];
    CHECK_EQ(grt_read(foreign_fd, buf, sizeof buf), -EPERM);
    /* with data there, the call does not need to park */
    CHECK_EQ(write(foreign_peer, "f", 1), 1);
    int64_t t0 = grt_now();
    ssize_t r;
    while ((r = grt_read(foreign_fd, buf, sizeof buf)) == -EPERM)
        CHECK_LT(grt_now() - t0, 10 * LATE_SLACK); /* the byte is in flight */
    CHECK_EQ(r, 1);
    CHECK_EQ(buf[0], 'f');
    CHECK_EQ(grt_write(foreign_fd, "g", 1), 1);
    return NULL;
}

static void check_foreign(void)
{
    tcp_pair(&foreign_fd, &foreign_peer);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_main, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    char b;
    CHECK_EQ(grt_read(foreign_peer, &b, 1), 1);
    CHECK_EQ(b, 'g');
    CHECK_EQ(grt_close(foreign_fd), 0);
    CHECK_EQ(grt_close(foreign_peer), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_read_deadline();
    check_write_deadline();
    check_close_wakes();
    check_half_close();
    check_disconnect();
    check_wait_fd();
    check_errors();
    check_unix();
    check_tcp6();
    check_dial_timeout();
    check_regular_file();
    check_foreign();
}

int main(void)
{
    test_run(2, main_fn, NULL);
    test_run(1, main_fn, NULL);
    printf("test_net_deadline: ok\n");
    return 0;
}
