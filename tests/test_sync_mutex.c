/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync_mutex: grt_mutex.
 *
 *  - mutual exclusion under contention: G goroutines increment a plain
 *    counter under the lock (a lost update shows as a short total) and
 *    check that nobody else is inside (an occupancy flag);
 *  - starvation mode (Go's TestMutexFairness): one goroutine re-locks in a
 *    loop, holding the lock across a sleep; another must still get the
 *    lock 10 times within a bound (without starvation mode it never would,
 *    at procs=1: the woken waiter always finds the lock taken again);
 *  - trylock (-EBUSY when held), unlock of an unlocked mutex (-EPERM, and
 *    the mutex still works afterwards), NULL (-EINVAL);
 *  - zero-filled and GRT_MUTEX_INIT mutexes are unlocked;
 *  - unlock from another goroutine and from a foreign thread (allowed),
 *    which wakes a parked locker; lock outside a goroutine is -EPERM.
 */
#include "grt_test.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>

#define MS (1000LL * 1000)

enum { WORKERS = 8 };

static grt_mutex    mu = GRT_MUTEX_INIT;
static int64_t      counter;   /* plain: protected by mu */
static atomic_int   inside;
static int64_t      iters;
static grt_waitgroup wg;

static void worker(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < iters; i++) {
        CHECK_EQ(grt_mutex_lock(&mu), 0);
        if (atomic_fetch_add(&inside, 1) != 0)
            TEST_FAIL("two goroutines inside the mutex");
        counter++;
        if (i % 64 == 0)
            grt_yield(); /* park-free but long critical section */
        atomic_fetch_sub(&inside, 1);
        CHECK_EQ(grt_mutex_unlock(&mu), 0);
    }
    grt_waitgroup_done(&wg);
}

static void check_exclusion(void)
{
    iters = test_scale(100000);
    counter = 0;
    CHECK_EQ(grt_waitgroup_add(&wg, WORKERS), 0);
    for (int i = 0; i < WORKERS; i++)
        CHECK_EQ(grt_go(worker, NULL), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(counter, WORKERS * iters);
    CHECK_EQ(grt_mutex_trylock(&mu), 0);
    CHECK_EQ(grt_mutex_unlock(&mu), 0);
}

/* --- fairness ------------------------------------------------------------- */

static grt_mutex  fair_mu;
static atomic_int fair_stop;

static void hog(void *arg)
{
    grt_chan *stopped = arg;
    while (!atomic_load(&fair_stop)) {
        CHECK_EQ(grt_mutex_lock(&fair_mu), 0);
        grt_sleep(100 * 1000); /* 100 us, holding the lock */
        CHECK_EQ(grt_mutex_unlock(&fair_mu), 0);
    }
    CHECK_EQ(grt_chan_send(stopped, NULL), 0);
}

static void polite(void *arg)
{
    grt_chan *done = arg;
    for (int i = 0; i < 10; i++) {
        grt_sleep(100 * 1000);
        CHECK_EQ(grt_mutex_lock(&fair_mu), 0);
        CHECK_EQ(grt_mutex_unlock(&fair_mu), 0);
    }
    CHECK_EQ(grt_chan_send(done, NULL), 0);
}

static void check_fairness(void)
{
    grt_chan *done = grt_chan_make(0, 1), *stopped = grt_chan_make(0, 1);
    atomic_store(&fair_stop, 0);
    CHECK_EQ(grt_go(hog, stopped), 0);
    CHECK_EQ(grt_go(polite, done), 0);
    int64_t t0 = grt_now();
    grt_case cs[1] = {{done, GRT_RECV, NULL, 0}};
    int r = grt_select(cs, 1, t0 + 10000 * MS);
    if (r != 0)
        TEST_FAIL("a waiter could not get the mutex 10 times in 10 s (rc %d)", r);
    printf("fairness: 10 acquisitions against a hog in %.1f ms\n", (grt_now() - t0) / 1e6);
    atomic_store(&fair_stop, 1);
    CHECK_EQ(grt_chan_recv(stopped, NULL), 0);
    grt_chan_release(done);
    grt_chan_release(stopped);
}

/* --- errors and cross-thread unlock --------------------------------------- */

static atomic_int foreign_ready;

static void nothing(void *arg) { (void)arg; }

static void *foreign_unlock(void *arg)
{
    grt_mutex *m = arg;
    /* API.md: deadlock detection stays on until a foreign thread has
     * called grt_go, and main is about to wait for nobody but us. */
    CHECK_EQ(grt_go(nothing, NULL), 0);
    atomic_store(&foreign_ready, 1);
    CHECK_EQ(grt_mutex_lock(m), -EPERM);
    CHECK_EQ(grt_mutex_trylock(m), -EBUSY); /* still held by main */
    usleep(20 * 1000);
    CHECK_EQ(grt_mutex_unlock(m), 0);   /* wakes the parked locker */
    CHECK_EQ(grt_mutex_unlock(m), -EPERM);
    return NULL;
}

static void other_unlocker(void *arg)
{
    CHECK_EQ(grt_mutex_unlock(arg), 0);
}

static void check_errors(void)
{
    grt_mutex m;
    memset(&m, 0, sizeof m); /* zero-filled is unlocked */
    CHECK_EQ(grt_mutex_lock(NULL), -EINVAL);
    CHECK_EQ(grt_mutex_unlock(NULL), -EINVAL);
    CHECK_EQ(grt_mutex_trylock(NULL), -EINVAL);
    CHECK_EQ(grt_mutex_unlock(&m), -EPERM);
    CHECK_EQ(grt_mutex_unlock(&m), -EPERM);
    /* the refused unlocks corrupted nothing */
    CHECK_EQ(grt_mutex_trylock(&m), 0);
    CHECK_EQ(grt_mutex_trylock(&m), -EBUSY);
    CHECK_EQ(grt_mutex_unlock(&m), 0);
    CHECK_EQ(grt_mutex_unlock(&m), -EPERM);
    CHECK_EQ(grt_mutex_lock(&m), 0);
    CHECK_EQ(grt_mutex_trylock(&m), -EBUSY);

    /* unlocked by another goroutine */
    CHECK_EQ(grt_go(other_unlocker, &m), 0);
    CHECK_EQ(grt_mutex_lock(&m), 0); /* parks until the other one unlocks */

    /* unlocked by a foreign thread while we wait in lock */
    pthread_t t;
    atomic_store(&foreign_ready, 0);
    CHECK_EQ(pthread_create(&t, NULL, foreign_unlock, &m), 0);
    while (!atomic_load(&foreign_ready))
        grt_yield();
    CHECK_EQ(grt_mutex_lock(&m), 0);
    CHECK_EQ(grt_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_errors();
    check_exclusion();
    check_fairness();
}

int main(void)
{
    grt_mutex m = GRT_MUTEX_INIT;
    CHECK_EQ(grt_mutex_lock(&m), -EPERM); /* no runtime, not a goroutine */
    CHECK_EQ(grt_mutex_trylock(&m), 0);
    CHECK_EQ(grt_mutex_unlock(&m), 0);

    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
