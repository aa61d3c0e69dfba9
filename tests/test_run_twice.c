/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_run_twice: grt_run can be called again, and each run starts clean.
 *
 * Run 1 (procs=2) leaves goroutines behind that are still yielding in a
 * loop (each bumps a counter on every pass) and some that were spawned but
 * never started.  After grt_run returns, those goroutines are abandoned:
 * the counter must never move again, in any later run, and nothing spawned
 * in run 1 may start later.
 *
 * Every run checks at the start of main: grt_goroutines() == 1,
 * grt_id() == 1, grt_procs(0) == its configured procs; and that it can run
 * and count its own goroutines.  Runs: procs=2, procs=1 (with a 64 KiB
 * default stack), procs=3, and cfg=NULL (procs = $GRT_MAXPROCS or the CPUs
 * in the affinity mask).  Between runs: grt_goroutines() == 0, grt_id() ==
 * 0, grt_go() == -ESRCH.
 */
#include <sched.h>
#include <stdatomic.h>

#include "grt_test.h"

static atomic_llong bumps;       /* bumped by run 1's leftovers, forever */
static atomic_int leftovers_started;
static atomic_int late_started;  /* goroutines spawned in run 1 that never got to run */
static atomic_int run_number;
static atomic_int worker_ran;

static void leftover(void *arg)
{
    (void)arg;
    atomic_fetch_add(&leftovers_started, 1);
    for (;;) {
        atomic_fetch_add_explicit(&bumps, 1, memory_order_relaxed);
        grt_yield();
    }
}

static void never_started(void *arg)
{
    (void)arg;
    atomic_fetch_add(&late_started, 1);
}

static void worker(void *arg)
{
    int run = (int)(intptr_t)arg;
    if (run != atomic_load(&run_number))
        TEST_FAIL("a goroutine of run %d ran during run %d", run, atomic_load(&run_number));
    CHECK_GT(grt_id(), 1);
    atomic_fetch_add(&worker_ran, 1);
}

static long long bumps_after_run1;
static int expected_procs;

static void check_clean_start(int run)
{
    atomic_store(&run_number, run);
    CHECK_EQ(grt_goroutines(), 1);
    CHECK_EQ(grt_id(), 1);
    CHECK_EQ(grt_procs(0), expected_procs);
}

/* Spawn n workers, wait for them, check the count returns to 1. */
static void run_workers(int run, int n)
{
    atomic_store(&worker_ran, 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(grt_go(worker, (void *)(intptr_t)run), 0);
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load(&worker_ran) < n || grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("run %d: %d of %d workers ran, grt_goroutines()=%" PRId64, run,
                      atomic_load(&worker_ran), n, grt_goroutines());
        grt_yield();
    }
}

static void run1_main(void *arg)
{
    (void)arg;
    check_clean_start(1);
    run_workers(1, 100);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(grt_go(leftover, NULL), 0);
    int64_t deadline = test_now_ns() + 20 * 1000000000LL;
    while (atomic_load(&leftovers_started) < 16) {
        if (test_now_ns() > deadline)
            TEST_FAIL("leftovers did not start: %d", atomic_load(&leftovers_started));
        grt_yield();
    }
    /* Let them bump for a while, then spawn goroutines and return before
     * they can possibly run (main does not yield after spawning). */
    long long b0 = atomic_load(&bumps);
    while (atomic_load(&bumps) < b0 + 1000)
        grt_yield();
    CHECK_EQ(grt_goroutines(), 17);
    /* These go into this P's runnext/ring; with procs=2 the other P might
     * steal and start some before the runtime stops, which is allowed:
     * only starting after grt_run returned is not. */
    for (int i = 0; i < 64; i++)
        CHECK_EQ(grt_go(never_started, NULL), 0);
}

static int late_after_run1;

static void later_main(void *arg)
{
    int run = (int)(intptr_t)arg;
    check_clean_start(run);
    CHECK_EQ(atomic_load(&bumps), bumps_after_run1);
    run_workers(run, (int)test_scale(1000));
    int64_t end = test_now_ns() + 50 * 1000000LL;
    while (test_now_ns() < end)
        grt_yield();
    CHECK_EQ(atomic_load(&bumps), bumps_after_run1);
    CHECK_EQ(atomic_load(&late_started), late_after_run1);
    CHECK_EQ(grt_goroutines(), 1);
    CHECK_EQ(grt_id(), 1);
    CHECK_EQ(grt_procs(0), expected_procs);
}

static void check_outside(void)
{
    CHECK_EQ(grt_goroutines(), 0);
    CHECK_EQ(grt_id(), 0);
    CHECK_EQ(grt_go(worker, (void *)(intptr_t)-1), -ESRCH);
    CHECK_EQ(grt_procs(0), -ESRCH);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_outside();

    expected_procs = 2;
    test_run(2, run1_main, NULL);
    check_outside();
    bumps_after_run1 = atomic_load(&bumps);
    late_after_run1 = atomic_load(&late_started);
    CHECK_GT(bumps_after_run1, 0);
    /* Still nothing moves with no runtime at all. */
    usleep(20000);
    CHECK_EQ(atomic_load(&bumps), bumps_after_run1);

    expected_procs = 1;
    grt_config cfg = {.procs = 1, .stack_size = 64 * 1024};
    CHECK_EQ(grt_run(&cfg, later_main, (void *)(intptr_t)2), 0);
    check_outside();

    expected_procs = 3;
    test_run(3, later_main, (void *)(intptr_t)3);
    check_outside();

    /* cfg NULL: $GRT_MAXPROCS, else the CPUs this process may use. */
    const char *env = getenv("GRT_MAXPROCS");
    if (env && *env) {
        expected_procs = atoi(env);
    } else {
        cpu_set_t set;
        CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
        expected_procs = CPU_COUNT(&set);
    }
    CHECK_EQ(grt_run(NULL, later_main, (void *)(intptr_t)4), 0);
    check_outside();

    /* A few more quick runs back to back. */
    for (int r = 5; r < 10; r++) {
        expected_procs = 1 + r % 3;
        test_run(expected_procs, later_main, (void *)(intptr_t)r);
    }
    CHECK_EQ(atomic_load(&bumps), bumps_after_run1);
    printf("ok: %lld bumps in run 1, none after\n", bumps_after_run1);
    return 0;
}
