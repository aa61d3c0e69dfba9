/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_procs: grt_procs(n) changes the number of Ps while goroutines run.
 *
 *  1. Under load: NW workers each run CPU-bound rounds (a hash chain, with
 *     a grt_yield every few rounds) until main says stop AND they have
 *     done a minimum number of rounds.  Meanwhile main goes 1 -> 4 -> 2 ->
 *     1 -> 3, checking each call returns the previous value, grt_procs(0)
 *     the current one, and grt_stats_get's procs field agrees.  At the end
 *     every worker finished and its hash equals a recomputation from its
 *     round count (no round lost or run twice), and workers were still
 *     running during every change.
 *  2. Concurrent changes: two goroutines call grt_procs(1..4) over and
 *     over while workers run; every call returns a value in 1..4 and the
 *     last set value sticks.
 *  3. Bad input: grt_procs(-1) == -EINVAL inside; outside the runtime
 *     grt_procs(0) and grt_procs(2) return -ESRCH; from a thread grt did
 *     not create while the runtime runs, grt_procs(0) queries and
 *     grt_procs(2) returns -EPERM (grt.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "grt_test.h"

#define NW 16
#define YIELD_EVERY 4

/* A hang (a stop-the-world that never completes) fails with a message
 * instead of waiting for CTest's timeout. */
static const char *volatile phase = "start";

static void watchdog(int sig)
{
    (void)sig;
    const char *p = phase;
    (void)!write(2, "FAIL: watchdog: stuck in ", 25);
    (void)!write(2, p, strlen(p));
    (void)!write(2, "\n", 1);
    _exit(1);
}

static atomic_int stop;
static atomic_int finished;
static atomic_llong total_rounds;
static int64_t min_rounds;
static int64_t chunk;
static uint64_t result[NW];
static int64_t rounds_of[NW];

static uint64_t step(uint64_t h, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= (uint64_t)i;
    }
    return h;
}

static void worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t h = (uint64_t)me + 1;
    int64_t r = 0;
    while (r < min_rounds || !atomic_load_explicit(&stop, memory_order_acquire)) {
        h = step(h, chunk);
        r++;
        atomic_fetch_add_explicit(&total_rounds, 1, memory_order_relaxed);
        if (r % YIELD_EVERY == 0)
            grt_yield();
    }
    result[me] = h;
    rounds_of[me] = r;
    atomic_fetch_add_explicit(&finished, 1, memory_order_release);
}

static void start_workers(void)
{
    atomic_store(&stop, 0);
    atomic_store(&finished, 0);
    for (int i = 0; i < NW; i++)
        CHECK_EQ(grt_go(worker, (void *)(intptr_t)i), 0);
}

static void finish_workers(void)
{
    atomic_store_explicit(&stop, 1, memory_order_release);
    int64_t deadline = test_now_ns() + 60 * 1000000000LL;
    while (atomic_load_explicit(&finished, memory_order_acquire) < NW) {
        if (test_now_ns() > deadline)
            TEST_FAIL("only %d of %d workers finished (procs=%d)", atomic_load(&finished), NW,
                      grt_procs(0));
        grt_yield();
    }
    for (int i = 0; i < NW; i++) {
        CHECK_GE(rounds_of[i], min_rounds);
        uint64_t h = (uint64_t)i + 1;
        for (int64_t r = 0; r < rounds_of[i]; r++)
            h = step(h, chunk);
        if (h != result[i])
            TEST_FAIL("worker %d: hash after %" PRId64 " rounds is %016" PRIx64 ", expected %016" PRIx64,
                      i, rounds_of[i], result[i], h);
    }
}

/* Yield for ms of wall time, and check the workers made progress. */
static void busy_wait(int64_t ms, const char *when)
{
    long long r0 = atomic_load(&total_rounds);
    int64_t end = test_now_ns() + ms * 1000000;
    int64_t deadline = end + 20 * 1000000000LL;
    while (test_now_ns() < end || atomic_load(&total_rounds) < r0 + NW) {
        if (test_now_ns() > deadline)
            TEST_FAIL("%s: workers stalled (%lld rounds in 20 s)", when,
                      atomic_load(&total_rounds) - r0);
        grt_yield();
    }
}

static void check_stats_procs(int want)
{
    grt_stats s;
    memset(&s, 0, sizeof s);
    int rc = grt_stats_get(&s);
    if (rc == 0)
        CHECK_EQ(s.procs, want);
    else
        CHECK_EQ(rc, -ENOSYS);
}

