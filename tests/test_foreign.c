/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_foreign: grt_go from a pthread that grt did not create.
 *
 * While the runtime runs, a plain pthread:
 *   - sees grt_id() == 0 and grt_goroutines() counting the program's
 *     goroutines (>= 1);
 *   - grt_go(NULL, ..) and grt_go_attr(NULL, ..) return -EINVAL;
 *   - grt_go(fn, arg) returns 0 and the goroutine runs (main waits on an
 *     atomic flag with grt_yield), with its own goroutine id (> 1);
 *   - grt_go of nspawn goroutines from the thread (test_scale(NSPAWN)):
 *     every one runs once;
 *   - grt_exit() returns, grt_yield() returns, grt_lock_thread() and
 *     grt_unlock_thread() return -EPERM.
 * After grt_run has returned, grt_go from the (still living) thread
 * returns -ESRCH and the function never runs.
 * At procs=1 and procs=2; with two foreign threads spawning at once.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "grt_test.h"

#define NSPAWN 2000

static atomic_int ran_one;
static atomic_ullong ran_one_id;
static atomic_int ran_many[2][NSPAWN];
static int nspawn; /* test_scale(NSPAWN) */
static atomic_int total_many;
static atomic_int after_run_ran;

struct foreign_result {
    uint64_t id;
    int64_t goroutines;
    int go_null, go_attr_null, go_one, lock, unlock;
    int go_many_failed;
    int index;
    atomic_int done;
};

static void one(void *arg)
{
    CHECK_EQ((intptr_t)arg, 42);
    atomic_store(&ran_one_id, grt_id());
    atomic_store_explicit(&ran_one, 1, memory_order_release);
}

static void many(void *arg)
{
    intptr_t v = (intptr_t)arg;
    atomic_fetch_add(&ran_many[v / NSPAWN][v % NSPAWN], 1);
    atomic_fetch_add(&total_many, 1);
}

static void after_run(void *arg)
{
    (void)arg;
    atomic_store(&after_run_ran, 1);
}

static void *foreign(void *arg)
{
    struct foreign_result *r = arg;
    r->id = grt_id();
    r->goroutines = grt_goroutines();
    r->go_null = grt_go(NULL, NULL);
    grt_attr a = {.stack_size = 0, .name = "foreign"};
    r->go_attr_null = grt_go_attr(NULL, NULL, &a);
    r->lock = grt_lock_thread();
    r->unlock = grt_unlock_thread();
    grt_yield();
    grt_exit(); /* does nothing outside a goroutine */
    if (r->index == 0)
        r->go_one = grt_go(one, (void *)(intptr_t)42);
    r->go_many_failed = 0;
    for (int i = 0; i < nspawn; i++) {
        int rc = (i % 2) ? grt_go(many, (void *)(intptr_t)(r->index * NSPAWN + i))
                         : grt_go_attr(many, (void *)(intptr_t)(r->index * NSPAWN + i), &a);
        if (rc != 0 && r->go_many_failed == 0)
            r->go_many_failed = rc;
    }
    atomic_store_explicit(&r->done, 1, memory_order_release);
    return NULL;
}

static void wait_flag(atomic_int *flag, int want, const char *what)
{
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (atomic_load_explicit(flag, memory_order_acquire) < want) {
        if (test_now_ns() > deadline)
            TEST_FAIL("procs=%d: timed out waiting for %s (%d of %d)", grt_procs(0), what,
                      atomic_load(flag), want);
        grt_yield();
    }
}

static void check_result(struct foreign_result *r)
{
    CHECK_EQ(r->id, 0);
    CHECK_GE(r->goroutines, 1);
    CHECK_EQ(r->go_null, -EINVAL);
    CHECK_EQ(r->go_attr_null, -EINVAL);
    CHECK_EQ(r->lock, -EPERM);
    CHECK_EQ(r->unlock, -EPERM);
    CHECK_EQ(r->go_many_failed, 0);
    if (r->index == 0)
        CHECK_EQ(r->go_one, 0);
}

static void main_fn(void *arg)
{
    int nthreads = (int)(intptr_t)arg;
    atomic_store(&ran_one, 0);
    atomic_store(&total_many, 0);
    memset(ran_many, 0, sizeof ran_many);

    struct foreign_result res[2];
    pthread_t t[2];
    memset(res, 0, sizeof res);
    for (int i = 0; i < nthreads; i++) {
        res[i].index = i;
        CHECK_EQ(pthread_create(&t[i], NULL, foreign, &res[i]), 0);
    }
    for (int i = 0; i < nthreads; i++)
        wait_flag(&res[i].done, 1, "the foreign thread");
    for (int i = 0; i < nthreads; i++) {
        /* The thread is finished (done is its last store): joining it
         * blocks this thread only for a moment. */
        CHECK_EQ(pthread_join(t[i], NULL), 0);
        check_result(&res[i]);
    }
    wait_flag(&ran_one, 1, "the goroutine spawned by the foreign thread");
    CHECK_GT(atomic_load(&ran_one_id), 1);
    wait_flag(&total_many, nthreads * nspawn, "the goroutines spawned by the foreign threads");
    int64_t deadline = test_now_ns() + 30 * 1000000000LL;
    while (grt_goroutines() != 1) {
        if (test_now_ns() > deadline)
            TEST_FAIL("grt_goroutines()=%" PRId64 ", expected 1", grt_goroutines());
        grt_yield();
    }
    for (int k = 0; k < nthreads; k++)
        for (int i = 0; i < nspawn; i++)
            if (atomic_load(&ran_many[k][i]) != 1)
                TEST_FAIL("goroutine %d of foreign thread %d ran %d times", i, k,
                          atomic_load(&ran_many[k][i]));
}

/* A thread that outlives the runtime. */
static atomic_int late_go_now, late_go_done;
static int late_go_rc;

static void *late_thread(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&late_go_now, memory_order_acquire))
        usleep(1000);
    late_go_rc = grt_go(after_run, NULL);
    atomic_store_explicit(&late_go_done, 1, memory_order_release);
    return NULL;
}

static void late_main(void *arg)
{
    (void)arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    nspawn = test_scale(NSPAWN) < NSPAWN ? (int)test_scale(NSPAWN) : NSPAWN;
    test_run(2, main_fn, (void *)(intptr_t)1);
    test_run(1, main_fn, (void *)(intptr_t)1);
    test_run(2, main_fn, (void *)(intptr_t)2);
    test_run(1, main_fn, (void *)(intptr_t)2);

    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, late_thread, NULL), 0);
    test_run(2, late_main, NULL);
    atomic_store_explicit(&late_go_now, 1, memory_order_release);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(late_go_rc, -ESRCH);
    /* A later run must not run it either. */
    test_run(1, late_main, NULL);
    CHECK_EQ(atomic_load(&after_run_ran), 0);
    printf("ok\n");
    return 0;
}
