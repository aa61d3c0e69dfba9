/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * grt_test.h - the test harness: typed checks that print both values, a
 * scale for iteration counts under the sanitizers, and a way to run the
 * test binary itself as a subprocess (for fatal errors and exit statuses).
 *
 * A test program is one file tests/test_<name>.c with a main(); CTest runs
 * it in its own process with a timeout.  Exit 0 passes, 77 skips, anything
 * else fails.  Checks may be used inside goroutines: a failure prints and
 * exits the whole process at once (the runtime is not unwound).
 */
#ifndef GRT_TEST_H
#define GRT_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grt.h"

#define TEST_FAIL(...)                                                         \
    do {                                                                       \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                   \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        fflush(stderr);                                                        \
        _exit(1);                                                              \
    } while (0)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST_FAIL("CHECK(%s)", #cond);                                     \
    } while (0)

#define CHECK_OP_(a, op, b)                                                    \
    do {                                                                       \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                          \
        if (!(a_ op b_))                                                       \
            TEST_FAIL("CHECK(%s %s %s): %" PRId64 " vs %" PRId64, #a, #op, #b, \
                      a_, b_);                                                 \
    } while (0)

#define CHECK_EQ(a, b) CHECK_OP_(a, ==, b)
#define CHECK_NE(a, b) CHECK_OP_(a, !=, b)
#define CHECK_LT(a, b) CHECK_OP_(a, <, b)
#define CHECK_LE(a, b) CHECK_OP_(a, <=, b)
#define CHECK_GT(a, b) CHECK_OP_(a, >, b)
#define CHECK_GE(a, b) CHECK_OP_(a, >=, b)

#define CHECK_STR_CONTAINS(hay, needle)                                        \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            TEST_FAIL("expected \"%s\" in output:\n%s", (needle), (hay));      \
    } while (0)

#define TEST_SKIP(...)                                                         \
    do {                                                                       \
        printf("SKIP: ");                                                      \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
        exit(77);                                                              \
    } while (0)

/* True in the ASan/TSan builds: some tests scale down or skip there. */
#if defined(GRT_ASAN) || defined(GRT_TSAN)
#define TEST_SANITIZED 1
#else
#define TEST_SANITIZED 0
#endif

/* Iteration counts: full size normally, a tenth under the sanitizers
 * (which cost 5-20x), overridable with GRT_TEST_SCALE=<float>. */
static inline int64_t test_scale(int64_t n)
{
    double s = TEST_SANITIZED ? 0.1 : 1.0;
    const char *e = getenv("GRT_TEST_SCALE");
    if (e && *e)
        s = atof(e);
    int64_t r = (int64_t)((double)n * s);
    return r < 1 ? 1 : r;
}

static inline int64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Entries of a /proc directory (task, fd): what a test counts to check
 * that nothing is left behind. */
static inline int test_count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        TEST_FAIL("opendir %s: %s", path, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Run fn as the main goroutine with procs Ps; the run must return 0. */
static inline void test_run(int procs, grt_fn fn, void *arg)
{
    grt_config cfg = {.procs = procs, .stack_size = 0};
    int rc = grt_run(&cfg, fn, arg);
    if (rc != 0)
        TEST_FAIL("grt_run returned %d", rc);
}

/* A goroutine that ticks every period while the test waits on something
 * else: ticks that go on prove the P kept running goroutines. */
typedef struct test_heartbeat {
    atomic_int  ticks;
    atomic_bool stop;
    int64_t     period;
} test_heartbeat;

static inline void test_heartbeat_fn(void *arg)
{
    test_heartbeat *h = arg;
    while (!atomic_load(&h->stop)) {
        atomic_fetch_add(&h->ticks, 1);
        grt_sleep(h->period);
    }
}

static inline void test_heartbeat_start(test_heartbeat *h, int64_t period_ns)
{
    atomic_store(&h->ticks, 0);
    atomic_store(&h->stop, false);
    h->period = period_ns;
    if (grt_go(test_heartbeat_fn, h) != 0)
        TEST_FAIL("grt_go(heartbeat)");
}

/* Stop it and let it leave (it sleeps at most one period). */
static inline void test_heartbeat_stop(test_heartbeat *h)
{
    atomic_store(&h->stop, true);
    grt_sleep(2 * h->period);
}

/* Overlap on one P: run fn((void *)i) for i in [0, n) in n goroutines on
 * procs=1 with a heartbeat ticking every 10 ms meanwhile.  Returns how long
 * the n calls took together; *ticks gets the heartbeat's count. */
struct test_overlap {
    grt_fn        fn;
    int           n;
    int64_t       elapsed;
    test_heartbeat hb;
    grt_waitgroup wg;
};

struct test_overlap_call {
    struct test_overlap *o;
    intptr_t             i;
};

static inline void test_overlap_one(void *arg)
{
    struct test_overlap_call *c = arg;
    c->o->fn((void *)c->i);
    grt_waitgroup_done(&c->o->wg);
    free(c);
}

static inline void test_overlap_main(void *arg)
{
    struct test_overlap *o = arg;
    test_heartbeat_start(&o->hb, 10 * 1000000);
    int64_t t0 = grt_now();
    grt_waitgroup_add(&o->wg, o->n);
    for (int i = 0; i < o->n; i++) {
        struct test_overlap_call *c = malloc(sizeof *c);
        if (c == NULL)
            TEST_FAIL("malloc");
        c->o = o;
        c->i = i;
        if (grt_go(test_overlap_one, c) != 0)
            TEST_FAIL("grt_go");
    }
    grt_waitgroup_wait(&o->wg);
    o->elapsed = grt_now() - t0;
    test_heartbeat_stop(&o->hb);
}

static inline int64_t test_overlap(grt_fn fn, int n, int *ticks)
{
    static struct test_overlap o;
    memset(&o, 0, sizeof o);
    o.fn = fn;
    o.n = n;
    test_run(1, test_overlap_main, &o);
    *ticks = atomic_load(&o.hb.ticks);
    return o.elapsed;
}

/* A TCP port on 127.0.0.1 that nobody listens on right now. */
static inline int test_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        getsockname(s, (struct sockaddr *)&sin, &len) != 0)
        TEST_FAIL("free port: %s", strerror(errno));
    close(s);
    return ntohs(sin.sin_port);
}

