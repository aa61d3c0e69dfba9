/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_yield_fair: grt_yield() lets every runnable goroutine run.
 *
 *  1. NG goroutines each loop { counter[i]++; grt_yield(); } while main
 *     yields too.  Main takes a snapshot of the counters, keeps yielding
 *     for a while, and checks that EVERY counter advanced since the
 *     snapshot (no goroutine starves), twice in a row; then it stops them
 *     and waits for all to return.  At procs=1 and procs=2.
 *  2. procs=1: two goroutines A and B yielding in a loop alternate.  After
 *     each of its own increments, A checks |countA - countB| <= BOUND, and
 *     so does B.  With one P the run queue is FIFO (Gosched puts the caller
 *     at the back), so they differ by at most 1; the scheduler's fairness
 *     tick (one G from the global queue every 61 schedticks) may reorder a
 *     little, hence a small BOUND rather than 1.
 *  3. Many yielders (NMANY = 1000, more than a 256-slot local run queue
 *     holds, so some wait in the global queue): over a window of time,
 *     every one of them must get at least a quarter of the yields of the
 *     busiest one (an eighth at procs=2).  grt_yield is Go's Gosched, which puts the caller at the
 *     back of the global queue: round robin, so all shares are about
 *     equal.  A yield that goes back to the local queue instead lets the
 *     local goroutines run 60 times for each one taken from the global
 *     queue (the fairness tick), which this detects.  procs=1 and 2; not
 *     under TSan, where switches are too slow to give a useful sample.
 */
#include <stdatomic.h>

#include "grt_test.h"

#define NG 8
#define BOUND 4

static atomic_llong counter[NG];
static atomic_int stop;
static atomic_int exited;

static void spinner(void *arg)
{
    int i = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_acquire)) {
        atomic_fetch_add_explicit(&counter[i], 1, memory_order_relaxed);
        grt_yield();
    }
    atomic_fetch_add(&exited, 1);
}

/* Yield for ms milliseconds of wall time. */
static void yield_for(int64_t ms)
{
    int64_t end = test_now_ns() + ms * 1000000;
    while (test_now_ns() < end)
        grt_yield();
}

static void fair_main(void *arg)
{
    (void)arg;
    atomic_store(&stop, 0);
    atomic_store(&exited, 0);
    for (int i = 0; i < NG; i++) {
        atomic_store(&counter[i], 0);
        CHECK_EQ(grt_go(spinner, (void *)(intptr_t)i), 0);
    }
    long long snap[NG];
    for (int round = 0; round < 2; round++) {
        /* Snapshot, then give them time; every counter must have moved.
         * Keep waiting (up to 10 s) rather than fail on a loaded machine. */
        for (int i = 0; i < NG; i++)
            snap[i] = atomic_load(&counter[i]);
        yield_for(50);
        int64_t deadline = test_now_ns() + 10 * 1000000000LL;
        for (int i = 0; i < NG; i++) {
            while (atomic_load(&counter[i]) <= snap[i]) {
                if (test_now_ns() > deadline)
                    TEST_FAIL("procs=%d: goroutine %d starved: counter stuck at %lld "
                              "(others: %lld %lld %lld ...)",
                              grt_procs(0), i, snap[i], (long long)atomic_load(&counter[0]),
                              (long long)atomic_load(&counter[1]),
                              (long long)atomic_load(&counter[2]));
                grt_yield();
            }
        }
    }
    atomic_store_explicit(&stop, 1, memory_order_release);
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load(&exited) < NG) {
        if (test_now_ns() > deadline)
            TEST_FAIL("only %d of %d spinners returned after stop", atomic_load(&exited), NG);
        grt_yield();
    }
    long long min = -1, max = 0;
    for (int i = 0; i < NG; i++) {
        long long v = atomic_load(&counter[i]);
        CHECK_GT(v, 0);
        if (min < 0 || v < min)
            min = v;
        if (v > max)
            max = v;
    }
    printf("  procs=%d: %d yielders, counters min %lld max %lld\n", grt_procs(0), NG, min, max);
    if (grt_procs(0) == 1) {
        /* One P, FIFO: every spinner got about the same share. */
        CHECK_LE(max - min, (max / 4) + 16);
    }
}

/* --- strict alternation at procs=1 ------------------------------------ */

