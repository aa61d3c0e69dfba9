/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fd_errors: bad input at every descriptor and network entry point,
 * one table per function, in three places: with no runtime (before the
 * first grt_run and after it), in a goroutine, and on a thread grt did not
 * create while the runtime runs.  Each call returns its documented error
 * (grt.h) and leaves nothing behind: the number of open descriptors
 * (/proc/self/fd) is the same after every table, an fd passed in keeps its
 * flags when no runtime runs, and the ASan build's leak check is clean.
 *
 * Descriptors: -1, INT_MIN, INT_MAX, 1 << 29, the process's RLIMIT_NOFILE
 * and beyond, a number that was open and is closed, one never opened: all
 * -EBADF at once (a huge one used to hang or allocate GiBs), for every
 * call.  Deadlines INT64_MIN, 0, past, INT64_MAX, GRT_FOREVER.  Addresses:
 * ports out of range or not decimal, missing port, unbalanced brackets,
 * bare IPv6, empty host for dial, over-long unix paths and abstract names.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/un.h>

#include "grt_test.h"

#define MS ((int64_t)1000000)

/* --- descriptors that are not open --------------------------------------- */

enum { NBAD = 8 };
static int bad_fd[NBAD];
static const char *bad_name[NBAD];

static void bad_fds_init(void)
{
    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    int lim = rl.rlim_cur > INT_MAX - 16 ? INT_MAX - 16 : (int)rl.rlim_cur;
    int p[2];
    CHECK_EQ(pipe(p), 0);
    /* "closed": a high number that was open (and used) and is no more */
    int closed = lim > 1000 ? 900 : lim - 10;
    CHECK_EQ(dup2(p[0], closed), closed);
    CHECK_EQ(close(closed), 0);
    close(p[0]);
    close(p[1]);
    int i = 0;
    bad_fd[i] = -1, bad_name[i++] = "-1";
    bad_fd[i] = INT_MIN, bad_name[i++] = "INT_MIN";
    bad_fd[i] = INT_MAX, bad_name[i++] = "INT_MAX";
    bad_fd[i] = 1 << 29, bad_name[i++] = "1<<29";
    bad_fd[i] = lim, bad_name[i++] = "RLIMIT_NOFILE";
    bad_fd[i] = lim + 7, bad_name[i++] = "RLIMIT_NOFILE+7";
    bad_fd[i] = closed, bad_name[i++] = "closed";
    bad_fd[i] = closed + 3, bad_name[i++] = "never opened";
    CHECK_EQ(i, NBAD);
}

/* Every call on every descriptor that is not open: -EBADF, at once and
 * without growing the process (the table is not sized by a bad number). */
static void check_bad_fds(const char *where)
{
    int64_t vm0 = test_status_kb("VmSize");
    int64_t t0 = test_now_ns();
    char buf[8] = "abc";
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sl = sizeof sin;
    for (int i = 0; i < NBAD; i++) {
        int fd = bad_fd[i];
        struct {
            const char *call;
            int64_t     rc;
        } t[] = {
            {"grt_read", grt_read(fd, buf, sizeof buf)},
            {"grt_read n=0", grt_read(fd, buf, 0)},
            {"grt_write", grt_write(fd, buf, 3)},
            {"grt_accept", grt_accept(fd, (struct sockaddr *)&sin, &sl)},
            {"grt_connect", grt_connect(fd, (struct sockaddr *)&sin, sizeof sin, grt_now() + 100 * MS)},
            {"grt_wait_fd read", grt_wait_fd(fd, GRT_READ, 0)},
            {"grt_wait_fd both", grt_wait_fd(fd, GRT_READ | GRT_WRITE, GRT_FOREVER)},
            {"grt_set_deadline", grt_set_deadline(fd, GRT_FOREVER, GRT_FOREVER)},
            {"grt_set_deadline past", grt_set_deadline(fd, 0, INT64_MIN)},
            {"grt_close", grt_close(fd)},
        };
        for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
            if (t[k].rc != -EBADF)
                TEST_FAIL("%s: %s(fd %s) returned %" PRId64 ", want -EBADF", where, t[k].call,
                          bad_name[i], t[k].rc);
    }
    int64_t took = test_now_ns() - t0;
    if (took > 5000 * MS)
        TEST_FAIL("%s: the bad descriptors took %" PRId64 " ms", where, took / MS);
    int64_t grew = test_status_kb("VmSize") - vm0;
    if (grew > 64 * 1024)
        TEST_FAIL("%s: VmSize grew by %" PRId64 " KiB for bad descriptors", where, grew);
}