/* A TCP listener on a free loopback port; addr gets "127.0.0.1:PORT". */
static inline int test_listen_loopback(char *addr, size_t n)
{
    int lfd = grt_listen("tcp4", "127.0.0.1:0");
    if (lfd < 0)
        TEST_FAIL("grt_listen: %s", strerror(-lfd));
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
        TEST_FAIL("getsockname: %s", strerror(errno));
    if (sin.sin_family != AF_INET || sin.sin_port == 0)
        TEST_FAIL("grt_listen bound family %d port %d", sin.sin_family, ntohs(sin.sin_port));
    snprintf(addr, n, "127.0.0.1:%d", ntohs(sin.sin_port));
    return lfd;
}

/* Send signo to this process: kill(getpid()), except under TSan, which runs
 * a handler only at the receiving thread's next intercepted call (and an
 * idle M sleeping in a raw futex call may be the thread the kernel picks):
 * there the caller's own thread takes it, and usleep is such a call. */
static inline void test_send_signal(int signo)
{
#ifdef GRT_TSAN
    if (raise(signo) != 0)
        TEST_FAIL("raise: %s", strerror(errno));
    usleep(1000);
#else
    if (kill(getpid(), signo) != 0)
        TEST_FAIL("kill: %s", strerror(errno));
#endif
}

/* Re-run this test binary as "<self> <mode>" with a timeout (seconds).
 * Captures stderr into buf (NUL-terminated) and returns the wait status.
 * GRT_TEST_EXEC_WRAPPER names a program to run it through (an emulator:
 * scripts/check-aarch64.sh sets qemu-aarch64, since a binary run by
 * qemu-user cannot exec another foreign binary without binfmt_misc). */
static inline int test_subprocess(const char *mode, char *buf, size_t bufsz,
                                  int timeout_s, char *const extra_env[])
{
    int pfd[2];
    if (pipe(pfd) != 0)
        TEST_FAIL("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        TEST_FAIL("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        for (int i = 0; extra_env && extra_env[i]; i++)
            putenv(extra_env[i]);
        char self[4096];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k < 0)
            _exit(126);
        self[k] = 0;
        alarm((unsigned)timeout_s);
        const char *wrap = getenv("GRT_TEST_EXEC_WRAPPER");
        if (wrap && *wrap)
            execl(wrap, wrap, self, mode, (char *)NULL);
        else
            execl(self, self, mode, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    size_t len = 0;
    for (;;) {
        ssize_t r = read(pfd[0], buf + len, bufsz - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len == bufsz - 1)
            break;
    }
    buf[len] = 0;
    close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

/* "<self> <mode>" must end with "grt: fatal error: ...<expect>..." on
 * stderr and exit status 2, as Go's fatal errors do. */
static inline void test_expect_fatal(const char *mode, const char *expect)
{
    char buf[8192];
    int st = test_subprocess(mode, buf, sizeof buf, 60, NULL);
    if (!WIFEXITED(st))
        TEST_FAIL("%s: killed by signal %d:\n%s", mode, WIFSIGNALED(st) ? WTERMSIG(st) : -1,
                  buf);
    if (WEXITSTATUS(st) != 2)
        TEST_FAIL("%s: exit status %d, want 2:\n%s", mode, WEXITSTATUS(st), buf);
    CHECK_STR_CONTAINS(buf, "grt: fatal error: ");
    CHECK_STR_CONTAINS(buf, expect);
}

/* A field of /proc/self/status in kB ("VmSize", "VmRSS"), -1 if absent. */
static inline long test_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        TEST_FAIL("fopen /proc/self/status: %s", strerror(errno));
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = atol(line + n + 1);
    fclose(f);
    return v;
}

/* Descriptors open in this process now (with the one reading the list). */
static inline int test_fd_count(void)
{
    return test_count_dir("/proc/self/fd");
}

#endif
