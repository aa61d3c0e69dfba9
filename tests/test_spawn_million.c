/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_spawn_million: a million goroutines.
 *
 *  1. alive (procs=1): main spawns N goroutines without yielding.  Each one,
 *     when it first runs, loops on grt_yield() until main sets the release
 *     flag, and only then records its run in its own slot.  Before releasing
 *     them main checks grt_goroutines() == N + 1 (all of them exist at once,
 *     and none can have finished).  After the release every slot must be exactly 1 and
 *     grt_goroutines() must come back to 1.
 *  2. alive (procs=2): the same with a second P that starts running the
 *     spawned goroutines while main is still spawning (N/4 of them, since
 *     each started goroutine holds a stack while it waits).
 *  3. churn (procs=1 and procs=2): spawn N goroutines that record their run
 *     and return at once; every slot ends at exactly 1, the count returns
 *     to 1.
 *
 * N is test_scale(1000000): a tenth under the sanitizers (a hundredth
 * under TSan).
 */
#include <stdatomic.h>

#include "grt_test.h"

static unsigned char *slots;         /* one per goroutine: times it ran */
static int64_t nslots;
static atomic_int released;          /* the gate of the alive goroutines */
static atomic_llong finished;        /* goroutines past their record */
static atomic_llong started;         /* alive goroutines that reached the gate */

static void reset(int64_t n)
{
    free(slots);
    slots = calloc((size_t)n, 1);
    CHECK(slots != NULL);
    nslots = n;
    atomic_store(&released, 0);
    atomic_store(&finished, 0);
    atomic_store(&started, 0);
}

static void record(int64_t i)
{
    if (i < 0 || i >= nslots)
        TEST_FAIL("goroutine got a bad argument %" PRId64, i);
    __atomic_fetch_add(&slots[i], 1, __ATOMIC_RELAXED);
    atomic_fetch_add_explicit(&finished, 1, memory_order_release);
}

static void gated(void *arg)
{
    atomic_fetch_add_explicit(&started, 1, memory_order_relaxed);
    while (!atomic_load_explicit(&released, memory_order_acquire))
        grt_yield();
    record((int64_t)(intptr_t)arg);
}

static void quick(void *arg)
{
    record((int64_t)(intptr_t)arg);
}

/* Yield until finished == n and then until only main is left, failing
 * after a generous deadline. */
static void wait_all(int64_t n, const char *what)
{
    int64_t deadline = test_now_ns() + 120 * 1000000000LL;
    while (atomic_load_explicit(&finished, memory_order_acquire) < n) {
        if (test_now_ns() > deadline)
            TEST_FAIL("%s: only %lld of %" PRId64 " goroutines finished (grt_goroutines()=%" PRId64
                      ")", what, (long long)atomic_load(&finished), n, grt_goroutines());
        grt_yield();
    }
    while (grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("%s: all %" PRId64 " finished but grt_goroutines()=%" PRId64, what, n,
                      grt_goroutines());
        grt_yield();
    }
    CHECK_EQ(atomic_load(&finished), n);
}

static void check_slots(const char *what)
{
    int64_t sum = 0;
    for (int64_t i = 0; i < nslots; i++) {
        unsigned v = __atomic_load_n(&slots[i], __ATOMIC_RELAXED);
        if (v != 1)
            TEST_FAIL("%s: goroutine %" PRId64 " ran %u times (expected exactly once)", what, i, v);
        sum += v;
    }
    CHECK_EQ(sum, nslots);
}

static void alive_main(void *arg)
{
    (void)arg;
    int64_t n = nslots;
    CHECK_EQ(grt_goroutines(), 1);
    int64_t t0 = test_now_ns();
    for (int64_t i = 0; i < n; i++) {
        int rc = grt_go(gated, (void *)(intptr_t)i);
        if (rc != 0)
            TEST_FAIL("grt_go #%" PRId64 " returned %d", i, rc);
    }
    int64_t t1 = test_now_ns();
    /* All exist at once: none can finish before the release. */
    CHECK_EQ(grt_goroutines(), n + 1);
    CHECK_EQ(atomic_load(&finished), 0);
    /* (Main does not yield here: a yield would let every one of them start
     * and take a stack while waiting, a few GiB for a million.) */
    int64_t st = atomic_load(&started);
    atomic_store_explicit(&released, 1, memory_order_release);
    wait_all(n, "alive");
    int64_t t2 = test_now_ns();
    CHECK_EQ(atomic_load(&started), n);
    printf("  procs=%d alive: %" PRId64 " goroutines, spawn %.1f ms (%.0f ns each), %" PRId64
           " had started before the release, all done %.1f ms later\n",
           grt_procs(0), n, (double)(t1 - t0) / 1e6, (double)(t1 - t0) / (double)n, st,
           (double)(t2 - t1) / 1e6);
}

static void churn_main(void *arg)
{
    (void)arg;
    int64_t n = nslots;
    CHECK_EQ(grt_goroutines(), 1);
    int64_t t0 = test_now_ns();
    for (int64_t i = 0; i < n; i++) {
        int rc = grt_go(quick, (void *)(intptr_t)i);
        if (rc != 0)
            TEST_FAIL("grt_go #%" PRId64 " returned %d", i, rc);
    }
    int64_t t1 = test_now_ns();
    int64_t live = grt_goroutines();
    CHECK_GE(live, 1);
    CHECK_LE(live, n + 1); /* some may have run already (procs=2, or main preempted) */
    wait_all(n, "churn");
    int64_t t2 = test_now_ns();
    printf("  procs=%d churn: %" PRId64 " goroutines, spawn %.1f ms, total %.1f ms (%.0f ns per "
           "goroutine)\n",
           grt_procs(0), n, (double)(t1 - t0) / 1e6, (double)(t2 - t0) / 1e6,
           (double)(t2 - t0) / (double)n);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t n = test_scale(1000000);
#ifdef GRT_TSAN
    /* Under TSan every goroutine switch also switches TSan fibers, which
     * costs far more than the switch itself: another 10x fewer. */
    n = n / 10 > 0 ? n / 10 : 1;
#endif

    reset(n);
    test_run(1, alive_main, NULL);
    check_slots("alive procs=1");
    CHECK_EQ(grt_goroutines(), 0);

    reset(n / 4 > 0 ? n / 4 : 1);
    test_run(2, alive_main, NULL);
    check_slots("alive procs=2");

    for (int procs = 1; procs <= 2; procs++) {
        reset(n);
        test_run(procs, churn_main, NULL);
        check_slots(procs == 1 ? "churn procs=1" : "churn procs=2");
    }
    free(slots);
    printf("ok\n");
    return 0;
}