/* --- addresses ------------------------------------------------------------ */

static const char *bad_tcp_addrs[] = {
    "127.0.0.1",          /* no port */
    "127.0.0.1:",         /* empty port */
    "127.0.0.1:99999",    "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80",
    "127.0.0.1: 80",      "127.0.0.1:80 ",   "127.0.0.1:http", "127.0.0.1:8x0",
    "127.0.0.1:0x50",     "127.0.0.1:1e3",   "127.0.0.1:123456789012345678901234",
    ":99999",             ":-1",             ":http",          ": 80",
    ":+80",               ":",               "",
    "::1:80",             /* bare IPv6 */
    "[::1]",              /* brackets, no port */
    "[::1",               "::1]:80",         "[::1]80",        "[::1]:",
    "[[::1]]:80",         "[::1]]:80",       "[::1]:80]",      "[::1]:99999",
    "a[b]c:80",
};

/* Dial only: an empty host (":80", "[]:80") names nothing to connect to. */
static const char *bad_dial_only[] = {":80", "[]:80", ":0"};

static void check_addresses(const char *where, bool in_runtime)
{
    static const char *nets[] = {"tcp", "tcp4", "tcp6"};
    for (size_t n = 0; n < sizeof nets / sizeof nets[0]; n++) {
        for (size_t i = 0; i < sizeof bad_tcp_addrs / sizeof bad_tcp_addrs[0]; i++) {
            int rc = grt_listen(nets[n], bad_tcp_addrs[i]);
            if (rc != -EINVAL)
                TEST_FAIL("%s: grt_listen(%s, \"%s\") = %d, want -EINVAL", where, nets[n], bad_tcp_addrs[i],
                          rc);
            rc = grt_dial(nets[n], bad_tcp_addrs[i], grt_now() + 100 * MS);
            if (rc != -EINVAL)
                TEST_FAIL("%s: grt_dial(%s, \"%s\") = %d, want -EINVAL", where, nets[n], bad_tcp_addrs[i],
                          rc);
        }
        for (size_t i = 0; i < sizeof bad_dial_only / sizeof bad_dial_only[0]; i++) {
            int rc = grt_dial(nets[n], bad_dial_only[i], GRT_FOREVER);
            if (rc != -EINVAL)
                TEST_FAIL("%s: grt_dial(%s, \"%s\") = %d, want -EINVAL", where, nets[n], bad_dial_only[i], rc);
        }
    }
    /* bad networks, NULL arguments */
    static const char *bad_nets[] = {"", "TCP", "tcp ", "ip", "tcp7", "unix "};
    for (size_t i = 0; i < sizeof bad_nets / sizeof bad_nets[0]; i++) {
        CHECK_EQ(grt_listen(bad_nets[i], "127.0.0.1:0"), -EINVAL);
        CHECK_EQ(grt_dial(bad_nets[i], "127.0.0.1:80", GRT_FOREVER), -EINVAL);
    }
    CHECK_EQ(grt_listen(NULL, "127.0.0.1:0"), -EINVAL);
    CHECK_EQ(grt_listen(NULL, NULL), -EINVAL);
    CHECK_EQ(grt_listen("tcp", NULL), -EINVAL);
    CHECK_EQ(grt_listen("unix", NULL), -EINVAL);
    CHECK_EQ(grt_dial(NULL, "127.0.0.1:80", GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_dial("tcp", NULL, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_dial("unix", NULL, GRT_FOREVER), -EINVAL);

    /* unix: empty, a path of 108 bytes (no room for its NUL), an abstract
     * name of 109 (past sun_path): -EINVAL, as Go */
    char path[300];
    memset(path, 'p', sizeof path);
    path[0] = '/';
    size_t lens[] = {108, 109, 200, 299};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        path[lens[i]] = 0;
        CHECK_EQ(grt_listen("unix", path), -EINVAL);
        CHECK_EQ(grt_dial("unix", path, GRT_FOREVER), -EINVAL);
        path[0] = '@';
        if (lens[i] > 108) {
            CHECK_EQ(grt_listen("unix", path), -EINVAL);
            CHECK_EQ(grt_dial("unix", path, GRT_FOREVER), -EINVAL);
        }
        path[0] = '/';
        path[lens[i]] = 'p';
    }
    CHECK_EQ(grt_listen("unix", ""), -EINVAL);
    CHECK_EQ(grt_dial("unix", "", GRT_FOREVER), -EINVAL);

    /* good addresses, for contrast: every port 0..65535 form is accepted */
    static const char *good[] = {"127.0.0.1:0", "127.0.0.1:00000", "[127.0.0.1]:0"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int fd = grt_listen("tcp4", good[i]);
        if (fd < 0)
            TEST_FAIL("%s: grt_listen(tcp4, \"%s\") = %d", where, good[i], fd);
        CHECK_EQ(grt_close(fd), 0);
    }
    /* a dial to a good address outside a goroutine would park */
    if (!in_runtime) {
        CHECK_EQ(grt_dial("tcp", "127.0.0.1:1", GRT_FOREVER), -EPERM);
        CHECK_EQ(grt_dial("unix", "@grt-test-nobody", GRT_FOREVER), -EPERM);
    }
}

/* --- calls on open descriptors -------------------------------------------- */

/* events: bad masks are -EINVAL whatever the fd */
static void check_wait_events(int fd, const char *where)
{
    int bad[] = {0, 4, 8, -1, GRT_READ | 4, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = grt_wait_fd(fd, bad[i], 0);
        if (rc != -EINVAL)
            TEST_FAIL("%s: grt_wait_fd(events %d) = %d, want -EINVAL", where, bad[i], rc);
    }
}

/* No runtime: calls that would park are -EPERM, nothing is registered
 * (the pipe stays blocking: its flags are untouched), grt_wait_fd's
 * deadline-passed form works, grt_close closes. */
static void check_no_runtime(const char *when)
{
    int nfd = test_fd_count();
    check_bad_fds(when);
    check_addresses(when, false);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    int fl0 = fcntl(p[0], F_GETFL), fl1 = fcntl(p[1], F_GETFL);
    char buf[8];
    check_wait_events(p[0], when);
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), -EPERM);
    CHECK_EQ(grt_write(p[1], "x", 1), -EPERM);
    CHECK_EQ(grt_accept(p[0], NULL, NULL), -EPERM);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    CHECK_EQ(grt_connect(p[1], (struct sockaddr *)&sin, sizeof sin, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_set_deadline(p[0], INT64_MAX, INT64_MIN), -EPERM);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, INT64_MAX), -EPERM);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, 0), -ETIMEDOUT);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, INT64_MIN), -ETIMEDOUT);
    CHECK_EQ(grt_wait_fd(p[1], GRT_WRITE, GRT_FOREVER), GRT_WRITE); /* ready: no wait */
    CHECK_EQ(write(p[1], "y", 1), 1);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ | GRT_WRITE, 0), GRT_READ);
    CHECK_EQ(fcntl(p[0], F_GETFL), fl0);
    CHECK_EQ(fcntl(p[1], F_GETFL), fl1);
    /* listen needs no runtime; grt_close of an open fd closes it */
    int lfd = grt_listen("tcp4", "127.0.0.1:0");
    CHECK_GE(lfd, 0);
    CHECK_EQ(grt_accept(lfd, NULL, NULL), -EPERM);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK_EQ(grt_close(p[0]), 0);
    CHECK_EQ(grt_close(p[1]), 0);
    CHECK_EQ(fcntl(p[0], F_GETFD), -1);
    CHECK_EQ(grt_close(p[0]), -EBADF);
    CHECK_EQ(test_fd_count(), nfd);
}

