/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_steal: work spawned by one goroutine spreads over the Ps.
 *
 * One goroutine (a "spawner", not main) spawns NW workers onto its own P's
 * run queue and returns.  Each worker records the thread it runs on
 * (pthread_self) and spins on some arithmetic for about a millisecond
 * without yielding, so another P can only get work by stealing it.
 * Main waits on a grt_waitgroup, parked: a main that waited by yielding in
 * a loop would keep its own P busy forever (it always finds itself in the
 * queues), and that P would then never look for work to steal.
 *
 *  - procs=2: at least 2 distinct threads must have run workers.  A round
 *    is retried up to ROUNDS times before failing, so a loaded machine
 *    cannot make it flake.
 *  - procs=1: exactly 1 thread runs every worker (one P, and nothing here
 *    hands it to another thread), which shows the check above can fail.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "grt_test.h"

#define NW 64
#define ROUNDS 5

static pthread_t who[NW];
static atomic_int ran[NW];
static atomic_int done;
static atomic_int spawner_done;
static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static int64_t spin_iters;
static atomic_ullong sink; /* written by many goroutines: atomic */

static uint64_t spin(uint64_t x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        /* Opaque to the optimiser: clang otherwise computed the constant
         * calibration call at compile time, and the calibration said the
         * spin costs nothing. */
        __asm__ __volatile__("" : "+r"(x));
    }
    return x;
}

static void worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    who[i] = pthread_self();
    atomic_fetch_add(&ran[i], 1);
    atomic_store_explicit(&sink, spin((uint64_t)i, spin_iters), memory_order_relaxed);
    atomic_fetch_add_explicit(&done, 1, memory_order_release);
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
}

static void spawner(void *arg)
{
    (void)arg;
    for (int i = 0; i < NW; i++)
        CHECK_EQ(grt_go(worker, (void *)(intptr_t)i), 0);
    atomic_store(&spawner_done, 1);
}

/* One round: returns the number of distinct threads that ran workers. */
static int round_once(void)
{
    atomic_store(&done, 0);
    atomic_store(&spawner_done, 0);
    for (int i = 0; i < NW; i++)
        atomic_store(&ran[i], 0);
    CHECK_EQ(grt_waitgroup_add(&wg, NW), 0);
    CHECK_EQ(grt_go(spawner, NULL), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load_explicit(&done, memory_order_acquire), NW);
    CHECK_EQ(atomic_load(&spawner_done), 1);
    pthread_t seen[NW];
    int nseen = 0;
    for (int i = 0; i < NW; i++) {
        CHECK_EQ(atomic_load(&ran[i]), 1);
        int k;
        for (k = 0; k < nseen; k++)
            if (pthread_equal(seen[k], who[i]))
                break;
        if (k == nseen)
            seen[nseen++] = who[i];
    }
    return nseen;
}

static void main_procs2(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 2);
    int threads = 0, r;
    for (r = 1; r <= ROUNDS; r++) {
        threads = round_once();
        printf("  procs=2 round %d: workers ran on %d threads\n", r, threads);
        if (threads >= 2)
            break;
    }
    if (threads < 2)
        TEST_FAIL("procs=2: in %d rounds all %d workers always ran on one thread (no stealing)",
                  ROUNDS, NW);
}

static void main_procs1(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_procs(0), 1);
    int threads = round_once();
    printf("  procs=1: workers ran on %d thread(s)\n", threads);
    CHECK_EQ(threads, 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* About a millisecond of arithmetic per worker (less under sanitizers,
     * where nothing here is instrumented but everything else is slower). */
    int64_t t0 = test_now_ns();
    atomic_store(&sink, spin(1, 1000000));
    int64_t per_million = test_now_ns() - t0;
    if (per_million < 1)
        per_million = 1;
    spin_iters = (int64_t)(1000000.0 * 1e6 / (double)per_million);
    if (spin_iters < 1000)
        spin_iters = 1000;

    test_run(2, main_procs2, NULL);
    test_run(1, main_procs1, NULL);
    printf("ok\n");
    return 0;
}