static atomic_llong pair[2];
static atomic_int pair_done;
static int64_t pair_iters;
static atomic_llong max_gap;

static void alternator(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int64_t k = 0; k < pair_iters; k++) {
        long long mine = atomic_fetch_add_explicit(&pair[me], 1, memory_order_relaxed) + 1;
        long long other = atomic_load_explicit(&pair[1 - me], memory_order_relaxed);
        long long gap = mine > other ? mine - other : other - mine;
        if (gap > atomic_load(&max_gap))
            atomic_store(&max_gap, gap);
        /* The other one finishes its loop first when it is ahead by one. */
        if (other < pair_iters && gap > BOUND)
            TEST_FAIL("goroutines %c and %c do not alternate: %c at %lld, %c at %lld (bound %d)",
                      'A' + me, 'B' - me, 'A' + me, mine, 'B' - me, other, BOUND);
        grt_yield();
    }
    atomic_fetch_add(&pair_done, 1);
}

static void pair_main(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    CHECK_EQ(grt_go(alternator, (void *)(intptr_t)0), 0);
    CHECK_EQ(grt_go(alternator, (void *)(intptr_t)1), 0);
    int64_t deadline = test_now_ns() + 60 * 1000000000LL;
    while (atomic_load(&pair_done) < 2) {
        if (test_now_ns() > deadline)
            TEST_FAIL("alternators not done: A=%lld B=%lld", (long long)atomic_load(&pair[0]),
                      (long long)atomic_load(&pair[1]));
        grt_yield();
    }
    CHECK_EQ(atomic_load(&pair[0]), pair_iters);
    CHECK_EQ(atomic_load(&pair[1]), pair_iters);
    printf("  procs=1 alternation: %" PRId64 " rounds each, largest gap %lld\n", pair_iters,
           (long long)atomic_load(&max_gap));
}

/* --- many yielders ------------------------------------------------------ */

#define NMANY 1000

static atomic_llong many_count[NMANY];

static void many_spinner(void *arg)
{
    int i = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_acquire)) {
        atomic_fetch_add_explicit(&many_count[i], 1, memory_order_relaxed);
        grt_yield();
    }
    atomic_fetch_add(&exited, 1);
}

static void many_main(void *arg)
{
    (void)arg;
    static long long snap[NMANY];
    atomic_store(&stop, 0);
    atomic_store(&exited, 0);
    for (int i = 0; i < NMANY; i++) {
        atomic_store(&many_count[i], 0);
        CHECK_EQ(grt_go(many_spinner, (void *)(intptr_t)i), 0);
    }
    yield_for(50);
    for (int i = 0; i < NMANY; i++)
        snap[i] = atomic_load(&many_count[i]);
    yield_for(TEST_SANITIZED ? 1000 : 250);
    long long min = -1, max = 0, total = 0;
    int imin = 0;
    for (int i = 0; i < NMANY; i++) {
        long long d = atomic_load(&many_count[i]) - snap[i];
        total += d;
        if (min < 0 || d < min) {
            min = d;
            imin = i;
        }
        if (d > max)
            max = d;
    }
    atomic_store_explicit(&stop, 1, memory_order_release);
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (atomic_load(&exited) < NMANY) {
        if (test_now_ns() > deadline)
            TEST_FAIL("only %d of %d yielders returned after stop", atomic_load(&exited), NMANY);
        grt_yield();
    }
    printf("  procs=%d: %d yielders, yields per goroutine in the window: min %lld max %lld "
           "mean %lld\n",
           grt_procs(0), NMANY, min, max, total / NMANY);
    CHECK_GT(max, 0);
    /* One P: strictly round robin, 4x is a wide margin.  Two Ps share
     * the queues less evenly (and a sanitizer or a loaded machine adds
     * noise): 8x. */
    int bound = grt_procs(0) == 1 ? 4 : 8;
    if (min * bound < max)
        TEST_FAIL("procs=%d, %d yielders: unfair shares: goroutine %d yielded %lld times in the "
                  "window, the busiest %lld (mean %lld)",
                  grt_procs(0), NMANY, imin, min, max, total / NMANY);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_run(1, fair_main, NULL);
    test_run(2, fair_main, NULL);
    pair_iters = test_scale(200000);
    test_run(1, pair_main, NULL);
    test_run(2, many_main, NULL);
    test_run(1, many_main, NULL);
    printf("ok\n");
    return 0;
}
