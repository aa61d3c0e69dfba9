/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sync_cond: grt_cond (after Go's sync/cond_test.go).
 *
 *  - signal wakes exactly one waiter, never zero and never two;
 *  - broadcast wakes every waiter;
 *  - signal generations: waiters are woken in the order they waited;
 *  - a signal with nobody waiting is not remembered;
 *  - a bounded queue guarded by a mutex and two conds, many producers and
 *    consumers: every item arrives exactly once;
 *  - signal and broadcast from a foreign thread wake goroutines;
 *  - errors: NULL (-EINVAL), wait without holding the mutex (-EPERM, the
 *    cond unchanged), wait outside a goroutine (-EPERM).
 */
#include "grt_test.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>

#define MS (1000LL * 1000)

static grt_mutex m;
static grt_cond  c;
static grt_chan *running, *awake;

static void sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    CHECK_EQ(grt_mutex_lock(&m), 0);
    CHECK_EQ(grt_chan_send(running, NULL), 0);
    CHECK_EQ(grt_cond_wait(&c, &m), 0);
    CHECK_EQ(grt_chan_send(awake, &i), 0);
    CHECK_EQ(grt_mutex_unlock(&m), 0);
}

static void expect_none_awake(void)
{
    grt_sleep(MS);
    int v;
    if (grt_chan_tryrecv(awake, &v) == 0)
        TEST_FAIL("goroutine %d awake without a signal", v);
}

static void check_signal(void)
{
    enum { N = 5 };
    running = grt_chan_make(0, N);
    awake = grt_chan_make(sizeof(int), N);
    for (intptr_t i = 0; i < N; i++)
        CHECK_EQ(grt_go(sleeper, (void *)i), 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(grt_chan_recv(running, NULL), 0);
    for (int n = N; n > 0; n--) {
        expect_none_awake();
        CHECK_EQ(grt_mutex_lock(&m), 0);
        CHECK_EQ(grt_cond_signal(&c), 0);
        CHECK_EQ(grt_mutex_unlock(&m), 0);
        int v;
        CHECK_EQ(grt_chan_recv(awake, &v), 0); /* deadlock if nobody woke */
        expect_none_awake();                   /* ... and only one did */
    }
    CHECK_EQ(grt_cond_signal(&c), 0); /* nobody waits: a no-op */
    grt_chan_release(running);
    grt_chan_release(awake);
}

static void check_broadcast(void)
{
    enum { N = 200 };
    running = grt_chan_make(0, N);
    awake = grt_chan_make(sizeof(int), N);
    for (int round = 0; round < 3; round++) {
        for (intptr_t i = 0; i < N; i++)
            CHECK_EQ(grt_go(sleeper, (void *)i), 0);
        for (int i = 0; i < N; i++)
            CHECK_EQ(grt_chan_recv(running, NULL), 0);
        expect_none_awake();
        CHECK_EQ(grt_mutex_lock(&m), 0);
        CHECK_EQ(grt_cond_broadcast(&c), 0);
        CHECK_EQ(grt_mutex_unlock(&m), 0);
        bool seen[N] = {false};
        for (int i = 0; i < N; i++) {
            int v = -1;
            CHECK_EQ(grt_chan_recv(awake, &v), 0);
            CHECK(v >= 0 && v < N && !seen[v]);
            seen[v] = true;
        }
        expect_none_awake();
    }
    grt_chan_release(running);
    grt_chan_release(awake);
}

static void check_generations(void)
{
    enum { N = 100 };
    running = grt_chan_make(0, N);
    awake = grt_chan_make(sizeof(int), N);
    for (intptr_t i = 0; i < N; i++) {
        CHECK_EQ(grt_go(sleeper, (void *)i), 0);
        if (i > 0) {
            int a = -1;
            CHECK_EQ(grt_chan_recv(awake, &a), 0);
            if (a != i - 1)
                TEST_FAIL("wrong goroutine woke up: want %d, got %d", (int)i - 1, a);
        }
        CHECK_EQ(grt_chan_recv(running, NULL), 0);
        CHECK_EQ(grt_mutex_lock(&m), 0);
        CHECK_EQ(grt_cond_signal(&c), 0);
        CHECK_EQ(grt_mutex_unlock(&m), 0);
    }
    int a = -1;
    CHECK_EQ(grt_chan_recv(awake, &a), 0);
    CHECK_EQ(a, N - 1);
    grt_chan_release(running);
    grt_chan_release(awake);
}

/* --- bounded queue ------------------------------------------------------------ */

enum { QCAP = 8, QPROD = 4, QCONS = 4 };

static grt_mutex       qm;
static grt_cond        not_full, not_empty;
static int64_t         q[QCAP], qhead, qlen; /* guarded by qm */
static int64_t         qitems;
static _Atomic uint8_t *qseen;
static grt_waitgroup   qwg;

static void q_producer(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int64_t v = id; v < qitems; v += QPROD) {
        CHECK_EQ(grt_mutex_lock(&qm), 0);
        while (qlen == QCAP)
            CHECK_EQ(grt_cond_wait(&not_full, &qm), 0);
        q[(qhead + qlen) % QCAP] = v;
        qlen++;
        CHECK_EQ(grt_cond_signal(&not_empty), 0);
        CHECK_EQ(grt_mutex_unlock(&qm), 0);
    }
    grt_waitgroup_done(&qwg);
}