/* In a goroutine: calls on open descriptors of the wrong kind, and
 * deadline extremes. */
static void check_open_fds(const char *where)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    char buf[8];
    check_wait_events(p[0], where);
    /* not sockets */
    CHECK_EQ(grt_accept(p[0], NULL, NULL), -ENOTSOCK);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    CHECK_EQ(grt_connect(p[1], (struct sockaddr *)&sin, sizeof sin, GRT_FOREVER), -ENOTSOCK);
    /* NULL buffers: what read(2)/write(2) say */
    CHECK_EQ(grt_write(p[1], NULL, 3), -EFAULT);
    CHECK_EQ(grt_write(p[1], "z", 1), 1);
    CHECK_EQ(grt_read(p[0], NULL, 3), -EFAULT);
    CHECK_EQ(grt_read(p[0], buf, 0), 0);
    CHECK_EQ(grt_write(p[1], buf, 0), 0);
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), 1);
    /* deadlines: INT64_MIN, 0 and the past expire at once; INT64_MAX is
     * never; GRT_FOREVER clears */
    int64_t past[] = {INT64_MIN, 0, 1, grt_now() - 1};
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        CHECK_EQ(grt_set_deadline(p[0], past[i], GRT_FOREVER), 0);
        CHECK_EQ(grt_read(p[0], buf, sizeof buf), -ETIMEDOUT);
        CHECK_EQ(grt_wait_fd(p[0], GRT_READ, past[i]), -ETIMEDOUT);
        CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, past[i]), 0);
        CHECK_EQ(grt_write(p[1], "w", 1), 1); /* the other side's deadline */
        CHECK_EQ(grt_read(p[0], buf, sizeof buf), 1);
        CHECK_EQ(grt_set_deadline(p[1], GRT_FOREVER, past[i]), 0);
        CHECK_EQ(grt_write(p[1], "w", 1), -ETIMEDOUT);
        CHECK_EQ(grt_set_deadline(p[1], GRT_FOREVER, GRT_FOREVER), 0);
    }
    CHECK_EQ(grt_set_deadline(p[0], INT64_MAX, INT64_MAX), 0);
    CHECK_EQ(grt_write(p[1], "m", 1), 1);
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), 1);
    CHECK_EQ(grt_wait_fd(p[1], GRT_WRITE, INT64_MAX), GRT_WRITE);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, grt_now() + 2 * MS), -ETIMEDOUT);
    CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, GRT_FOREVER), 0);
    /* a socket that is not listening; connect with bad addresses */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_GE(s, 0);
    CHECK_EQ(grt_accept(s, NULL, NULL), -EINVAL);
    CHECK_EQ(grt_connect(s, NULL, 0, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_connect(s, (struct sockaddr *)&sin, 4, GRT_FOREVER), -EINVAL);
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_close(p[0]), 0);
    CHECK_EQ(grt_close(p[1]), 0);
    /* closed now: -EBADF, and a second close too */
    CHECK_EQ(grt_read(p[0], buf, 1), -EBADF);
    CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, GRT_FOREVER), -EBADF);
    CHECK_EQ(grt_close(p[0]), -EBADF);
}

