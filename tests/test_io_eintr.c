/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_io_eintr: signals never surface as EINTR from grt calls.
 *
 * The program installs a SIGUSR1 handler WITHOUT SA_RESTART, so every
 * system call a signal interrupts fails with EINTR, and a plain thread
 * sends SIGUSR1 to every thread of the process (tgkill) about every
 * 200 us for the whole test: the Ms parked in futex waits, the one
 * blocked in epoll_wait, threads sleeping inside grt_syscall_enter/exit,
 * and the ones running goroutines.  Meanwhile goroutines sleep, select
 * with deadlines, wait on descriptors, accept, dial, and ping-pong over
 * TCP; a non-goroutine thread sleeps with grt_sleep.  Every call must
 * complete with its normal result (API.md: EINTR is retried, never
 * returned), and every sleep must still last its full duration.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define MS (1000LL * 1000)

static atomic_int  stop_signals;
static atomic_long nsignals, handled;
static char        address[64];

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

/* Every ~200 us, SIGUSR1 to every thread of the process but itself. */
static void *signaller(void *arg)
{
    (void)arg;
    pid_t pid = getpid();
    pid_t self = (pid_t)syscall(SYS_gettid);
    while (!atomic_load(&stop_signals)) {
        DIR *d = opendir("/proc/self/task");
        CHECK(d != NULL);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(e->d_name);
            if (tid <= 0 || tid == self)
                continue;
            if (syscall(SYS_tgkill, pid, tid, SIGUSR1) == 0)
                atomic_fetch_add(&nsignals, 1);
        }
        closedir(d);
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL); /* EINTR here is harmless: this is no grt call */
    }
    return NULL;
}

/* --- the workers ------------------------------------------------------ */

#define ROUNDS 200

static void sleeper(void *p)
{
    grt_waitgroup *wg = p;
    for (int i = 0; i < ROUNDS; i++) {
        int64_t d = (i % 4) * 500000 + 1;
        int64_t t0 = grt_now();
        CHECK_EQ(grt_sleep(d), 0);
        CHECK_GE(grt_now() - t0, d);
    }
    grt_waitgroup_done(wg);
}

static void selector(void *p)
{
    grt_waitgroup *wg = p;
    grt_chan *c = grt_chan_make(sizeof(int), 0);
    CHECK(c != NULL);
    for (int i = 0; i < ROUNDS; i++) {
        int v;
        grt_case cs[1] = {{c, GRT_RECV, &v, 0}};
        int64_t deadline = grt_now() + 1 * MS;
        CHECK_EQ(grt_select(cs, 1, deadline), -ETIMEDOUT);
        CHECK_GE(grt_now(), deadline);
    }
    grt_chan_release(c);
    grt_waitgroup_done(wg);
}

static void blocker(void *p)
{
    grt_waitgroup *wg = p;
    for (int i = 0; i < ROUNDS / 10; i++) {
        grt_syscall_enter();
        struct timespec ts = {0, 2 * MS};
        while (nanosleep(&ts, &ts) != 0) /* the user's own retry loop */
            CHECK_EQ(errno, EINTR);
        grt_syscall_exit();
    }
    grt_waitgroup_done(wg);
}

static void echo_server(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[256];
    ssize_t r;
    while ((r = grt_read(fd, buf, sizeof buf)) > 0)
        CHECK_EQ(grt_write(fd, buf, (size_t)r), r);
    CHECK_EQ(r, 0); /* EOF, never -EINTR */
    CHECK_EQ(grt_close(fd), 0);
}

static void acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = grt_accept(lfd, NULL, NULL);
        if (fd == -ECANCELED || fd == -EBADF)
            return; /* closed while waiting, or before this call */
        CHECK_GE(fd, 0);
        CHECK_EQ(grt_go(echo_server, (void *)(intptr_t)fd), 0);
    }
}

static void pinger(void *p)
{
    grt_waitgroup *wg = p;
    for (int conn = 0; conn < 5; conn++) {
        int fd = grt_dial("tcp", address, grt_now() + 10000 * MS);
        CHECK_GE(fd, 0);
        for (int i = 0; i < ROUNDS / 5; i++) {
            char out[64], in[64];
            int n = snprintf(out, sizeof out, "ping %d %d", conn, i);
            CHECK_EQ(grt_write(fd, out, (size_t)n), n);
            /* wait readable first, with a deadline that is never reached */
            int ev = grt_wait_fd(fd, GRT_READ, grt_now() + 10000 * MS);
            CHECK_EQ(ev, GRT_READ);
            int got = 0;
            while (got < n) {
                ssize_t r = grt_read(fd, in + got, sizeof in - (size_t)got);
                CHECK_GT(r, 0);
                got += (int)r;
            }
            CHECK_EQ(memcmp(in, out, (size_t)n), 0);
        }
        CHECK_EQ(grt_close(fd), 0);
    }
    grt_waitgroup_done(wg);
}

static void *thread_sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        int64_t t0 = grt_now();
        CHECK_EQ(grt_sleep(2 * MS), 0);
        CHECK_GE(grt_now() - t0, 2 * MS);
    }
    return NULL;
}

static void main_fn(void *arg)
{
    (void)arg;
    int lfd = test_listen_loopback(address, sizeof address);
    CHECK_EQ(grt_go(acceptor, (void *)(intptr_t)lfd), 0);

    pthread_t sig_th, sleep_th;
    atomic_store(&stop_signals, 0);
    CHECK_EQ(pthread_create(&sig_th, NULL, signaller, NULL), 0);
    CHECK_EQ(pthread_create(&sleep_th, NULL, thread_sleeper, NULL), 0);

    grt_waitgroup wg = GRT_WAITGROUP_INIT;
    enum { N = 4 };
    CHECK_EQ(grt_waitgroup_add(&wg, 4 * N), 0);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(grt_go(sleeper, &wg), 0);
        CHECK_EQ(grt_go(selector, &wg), 0);
        CHECK_EQ(grt_go(blocker, &wg), 0);
        CHECK_EQ(grt_go(pinger, &wg), 0);
    }
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(pthread_join(sleep_th, NULL), 0);
    atomic_store(&stop_signals, 1);
    CHECK_EQ(pthread_join(sig_th, NULL), 0);
    CHECK_EQ(grt_close(lfd), 0);
    printf("eintr: %ld signals sent, %ld handled\n", atomic_load(&nsignals),
           atomic_load(&handled));
    CHECK_GT(atomic_load(&handled), 100); /* the storm was real */
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: interrupted calls fail with EINTR */
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    test_run(2, main_fn, NULL);
    test_run(1, main_fn, NULL);
    printf("test_io_eintr: ok\n");
    return 0;
}
