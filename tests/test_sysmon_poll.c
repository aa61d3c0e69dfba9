/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sysmon_poll: the network and the timers are not starved by busy
 * goroutines.
 *
 * With procs=1 one goroutine keeps the only P busy: first by yielding in
 * a loop (the run queue is never empty, so the scheduler never reaches its
 * own network poll: sysmon must poll when nobody has for 10 ms and inject
 * the ready goroutines), then by spinning without any scheduling point
 * (sysmon must preempt it; not under TSan, see main_fn).  Meanwhile:
 *
 *  - a goroutine blocked in grt_read wakes when a plain thread writes to
 *    the peer socket, within a generous bound (expected: ~10-20 ms);
 *  - a goroutine in grt_sleep wakes not early and not very late;
 *  - a goroutine waiting on a timer channel gets its value.
 */
#include "grt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define MS (1000LL * 1000)
#define BOUND (1000 * MS) /* loose: a loaded machine */

static atomic_int stop_spin;
static atomic_long spins;

static void yielder(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_spin)) {
        for (volatile int i = 0; i < 1000; i++) {
        }
        atomic_fetch_add(&spins, 1);
        grt_yield();
    }
}

static __attribute__((unused)) void spinner(void *arg)
{
    (void)arg;
    /* No grt call at all: only asynchronous preemption gets the P back.
     * The inner loop is register arithmetic, so the preemption signal
     * lands in this program's code (under TSan every memory access is a
     * call into its runtime, where grt rightly declines to preempt). */
    uint64_t x = 1;
    while (!atomic_load_explicit(&stop_spin, memory_order_relaxed)) {
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        atomic_fetch_add_explicit(&spins, (long)(x & 1) + 1, memory_order_relaxed);
    }
}

typedef struct {
    int     fd;
    int64_t woke;
    ssize_t r;
    grt_chan *done;
} reader_arg;

static void reader(void *p)
{
    reader_arg *a = p;
    char b;
    a->r = grt_read(a->fd, &b, 1);
    a->woke = grt_now();
    CHECK_EQ(grt_chan_send(a->done, NULL), 0);
}

typedef struct {
    int     fd;
    int64_t delay, wrote;
} writer_arg;

static void *late_writer(void *p)
{
    writer_arg *w = p;
    struct timespec ts = {0, (long)w->delay};
    while (nanosleep(&ts, &ts) != 0) {
    }
    w->wrote = grt_now();
    CHECK_EQ(write(w->fd, "!", 1), 1);
    return NULL;
}

typedef struct {
    int64_t   d, start, woke;
    grt_chan *done;
} sleeper_arg;

static void sleeper(void *p)
{
    sleeper_arg *a = p;
    a->start = grt_now();
    CHECK_EQ(grt_sleep(a->d), 0);
    a->woke = grt_now();
    CHECK_EQ(grt_chan_send(a->done, NULL), 0);
}

static void round_with(grt_fn busy, const char *what)
{
    char addr[32];
    int lfd = test_listen_loopback(addr, sizeof addr);
    int c = grt_dial("tcp", addr, grt_now() + 5000 * MS);
    CHECK_GE(c, 0);
    int s = grt_accept(lfd, NULL, NULL);
    CHECK_GE(s, 0);

    grt_chan *done = grt_chan_make(0, 3);
    CHECK(done != NULL);
    reader_arg ra = {s, 0, 0, done};
    sleeper_arg sa = {50 * MS, 0, 0, done};
    CHECK_EQ(grt_go(reader, &ra), 0);
    CHECK_EQ(grt_go(sleeper, &sa), 0);
    grt_sleep(10 * MS); /* both are parked */

    atomic_store(&stop_spin, 0);
    atomic_store(&spins, 0);
    CHECK_EQ(grt_go(busy, NULL), 0);
    writer_arg wa = {c, 100 * MS, 0};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, late_writer, &wa), 0);
    /* a timer channel, received while the P is busy */
    int64_t t0 = grt_now();
    grt_timer *t = grt_timer_new(30 * MS, 0);
    CHECK(t != NULL);
    int64_t v;
    CHECK_EQ(grt_chan_recv(grt_timer_chan(t), &v), 0);
    int64_t timer_late = grt_now() - (t0 + 30 * MS);
    CHECK_GE(timer_late, 0);
    CHECK_LT(timer_late, BOUND);
    grt_timer_free(t);

    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(grt_chan_recv(done, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    atomic_store(&stop_spin, 1);
    CHECK_GT(atomic_load(&spins), 0);

    CHECK_EQ(ra.r, 1);
    int64_t read_late = ra.woke - wa.wrote;
    CHECK_LT(read_late, BOUND);
    int64_t sleep_late = sa.woke - (sa.start + sa.d);
    CHECK_GE(sleep_late, 0);
    CHECK_LT(sleep_late, BOUND);
    printf("%s: read woke %.1f ms after the write, sleep %.1f ms late, timer %.1f ms late\n",
           what, (double)read_late / 1e6, (double)sleep_late / 1e6, (double)timer_late / 1e6);
    fflush(stdout);
    grt_chan_release(done);
    CHECK_EQ(grt_close(c), 0);
    CHECK_EQ(grt_close(s), 0);
    CHECK_EQ(grt_close(lfd), 0);
    grt_sleep(5 * MS); /* the busy goroutine leaves */
}

static void main_fn(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    round_with(yielder, "yielding hog");
#ifndef GRT_TSAN
    round_with(spinner, "spinning hog");
#else
    /* TSan delivers signals only when the thread next enters its runtime,
     * so the preemption signal never finds the pc in the program's code
     * and a goroutine with no scheduling point cannot be preempted. */
    printf("spinning hog: not under TSan (asynchronous preemption is inert there)\n");
#endif
}

int main(void)
{
    test_run(1, main_fn, NULL);
    printf("test_sysmon_poll: ok\n");
    return 0;
}