/* --- a thread grt did not create, while the runtime runs ------------------ */

static atomic_int foreign_ok;

static void *foreign(void *arg)
{
    (void)arg;
    check_bad_fds("foreign thread");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    char buf[8];
    check_wait_events(p[0], "foreign thread");
    /* would park: -EPERM; can proceed: does */
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), -EPERM);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, GRT_FOREVER), -EPERM);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, 0), -ETIMEDOUT);
    CHECK_EQ(grt_write(p[1], "ab", 2), 2);
    CHECK_EQ(grt_wait_fd(p[0], GRT_READ, GRT_FOREVER), GRT_READ);
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), 2);
    /* deadlines do not park: they work here */
    CHECK_EQ(grt_set_deadline(p[0], INT64_MIN, GRT_FOREVER), 0);
    CHECK_EQ(grt_read(p[0], buf, sizeof buf), -ETIMEDOUT);
    CHECK_EQ(grt_set_deadline(p[0], GRT_FOREVER, GRT_FOREVER), 0);
    int lfd = grt_listen("tcp4", "127.0.0.1:0");
    CHECK_GE(lfd, 0);
    CHECK_EQ(grt_accept(lfd, NULL, NULL), -EPERM);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sin.sin_port));
    int c = grt_dial("tcp4", addr, GRT_FOREVER); /* connected at once, or would park */
    CHECK(c >= 0 || c == -EPERM);
    if (c >= 0)
        CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(lfd), 0);
    CHECK_EQ(grt_close(p[0]), 0);
    CHECK_EQ(grt_close(p[1]), 0);
    CHECK_EQ(grt_close(p[0]), -EBADF);
    atomic_store(&foreign_ok, 1);
    return NULL;
}

static void main_fn(void *arg)
{
    (void)arg;
    int nfd = test_fd_count();
    check_bad_fds("goroutine");
    CHECK_EQ(test_fd_count(), nfd);
    check_addresses("goroutine", true);
    CHECK_EQ(test_fd_count(), nfd);
    check_open_fds("goroutine");
    CHECK_EQ(test_fd_count(), nfd);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign, NULL), 0);
    while (!atomic_load(&foreign_ok))
        grt_sleep(MS);
    pthread_join(t, NULL);
    CHECK_EQ(test_fd_count(), nfd);
}

int main(void)
{
    bad_fds_init();
    int nfd = test_fd_count();
    check_no_runtime("before grt_run");
    test_run(2, main_fn, NULL);
    CHECK_EQ(test_fd_count(), nfd);
    check_no_runtime("after grt_run");
    test_run(1, main_fn, NULL); /* and once more, after the calls outside */
    CHECK_EQ(test_fd_count(), nfd);
    printf("ok\n");
    return 0;
}
