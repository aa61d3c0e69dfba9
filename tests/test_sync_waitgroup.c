/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync_waitgroup: grt_waitgroup.
 *
 *  - 10,000 goroutines each call done; wait returns only once all have
 *    (each sets its flag before done, so wait must see all flags);
 *  - many waiters: 100 goroutines wait on one group; one done releases all;
 *  - wait with the counter at 0 returns at once; a group is reusable;
 *  - a delta that would make the counter negative (or overflow 32 bits)
 *    returns -EINVAL and leaves the counter as it was;
 *  - done works from a foreign thread and wakes the waiter; wait outside a
 *    goroutine is -EPERM.
 */
#include "grt_test.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>

#define MS (1000LL * 1000)

enum { NGOROUTINES = 10000 };

static grt_waitgroup wg = GRT_WAITGROUP_INIT;
static atomic_uchar  flags[NGOROUTINES];

static void worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    if (i % 3 == 0)
        grt_yield();
    atomic_store(&flags[i], 1);
    CHECK_EQ(grt_waitgroup_done(&wg), 0);
}

static void check_many_goroutines(void)
{
    for (int i = 0; i < NGOROUTINES; i++)
        atomic_store(&flags[i], 0);
    CHECK_EQ(grt_waitgroup_add(&wg, NGOROUTINES), 0);
    for (intptr_t i = 0; i < NGOROUTINES; i++)
        CHECK_EQ(grt_go(worker, (void *)i), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    for (int i = 0; i < NGOROUTINES; i++)
        if (!atomic_load(&flags[i]))
            TEST_FAIL("wait returned before goroutine %d was done", i);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0); /* counter 0: at once */
}

/* --- many waiters ------------------------------------------------------------ */

static grt_waitgroup gate, waiters_done;
static atomic_int    released;

static void waiter(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_waitgroup_wait(&gate), 0);
    atomic_fetch_add(&released, 1);
    CHECK_EQ(grt_waitgroup_done(&waiters_done), 0);
}

static void check_many_waiters(int rounds)
{
    enum { W = 100 };
    for (int r = 0; r < rounds; r++) { /* the same groups, reused */
        atomic_store(&released, 0);
        CHECK_EQ(grt_waitgroup_add(&gate, 1), 0);
        CHECK_EQ(grt_waitgroup_add(&waiters_done, W), 0);
        for (int i = 0; i < W; i++)
            CHECK_EQ(grt_go(waiter, NULL), 0);
        grt_sleep(2 * MS);
        CHECK_EQ(atomic_load(&released), 0);
        CHECK_EQ(grt_waitgroup_done(&gate), 0);
        CHECK_EQ(grt_waitgroup_wait(&waiters_done), 0);
        CHECK_EQ(atomic_load(&released), W);
    }
}

/* --- errors and foreign threads ----------------------------------------------- */

static void *foreign_done(void *arg)
{
    grt_waitgroup *g = arg;
    CHECK_EQ(grt_waitgroup_wait(g), -EPERM);
    usleep(10 * 1000);
    CHECK_EQ(grt_waitgroup_done(g), 0);
    return NULL;
}

static void nothing(void *arg) { (void)arg; }
static atomic_int foreign_ready;

static void *foreign_start(void *arg)
{
    /* API.md: deadlock detection stays on until a foreign thread has
     * called grt_go; main is about to wait for nobody but this thread. */
    CHECK_EQ(grt_go(nothing, NULL), 0);
    atomic_store(&foreign_ready, 1);
    return foreign_done(arg);
}

static void check_errors(void)
{
    grt_waitgroup g;
    memset(&g, 0, sizeof g);
    CHECK_EQ(grt_waitgroup_add(NULL, 1), -EINVAL);
    CHECK_EQ(grt_waitgroup_done(NULL), -EINVAL);
    CHECK_EQ(grt_waitgroup_wait(NULL), -EINVAL);
    CHECK_EQ(grt_waitgroup_wait(&g), 0);
    CHECK_EQ(grt_waitgroup_done(&g), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&g, -1), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&g, 0), 0);
    CHECK_EQ(grt_waitgroup_add(&g, 2), 0);
    CHECK_EQ(grt_waitgroup_add(&g, -3), -EINVAL); /* unchanged: still 2 */
    CHECK_EQ(grt_waitgroup_add(&g, INT32_MAX), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&g, INT64_MIN), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&g, INT64_MAX), -EINVAL);
    CHECK_EQ(grt_waitgroup_done(&g), 0);
    CHECK_EQ(grt_waitgroup_done(&g), 0);
    CHECK_EQ(grt_waitgroup_done(&g), -EINVAL); /* now 0 */
    CHECK_EQ(grt_waitgroup_wait(&g), 0);
    CHECK_EQ(grt_waitgroup_add(&g, INT32_MAX), 0);
    CHECK_EQ(grt_waitgroup_add(&g, 1), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&g, -(int64_t)INT32_MAX), 0);
    CHECK_EQ(grt_waitgroup_wait(&g), 0);

    /* done from a foreign thread wakes the waiter */
    CHECK_EQ(grt_waitgroup_add(&g, 1), 0);
    atomic_store(&foreign_ready, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign_start, &g), 0);
    while (!atomic_load(&foreign_ready))
        grt_yield();
    CHECK_EQ(grt_waitgroup_wait(&g), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    check_errors();
    check_many_goroutines();
    check_many_waiters(10);
}

int main(void)
{
    grt_waitgroup g = GRT_WAITGROUP_INIT;
    CHECK_EQ(grt_waitgroup_wait(&g), -EPERM); /* not a goroutine */
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