static void set_procs(int n, int expect_prev)
{
    int prev = grt_procs(n);
    if (prev != expect_prev)
        TEST_FAIL("grt_procs(%d) returned %d, expected the previous value %d", n, prev,
                  expect_prev);
    CHECK_EQ(grt_procs(0), n);
    check_stats_procs(n);
    CHECK_LT(atomic_load(&finished), NW); /* the change really happened under load */
}

/* --- a thread grt did not create --------------------------------------- */

static atomic_int foreign_done;
static int foreign_query, foreign_set;

static void *foreign_thread(void *arg)
{
    (void)arg;
    foreign_query = grt_procs(0);
    foreign_set = grt_procs(2);
    atomic_store_explicit(&foreign_done, 1, memory_order_release);
    return NULL;
}

static void main_load(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    CHECK_EQ(grt_procs(-1), -EINVAL);
    CHECK_EQ(grt_procs(-100), -EINVAL);
    CHECK_EQ(grt_procs(0), 1);
    check_stats_procs(1);

    start_workers();
    busy_wait(20, "procs=1");
    set_procs(4, 1);
    busy_wait(30, "procs=4");
    set_procs(2, 4);
    busy_wait(30, "procs=2");
    set_procs(1, 2);
    busy_wait(30, "procs=1 again");
    set_procs(3, 1);
    busy_wait(30, "procs=3");
    CHECK_EQ(grt_procs(-1), -EINVAL);
    CHECK_EQ(grt_procs(0), 3);
    /* Setting the same value is allowed and returns it. */
    set_procs(3, 3);
    finish_workers();
    CHECK_EQ(grt_procs(0), 3);

    /* Foreign thread: query works, setting is -EPERM. */
    atomic_store(&foreign_done, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_thread, NULL), 0);
    while (!atomic_load_explicit(&foreign_done, memory_order_acquire))
        grt_yield();
    pthread_join(t, NULL);
    CHECK_EQ(foreign_query, 3);
    CHECK_EQ(foreign_set, -EPERM);
    CHECK_EQ(grt_procs(0), 3);
}

/* --- concurrent changers ----------------------------------------------- */

static int64_t nchanges;
static atomic_int changers_done;

static void changer(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int64_t k = 0; k < nchanges; k++) {
        int n = 1 + (int)((k + (int64_t)me * 2) % 4);
        int prev = grt_procs(n);
        if (prev < 1 || prev > 4)
            TEST_FAIL("changer %d: grt_procs(%d) returned %d, not a previous setting", me, n, prev);
        grt_yield();
    }
    atomic_fetch_add(&changers_done, 1);
}

static void main_concurrent(void *arg)
{
    (void)arg;
    start_workers();
    atomic_store(&changers_done, 0);
    CHECK_EQ(grt_go(changer, (void *)(intptr_t)0), 0);
    CHECK_EQ(grt_go(changer, (void *)(intptr_t)1), 0);
    int64_t deadline = test_now_ns() + 60 * 1000000000LL;
    while (atomic_load(&changers_done) < 2) {
        if (test_now_ns() > deadline)
            TEST_FAIL("changers not done");
        grt_yield();
    }
    int prev = grt_procs(2);
    CHECK_GE(prev, 1);
    CHECK_LE(prev, 4);
    CHECK_EQ(grt_procs(0), 2);
    finish_workers();
    CHECK_EQ(grt_procs(0), 2);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, watchdog);
    alarm(90);
    CHECK_EQ(grt_procs(0), -ESRCH);
    CHECK_EQ(grt_procs(2), -ESRCH);

    /* One chunk: about 20 us of arithmetic. */
    int64_t t0 = test_now_ns();
    volatile uint64_t sink = step(1, 100000);
    (void)sink;
    int64_t per100k = test_now_ns() - t0;
    chunk = per100k > 0 ? (int64_t)(100000.0 * 20000.0 / (double)per100k) : 1000;
    if (chunk < 100)
        chunk = 100;
    min_rounds = test_scale(200);

    phase = "part 1: changes under load (1 -> 4 -> 2 -> 1 -> 3)";
    test_run(1, main_load, NULL);
    printf("  part 1 ok: 1 -> 4 -> 2 -> 1 -> 3 under load\n");
    CHECK_EQ(grt_procs(0), -ESRCH);
    CHECK_EQ(grt_procs(3), -ESRCH);

    nchanges = test_scale(300);
    phase = "part 2: two goroutines calling grt_procs(1..4) concurrently";
    test_run(3, main_concurrent, NULL);
    printf("  part 2 ok: %" PRId64 " concurrent changes by each of 2 goroutines\n", nchanges);
    CHECK_EQ(grt_procs(0), -ESRCH);
    printf("ok: %lld worker rounds\n", (long long)atomic_load(&total_rounds));
    return 0;
}
