/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync_once: grt_once.
 *
 *  - under contention (100 goroutines at procs 1, 2, 4), fn runs exactly
 *    once, and every caller returns only after fn has returned (fn parks
 *    for a while in the middle, so callers do arrive while it runs);
 *  - a zero-filled once works; a second once_do with another fn does not
 *    run it;
 *  - NULL arguments: -EINVAL; outside a goroutine: -EPERM, and fn does not
 *    run.
 */
#include "grt_test.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>

#define MS (1000LL * 1000)

enum { CALLERS = 100 };

static grt_once      once;
static atomic_int    runs, finished;
static grt_waitgroup wg;

static void init_fn(void *arg)
{
    CHECK_EQ((intptr_t)arg, 42);
    atomic_fetch_add(&runs, 1);
    grt_sleep(10 * MS); /* others pile up meanwhile */
    atomic_store(&finished, 1);
}

static void other_fn(void *arg)
{
    (void)arg;
    TEST_FAIL("a second function ran in a done once");
}

static void caller(void *arg)
{
    (void)arg;
    CHECK_EQ(grt_once_do(&once, init_fn, (void *)(intptr_t)42), 0);
    if (!atomic_load(&finished))
        TEST_FAIL("once_do returned before fn finished");
    CHECK_EQ(atomic_load(&runs), 1);
    grt_waitgroup_done(&wg);
}

static void *foreign(void *arg)
{
    (void)arg;
    grt_once o;
    memset(&o, 0, sizeof o);
    CHECK_EQ(grt_once_do(&o, other_fn, NULL), -EPERM);
    return NULL;
}

static void main_fn(void *arg)
{
    (void)arg;
    memset(&once, 0, sizeof once);
    atomic_store(&runs, 0);
    atomic_store(&finished, 0);
    CHECK_EQ(grt_once_do(NULL, init_fn, NULL), -EINVAL);
    CHECK_EQ(grt_once_do(&once, NULL, NULL), -EINVAL);
    CHECK_EQ(grt_waitgroup_add(&wg, CALLERS), 0);
    for (int i = 0; i < CALLERS; i++)
        CHECK_EQ(grt_go(caller, NULL), 0);
    CHECK_EQ(grt_waitgroup_wait(&wg), 0);
    CHECK_EQ(atomic_load(&runs), 1);
    CHECK_EQ(grt_once_do(&once, other_fn, NULL), 0);
    CHECK_EQ(atomic_load(&runs), 1);

    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

int main(void)
{
    grt_once o = GRT_ONCE_INIT;
    CHECK_EQ(grt_once_do(&o, other_fn, NULL), -EPERM);
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
