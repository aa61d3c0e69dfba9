/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_idle_cpu: an idle program uses no CPU while it waits.
 *
 * Phase 1 (the case): every goroutine is parked (1,000 on channel
 * receives, one in grt_read on a pipe nobody writes, main on a channel),
 * and no timer is pending.  A plain thread measures the process's CPU
 * time (CLOCK_PROCESS_CPUTIME_ID, all threads) over one second, then
 * wakes main with a non-blocking send.  Every M must be asleep (in stopm
 * or in an indefinite epoll_wait) and sysmon parked: the budget is 50 ms.
 * (The measuring thread called grt_go once, which by API.md keeps the
 * deadlock detector quiet, as a thread that may still start work must.)
 *
 * Phase 2 (BENCH.md's idle row in small): main sleeps one second while
 * 1,000 goroutines are parked and 10 others each tick on a 250 ms ticker.
 * A few dozen timer wake-ups must not cost more than the same 50 ms.
 */
#include "grt_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define MS (1000LL * 1000)
#define NPARKED 1000
#define BUDGET_NS (50 * MS)

static int64_t cpu_now(void)
{
    struct timespec ts;
    CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static grt_chan *park_c;   /* nobody ever sends: parked forever */
static grt_chan *wake_main;
static int       pipefd[2];
static int64_t   idle_cpu;
static atomic_int nparked;
static grt_waitgroup reader_wg = GRT_WAITGROUP_INIT;

static void parked(void *arg)
{
    (void)arg;
    int v;
    atomic_fetch_add(&nparked, 1);
    /* closed at the end of the phase */
    CHECK_EQ(grt_chan_recv(park_c, &v), -EPIPE);
}

static void pipe_reader(void *arg)
{
    (void)arg;
    char b;
    atomic_fetch_add(&nparked, 1);
    CHECK_EQ(grt_read(pipefd[0], &b, 1), 0); /* EOF once the writer closes */
    grt_waitgroup_done(&reader_wg);
}

static void nothing(void *arg)
{
    (void)arg;
}

static void *measurer(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_go(nothing, NULL), 0); /* a foreign spawner, see the top */
    /* Started once every goroutine is about to park; a moment more for
     * main and the last of them to get there. */
    grt_sleep(100 * MS);
    int64_t c0 = cpu_now();
    int64_t t0 = grt_now();
    grt_sleep(1000 * MS); /* this thread is no goroutine: a plain sleep */
    int64_t c1 = cpu_now();
    int64_t t1 = grt_now();
    idle_cpu = (c1 - c0) * 1000 * MS / (t1 - t0); /* per second */
    /* main is parked on the receive: a try-send reaches it */
    int64_t deadline = grt_now() + 10000 * MS;
    while (grt_chan_trysend(wake_main, NULL) == -EAGAIN) {
        CHECK_LT(grt_now(), deadline);
        grt_sleep(1 * MS);
    }
    return NULL;
}

static void phase_no_timers(void)
{
    park_c = grt_chan_make(sizeof(int), 0);
    wake_main = grt_chan_make(0, 0);
    CHECK(park_c && wake_main);
    CHECK_EQ(pipe(pipefd), 0);
    atomic_store(&nparked, 0);
    for (int i = 0; i < NPARKED; i++)
        CHECK_EQ(grt_go(parked, NULL), 0);
    CHECK_EQ(grt_waitgroup_add(&reader_wg, 1), 0);
    CHECK_EQ(grt_go(pipe_reader, NULL), 0);
    /* The spawns and first runs are work (slow under the sanitizers): the
     * measurement starts only when they are done. */
    int64_t t0 = grt_now();
    while (atomic_load(&nparked) < NPARKED + 1) {
        CHECK_LT(grt_now() - t0, 60000 * MS);
        grt_sleep(1 * MS);
    }
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, measurer, NULL), 0);
    CHECK_EQ(grt_chan_recv(wake_main, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    printf("idle, no timers: %.2f ms CPU per second\n", (double)idle_cpu / 1e6);
    fflush(stdout);
    CHECK_LT(idle_cpu, BUDGET_NS);
    CHECK_EQ(grt_chan_close(park_c), 0);
    CHECK_EQ(close(pipefd[1]), 0);
    CHECK_EQ(grt_waitgroup_wait(&reader_wg), 0);
    CHECK_EQ(grt_close(pipefd[0]), 0);
    grt_chan_release(park_c);
    grt_chan_release(wake_main);
}

static atomic_int nticks;

static void ticking(void *arg)
{
    grt_timer *t = grt_timer_new(250 * MS, 250 * MS);
    CHECK(t != NULL);
    grt_chan *stop = arg;
    grt_case cs[2] = {{grt_timer_chan(t), GRT_RECV, NULL, 0}, {stop, GRT_RECV, NULL, 0}};
    while (grt_select(cs, 2, GRT_FOREVER) == 0)
        atomic_fetch_add(&nticks, 1);
    grt_timer_free(t);
}

static void phase_tickers(void)
{
    park_c = grt_chan_make(sizeof(int), 0);
    grt_chan *stop = grt_chan_make(0, 0);
    CHECK(park_c && stop);
    atomic_store(&nparked, 0);
    for (int i = 0; i < NPARKED; i++)
        CHECK_EQ(grt_go(parked, NULL), 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(grt_go(ticking, stop), 0);
    int64_t t00 = grt_now();
    while (atomic_load(&nparked) < NPARKED) {
        CHECK_LT(grt_now() - t00, 60000 * MS);
        grt_sleep(1 * MS);
    }
    grt_sleep(100 * MS);
    int64_t c0 = cpu_now(), t0 = grt_now();
    grt_sleep(1000 * MS);
    int64_t c1 = cpu_now(), t1 = grt_now();
    int64_t per_s = (c1 - c0) * 1000 * MS / (t1 - t0);
    printf("idle, 10 tickers (250 ms): %.2f ms CPU per second, %d ticks\n", (double)per_s / 1e6,
           atomic_load(&nticks));
    fflush(stdout);
    CHECK_GE(atomic_load(&nticks), 10); /* the tickers did tick */
    CHECK_LT(per_s, BUDGET_NS);
    CHECK_EQ(grt_chan_close(stop), 0);
    CHECK_EQ(grt_chan_close(park_c), 0);
    grt_sleep(20 * MS);
    grt_chan_release(stop);
    grt_chan_release(park_c);
}

static void main_fn(void *arg)
{
    (void)arg;
    phase_no_timers();
    phase_tickers();
}

int main(void)
{
    test_run(2, main_fn, NULL);
    printf("test_idle_cpu: ok\n");
    return 0;
}