static void q_consumer(void *arg)
{
    int64_t n = (int64_t)(intptr_t)arg;
    for (int64_t k = 0; k < n; k++) {
        CHECK_EQ(grt_mutex_lock(&qm), 0);
        while (qlen == 0)
            CHECK_EQ(grt_cond_wait(&not_empty, &qm), 0);
        int64_t v = q[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        CHECK_EQ(grt_cond_signal(&not_full), 0);
        CHECK_EQ(grt_mutex_unlock(&qm), 0);
        CHECK(v >= 0 && v < qitems);
        if (atomic_fetch_add(&qseen[v], 1) != 0)
            TEST_FAIL("item %" PRId64 " consumed twice", v);
    }
    grt_waitgroup_done(&qwg);
}

static void check_queue(void)
{
    qitems = test_scale(200000) / QCONS * QCONS;
    qseen = calloc((size_t)qitems, 1);
    qhead = qlen = 0;
    CHECK_EQ(grt_waitgroup_add(&qwg, QPROD + QCONS), 0);
    for (intptr_t i = 0; i < QCONS; i++)
        CHECK_EQ(grt_go(q_consumer, (void *)(intptr_t)(qitems / QCONS)), 0);
    for (intptr_t i = 0; i < QPROD; i++)
        CHECK_EQ(grt_go(q_producer, (void *)i), 0);
    CHECK_EQ(grt_waitgroup_wait(&qwg), 0);
    for (int64_t v = 0; v < qitems; v++)
        if (atomic_load(&qseen[v]) != 1)
            TEST_FAIL("item %" PRId64 " consumed %d times", v, (int)atomic_load(&qseen[v]));
    CHECK_EQ(qlen, 0);
    free((void *)qseen);
}

/* --- foreign threads and errors ------------------------------------------------- */

static atomic_int foreign_ready, signal_checked;

static void nothing(void *arg) { (void)arg; }

static void *foreign(void *arg)
{
    (void)arg;
    /* API.md: deadlock detection stays on until a foreign thread has
     * called grt_go; the goroutines wait for nobody but this thread. */
    CHECK_EQ(grt_go(nothing, NULL), 0);
    grt_mutex fm = GRT_MUTEX_INIT;
    CHECK_EQ(grt_mutex_trylock(&fm), 0);
    CHECK_EQ(grt_cond_wait(&c, &fm), -EPERM);
    atomic_store(&foreign_ready, 1);
    usleep(20 * 1000);
    CHECK_EQ(grt_cond_signal(&c), 0);
    /* the broadcast only once the test saw that the signal woke one: no
     * timing assumption about when the woken goroutine runs */
    while (!atomic_load(&signal_checked))
        usleep(1000);
    CHECK_EQ(grt_cond_broadcast(&c), 0);
    return NULL;
}

static void check_foreign(void)
{
    enum { N = 3 };
    running = grt_chan_make(0, N);
    awake = grt_chan_make(sizeof(int), N);
    for (intptr_t i = 0; i < N; i++)
        CHECK_EQ(grt_go(sleeper, (void *)i), 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(grt_chan_recv(running, NULL), 0);
    atomic_store(&foreign_ready, 0);
    atomic_store(&signal_checked, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, foreign, NULL), 0);
    while (!atomic_load(&foreign_ready))
        grt_yield();
    int v;
    CHECK_EQ(grt_chan_recv(awake, &v), 0); /* the signal: one */
    grt_sleep(5 * MS);
    CHECK_EQ(grt_chan_len(awake), 0); /* a signal wakes one, not more */
    atomic_store(&signal_checked, 1);
    CHECK_EQ(grt_chan_recv(awake, &v), 0); /* the broadcast: the rest */
    CHECK_EQ(grt_chan_recv(awake, &v), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    grt_chan_release(running);
    grt_chan_release(awake);
}

static void check_errors(void)
{
    grt_cond cz;
    grt_mutex mz;
    memset(&cz, 0, sizeof cz);
    memset(&mz, 0, sizeof mz);
    CHECK_EQ(grt_cond_wait(NULL, &mz), -EINVAL);
    CHECK_EQ(grt_cond_wait(&cz, NULL), -EINVAL);
    CHECK_EQ(grt_cond_signal(NULL), -EINVAL);
    CHECK_EQ(grt_cond_broadcast(NULL), -EINVAL);
    CHECK_EQ(grt_cond_wait(&cz, &mz), -EPERM); /* mutex not held */
    CHECK_EQ(grt_mutex_trylock(&mz), 0);       /* and it was not touched */
    CHECK_EQ(grt_mutex_unlock(&mz), 0);
    CHECK_EQ(cz.wait_, 0);                     /* no ticket taken */
    CHECK_EQ(grt_cond_signal(&cz), 0);
    CHECK_EQ(grt_cond_broadcast(&cz), 0);
}

static void main_fn(void *arg)
{
    (void)arg;
    memset(&m, 0, sizeof m);
    memset(&c, 0, sizeof c);
    check_errors();
    check_signal();
    check_broadcast();
    check_generations();
    check_queue();
    check_foreign();
}

int main(void)
{
    grt_cond cc = GRT_COND_INIT;
    grt_mutex mm = GRT_MUTEX_INIT;
    CHECK_EQ(grt_mutex_trylock(&mm), 0);
    CHECK_EQ(grt_cond_wait(&cc, &mm), -EPERM); /* not a goroutine */
    CHECK_EQ(grt_cond_signal(&cc), 0);
    test_run(1, main_fn, NULL);
    test_run(2, main_fn, NULL);
    test_run(4, main_fn, NULL);
    printf("ok\n");
    return 0;
}
